import { describe, expect, it } from 'vitest';
import { useHandlerTestbed } from '../../test/support/handlerContext.js';
import { emitEventHandler } from './handler.js';

describe('emit_event handler', () => {
  const testbed = useHandlerTestbed();

  it("emits the event with its data rendered (a lone placeholder keeps the value's type), leaving the conversation to the trigger's", async () => {
    const event = testbed.event({ server: 'db-1', load: 0.97, tags: ['prod'] });
    const config = {
      event_type: 'server_down',
      event_data: { summary: '{{event.event_data.server}} is down', load: '{{event.event_data.load}}', tags: '{{event.event_data.tags}}' },
    };

    const result = await emitEventHandler.handle(testbed.step(emitEventHandler, config, { event }));

    expect(result).toEqual({
      output: { event_type: 'server_down' },
      emit: [{ event_type: 'server_down', event_data: { summary: 'db-1 is down', load: 0.97, tags: ['prod'] } }],
    });
  });

  it('emits into the conversation it names, with empty data when none is given', async () => {
    const result = await emitEventHandler.handle(
      testbed.step(
        emitEventHandler,
        { event_type: 'escalate', conversation_type: 'monitor', conversation_key: '{{event.event_data.team}}' },
        { event: testbed.event({ team: 'ops' }) },
      ),
    );

    expect(result.emit).toEqual([{ event_type: 'escalate', conversation_type: 'monitor', conversation_key: 'ops', event_data: {} }]);
  });

  it('tells the cycle check what it surely emits: literal types and conversations, data as configured', () => {
    expect(emitEventHandler.emissions?.({ event_type: 'ping', event_data: { n: '{{event.event_data.n}}' } })).toEqual([
      { event_type: 'ping', event_data: { n: '{{event.event_data.n}}' } },
    ]);
    expect(emitEventHandler.emissions?.({ event_type: 'ping', conversation_type: 'monitor', conversation_key: 'main' })).toEqual([
      { event_type: 'ping', conversation_type: 'monitor', conversation_key: 'main' },
    ]);
  });

  it('leaves out what only an event can tell: a templated type or conversation, or no type at all', () => {
    expect(emitEventHandler.emissions?.({ event_type: '{{event.event_data.next}}' })).toEqual([]);
    expect(emitEventHandler.emissions?.({ event_type: 'ping', conversation_key: '{{event.event_data.team}}' })).toEqual([]);
    expect(emitEventHandler.emissions?.({ event_data: { n: 1 } })).toEqual([]);
  });
});
