import { z } from 'zod';
import type { KvBucket } from '#libs/bus';
import { errorMessage } from '#libs/errors';
import { Token } from '#libs/events';
import { accountFilter, accountKey, inBatches, indexKey, JsonKv } from '#libs/store';
import { EscalationDocs, isRunning } from './docs.js';
import type { Escalation, EscalationStatus } from './model.js';

const EscalationRef = z.object({ account_key: Token, id: Token });
export type EscalationRef = z.infer<typeof EscalationRef>;

/** Replies carry no account: escalations are indexed by the address they messaged, one key each. */
function addressPrefix(channel: string, to: string): string {
  return indexKey('_reply', 'addr', `${channel}:${to}`);
}

function addressKey(channel: string, to: string, ref: EscalationRef): string {
  return `${addressPrefix(channel, to)}.${ref.account_key}.${ref.id}`;
}

/** Dispatch webhooks carry no client_ref: a workflow's escalation is indexed by its dispatch_uuid. */
function dispatchKey(dispatchUuid: string): string {
  return indexKey('_dispatch', 'uuid', dispatchUuid);
}

/**
 * Escalations, changed only by compare-and-set, with two indexes: from a recipient address to
 * the escalations that messaged it (replies carry no account), and from a Dispatch workflow to
 * its escalation (Dispatch webhooks carry no client_ref).
 */
export class EscalationRepository {
  readonly docs: EscalationDocs;
  private readonly refs: JsonKv<typeof EscalationRef>;

  constructor(bucket: KvBucket) {
    this.docs = new EscalationDocs(bucket);
    this.refs = new JsonKv(bucket, EscalationRef);
  }

  static key(account: string, id: string): string {
    return accountKey(account, id);
  }

  async get(account: string, id: string): Promise<Escalation | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Escalation[]> {
    return this.docs.values(accountFilter(account));
  }

  /** An account's newest escalations, of one status if given: `limit` of them, and how many there are. */
  recent(
    account: string,
    { status, limit }: { status?: EscalationStatus; limit: number },
  ): Promise<{ escalations: Escalation[]; total: number }> {
    return this.docs.newest(accountFilter(account), limit, (state) => status === undefined || state.status === status);
  }

  /**
   * Removes the escalations that ended before `before` (an ISO time), in every account: each one's
   * state, frame and index entries. Answers how many, and the keys it could not read or remove
   * (the others are done all the same); once `signal` aborts, it looks at no more.
   */
  async removeEndedBefore(
    before: string,
    signal?: AbortSignal,
  ): Promise<{ removed: number; failed: Array<{ key: string; error: string }> }> {
    // Read in batches and let go: every account's states at once could be more than memory holds.
    const outcomes = await inBatches(await this.docs.stateKeys(accountFilter('*')), async (key) => {
      if (signal?.aborted) return 'kept';
      try {
        return (await this.removeIfEndedBefore(key, before)) ? 'removed' : 'kept';
      } catch (err) {
        return { key, error: errorMessage(err) };
      }
    });
    return {
      removed: outcomes.filter((outcome) => outcome === 'removed').length,
      failed: outcomes.filter((outcome) => typeof outcome === 'object'),
    };
  }

  private async removeIfEndedBefore(key: string, before: string): Promise<boolean> {
    const state = await this.docs.state(key);
    if (!state || isRunning(state) || state.ended_at === undefined || state.ended_at >= before) return false;
    const ref = { account_key: state.account_key, id: state.id };
    const addresses = new Set(
      state.attempts.filter((attempt) => attempt.message_uuid).map((attempt) => addressKey(attempt.channel, attempt.to, ref)),
    );
    const workflows = state.dispatches.flatMap((run) => (run.dispatch_uuid ? [dispatchKey(run.dispatch_uuid)] : []));
    await Promise.all([...addresses, ...workflows].map((entry) => this.refs.forget(entry)));
    await this.docs.remove(key);
    return true;
  }

  /** Remembers that an escalation messaged this address, so a reply from it can find the escalation. */
  async indexAddress(channel: string, to: string, ref: EscalationRef): Promise<void> {
    await this.refs.put(addressKey(channel, to, ref), ref);
  }

  /** Escalations that messaged this address. */
  async byAddress(channel: string, to: string): Promise<EscalationRef[]> {
    return this.refs.values(`${addressPrefix(channel, to)}.>`);
  }

  /** Forgets that an escalation messaged this address: for one that has ended, which no reply can change. */
  async unindexAddress(channel: string, to: string, ref: EscalationRef): Promise<void> {
    await this.refs.forget(addressKey(channel, to, ref));
  }

  async indexDispatch(dispatchUuid: string, ref: EscalationRef): Promise<void> {
    await this.refs.put(dispatchKey(dispatchUuid), ref);
  }

  async byDispatch(dispatchUuid: string): Promise<EscalationRef | undefined> {
    return (await this.refs.get(dispatchKey(dispatchUuid)))?.value;
  }
}
