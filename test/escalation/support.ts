import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Subscription } from 'nats';
import { expect } from 'vitest';
import { z } from 'zod';
import type { Bus } from '#libs/bus';
import { VumiApiEvent } from '#libs/events';
import { EscalationView, EventAccepted } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import type { TestSwitchboard } from '../support/switchboard.js';
import { consumersIdle } from '../support/settled.js';
import { waitFor } from '../support/waitFor.js';

/** The tutorial's sample.json, as far as the tests change it: its senders and each user's addresses. */
export const TutorialSample = z.looseObject({
  FROM: z.record(z.string(), z.string()),
  USERS: z.array(z.looseObject({ name: z.string(), channels: z.array(z.looseObject({ type: z.string(), id_num: z.string() })) })),
});
export type TutorialSample = z.infer<typeof TutorialSample>;

/** The Vonage tutorial's sample.json, verbatim (placeholders included). */
export function tutorialSample(): TutorialSample {
  return TutorialSample.parse(JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/tutorial-sample.json'), 'utf8')));
}

/** Addresses for the sample's users, one per channel so each can have its own scenario. */
export function addresses(prefix: string) {
  const digits = (n: number) => `44770${prefix}${String(n).padStart(2, '0')}`;
  return {
    tonyMessenger: `tony-${prefix}`,
    tonySms: digits(1),
    michaelViber: digits(2),
    michaelWhatsapp: digits(3),
    michaelSms: digits(4),
  };
}

/** The tutorial's sample with real-looking addresses and senders in place of its placeholders. */
export function sampleWith(a: ReturnType<typeof addresses>, extra: Record<string, unknown> = {}): TutorialSample {
  const sample = tutorialSample();
  sample.FROM = { MESSENGER: 'company-page', VIBER: 'company-viber', WHATSAPP: '447700900000', SMS: 'Company' };
  const [tony, michael] = sample.USERS.map((user) => user.channels);
  tony![0]!.id_num = a.tonyMessenger;
  tony![1]!.id_num = a.tonySms;
  michael![0]!.id_num = a.michaelViber;
  michael![1]!.id_num = a.michaelWhatsapp;
  michael![2]!.id_num = a.michaelSms;
  return { ...sample, ...extra };
}

/** Every event published under an account, as it happens (a plain subscription, as a bus subscriber would). */
export function watchEvents(bus: Bus, account: string): { events: VumiApiEvent[]; ofType(type: string): VumiApiEvent[]; stop(): void } {
  const events: VumiApiEvent[] = [];
  const sub: Subscription = bus.nc.subscribe(`events.${account}.>`, {
    callback: (_err, msg) => {
      const parsed = VumiApiEvent.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
      if (parsed.success) events.push(parsed.data);
    },
  });
  return { events, ofType: (type) => events.filter((event) => event.event_type === type), stop: () => sub.unsubscribe() };
}

/**
 * Once the account's escalations have done their last effects and every input and event they
 * caused has been handled, and has reached this process's own subscriptions: what a test waits on
 * before it asserts that nothing more came.
 */
export async function escalationsSettled(sb: TestSwitchboard, account: string): Promise<void> {
  await waitFor('the escalations to finish their effects', async () =>
    (await sb.escalationStore.list(account)).every((esc) => esc.outbox.length === 0),
  );
  await consumersIdle(sb.bus, ['dispatcher', 'provider']);
  await sb.bus.nc.flush();
}

/**
 * Drives escalations through a suite's Switchboard: a fresh account and address block per test,
 * a route whose one step is escalate_users, the trigger event, and the wait for the end.
 */
export function escalationDriver(sb: TestSwitchboard, options: { accountPrefix: string; addressBase: number }) {
  let counter = 0;
  return {
    fixture() {
      counter += 1;
      return {
        n: counter,
        account: `${options.accountPrefix}-${randomUUID().slice(0, 8)}`,
        a: addresses(String(options.addressBase + counter)),
      };
    },

    async escalate(account: string, config: unknown, data: Record<string, unknown> = { message: 'Server is about to melt!' }) {
      const route = await sb.api.put(`/v1/accounts/${account}/routes/melt`, {
        match: { event_type: 'server_down' },
        steps: [{ handler: 'escalate_users', config }],
      });
      expect(route.status, JSON.stringify(route.body)).toBe(201);
      const published = await sb.api.post(`/v1/accounts/${account}/events`, {
        conversation_type: 'monitor',
        conversation_key: 'main',
        event_type: 'server_down',
        event_data: data,
      });
      return bodyOf(published, EventAccepted).event_id;
    },

    finished(account: string, timeoutMs = 20_000) {
      return waitFor(
        'the escalation to end',
        async () => {
          // Ended, and done with its last effects: a receipt can end it before its send is recorded.
          const [ended] = (await sb.escalationStore.list(account)).filter((esc) => esc.status !== 'active' && esc.outbox.length === 0);
          return ended && bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations/${ended.id}`), EscalationView);
        },
        timeoutMs,
      );
    },
  };
}
