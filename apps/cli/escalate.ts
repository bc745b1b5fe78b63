import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { zodIssues } from '#libs/errors';
import { EscalationView } from '#libs/escalation';
import { senderSetting } from '#libs/vonage';
import { buildPlan, escalateUsersConfig, planTimeline, unsendable, type EscalateUsersConfig } from '#handlers/escalate_users';
import { EscalationProgress } from './escalationProgress.js';
import { CliFailure, EXIT } from './exitCodes.js';
import { callServer, type ServerOptions } from './serverClient.js';

export interface EscalateOptions {
  configFile: string;
  message: string;
  account: string;
  dryRun: boolean;
  maxRepeat: number;
  server: ServerOptions;
  write: (line: string) => void;
}

async function readConfig(file: string, maxRepeat: number): Promise<EscalateUsersConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliFailure(`cannot read ${file}: ${(err as Error).message}`, EXIT.badConfig);
  }
  const parsed = escalateUsersConfig({ maxRepeat }).safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error).map((issue) => `  - ${issue.path}: ${issue.message}`);
  throw new CliFailure(`${file} is not a valid escalation config:\n${issues.join('\n')}`, EXIT.badConfig);
}

function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** The plan without sending anything: who, on what, what counts as read, and when each failover would happen. */
async function dryRun(config: EscalateUsersConfig, options: EscalateOptions): Promise<number> {
  const plan = await buildPlan(config, {
    account: options.account,
    findContact: async (id) => {
      throw new CliFailure(
        `user "${id}" is a contact id: its channels live on the server, so --dry-run cannot show them; list the user inline to preview`,
        EXIT.badConfig,
      );
    },
    senderFor: (type) => `(server's ${senderSetting(type)})`,
  });
  const { write } = options;
  write(`Plan (${plan.mode} mode, ${plan.rounds} round${plan.rounds > 1 ? 's' : ''}): if nobody reads it,`);
  for (const step of planTimeline(plan)) {
    const round = plan.rounds > 1 ? `round ${step.round + 1}  ` : '';
    write(
      `  ${round}at ${formatSeconds(step.send_at_s).padStart(7)}  ${step.user.padEnd(12)} ${step.channel.padEnd(14)} ${step.to.padEnd(20)} until ${step.condition}, else at ${formatSeconds(step.moves_on_at_s)} move on`,
    );
  }
  write(`Nothing was sent. Message: "${plan.text}"`);
  const problems = unsendable(plan);
  if (problems.length > 0) {
    write(`Warning: ${problems.length} address(es) or sender(s) cannot be sent to as they are:`);
    for (const problem of problems) write(`  - ${problem.message}`);
  }
  return EXIT.read;
}

/** Runs one escalation on the server and follows it until it ends. */
export async function escalate(options: EscalateOptions): Promise<number> {
  const config = await readConfig(options.configFile, options.maxRepeat);
  if (options.dryRun) return dryRun(config, options);

  const base = `/v1/accounts/${options.account}/escalations`;
  const started = await callServer(options.server, 'POST', base, EscalationView, { config, event_data: { message: options.message } });
  options.write(`escalation ${started.id}: ${started.plan.users.length} users, ${started.plan.mode} mode`);
  const progress = new EscalationProgress(options.write);
  for (let esc = started; ; esc = await callServer(options.server, 'GET', `${base}/${started.id}`, EscalationView)) {
    progress.update(esc);
    if (esc.status === 'read') return EXIT.read;
    if (esc.status !== 'active') return EXIT.exhausted;
    await sleep(250);
  }
}
