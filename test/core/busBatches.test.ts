import { ErrorCode, NatsError, type Events, type Status } from 'nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONTROL_LINE_BYTES } from '../../libs/bus/natsOverrides/index.js';
import { useTestBus } from '../support/nats.js';

// libs/bus/natsOverrides makes a connection's commands share one socket write per turn of the
// event loop and its settled requests share one error: each caller must still get its own result.
const suite = useTestBus();

/** What this reads of a connection's insides: its socket's writes. */
interface WithTransport {
  protocol: { transport: { send(frame: Uint8Array): void } };
}

/** Counts the connection's socket writes while `run` runs. */
async function socketWrites(run: () => Promise<unknown>): Promise<number> {
  const transport = (suite.bus.nc as unknown as WithTransport).protocol.transport;
  const send = vi.spyOn(transport, 'send');
  try {
    await run();
    return send.mock.calls.length;
  } finally {
    send.mockRestore();
  }
}

/** Status changes of the connection (a disconnect, a reconnect) while `run` runs. */
async function statusChanges(run: () => Promise<void>): Promise<Array<Events | string>> {
  const changes: Array<Events | string> = [];
  const statuses: AsyncIterable<Status> = suite.bus.nc.status();
  void (async () => {
    for await (const status of statuses) changes.push(status.type);
  })();
  await run();
  await suite.bus.nc.flush();
  return changes;
}

afterEach(() => vi.restoreAllMocks());

describe('coalesced writes', () => {
  it('write the commands of one turn of the event loop to the socket at once, across promise continuations', async () => {
    const writes = await socketWrites(async () => {
      for (let i = 0; i < 100; i++) {
        suite.bus.nc.publish('burst', String(i));
        // nats.js alone writes in a microtask: once per continuation.
        await Promise.resolve();
      }
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(writes).toBe(1);
  });

  it('refuse to its caller alone a key too long for a subject, or a value too large, mixed into KV writes', async () => {
    const kv = await suite.bus.js.views.kv('batch_isolation');
    const outcomes: Array<PromiseSettledResult<number>> = [];
    const changes = await statusChanges(async () => {
      const writes = Array.from({ length: 100 }, (_, i) => kv.put(`key${i}`, String(i)))
        .toSpliced(30, 0, kv.put('k'.repeat(MAX_CONTROL_LINE_BYTES + 1000), 'x'))
        .toSpliced(60, 0, kv.put('huge', new Uint8Array(2 * 1024 * 1024)));
      outcomes.push(...(await Promise.allSettled(writes)));
    });

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(100);
    const refused = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [{ index, reason: outcome.reason as unknown }] : [],
    );
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ index: 30, reason: { code: ErrorCode.BadSubject } });
    expect(refused[1]).toMatchObject({ index: 60, reason: { code: ErrorCode.MaxPayloadExceeded } });
    // nats-server would have closed the connection under all 102 at the long line.
    expect(changes).toEqual([]);
    expect((await kv.get('key99'))?.string()).toBe('99');
  });
});

describe('settled requests', () => {
  it('answer each request, fail the one that times out and the one nobody hears with their own reasons, and build no error for the rest', async () => {
    const echo = suite.bus.nc.subscribe('echo');
    void (async () => {
      for await (const msg of echo) msg.respond(msg.data);
    })();
    suite.bus.nc.subscribe('silent');
    const built = vi.spyOn(NatsError, 'errorForCode');

    const requests = Array.from({ length: 200 }, (_, i) =>
      suite.bus.nc.request('echo', String(i), { timeout: 2000 }).then((msg) => msg.string()),
    )
      .toSpliced(
        50,
        0,
        suite.bus.nc.request('silent', 'x', { timeout: 300 }).then((msg) => msg.string()),
      )
      .toSpliced(
        150,
        0,
        suite.bus.nc.request('nobody.listens', 'x', { timeout: 2000 }).then((msg) => msg.string()),
      );
    const outcomes = await Promise.allSettled(requests);
    echo.unsubscribe();

    const answered = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(answered).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
    expect(outcomes[50]).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.Timeout } });
    expect(outcomes[150]).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.NoResponders } });
    // nats.js builds a Cancelled error per settled request unless the override is active.
    expect(built.mock.calls.filter(([code]) => code === (ErrorCode.Cancelled as string))).toEqual([]);
  });
});
