import type { Logger } from '#libs/logger';
import { inBatches } from '#libs/store';
import type { EscalationRepository } from './repository.js';
import { startPeriodicPass, type PeriodicPass } from '#libs/timers';
import type { EscalationEngine } from './engine.js';

export interface RecoveryOptions {
  engine: EscalationEngine;
  escalations: EscalationRepository;
  /** How often to look; also how long past its deadline an expiry counts as lost, and a listed escalation with no state as a start cut short. */
  everyMs: number;
  log: Logger;
}

/**
 * Finds running escalations that nobody is working on and sets them going again: at start, then
 * every `everyMs`. Every input but an API call is redelivered until handled, so most work a crash
 * interrupts comes back by itself; this pass is for the rest (an escalation started or cancelled
 * through the API, a timer lost): an outbox whose lease ran out is taken over, an expiry overdue
 * by more than `everyMs` is made. Each pass reads the states of the running escalations only, in
 * batches; any number of processes may run it (every change is a compare-and-set).
 */
export function startRecovery({ engine, escalations, everyMs, log }: RecoveryOptions): PeriodicPass {
  return startPeriodicPass(everyMs, async (signal) => {
    try {
      const running = await escalations.docs.running();
      const counts = { taken_over: 0, expired: 0, stopped: 0 };
      await inBatches(running, async ({ key, since }) => {
        if (signal.aborted) return;
        const [account = '', id = ''] = key.split('.');
        try {
          const done = await engine.recover(account, id, everyMs);
          // Listed with no state for longer than a start takes: a start cut short before its first write.
          if (done === 'stopped' && Date.now() - Date.parse(since) > everyMs) await escalations.docs.notRunning(key);
          if (done !== 'fine') counts[done]++;
          if (done === 'taken_over' || done === 'expired')
            log.info({ escalation_id: id, account_key: account, done }, 'escalation recovered');
        } catch (err) {
          log.warn({ err, escalation_id: id, account_key: account }, 'escalation not recovered: trying again at the next pass');
        }
      });
      if (counts.taken_over + counts.expired > 0) log.info({ running: running.length, ...counts }, 'recovery pass');
    } catch (err) {
      log.warn({ err }, 'escalation recovery pass failed: trying again at the next');
    }
  });
}
