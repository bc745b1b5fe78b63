import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, provisionBus, type Bus } from '#libs/bus';
import { publishEvent } from '#libs/events';
import { createStores, type Stores } from '#libs/store';
import { startTestNats, type TestNats } from '../support/nats.js';
import { spawnSwitchboard, type SwitchboardProcess } from '../support/processes.js';
import { testEnv } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { consumersIdle } from '../support/settled.js';

let nats: TestNats;
let bus: Bus;
let stores: Stores;
let dataDir: string;
const running: SwitchboardProcess[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  bus = await connectBus(nats.url);
  stores = createStores(await provisionBus(bus, { dedupeWindowS: 3600, eventsMaxAgeS: 86_400 }));
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-processes-'));
});

afterAll(async () => {
  await Promise.all(running.map((one) => one.stop()));
  await bus?.close();
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(args: string[] = [], env: Record<string, string> = {}): Promise<SwitchboardProcess> {
  const one = await spawnSwitchboard({ ...testEnv(nats.url, dataDir), LOG_LEVEL: 'info', ...env }, args);
  running.push(one);
  return one;
}

const poll = (account: string, n: number) => ({
  account_key: account,
  conversation_type: 'poll',
  conversation_key: 'ops-poll',
  event_type: 'poll_complete',
  event_id: `${account}-${n}`,
  event_data: { n, msisdn: `4477009${String(n).padStart(5, '0')}` },
});

describe('processes', () => {
  it('two `--role dispatcher` processes split the load; each event is handled by exactly one', async () => {
    await stores.routes.save({
      id: 'log-all',
      account_key: 'split',
      enabled: true,
      match: { conversation_type: '*', conversation_key: '*', event_type: '*' },
      steps: [{ handler: 'log', config: { message: 'handled' } }],
    });
    const a = await start(['--role', 'dispatcher']);
    const b = await start(['--role=dispatcher']);
    expect(a.url).toBeUndefined();

    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, n) => publishEvent(bus.js, poll('split', n))));

    const handledBy = (one: SwitchboardProcess) => one.logs.filter((line) => line.msg === 'handled').map((line) => line.event_id as string);
    await waitFor('every event handled', () => handledBy(a).length + handledBy(b).length >= total, 20_000);
    await consumersIdle(bus);
    const all = [...handledBy(a), ...handledBy(b)];
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(handledBy(a).length).toBeGreaterThan(0);
    expect(handledBy(b).length).toBeGreaterThan(0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('loses no event when the server process is killed mid-stream and started again', async () => {
    await stores.routes.save({
      id: 'contact-each',
      account_key: 'crash',
      enabled: true,
      match: { conversation_type: 'poll', conversation_key: '*', event_type: 'poll_complete' },
      steps: [
        {
          handler: 'create_contact',
          config: { channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }], variables: { n: '{{event.event_data.n}}' } },
        },
      ],
    });
    const first = await start();
    const total = 400;
    let published = 0;
    const publishing = (async () => {
      for (; published < total; published++) {
        await publishEvent(bus.js, poll('crash', published));
        // A steady stream, so that the kill lands mid-stream.
        await sleep(2);
      }
    })();
    await waitFor('a third published', () => published > total / 3);
    await first.kill();
    // Down for a moment, as a crashed process is, while events keep coming.
    await sleep(300);
    const second = await start();
    await publishing;

    const contacts = await waitFor(
      'every contact',
      async () => {
        const list = await stores.contacts.list('crash');
        return list.length === total && list;
      },
      30_000,
    );
    expect(new Set(contacts.map((one) => one.variables.n)).size).toBe(total);
    expect(second.logs.some((line) => line.msg === 'contact created')).toBe(true);
  }, 60_000);
});
