import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestNats, type TestNats } from '../support/nats.js';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { addresses, sampleWith } from './support.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** What execFile rejects with when a command exits non-zero: its exit code and what it printed. */
const FailedRun = z.object({ code: z.number().int(), stdout: z.string(), stderr: z.string() });
let nats: TestNats;
let sb: TestSwitchboard;
let dir: string;

beforeAll(async () => {
  nats = await startTestNats();
  sb = await startTestSwitchboard(nats.url, { env: { SWITCHBOARD_TIME_SCALE: '0.001' } });
  dir = await mkdtemp(path.join(tmpdir(), 'switchboard-cli-'));
});

afterAll(async () => {
  await sb?.close();
  await nats?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `switchboard` as a user would; resolves with its exit code and output. */
async function switchboard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['apps/cli/bin.js', ...args, '--server', sb.url!], {
      cwd: ROOT,
      timeout: 30_000,
      // The CLI mints its own token from the local server's data directory.
      env: { ...process.env, SWITCHBOARD_DATA_DIR: sb.dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return FailedRun.parse(err);
  }
}

async function configFile(name: string, config: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(config));
  return file;
}

describe('switchboard escalate', () => {
  it('runs the escalation, prints progress live, and exits 0 when read', async () => {
    const a = addresses('501');
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered' });
    sim.setScenario(a.tonySms, { outcome: 'silent' });
    sim.setScenario(a.michaelViber, { outcome: 'read', read_after_ms: 50_000 });
    const file = await configFile('read.json', sampleWith(a));
    const { code, stdout } = await switchboard('escalate', '--config', file, '--message', 'Server is about to melt!');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Tony +messenger +tony-501 +sent \(message /);
    expect(stdout).toMatch(/Tony +messenger +tony-501 +delivered/);
    expect(stdout).toMatch(/not read in time: failing over/);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^read by Michael on viber_service after \d+\.\d s$/);
    expect(sim.messages({ to: a.tonyMessenger })[0]!.text).toBe('[Tony]: Server is about to melt!');
  });

  it('exits 1 when nobody reads it', async () => {
    const a = addresses('502');
    for (const to of Object.values(a)) sb.provider.simulator!.setScenario(to, { outcome: 'silent' });
    const file = await configFile('nobody.json', sampleWith(a, { failover: { expiry_time: 100 }, final_expiry: 100 }));
    const { code, stdout } = await switchboard('escalate', '--config', file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/exhausted: nobody read it after 5 messages/);
  });

  it('exits 2 with the validation message on a bad config, sending nothing', async () => {
    const a = addresses('503');
    const config = sampleWith(a);
    config.USERS[1]!.channels = config.USERS[1]!.channels.slice(0, 1);
    const file = await configFile('bad.json', config);
    const before = sb.provider.simulator!.messages().length;
    const { code, stderr } = await switchboard('escalate', '--config', file);
    expect(code).toBe(2);
    expect(stderr).toMatch(/user "Michael" has 1 channel: give at least two/);
    expect(sb.provider.simulator!.messages().length).toBe(before);
  });

  it('--dry-run prints the plan with the time of each failover, and flags placeholders', async () => {
    const before = sb.provider.simulator!.messages().length;
    const { code, stdout } = await switchboard('escalate', '--config', path.join(ROOT, 'test/fixtures/tutorial-sample.json'), '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toMatch(/at +0s +Tony +messenger .* until read, else at 10m00s move on/);
    expect(stdout).toMatch(/at +40m00s +Michael +sms .* until delivered, else at 50m00s move on/);
    expect(stdout).toMatch(/"USER PHONE NUMBER" is not a phone number for sms/);
    expect(stdout).toMatch(/Nothing was sent/);
    expect(sb.provider.simulator!.messages().length).toBe(before);
  });

  it('exits 3 when the server cannot be reached', async () => {
    const { code, stderr } = await (async () => {
      try {
        await run(
          process.execPath,
          [
            'apps/cli/bin.js',
            'escalate',
            '--config',
            path.join(ROOT, 'test/fixtures/tutorial-sample.json'),
            '--server',
            'http://127.0.0.1:9',
          ],
          { cwd: ROOT },
        );
        return { code: 0, stderr: '' };
      } catch (err) {
        return FailedRun.parse(err);
      }
    })();
    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot reach the Switchboard server/);
  });
});
