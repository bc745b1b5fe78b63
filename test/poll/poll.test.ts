import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnswerOutcome,
  completionEventId,
  DEFAULT_POLL_FILE,
  loadPollDefinition,
  loadPollSettings,
  POLL_SESSIONS_BUCKET,
  PollSession,
  sessionKey,
  startPollServer,
  PollDefinition,
  type RunningPollServer,
} from '../../apps/poll/index.js';
import { CONSUMERS, readBySeq, recordJson, STREAMS } from '#libs/bus';
import { loadSettings } from '#libs/config';
import { VumiApiEvent } from '#libs/events';
import { createLogger } from '#libs/logger';
import { ContactList } from '../../apps/server/http/answers.js';
import { type ApiClient, apiClient, bodyOf, errorOf, issuesOf } from '../support/api.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { startTestSwitchboard, testEnv, type TestSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

let nats: TestNats;
let sb: TestSwitchboard;
let dataDir: string;
let definition: PollDefinition;
let pollServer: RunningPollServer;
let poll: ApiClient;

/** The poll's HTTP worker in this process, as `npm run poll` starts it, on a free port. */
async function startPoll(): Promise<void> {
  pollServer = await startPollServer({
    settings: loadSettings(testEnv(nats.url, dataDir)),
    pollSettings: loadPollSettings({ POLL_PORT: '0' }),
    log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'poll-test' }),
  });
  poll = apiClient(pollServer.url);
}

async function restartPoll(): Promise<void> {
  await pollServer.stop();
  await startPoll();
}

beforeAll(async () => {
  nats = await startTestNats();
  sb = await startTestSwitchboard(nats.url);
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-poll-'));
  definition = await loadPollDefinition(DEFAULT_POLL_FILE);
  await startPoll();
});

afterAll(async () => {
  await pollServer?.stop();
  await sb?.close();
  await nats?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

let nextMsisdn = 447700900100;
/** A respondent no other test uses. */
const newMsisdn = () => String(nextMsisdn++);

const answer = (msisdn: string, answers: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  poll.post('/polls/ops-poll/answers', { msisdn, answers, ...extra });

const COMPLETE_SUBJECT = 'events.acme.poll.ops-poll.poll_complete';

/**
 * The poll_complete events stored on EVENTS for one respondent, oldest first. Read message by
 * message (direct gets), so the check needs no consumer of its own.
 */
async function completions(msisdn: string): Promise<VumiApiEvent[]> {
  const { state } = await sb.bus.jsm.streams.info(STREAMS.events);
  const events: VumiApiEvent[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const record = await readBySeq(sb.bus, STREAMS.events, seq);
    if (record?.subject !== COMPLETE_SUBJECT) continue;
    const event = VumiApiEvent.parse(recordJson(record));
    if (event.event_data.msisdn === msisdn) events.push(event);
  }
  return events;
}

async function storedSession(msisdn: string): Promise<PollSession | undefined> {
  const kv = await sb.bus.js.views.kv(POLL_SESSIONS_BUCKET);
  const entry = await kv.get(sessionKey(definition, msisdn));
  return entry ? PollSession.parse(entry.json()) : undefined;
}

describe('the poll definition', () => {
  it('is served as the bundled file defines it', async () => {
    const res = await poll.get('/polls/ops-poll');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(await readFile(DEFAULT_POLL_FILE, 'utf8')) as unknown);
    expect(res.body).toMatchObject({ account_key: 'acme', key: 'ops-poll' });
    expect(bodyOf(res, PollDefinition).questions.map((question) => question.id)).toEqual(['name', 'status']);
  });

  it('another poll key is a 404 in the server error format', async () => {
    const res = await poll.get('/polls/other-poll');
    expect(res.status).toBe(404);
    expect(errorOf(res).code).toBe('not_found');
    expect((await poll.post('/polls/other-poll/answers', { msisdn: newMsisdn(), answers: { name: 'x' } })).status).toBe(404);
  });
});

describe('answers and completion', () => {
  it('publishes exactly one poll_complete when the last question is answered, and none before', async () => {
    const msisdn = newMsisdn();
    const first = await answer(`+${msisdn.slice(0, 2)} ${msisdn.slice(2)}`, { name: 'Ann' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ complete: false, remaining: ['status'], session: 1 });
    expect(await completions(msisdn)).toHaveLength(0);

    const last = await answer(msisdn, { status: 'DOWN' });
    expect(last.status).toBe(200);
    const eventId = completionEventId(definition, { msisdn, session: 1 });
    expect(last.body).toEqual({ complete: true, remaining: [], session: 1, event_id: eventId });

    const events = await completions(msisdn);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_id: eventId,
      account_key: 'acme',
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'poll_complete',
    });
    // The choice is stored as the poll spells it, at the top level too, for routes' `where`.
    expect(events[0]!.event_data).toEqual({ msisdn, name: 'Ann', status: 'down', answers: { name: 'Ann', status: 'down' } });
    expect((await storedSession(msisdn))?.status).toBe('closed');
  });

  it('answering the last question again starts a new session instead of publishing again', async () => {
    const msisdn = newMsisdn();
    await answer(msisdn, { name: 'Bea' });
    const done = await answer(msisdn, { status: 'up' });
    const again = await answer(msisdn, { status: 'up' });
    expect(bodyOf(done, AnswerOutcome).complete).toBe(true);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ complete: false, remaining: ['name'], session: 2 });
    expect(await completions(msisdn)).toHaveLength(1);

    // Finishing the new session is a second, distinct completion.
    const second = await answer(msisdn, { name: 'Bea' });
    expect(second.body).toMatchObject({ complete: true, session: 2, event_id: completionEventId(definition, { msisdn, session: 2 }) });
    const [doneId, secondId] = [bodyOf(done, AnswerOutcome).event_id, bodyOf(second, AnswerOutcome).event_id];
    expect(secondId).not.toBe(doneId);
    expect((await completions(msisdn)).map((event) => event.event_id)).toEqual([doneId, secondId]);
  });

  it('takes every answer at once, and the respondent name from the body', async () => {
    const msisdn = newMsisdn();
    const res = await answer(msisdn, { name: 'Cy', status: 'up' }, { name: 'Cyrus' });
    expect(res.body).toMatchObject({ complete: true, session: 1 });
    const [event] = await completions(msisdn);
    // The "name" question's answer wins over the name given beside the answers.
    expect(event!.event_data).toMatchObject({ msisdn, name: 'Cy', status: 'up' });
  });

  it('concurrent last answers publish one completion', async () => {
    const msisdn = newMsisdn();
    await answer(msisdn, { name: 'Dee' });
    const results = await Promise.all(Array.from({ length: 6 }, () => answer(msisdn, { status: 'down' })));
    expect(results.map((res) => res.status)).toEqual(Array(6).fill(200));
    // Requests that meet the completion before it is published are retries of it: same event id.
    const eventIds = new Set(
      results
        .map((res) => bodyOf(res, AnswerOutcome))
        .filter((outcome) => outcome.complete)
        .map((outcome) => outcome.event_id),
    );
    expect([...eventIds]).toEqual([completionEventId(definition, { msisdn, session: 1 })]);
    expect(await completions(msisdn)).toHaveLength(1);
  });

  it('concurrent answers to different questions all land (compare-and-set, no lost update)', async () => {
    const respondents = Array.from({ length: 5 }, () => newMsisdn());
    const results = await Promise.all(
      respondents.flatMap((msisdn) => [answer(msisdn, { name: `R${msisdn}` }), answer(msisdn, { status: 'up' })]),
    );
    expect(results.map((res) => res.status)).toEqual(Array(10).fill(200));
    for (const msisdn of respondents) {
      const events = await completions(msisdn);
      expect(events).toHaveLength(1);
      expect(events[0]!.event_data.answers).toEqual({ name: `R${msisdn}`, status: 'up' });
    }
  });

  it('keeps progress across a restart of the poll worker', async () => {
    const msisdn = newMsisdn();
    await answer(msisdn, { name: 'Eve' });
    await restartPoll();
    const res = await answer(msisdn, { status: 'up' });
    expect(res.body).toMatchObject({ complete: true, session: 1 });
    expect((await completions(msisdn))[0]!.event_data).toMatchObject({ name: 'Eve', status: 'up' });
  });

  it('publishes, once, a completion that a crash left unpublished', async () => {
    const msisdn = newMsisdn();
    const eventId = completionEventId(definition, { msisdn, session: 1 });

    // Crash after recording the last answer, before publishing: the restart publishes it.
    await crashBeforePublishing(msisdn, { name: 'Fay', status: 'down' });
    await restartPoll();
    const events = await completions(msisdn);
    expect(events.map((event) => event.event_id)).toEqual([eventId]);
    expect(events[0]!.event_data).toMatchObject({ name: 'Fay', status: 'down' });
    expect((await storedSession(msisdn))?.status).toBe('closed');

    // Crash after publishing, before closing: publishing again is deduplicated by JetStream.
    await crashBeforePublishing(msisdn, { name: 'Fay', status: 'down' });
    await restartPoll();
    expect(await completions(msisdn)).toHaveLength(1);
    expect((await storedSession(msisdn))?.status).toBe('closed');
  });

  /** Leaves a session as a crash between recording the last answer and publishing leaves it. */
  async function crashBeforePublishing(msisdn: string, answers: Record<string, string>): Promise<void> {
    const now = new Date().toISOString();
    const completing: PollSession = {
      msisdn,
      session: 1,
      status: 'completing',
      answers,
      started_at: now,
      updated_at: now,
      completed_at: now,
    };
    const kv = await sb.bus.js.views.kv(POLL_SESSIONS_BUCKET);
    await kv.put(sessionKey(definition, msisdn), JSON.stringify(completing));
  }

  it('a retry of the completing request gets the pending completion, published once', async () => {
    const msisdn = newMsisdn();
    await crashBeforePublishing(msisdn, { name: 'Gus', status: 'up' });
    const eventId = completionEventId(definition, { msisdn, session: 1 });
    const retry = await answer(msisdn, { status: 'up' });
    expect(retry.body).toEqual({ complete: true, remaining: [], session: 1, event_id: eventId });
    const again = await answer(msisdn, { status: 'up' });
    expect(again.body).toEqual({ complete: false, remaining: ['name'], session: 2 });
    expect((await completions(msisdn)).map((event) => event.event_id)).toEqual([eventId]);
  });

  it('a new answer for a respondent whose completion is pending publishes that one first', async () => {
    const msisdn = newMsisdn();
    await crashBeforePublishing(msisdn, { name: 'Hu', status: 'up' });
    const res = await answer(msisdn, { status: 'down' });
    expect(res.body).toEqual({ complete: false, remaining: ['name'], session: 2 });
    expect((await completions(msisdn)).map((event) => event.event_data.status)).toEqual(['up']);
    expect(await storedSession(msisdn)).toMatchObject({ session: 2, status: 'open', answers: { status: 'down' } });
  });
});

describe('bad answers are a 400 naming the field, and change nothing', () => {
  it.each([
    ['an unknown question', { msisdn: '447700900001', answers: { colour: 'red' } }, 'answers.colour', /no such question/],
    ['a choice not allowed', { msisdn: '447700900001', answers: { status: 'sideways' } }, 'answers.status', /one of up, down/],
    ['an empty answer', { msisdn: '447700900001', answers: { name: '  ' } }, 'answers.name', /empty/],
    ['an answer that is not text', { msisdn: '447700900001', answers: { status: 1 } }, 'answers.status', /string/],
    ['no answers', { msisdn: '447700900001', answers: {} }, 'answers', /at least one/],
    ['answers missing', { msisdn: '447700900001' }, 'answers', /required/],
    ['letters in the msisdn', { msisdn: 'call me', answers: { name: 'x' } }, 'msisdn', /phone number/],
    ['a short msisdn', { msisdn: '12345', answers: { name: 'x' } }, 'msisdn', /phone number/],
    ['a national-format msisdn', { msisdn: '07700900001', answers: { name: 'x' } }, 'msisdn', /phone number/],
    ['no msisdn', { answers: { name: 'x' } }, 'msisdn', /required/],
  ])('%s', async (_name, body, field, message) => {
    const res = await poll.post('/polls/ops-poll/answers', body);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(errorOf(res).message).toMatch(message);
    expect(issuesOf(res).map((issue) => issue.path)).toContain(field);
  });

  it('a valid answer beside an invalid one is not recorded', async () => {
    const msisdn = newMsisdn();
    const res = await answer(msisdn, { name: 'Hal', status: 'sideways' });
    expect(res.status).toBe(400);
    expect(await storedSession(msisdn)).toBeUndefined();
  });

  it('malformed JSON is a 400 in the same format', async () => {
    const res = await poll.post('/polls/ops-poll/answers', '{"msisdn":');
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('invalid_json');
  });
});

describe('the command line', () => {
  // As a user runs it: LOG_LEVEL unset, so stdout holds only what the command says.
  const { LOG_LEVEL: _logLevel, ...userEnv } = process.env;
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/poll/main.ts', ...args], {
      cwd: ROOT,
      env: { ...userEnv, NATS_URL: nats.url, SWITCHBOARD_DATA_DIR: dataDir },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('records answers through NATS and publishes when complete', async () => {
    const msisdn = newMsisdn();
    const partial = await run(['answer', '--poll', 'ops-poll', '--msisdn', msisdn, '--answer', 'name=Ivy']);
    expect(partial).toMatchObject({ code: 0, stderr: '' });
    expect(partial.stdout).toContain('still to answer: status');
    expect(await completions(msisdn)).toHaveLength(0);

    const done = await run(['answer', '--poll', 'ops-poll', '--msisdn', msisdn, '--answer', 'status=down']);
    const eventId = completionEventId(definition, { msisdn, session: 1 });
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`complete; published poll_complete ${eventId}`);
    const events = await completions(msisdn);
    expect(events.map((event) => event.event_id)).toEqual([eventId]);
    expect(events[0]!.event_data).toMatchObject({ name: 'Ivy', status: 'down' });
  });

  it('exits 2 with the message on bad input', async () => {
    const res = await run(['answer', '--poll', 'ops-poll', '--msisdn', newMsisdn(), '--answer', 'status=sideways']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('answers.status: must be one of up, down');
    expect(res.stdout).toBe('');
    expect((await run(['answer', '--msisdn', newMsisdn(), '--answer', 'name'])).code).toBe(2);
    expect((await run(['answer', '--poll', 'other', '--msisdn', newMsisdn(), '--answer', 'name=x'])).code).toBe(2);
  });
});

describe('walk-through: poll_complete → create_contact → send_message', () => {
  it('creates the contact from the answers and thanks them by SMS, only when the status is down', async () => {
    const saved = await sb.api.put('/v1/accounts/acme/routes/poll-to-contact', {
      match: {
        conversation_type: 'poll',
        conversation_key: 'ops-poll',
        event_type: 'poll_complete',
        where: { 'event_data.status': 'down' },
      },
      steps: [
        {
          handler: 'create_contact',
          config: { name: '{{event.event_data.name}}', channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }] },
        },
        { handler: 'send_message', config: { contact: '{{steps.0.output.contact_id}}', text: 'Thanks {{steps.0.output.name}}!' } },
      ],
    });
    expect(saved.status).toBe(201);

    const up = newMsisdn();
    const down = newMsisdn();
    await answer(up, { name: 'Jo', status: 'up' });
    await answer(down, { name: 'Kim' });
    const done = await answer(down, { status: 'down' });
    expect(bodyOf(done, AnswerOutcome).complete).toBe(true);

    const contact = await waitFor('the contact', async () => {
      const { contacts } = bodyOf(await sb.api.get('/v1/accounts/acme/contacts'), ContactList);
      return contacts.find((one) => one.channels.some((channel) => channel.id_num === down));
    });
    expect(contact).toMatchObject({ name: 'Kim', channels: [{ type: 'sms', id_num: down }] });
    const [message] = await waitFor('the thank-you SMS', () => {
      const sent = sb.provider.simulator!.messages({ to: down });
      return sent.length > 0 && sent;
    });
    expect(message).toMatchObject({ channel: 'sms', to: down, text: 'Thanks Kim!' });

    // Once the dispatcher has handled every event, the "up" completion has had its chance to match.
    expect(await completions(up)).toHaveLength(1);
    await waitFor('the dispatcher to handle every event', async () => {
      const info = await sb.bus.jsm.consumers.info(STREAMS.events, CONSUMERS.dispatcher);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect(sb.provider.simulator!.messages({ to: up })).toEqual([]);
    const { contacts } = bodyOf(await sb.api.get('/v1/accounts/acme/contacts'), ContactList);
    expect(contacts.filter((one) => one.channels.some((channel) => channel.id_num === up))).toEqual([]);
    expect(sb.provider.simulator!.messages({ to: down })).toHaveLength(1);
  });
});
