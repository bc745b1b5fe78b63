import { randomUUID } from 'node:crypto';
import { DiscardPolicy, NatsError, StorageType } from 'nats';
import { describe, expect, it } from 'vitest';
import { isTransientFailure, natsFailure } from '#libs/bus';
import { useTestBus } from '../support/nats.js';
import { useSwitchboard } from '../support/switchboard.js';
import { errorOf, type ApiResponse } from '../support/api.js';

/** Publishes on `subject` until the stream refuses, and returns the refusal. */
async function fillUntilRefused(write: () => Promise<unknown>): Promise<NatsError> {
  for (let i = 0; i < 1000; i++) {
    try {
      await write();
    } catch (err) {
      if (err instanceof NatsError) return err;
      throw err;
    }
  }
  throw new Error('never refused');
}

describe('a write to a full stream or bucket', () => {
  const testBus = useTestBus();

  it('is told apart from an outage by its JetStream code: storage_full, retried later, not JetStream down', async () => {
    const { bus } = testBus;
    await bus.jsm.streams.add({
      name: 'FULL',
      subjects: ['full.>'],
      storage: StorageType.File,
      max_bytes: 4096,
      discard: DiscardPolicy.New,
    });
    const refusal = await fillUntilRefused(() => bus.js.publish('full.x', new Uint8Array(500)));
    expect(refusal.api_error?.err_code).toBe(10077);

    const told = natsFailure(refusal);
    expect(told?.code).toBe('storage_full');
    expect(told?.details).toEqual({ retry_after_s: 30 });
    expect(told?.message).toMatch(/^the message bus's store for this is full/);
    // A worker keeps the message and tries again: room comes back as work is done.
    expect(isTransientFailure(refusal)).toBe(true);
  });

  it('to a full bucket is the same', async () => {
    const { bus } = testBus;
    const kv = await bus.js.views.kv('full_bucket', { max_bytes: 4096 });
    const refusal = await fillUntilRefused(() => kv.put(`k${randomUUID().slice(0, 8)}`, new Uint8Array(500)));
    expect(natsFailure(refusal)?.code).toBe('storage_full');
  });
});

describe('the API over a full bucket', () => {
  const sb = useSwitchboard();

  it('answers 507 storage_full with Retry-After, and still serves reads', async () => {
    const account = `full-${randomUUID().slice(0, 8)}`;
    const route = (id: string) =>
      sb.api.put(`/v1/accounts/${account}/routes/${id}`, { match: { event_type: 'x' }, steps: [{ handler: 'log', config: {} }] });
    expect((await route('kept')).status).toBe(201);
    // The routes bucket at its cap, as if every account's routes had filled it.
    const info = await sb.bus.jsm.streams.info('KV_routes');
    await sb.bus.jsm.streams.update('KV_routes', { ...info.config, max_bytes: info.state.bytes + 600 });

    let refused: ApiResponse | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await route(`r${i}`);
      if (res.status !== 201) refused = res;
    }
    expect(refused?.status).toBe(507);
    expect(refused && errorOf(refused).code).toBe('storage_full');
    expect(refused?.headers.get('retry-after')).toBe('30');
    expect((await sb.api.get(`/v1/accounts/${account}/routes/kept`)).status).toBe(200);
  });
});
