import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import { BUCKETS, streamSubjects } from '#libs/bus';
import { loadSettings } from '#libs/config';
import { accountEventsFilter, eventSubject, publishEvent } from '#libs/events';
import { CLIENT_REF_MAX_LENGTH, EVENT_ID_MAX_LENGTH, PROVIDER_ID_MAX_LENGTH, TOKEN_MAX_LENGTH } from '#libs/identifiers';
import { clientRef, parseClientRef } from '#libs/messaging';
import { providerFilings } from '../../libs/messaging/providerFilings.js';
import { escalationId, EscalationRepository } from '#libs/escalation';
import { accountFilter, accountKey, indexKey } from '../../libs/store/keys.js';
import { Timers } from '#libs/timers';
import { signWebhook } from '#libs/vonage';
import type { ApiResponse } from '../support/api.js';
import { startTestNats, useTestBus, type TestNats } from '../support/nats.js';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { issuesOf } from '../support/api.js';

/** nats-server's max_control_line (nats.conf leaves the default): a longer line closes the whole connection. */
const MAX_CONTROL_LINE = 4096;
/** `HPUB <subject> <reply inbox> <header bytes> <total bytes>\r\n` around the subject, generously. */
const CONTROL_LINE_ROOM = 200;

/** The longest allowed value of a token rule, with every odd character the rule lets through. */
function longest(length: number): string {
  return '-_Zz09'.repeat(length).slice(0, length);
}

const token = longest(TOKEN_MAX_LENGTH);
const eventId = longest(EVENT_ID_MAX_LENGTH);
const providerId = longest(PROVIDER_ID_MAX_LENGTH);
/** Ours is `<account>:<ref>`; what follows the account is free text, dots, spaces and braces included. */
const refText = ' .{{x}}*>:é'.repeat(CLIENT_REF_MAX_LENGTH).slice(0, CLIENT_REF_MAX_LENGTH - TOKEN_MAX_LENGTH - 1);
const longestAddress = '9'.repeat(256);

describe('every subject and key builder, with the longest and oddest allowed values, on a real nats-server', () => {
  const test = useTestBus();

  const subjects = (): Array<[string, string]> => {
    const { ref } = parseClientRef(clientRef(token, refText));
    const escalation = escalationId(eventId, token, 99);
    const escalationKey = EscalationRepository.key(token, escalation);
    return [
      ['an event', eventSubject({ account_key: token, conversation_type: token, conversation_key: token, event_type: token })],
      ["an account's events (a filter)", accountEventsFilter(token)],
      ['a status webhook', providerFilings.status(token, providerId, 'undeliverable').subject],
      ['a submitted webhook', providerFilings.status(token, providerId, 'submitted').subject],
      ['a send accepted, by its client_ref', providerFilings.acceptedSend(token, ref!).subject],
      ['an inbound message', providerFilings.inbound('viber_service', longestAddress).subject],
      ['a Dispatch status', providerFilings.dispatchStatus(providerId, providerId, 'undeliverable').subject],
      ['a Dispatch report', providerFilings.dispatchReport(providerId).subject],
      ['a dead letter', streamSubjects.deadLetter(token, 'fanout_exceeded')],
      ["an account's dead letters (a filter)", streamSubjects.deadLettersOf(token)],
      ['a fan-out count', streamSubjects.fanoutCount(token, eventId)],
      ['unrouted events', streamSubjects.unrouted(token)],
      ['a queued delivery', streamSubjects.delivery(token, token)],
      ["an account's queued deliveries (a filter)", streamSubjects.deliveriesOf(token)],
      ...Object.values(BUCKETS).flatMap((bucket): Array<[string, string]> => [
        [`${bucket}: a document`, `$KV.${bucket}.${accountKey(token, token)}`],
        [`${bucket}: an index entry`, `$KV.${bucket}.${indexKey(token, 'addr', longestAddress)}`],
        [`${bucket}: an account's documents (a filter)`, `$KV.${bucket}.${accountFilter(token)}`],
        [`${bucket}: an escalation's frame`, `$KV.${bucket}.${escalationKey}.frame`],
        [`${bucket}: a running escalation`, `$KV.${bucket}._running.${escalationKey}`],
        [`${bucket}: a delivery record`, `$KV.${bucket}.${token}.${token}.${longest(32)}`],
      ]),
    ];
  };

  it('builds no subject near the control line, and nats-server takes every one with the connection up', async () => {
    const { nc } = test.bus;
    for (const [what, subject] of subjects()) {
      expect(subject.length + CONTROL_LINE_ROOM, what).toBeLessThan(MAX_CONTROL_LINE);
      expect(subject, what).toMatch(/^[A-Za-z0-9_$.*>-]+$/);
      if (!/[*>]/.test(subject)) nc.publish(subject, new Uint8Array(0));
    }
    await nc.flush();
    expect(nc.isClosed()).toBe(false);
  });

  it('schedules the longest timers (an escalation expiry, a hook launch) through Timers itself', async () => {
    const timers = new Timers(test.bus);
    const escalation = escalationId(eventId, token, 99);
    await timers.schedule(
      'escalation',
      `${token}.${escalation}.timer-attempt-${Number.MAX_SAFE_INTEGER}.${Date.now()}`,
      Date.now() + 3_600_000,
      { account_key: token, id: escalation },
    );
    await timers.schedule('hook', `${token}.${token}.${Number.MAX_SAFE_INTEGER}`, Date.now() + 3_600_000, {
      account_key: token,
      id: token,
    });
    expect(test.bus.nc.isClosed()).toBe(false);
  });

  it('stores the largest event the API takes, under the longest ids, within max_payload', async () => {
    const { bodyLimit } = loadSettings({}).http;
    const maxPayload = test.bus.nc.info!.max_payload;
    expect(bodyLimit).toBeLessThan(maxPayload);
    const event = {
      event_id: eventId,
      account_key: token,
      conversation_type: token,
      conversation_key: token,
      event_type: token,
      event_data: { blob: 'x'.repeat(bodyLimit) },
    };
    const { seq } = await publishEvent(test.bus.js, event);
    expect(seq).toBeGreaterThan(0);
  });

  it('is the limit: nats-server closes a connection that sends a longer line', async () => {
    // A raw socket: the client refuses such a line before it reaches the server.
    const [host, port] = test.bus.nc.getServer().split(':');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect(Number(port), host);
      let heard = '';
      socket.on('data', (chunk: Buffer) => (heard += chunk.toString()));
      socket.on('close', () => resolve(heard));
      socket.on('error', reject);
      socket.write(`PUB ${'x'.repeat(MAX_CONTROL_LINE + 1)} 0\r\n\r\n`);
    });
    expect(answer).toMatch(/maximum control line exceeded/i);
  });
});

describe("one caller's id past every limit, while 20 other accounts publish", () => {
  let nats: TestNats;
  let sb: TestSwitchboard;

  beforeAll(async () => {
    nats = await startTestNats();
    sb = await startTestSwitchboard(nats.url);
  });

  afterAll(async () => {
    await sb?.close();
    await nats?.stop();
  });

  /** 20 accounts publishing events until `during` settles; answers every status they got. */
  async function withBystanders(during: () => Promise<void>): Promise<number[]> {
    const statuses: number[] = [];
    let done = false;
    const bystander = async (n: number) => {
      while (!done) {
        const res = await sb.api.post(`/v1/accounts/bystander-${n}/events`, {
          conversation_type: 'c',
          conversation_key: 'k',
          event_type: 'tick',
          event_data: {},
        });
        statuses.push(res.status);
      }
    };
    const running = Array.from({ length: 20 }, (_, n) => bystander(n));
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      await during();
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      done = true;
      await Promise.all(running);
    }
    return statuses;
  }

  it('a 5,000-character contact id in a direct escalation is a 400 naming the field; every bystander succeeds', async () => {
    let answer: ApiResponse | undefined;
    const statuses = await withBystanders(async () => {
      answer = await sb.api.post('/v1/accounts/acme/escalations', { config: { users: ['x'.repeat(5000)] } });
    });
    expect(answer!.status).toBe(400);
    expect(issuesOf(answer!)[0]).toMatchObject({ path: 'config.users.0', message: expect.stringMatching(/1 to 64 characters/) });
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    expect(sb.bus.nc.isClosed()).toBe(false);
  });

  it('a signed status webhook with a 5,000-character message_uuid is a 400 naming the field; every bystander succeeds', async () => {
    const { signature_secret } = await loadOrCreateSimCredentials(sb.dataDir);
    const body = JSON.stringify({
      message_uuid: 'x'.repeat(5000),
      to: '447700900001',
      from: 'x',
      timestamp: new Date().toISOString(),
      status: 'read',
      channel: 'sms',
      client_ref: 'acme',
    });
    let answer: ApiResponse | undefined;
    const statuses = await withBystanders(async () => {
      answer = await sb.api.call('POST', '/webhooks/status', body, {
        authorization: `Bearer ${await signWebhook(body, signature_secret)}`,
      });
    });
    expect(answer!.status).toBe(400);
    expect(issuesOf(answer!)[0]).toMatchObject({ path: 'message_uuid', message: expect.stringMatching(/1 to 100 characters/) });
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    expect(sb.bus.nc.isClosed()).toBe(false);
  });
});
