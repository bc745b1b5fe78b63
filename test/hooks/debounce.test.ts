import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HookRepository } from '#libs/hooks';
import { startTestNats } from '../support/nats.js';
import { startTestSwitchboard, useSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { callHook, createHook, newAccount, watchAccount } from './support.js';
import { HookCalled, HookView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import { waitFor } from '../support/waitFor.js';

const SCALE = 0.01;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: String(SCALE) } });

/**
 * As if a second call had written its generation and the server had stopped before storing that
 * generation's timer: the first call's timer is stored, but no longer launches.
 */
async function strandPendingLaunch(server: TestSwitchboard, account: string, hookId: string): Promise<void> {
  await server.hookStore.launches.mutate(HookRepository.launchKey(account, hookId), (state) => {
    const generation = state!.generation + 1;
    return { ...state!, generation, pending: { ...state!.pending!, generation } };
  });
}

describe('debounce', () => {
  it('resets the wait on each call, and launches once with the latest payload', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      // 100 s: one second at this time scale.
      const hook = await createHook(sb, account, { debounce_s: 100 });
      const first = await callHook(sb.url!, hook.token, 'POST', { message: 'first' });
      expect(first.status).toBe(200);
      // The second call comes while the first is still in its quiet period.
      await sleep(400);
      const second = await callHook(sb.url!, hook.token, 'POST', { message: 'second' });
      expect(second.status).toBe(200);
      expect(Date.parse(bodyOf(second, HookCalled).launch_at)).toBeGreaterThan(Date.parse(bodyOf(first, HookCalled).launch_at));

      const pending = bodyOf(await sb.api.get(`/v1/accounts/${account}/hooks/${hook.id}`), HookView).launch.pending;
      expect(pending).toMatchObject({ calls: 2, launch_at: bodyOf(second, HookCalled).launch_at, mode: 'audience' });

      const [event] = await watch.next('hook_event');
      // Not at the first call's launch time: the second call pushed it back.
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(bodyOf(second, HookCalled).launch_at));
      expect(event!.event_data).toMatchObject({ fields: { message: 'second' }, calls: 2 });
      await watch.launchesDone();
      expect(watch.ofType('hook_event')).toHaveLength(1);
    } finally {
      await watch.stop();
    }
  });

  it('launches again after a launch: each quiet period ends in one event', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      const hook = await createHook(sb, account, { debounce_s: 10 });
      await callHook(sb.url!, hook.token, 'GET', { n: '1' });
      await watch.next('hook_event');
      await callHook(sb.url!, hook.token, 'GET', { n: '2' });
      const events = await watch.next('hook_event', 2);
      expect(events.map((event) => event.event_data.fields)).toEqual([{ n: '1' }, { n: '2' }]);
      expect(new Set(events.map((event) => event.event_id)).size).toBe(2);
    } finally {
      await watch.stop();
    }
  });

  it('schedules one launch for 1,000 calls in a second', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      // 500 s: five seconds here, well beyond the time the calls take.
      const hook = await createHook(sb, account, { debounce_s: 500 });
      const started = Date.now();
      const statuses: number[] = [];
      // 10 waves of 100 concurrent calls: each wave's calls arrive after the previous wave's.
      for (let wave = 0; wave < 10; wave++) {
        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) => callHook(sb.url!, hook.token, 'POST', { n: wave * 100 + i })),
        );
        statuses.push(...answers.map((answer) => answer.status));
      }
      const elapsed = Date.now() - started;
      expect(statuses.filter((status) => status === 200)).toHaveLength(1000);

      const [event] = await watch.next('hook_event', 1, 20_000);
      expect(event!.event_data.calls).toBe(1000);
      // The latest payload wins: one of the last wave's.
      expect((event!.event_data.fields as { n: number }).n).toBeGreaterThanOrEqual(900);
      await watch.launchesDone();
      expect(watch.ofType('hook_event')).toHaveLength(1);
      const state = await sb.hookStore.launchState(account, hook.id);
      expect(state?.pending).toBeUndefined();
      expect(state?.last_launch).toMatchObject({ status: 'published', calls: 1000, event_id: event!.event_id });
      // Many calls share a write: far fewer generations than calls.
      expect(state!.generation).toBeLessThan(1000);
      console.log(`1,000 calls in ${elapsed} ms, ${state!.generation} debounce writes`);
    } finally {
      await watch.stop();
    }
  });

  it('does not launch a hook disabled during its wait', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      const hook = await createHook(sb, account, { debounce_s: 50 });
      expect((await callHook(sb.url!, hook.token, 'GET')).status).toBe(200);
      await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { enabled: false });
      const last = await waitFor('the launch recorded', async () => (await sb.hookStore.launchState(account, hook.id))?.last_launch);
      expect(last).toMatchObject({ status: 'dropped' });
      expect(watch.ofType('hook_event')).toHaveLength(0);
    } finally {
      await watch.stop();
    }
  });
});

describe('a restart mid-debounce', () => {
  it.each([
    { case: 'launches the pending call from the next server on the same NATS', timerLost: false },
    // The next server schedules the pending generation's timer again.
    { case: 'launches it when its timer was never stored', timerLost: true },
  ])('$case', async ({ timerLost }) => {
    const nats = await startTestNats();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-hooks-restart-'));
    const env = { SWITCHBOARD_TIME_SCALE: String(SCALE) };
    const account = newAccount();
    const watch = await watchAccount(nats.url, account);
    try {
      const first = await startTestSwitchboard(nats.url, { env, dataDir });
      const hook = await createHook(first, account, { debounce_s: 300 });
      const call = await callHook(first.url!, hook.token, 'POST', { message: 'survives' });
      expect(call.status).toBe(200);
      if (timerLost) await strandPendingLaunch(first, account, hook.id);
      await first.close();
      // The first server is gone before the launch was due: only the next one can launch it.
      expect(Date.now()).toBeLessThan(Date.parse(bodyOf(call, HookCalled).launch_at));
      expect(watch.ofType('hook_event')).toHaveLength(0);

      const second = await startTestSwitchboard(nats.url, { env, dataDir });
      try {
        const [event] = await watch.next('hook_event', 1, 20_000);
        expect(event!.event_data).toMatchObject({ hook_id: hook.id, fields: { message: 'survives' }, calls: 1 });
        expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(bodyOf(call, HookCalled).launch_at));
        const read = await second.api.get(`/v1/accounts/${account}/hooks/${hook.id}`);
        expect(bodyOf(read, HookView).launch).toMatchObject({ pending: null, last: { status: 'published', event_id: event!.event_id } });
        await watch.launchesDone();
        expect(watch.ofType('hook_event')).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      await watch.stop();
      await nats.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
