import { randomUUID } from 'node:crypto';
import type { Subscription } from 'nats';
import { z } from 'zod';
import { connectBus, type Bus } from '#libs/bus';
import { VumiApiEvent } from '#libs/events';
import { HOOK_TIMER } from '#libs/hooks';
import type { ContactInput } from '#libs/store';
import { HookCreated } from '../../apps/server/http/answers.js';
import { bodyOf, type ApiResponse } from '../support/api.js';
import type { TestSwitchboard } from '../support/switchboard.js';
import { timersDone } from '../support/settled.js';
import { waitFor } from '../support/waitFor.js';

/** A fresh account per test keeps hooks, contacts and events apart. */
export const newAccount = () => `hooks-${randomUUID().slice(0, 8)}`;

export interface CreatedHook {
  id: string;
  token: string;
  body: HookCreated;
}

/** Creates a hook through the API; `event_type` defaults to hook_event. */
export async function createHook(sb: TestSwitchboard, account: string, body: Record<string, unknown> = {}): Promise<CreatedHook> {
  const res = await sb.api.post(`/v1/accounts/${account}/hooks`, { event: { event_type: 'hook_event' }, ...body });
  if (res.status !== 201) throw new Error(`hook not created: ${res.status} ${JSON.stringify(res.body)}`);
  const created = bodyOf(res, HookCreated);
  return { id: created.id, token: created.token, body: created };
}

/** A GET call's payload: the fields of its query string. */
const QueryFields = z.record(z.string(), z.string());

/** Calls a launch URL as an outside system would: GET with the payload as the query, or a POST. */
export async function callHook(
  baseUrl: string,
  token: string,
  method: string,
  payload?: unknown,
  init: { headers?: Record<string, string>; rawBody?: string } = {},
): Promise<ApiResponse<unknown>> {
  let url = `${baseUrl}/hooks/${token}`;
  const headers: Record<string, string> = { ...init.headers };
  const request: RequestInit = { method, headers };
  if (method === 'GET' && payload) url += `?${new URLSearchParams(QueryFields.parse(payload)).toString()}`;
  else if (init.rawBody !== undefined || payload !== undefined) {
    request.body = init.rawBody ?? JSON.stringify(payload);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, request);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export interface EventWatch {
  events: VumiApiEvent[];
  ofType(type: string): VumiApiEvent[];
  /** Waits until `count` events of the type have been seen, and returns them. */
  next(type: string, count?: number, timeoutMs?: number): Promise<VumiApiEvent[]>;
  /** Once every launch of the account's hooks has come due and been handled, and what it published is in: before asserting no other came. */
  launchesDone(): Promise<void>;
  stop(): Promise<void>;
}

/** Every event of an account as it is published, on a connection of its own (it outlives a server restart). */
export async function watchAccount(natsUrl: string, account: string): Promise<EventWatch> {
  const bus: Bus = await connectBus(natsUrl, { name: 'hooks test watcher' });
  const events: VumiApiEvent[] = [];
  const sub: Subscription = bus.nc.subscribe(`events.${account}.>`, {
    callback: (_err, msg) => {
      const parsed = VumiApiEvent.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
      if (parsed.success) events.push(parsed.data);
    },
  });
  await bus.nc.flush();
  const ofType = (type: string) => events.filter((event) => event.event_type === type);
  return {
    events,
    ofType,
    next: (type, count = 1, timeoutMs = 10_000) =>
      waitFor(`${count} ${type} event(s)`, () => ofType(type).length >= count && ofType(type), timeoutMs),
    async launchesDone() {
      // A launch publishes its event before its timer is acknowledged, and so deleted from TIMERS.
      await timersDone(bus, HOOK_TIMER, `${account}.`);
      await bus.nc.flush();
    },
    async stop() {
      sub.unsubscribe();
      await bus.close();
    },
  };
}

/** Contacts for a test, straight into the store (the API has no contact creation). */
export async function addContacts(sb: TestSwitchboard, account: string, contacts: ContactInput[]): Promise<void> {
  for (const contact of contacts) await sb.stores.contacts.upsert(account, contact);
}
