import { randomUUID } from 'node:crypto';
import { STREAMS } from '#libs/bus';
import { DeliveryList, EventAccepted, SubscriptionView, type Delivery } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import type { TestSwitchboard } from '../support/switchboard.js';
import { consumersIdle } from '../support/settled.js';
import { waitFor } from '../support/waitFor.js';

export const newAccount = () => `acct-${randomUUID().slice(0, 8)}`;

/** Creates a subscription through the API and answers it as created (with its secret). */
export async function subscribe(sb: TestSwitchboard, account: string, body: Record<string, unknown>): Promise<SubscriptionView> {
  const res = await sb.api.post(`/v1/accounts/${account}/subscriptions`, body);
  if (res.status !== 201) throw new Error(`subscription not created: ${res.status} ${JSON.stringify(res.body)}`);
  return bodyOf(res, SubscriptionView);
}

export interface EventSpec {
  event_type: string;
  conversation_type?: string;
  conversation_key?: string;
  event_data?: Record<string, unknown>;
  event_id?: string;
}

/** Publishes an event through the API and answers its id. */
export async function publish(sb: TestSwitchboard, account: string, spec: EventSpec): Promise<string> {
  const res = await sb.api.post(`/v1/accounts/${account}/events`, {
    conversation_type: 'poll',
    conversation_key: 'ops-poll',
    event_data: {},
    ...spec,
  });
  if (res.status !== 202) throw new Error(`event not published: ${res.status} ${JSON.stringify(res.body)}`);
  return bodyOf(res, EventAccepted).event_id;
}

export async function deliveries(sb: TestSwitchboard, account: string, subscriptionId: string): Promise<Delivery[]> {
  const res = await sb.api.get(`/v1/accounts/${account}/subscriptions/${subscriptionId}/deliveries`);
  if (res.status !== 200) throw new Error(`deliveries not listed: ${res.status} ${JSON.stringify(res.body)}`);
  return bodyOf(res, DeliveryList).deliveries;
}

/**
 * Every stored event has been matched and every delivery queued has been sent and acknowledged:
 * the dispatcher holds nothing and the DELIVERIES work queue is empty.
 */
export async function settled(sb: TestSwitchboard, timeoutMs = 10_000): Promise<void> {
  await consumersIdle(sb.bus, ['dispatcher'], timeoutMs);
  await waitFor(
    'the deliveries queue to empty',
    async () => (await sb.bus.jsm.streams.info(STREAMS.deliveries)).state.messages === 0,
    timeoutMs,
  );
}
