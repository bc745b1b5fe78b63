import type { Attempt, EscalationView } from '#libs/escalation';

/** Prints an escalation's progress as it changes: each send, each status, the outcome. */
export class EscalationProgress {
  private readonly seen = new Set<string>();

  constructor(private readonly write: (line: string) => void) {}

  /** Prints what is new in this view of the escalation (as GET /escalations/:id returns it). */
  update(esc: EscalationView): void {
    for (const attempt of esc.attempts) {
      const who = `${String(attempt.user_name).padEnd(12)} ${String(attempt.channel).padEnd(14)} ${attempt.to}`;
      if (attempt.message_uuid) this.once(`sent-${attempt.n}`, `${who}  sent (message ${attempt.message_uuid})`);
      for (const status of attempt.statuses) this.once(`status-${attempt.n}-${status.status}-${status.at}`, `${who}  ${status.status}`);
      if (attempt.result && attempt.result !== 'superseded')
        this.once(`result-${attempt.n}`, `${who}  ${describeResult({ ...attempt, result: attempt.result })}`);
    }
    if (esc.status !== 'active') this.once('outcome', outcomeLine(esc));
  }

  private once(key: string, line: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.write(line);
  }
}

function describeResult(attempt: Attempt & { result: NonNullable<Attempt['result']> }): string {
  switch (attempt.result) {
    case 'expired':
      return 'not read in time: failing over';
    case 'failed':
      return `failed (${attempt.error ?? 'rejected'}): failing over`;
    default:
      return attempt.result;
  }
}

function outcomeLine(esc: EscalationView): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const { outcome } = esc;
  switch (esc.status) {
    case 'read':
      return outcome ? `${outcome.status} by ${outcome.user} on ${outcome.channel} after ${seconds(outcome.elapsed_ms)}` : 'read';
    case 'exhausted':
      return `exhausted: nobody read it after ${esc.attempts.filter((a) => a.message_uuid).length} messages`;
    default:
      return `escalation ${esc.status}`;
  }
}
