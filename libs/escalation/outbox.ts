import type { Logger } from '#libs/logger';
import { isRevisionConflict, type Versioned } from '#libs/store';
import type { Timers } from '#libs/timers';
import { isQuick, type EffectRunner } from './effects.js';
import type { Effect, Escalation } from './model.js';
import { EscalationRepository } from './repository.js';
import { scheduleFlush } from './timerTasks.js';
import * as transitions from './transitions.js';
import type { Transition } from './transitions.js';

export type Version = Versioned<Escalation>;

export interface OutboxOptions {
  escalations: EscalationRepository;
  effects: EffectRunner;
  timers: Timers;
  /** When the webhooks the provider could not deliver during an outage may still come. */
  webhooks: { backlogClears(): number | undefined };
  claimMs: number;
  log: Logger;
}

/** Bounds one flush: an escalation's outbox never holds more than a handful of effects. */
const MAX_FLUSH_STEPS = 128;

/** The ids of the effects in `outbox` that were not in `before`. */
export function effectIds(outbox: readonly Effect[], before: readonly Effect[] = []): Set<string> {
  const earlier = new Set(before.map((effect) => effect.id));
  return new Set(outbox.filter((effect) => !earlier.has(effect.id)).map((effect) => effect.id));
}

/**
 * Writes transitions by compare-and-set and does the effects they leave in the outbox, under the
 * outbox's lease: the protocol of ARCHITECTURE.md's "The outbox and its lease".
 */
export class Outbox {
  constructor(private readonly options: OutboxOptions) {}

  /** Runs a transition under compare-and-set; the answer is the escalation as it now stands. */
  async apply(account: string, id: string, transition: Transition, known?: Version): Promise<Version | undefined> {
    let changed: Escalation | undefined;
    let ended = false;
    const version = await this.options.escalations.docs.mutate(
      EscalationRepository.key(account, id),
      (current) => {
        const next = current && transition(current, Date.now());
        changed = next && { ...next, updated_at: new Date().toISOString() };
        ended = current?.status === 'active' && changed !== undefined && changed.status !== 'active';
        return changed;
      },
      known,
    );
    if (ended) this.options.log.info({ escalation_id: id, status: changed!.status, outcome: changed!.outcome }, 'escalation ended');
    return version;
  }

  /**
   * A transition, then its effects. A transition that leaves effects takes a free flush lease in
   * its own write. It starts from `known`, else from the version this process last wrote. Answers
   * the last version the flush saw (undefined when it left the effects to another worker).
   */
  async change(account: string, id: string, transition: Transition, known?: Version): Promise<Version | undefined> {
    let leased = false;
    let created = new Set<string>();
    const version = await this.apply(
      account,
      id,
      (esc, now) => {
        const next = transition(esc, now);
        leased = next !== undefined && next.outbox.length > 0 && (next.flush_lease_until ?? 0) <= now;
        created = next && leased ? effectIds(next.outbox, esc.outbox) : new Set();
        return next && leased ? { ...next, flush_lease_until: now + this.options.claimMs } : next;
      },
      known ?? (await this.options.escalations.docs.lastWritten(EscalationRepository.key(account, id))),
    );
    return this.flush(account, id, version, leased, created);
  }

  /**
   * Does the outbox's effects in order. One worker at a time holds the flush lease; an input that
   * finds it held leaves its effects to the holder, which goes on from each version it writes and
   * releases the lease in the write that empties the outbox, by compare-and-set: an effect added
   * meanwhile is never stranded. An input that finds the lease held sets a timer for when it runs
   * out, so a crashed holder's work is taken over. `created`: the effects the caller's own write
   * (holding the lease) added. Answers the last version it saw.
   */
  async flush(account: string, id: string, known?: Version, leased = false, created?: ReadonlySet<string>): Promise<Version | undefined> {
    const { escalations, claimMs, timers, log } = this.options;
    const key = EscalationRepository.key(account, id);
    // Effects the lease holder's own write created: until tried once here, nobody can have tried them.
    const untried = new Set(leased ? created : undefined);
    let held = leased;
    let current = known;
    for (let step = 0; step < MAX_FLUSH_STEPS; step++) {
      current ??= await escalations.docs.get(key);
      if (!current) return undefined;
      const { value: esc, revision } = current;
      const now = Date.now();
      const effect = esc.outbox[0];
      try {
        if (!held) {
          if (!effect) return current;
          const lease = esc.flush_lease_until ?? 0;
          if (lease > now) return void (await scheduleFlush(timers, esc, lease));
          const leasedDoc = { ...esc, flush_lease_until: now + claimMs };
          current = { value: leasedDoc, revision: await escalations.docs.update(key, leasedDoc, revision) };
          held = true;
        } else if (!effect) {
          if (esc.flush_lease_until === undefined) return current;
          const { flush_lease_until: _released, ...released } = esc;
          return { value: released, revision: await escalations.docs.update(key, released, revision) };
        } else {
          const firstTry = untried.delete(effect.id);
          // A send or workflow an earlier holder may have started: after an outage, the provider's
          // word that it took it (a `submitted` webhook) may still be on its way. Wait for it.
          const backlog =
            !firstTry && (effect.kind === 'send' || effect.kind === 'dispatch') ? this.options.webhooks.backlogClears() : undefined;
          if (backlog !== undefined) return await this.holdFlush(current, backlog);
          current = await this.perform(current, effect, firstTry);
          // A send to be tried again later stays at the head, under a lease that runs until then.
          const retryAt = current?.value.outbox[0]?.id === effect.id ? current.value.flush_lease_until : undefined;
          if (retryAt !== undefined && retryAt > Date.now()) return void (await scheduleFlush(timers, current!.value, retryAt));
        }
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
        current = undefined;
      }
    }
    log.error({ escalation_id: id }, 'escalation outbox did not drain: left for the next input');
    return current;
  }

  /** Keeps the lease until `until` and flushes again then; answers the version written. */
  private async holdFlush(current: Version, until: number): Promise<Version> {
    const held = { ...current.value, flush_lease_until: until };
    const revision = await this.options.escalations.docs.update(
      EscalationRepository.key(held.account_key, held.id),
      held,
      current.revision,
    );
    this.options.log.info(
      { escalation_id: held.id, until: new Date(until).toISOString() },
      'send held back: the provider may still report an earlier try',
    );
    await scheduleFlush(this.options.timers, held, until);
    return { value: held, revision };
  }

  /**
   * The effect at the head of the outbox, then the quick ones it leaves at the head, all in one
   * write: a send or a workflow answers the transition that records it, which is applied in
   * memory for its quick effects (its timer, index entry and events) and written with them done.
   * Each effect is idempotent, so a conflict that makes the write start again costs nothing.
   * Answers the version written.
   */
  private async perform(current: Version, effect: Effect, firstTry: boolean): Promise<Version | undefined> {
    const { effects } = this.options;
    const recorded =
      effect.kind === 'send'
        ? await effects.send(current.value, effect.attempt, firstTry)
        : effect.kind === 'dispatch'
          ? await effects.startWorkflow(current.value, effect.run)
          : undefined;
    const now = Date.now();
    const record = (doc: Escalation) => recorded?.(doc, now) ?? doc;
    const esc = record(current.value);
    const firstSlow = esc.outbox.findIndex((one) => !isQuick(one));
    const quick = (firstSlow < 0 ? esc.outbox : esc.outbox.slice(0, firstSlow)).filter(isQuick);
    await effects.quick(esc, quick);
    const done = new Set(quick.map((one) => one.id));
    return this.apply(
      esc.account_key,
      esc.id,
      (doc) => {
        const stepped = record(doc);
        const next = transitions.effectsDone(stepped, done) ?? stepped;
        if (next === doc) return undefined;
        if (next.outbox.length > 0) return next;
        // Nothing left: the lease goes in the same write.
        const { flush_lease_until: _released, ...released } = next;
        return released;
      },
      current,
    );
  }
}
