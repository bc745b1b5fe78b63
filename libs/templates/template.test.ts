import { describe, expect, it } from 'vitest';
import { hasTemplates, render, renderString } from './template.js';

const context = { event: { event_data: { name: 'Ann', tags: ['a', 'b'], n: 3 } }, steps: { '0': { output: { id: 'c-1' } } } };

describe('templates', () => {
  it('renders paths into strings, and keeps a lone placeholder’s type', () => {
    expect(renderString('Hi {{event.event_data.name}} #{{event.event_data.n}}', context)).toBe('Hi Ann #3');
    expect(renderString('{{event.event_data.tags}}', context)).toEqual(['a', 'b']);
    expect(renderString('{{ steps.0.output.id }}', context)).toBe('c-1');
    expect(renderString('{{event.event_data.missing}}!', context)).toBe('!');
    expect(render({ a: ['{{event.event_data.n}}'] }, context)).toEqual({ a: [3] });
  });

  it('leaves placeholders with a root it does not have for a later renderer', () => {
    expect(renderString('[{{user.name}}] {{event.event_data.name}}', context)).toBe('[{{user.name}}] Ann');
    expect(hasTemplates({ a: [{ b: 'x {{y}}' }] })).toBe(true);
    expect(hasTemplates({ a: [{ b: 'plain' }] })).toBe(false);
  });

  it('walks configs of any depth without recursion, keeping a `__proto__` key as data', () => {
    let deep: unknown = '{{event.event_data.name}}';
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    expect(hasTemplates(deep)).toBe(true);
    let rendered = render(deep, context);
    for (let i = 100_000 - 1; i >= 0; i--) rendered = i % 2 === 0 ? (rendered as unknown[])[0] : (rendered as { k: unknown }).k;
    expect(rendered).toBe('Ann');
    const withProto = render(
      JSON.parse('{"__proto__": {"x": "{{event.event_data.n}}"}, "list": ["a", "{{event.event_data.n}}"]}'),
      context,
    );
    expect(Object.getPrototypeOf(withProto)).toBe(Object.prototype);
    expect(JSON.stringify(withProto)).toBe('{"__proto__":{"x":3},"list":["a",3]}');
  });

  it.each([
    '{{constructor}}',
    '{{constructor.constructor}}',
    '{{event.constructor.constructor}}',
    '{{event.__proto__}}',
    '{{event.__proto__.constructor}}',
    '{{event.event_data.name.length}}',
    '{{event.event_data.tags.map}}',
    '{{event.toString}}',
    '{{process.env}}',
    '{{globalThis.process}}',
    "{{event.event_data.name}}{{ require('child_process') }}",
  ])('reads only the plain data it was given: %s', (template) => {
    const out = renderString(template, context);
    expect(typeof out === 'function').toBe(false);
    expect(JSON.stringify(out) ?? '').not.toMatch(/function|\[native code\]|PATH|HOME/);
    // Nothing, the template left as it is (an unknown root), or the plain value it names.
    expect(out === undefined || out === '' || out === template || (typeof out === 'string' && out.startsWith('Ann'))).toBe(true);
  });
});
