import { z } from 'zod';
import type { KvBucket } from '#libs/bus';
import { SwitchboardError } from '#libs/errors';
import {
  accountKey,
  compareAndSet,
  inBatches,
  isRevisionConflict,
  JsonKv,
  LruMap,
  type RevisionedStore,
  type Versioned,
} from '#libs/store';
import { Escalation, EscalationFrame, EscalationState } from './model.js';

/**
 * Frames kept in memory, by the size of their JSON: every change of a running escalation needs its
 * frame, which never changes. 16 MB hold the benchmark's 10,000 (1.5 KB each, about 25 MB of heap).
 */
const FRAME_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * The states this process last wrote, as the JSON it wrote, by size: most inputs of a running
 * escalation then start from one instead of a read. 16 MB hold the benchmark's 10,000 (under
 * 1.5 KB each).
 */
const WRITTEN_CACHE_BYTES = 16 * 1024 * 1024;

/** Beside its state, under a key with a third token: listings of `<account>.*` pass it by. */
function frameKey(key: string): string {
  return `${key}.frame`;
}

/**
 * Whether an escalation still runs: until it has ended and done its last effects. Until then it
 * needs its frame at hand, and it is on the list of running escalations that recovery passes read.
 */
export function isRunning(state: Pick<Escalation, 'status' | 'outbox'>): boolean {
  return state.status === 'active' || state.outbox.length > 0;
}

/**
 * The list of running escalations: one key each, `_running.<account>.<id>`, written with the
 * frame (before the state exists) and let go once the escalation has stopped running. A recovery
 * pass reads it to find escalations nobody is working on; a key left behind by a crash is
 * found there and let go.
 */
const RUNNING_PREFIX = '_running';
const RunningMark = z.object({ since: z.string() });

function runningKey(key: string): string {
  return `${RUNNING_PREFIX}.${key}`;
}

function stateOf(esc: Escalation): EscalationState {
  const { trigger: _trigger, plan: _plan, ...state } = esc;
  return state;
}

/**
 * Escalations stored in two parts: the frame (trigger and plan, most of a document), written
 * once and kept in memory while the escalation runs, and the state, which every compare-and-set
 * writes on its own. Reads and writes deal in whole escalations; the frame must be stored
 * (`frame`) before the state.
 */
export class EscalationDocs implements RevisionedStore<Escalation> {
  private readonly states: JsonKv<typeof EscalationState>;
  private readonly frames: JsonKv<typeof EscalationFrame>;
  private readonly marks: JsonKv<typeof RunningMark>;
  private readonly cache = new LruMap<string, EscalationFrame>(FRAME_CACHE_BYTES, (frame) => JSON.stringify(frame).length);
  private readonly written = new LruMap<string, { json: string; revision: number }>(WRITTEN_CACHE_BYTES, (entry) => entry.json.length);

  constructor(bucket: KvBucket) {
    this.states = new JsonKv(bucket, EscalationState);
    this.frames = new JsonKv(bucket, EscalationFrame);
    this.marks = new JsonKv(bucket, RunningMark);
  }

  /** The escalation's frame: the one stored, or else this one, stored now. The first to start an escalation decides it. */
  async frame(key: string, proposed: EscalationFrame): Promise<EscalationFrame> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    // Serialised once: to store it and to weigh it for the cache.
    const json = JSON.stringify(proposed);
    try {
      // Listed as running before its state exists: a start cut short is found by the next recovery pass.
      await Promise.all([this.frames.kv.create(frameKey(key), json), this.marks.put(runningKey(key), { since: new Date().toISOString() })]);
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
      return this.storedFrame(key);
    }
    this.cache.set(key, proposed, json.length);
    return proposed;
  }

  async get(key: string): Promise<Versioned<Escalation> | undefined> {
    const stored = await this.states.get(key);
    return stored && { value: await this.joined(key, stored.value), revision: stored.revision };
  }

  /**
   * The version this process last wrote, while the escalation runs: the current one unless another
   * process has written since, so it may start a compare-and-set (a stale one costs a retry) but
   * never answers a read.
   */
  async lastWritten(key: string): Promise<Versioned<Escalation> | undefined> {
    const entry = this.written.get(key);
    // Our own JSON of a valid escalation: parsed without the schema.
    return entry && { value: await this.joined(key, JSON.parse(entry.json) as EscalationState), revision: entry.revision };
  }

  create(key: string, esc: Escalation): Promise<number> {
    return this.write(key, esc, (json) => this.states.kv.create(key, json));
  }

  update(key: string, esc: Escalation, revision: number): Promise<number> {
    return this.write(key, esc, (json) => this.states.kv.update(key, json, revision));
  }

  /** Writes a state; while the escalation runs, this process remembers what it wrote (see `lastWritten`). */
  private async write(key: string, esc: Escalation, put: (json: string) => Promise<number>): Promise<number> {
    const json = JSON.stringify(stateOf(esc));
    let revision: number;
    try {
      revision = await put(json);
    } catch (err) {
      // Someone else wrote it first: what this process wrote last is no longer current.
      this.written.delete(key);
      throw err;
    }
    if (isRunning(esc)) this.written.set(key, { json, revision });
    else if (this.written.has(key)) {
      // The write that stopped it running (this process wrote it last while it ran). A later
      // write of an ended escalation (a late receipt) finds nothing to let go; a mark a crash left
      // behind, the next recovery pass lets go.
      this.letGo(key);
      await this.marks.forget(runningKey(key));
    }
    return revision;
  }

  /** The escalations on the list of running ones (some may have stopped since: see `RunningMark`). */
  async running(): Promise<Array<{ key: string; since: string }>> {
    return (await this.marks.entries(`${RUNNING_PREFIX}.*.*`)).map(({ key, value }) => ({
      key: key.slice(RUNNING_PREFIX.length + 1),
      since: value.since,
    }));
  }

  /** Takes an escalation off the list of running ones. */
  async notRunning(key: string): Promise<void> {
    this.letGo(key);
    await this.marks.forget(runningKey(key));
  }

  /** What this process keeps in memory of an escalation: for one that has ended or is gone. */
  private letGo(key: string): void {
    this.written.delete(key);
    this.cache.delete(key);
  }

  mutate(
    key: string,
    change: (current: Escalation | undefined) => Escalation | undefined,
    known?: Versioned<Escalation>,
  ): Promise<Versioned<Escalation> | undefined> {
    return compareAndSet(this, key, change, known);
  }

  async values(filter: string): Promise<Escalation[]> {
    return inBatches(await this.states.values(filter), (state) => this.whole(state));
  }

  /**
   * The newest of the escalations whose keys match and that `accept` takes: the first `limit`
   * whole, and how many there are. Only those are read with their frames; the rest, as states.
   */
  async newest(
    filter: string,
    limit: number,
    accept: (state: EscalationState) => boolean,
  ): Promise<{ escalations: Escalation[]; total: number }> {
    const states = (await this.states.values(filter)).filter(accept).sort((a, b) => b.started_at.localeCompare(a.started_at));
    return { escalations: await inBatches(states.slice(0, limit), (state) => this.whole(state)), total: states.length };
  }

  /** The keys of the states that match the filter. */
  stateKeys(filter: string): Promise<string[]> {
    return this.states.keys(filter);
  }

  /** The state alone, without its frame: for a pass over many escalations. */
  async state(key: string): Promise<EscalationState | undefined> {
    return (await this.states.get(key))?.value;
  }

  /** Removes an escalation whole, its state first: a listing that has not met it by then no longer will. */
  async remove(key: string): Promise<void> {
    this.letGo(key);
    await this.states.forget(key);
    await Promise.all([this.frames.forget(frameKey(key)), this.marks.forget(runningKey(key))]);
  }

  private whole(state: EscalationState): Promise<Escalation> {
    return this.joined(accountKey(state.account_key, state.id), state);
  }

  private async joined(key: string, state: EscalationState): Promise<Escalation> {
    return { ...state, ...(await this.storedFrame(key, isRunning(state))) };
  }

  private async storedFrame(key: string, keep = true): Promise<EscalationFrame> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const stored = await this.frames.get(frameKey(key));
    if (!stored) throw new SwitchboardError('internal', `escalation ${key} has no stored trigger and plan (${frameKey(key)})`);
    if (keep) this.cache.set(key, stored.value);
    return stored.value;
  }
}
