import type { Logger } from '#libs/logger';
import type { EscalationRepository } from './repository.js';
import { startPeriodicPass, type PeriodicPass } from '#libs/timers';

export interface RetentionOptions {
  escalations: EscalationRepository;
  /** How long an ended escalation is kept. */
  keepMs: number;
  /** How often to look for ended escalations past it. */
  everyMs: number;
  log: Logger;
}

/**
 * Removes ended escalations once they are older than the retention: at start, then every
 * `everyMs`. Each pass reads the states of every account, so it runs seldom; a pass that fails
 * is logged and the next one tries again. Any number of processes may run it: removing is
 * idempotent. Stopping cuts a pass short after the reads in flight.
 */
export function startRetention({ escalations, keepMs, everyMs, log }: RetentionOptions): PeriodicPass {
  return startPeriodicPass(everyMs, async (signal) => {
    const before = new Date(Date.now() - keepMs).toISOString();
    try {
      const { removed, failed } = await escalations.removeEndedBefore(before, signal);
      if (removed > 0) log.info({ removed, ended_before: before }, 'ended escalations past their retention removed');
      // The first few: one bad document is worth a look, a thousand say the same.
      if (failed.length > 0)
        log.warn(
          { failed: failed.length, first: failed.slice(0, 5) },
          'escalations past their retention not removed: trying again at the next pass',
        );
    } catch (err) {
      log.warn({ err }, 'escalation retention pass failed: trying again at the next');
    }
  });
}
