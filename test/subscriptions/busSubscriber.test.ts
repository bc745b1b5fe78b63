import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BusUsers, connectBus, provisionBus, SERVER_USER, startNatsServer, type Bus, type NatsServerProcess } from '#libs/bus';
import { publishEvent } from '#libs/events';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/waitFor.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const account = 'acme';
let dir: string;
let server: NatsServerProcess;
let admin: Bus;
let readerPassword: string;
let child: ChildProcess | undefined;

/** The README's bus subscriber example, exactly as a reader copies it. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const code = /<!-- tested by test\/subscriptions\/busSubscriber\.test\.ts[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('the README has no bus subscriber example under its marker');
  return code;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'switchboard-bus-reader-'));
  // A nats-server as Switchboard runs it with bus users: the example runs as the account's reader.
  const users = new BusUsers(path.join(dir, 'nats'));
  readerPassword = (await users.add(account, 'reader')).password;
  const serverPassword = await users.serverPassword(undefined);
  const configFile = await users.writeServerConfig(path.join(ROOT, 'nats.conf'), serverPassword);
  server = await startNatsServer({ configFile, port: await freePort(), monitorPort: await freePort(), storeDir: path.join(dir, 'nats') });
  admin = await connectBus(server.url, { user: SERVER_USER, pass: serverPassword });
  await provisionBus(admin, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
});

afterAll(async () => {
  child?.kill();
  await admin?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const outcome = (acct: string, event_type: string, event_data: Record<string, unknown>, event_id?: string) =>
  publishEvent(admin.js, {
    account_key: acct,
    conversation_type: 'monitor',
    conversation_key: 'main',
    event_type,
    event_data,
    ...(event_id ? { event_id } : {}),
  });

it("runs the README's bus subscriber example as a reader: it prints each escalation outcome of its account once", async () => {
  const lines: string[] = [];
  let stderr = '';
  child = spawn(process.execPath, ['--input-type=module', '--eval', await readmeExample()], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: server.url, NATS_USER: `reader-${account}`, NATS_PASS: readerPassword, ACCOUNT: account },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await waitFor(`the example to start (stderr: ${stderr})`, () => lines.includes(`following the escalation outcomes of ${account}`));

  await outcome(account, 'escalation_started', { escalation_id: 'esc-1' });
  const read = await outcome(account, 'escalation_read', { escalation_id: 'esc-1', user: 'Ann' });
  // The same event again: JetStream keeps one, the plain subscription sees both.
  expect((await outcome(account, 'escalation_read', { escalation_id: 'esc-1', user: 'Ann' }, read.event.event_id)).duplicate).toBe(true);
  await outcome('someone-else', 'escalation_read', { escalation_id: 'esc-x', user: 'Eve' });
  await outcome(account, 'escalation_exhausted', { escalation_id: 'esc-2' });

  await waitFor('the exhausted escalation', () => lines.some((line) => line.startsWith('escalation_exhausted')));
  expect(lines).toEqual([`following the escalation outcomes of ${account}`, 'escalation_read esc-1 Ann', 'escalation_exhausted esc-2 -']);
  expect(stderr).toBe('');
});
