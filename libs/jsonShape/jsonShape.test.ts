import { describe, expect, it } from 'vitest';
import { jsonShapeIssue, jsonTextDepthIssue } from './jsonShape.js';

const limits = { maxDepth: 4, maxEntries: 3 };

function nested(levels: number, key = 'a'): string {
  return `${`{"${key}":`.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

describe('the JSON shape check', () => {
  it('takes documents within the limits, and scalars', () => {
    expect(jsonShapeIssue(JSON.parse(nested(4)), limits)).toBeUndefined();
    expect(jsonShapeIssue({ a: [1, 2, 3], b: { c: null } }, limits)).toBeUndefined();
    for (const scalar of [null, 1, 'x', true]) expect(jsonShapeIssue(scalar, limits)).toBeUndefined();
  });

  it('names the path where a document goes too deep, however deep it goes', () => {
    expect(jsonShapeIssue(JSON.parse(nested(5)), limits)).toEqual({
      path: 'a.a.a.a',
      message: 'nested more than 4 levels deep (objects and arrays)',
    });
    expect(jsonShapeIssue(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), limits)?.path).toBe('0.0.0.0');
    expect(jsonShapeIssue(JSON.parse(`{"event_data":{"list":[[[1]]]}}`), limits)?.path).toBe('event_data.list.0.0');
  });

  it('shortens a long path to its head and tail, and long keys to their start', () => {
    const deep = jsonShapeIssue(JSON.parse(nested(40, 'k')), { maxDepth: 32, maxEntries: 10 });
    expect(deep?.path).toBe('k.k.k.k.k.k.k.k.…(20 more)….k.k.k.k');
    const long = jsonShapeIssue({ ['x'.repeat(100_000)]: { y: { z: { w: {} } } } }, limits);
    expect(long?.path).toBe(`${'x'.repeat(39)}….y.z.w`);
  });

  it('refuses objects with too many keys and arrays with too many items', () => {
    expect(jsonShapeIssue({ a: { k1: 1, k2: 2, k3: 3, k4: 4 } }, limits)).toEqual({ path: 'a', message: 'more than 3 keys in one object' });
    expect(jsonShapeIssue([1, 2, 3, 4], limits)).toEqual({ path: '(root)', message: 'more than 3 items in one array' });
  });

  it('refuses keys that reach a prototype', () => {
    expect(jsonShapeIssue(JSON.parse('{"a":{"__proto__":{"x":1}}}'), limits)?.path).toBe('a.__proto__');
    expect(jsonShapeIssue(JSON.parse('{"constructor":{"prototype":{}}}'), limits)?.path).toBe('constructor');
    expect(jsonShapeIssue({ constructor: 'a string', prototype: 1 }, limits)).toBeUndefined();
  });
});

describe('the depth scan of JSON text, before parsing', () => {
  it.each([
    '{"a":{"b":{"c":{"d":{}}}}}',
    '[1,[2,[3,[4,[5]]]]]',
    '{"x":1,"list":[0,{"k":"v"},[[["deep"]]]]}',
    '{"a\\"b":{"[{":{"}]":{"e\\u0301":[[]]}}}}',
    '{"event_data":{"a":[{"b":[{"c":1}]}]}}',
  ])('finds the place the parsed walk finds: %s', (text) => {
    const scanned = jsonTextDepthIssue(text, limits.maxDepth);
    expect(scanned).toBeDefined();
    expect(scanned).toEqual(jsonShapeIssue(JSON.parse(text), { ...limits, maxEntries: 100 }));
  });

  it('ignores brackets inside strings, and passes text within the limit', () => {
    expect(jsonTextDepthIssue(`{"a":"${'[{'.repeat(1000)}","b":["\\"[[[["]]}`, limits.maxDepth)).toBeUndefined();
    expect(jsonTextDepthIssue(nested(4), limits.maxDepth)).toBeUndefined();
  });
});
