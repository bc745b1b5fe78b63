import type { KvBucket } from '#libs/bus';
import { z } from 'zod';
import { Token } from '#libs/events';
import { JsonKv } from './jsonKv.js';

/** Failures listed with their reasons; past these only the count grows. */
export const MAX_LISTED_FAILURES = 100;

export const BroadcastFailure = z.object({ contact_id: z.string(), reason: z.string() });

/** One broadcast step's progress: every targeted contact ends as sent or failed. */
export const Broadcast = z.object({
  id: Token,
  account_key: Token,
  event_id: z.string(),
  route_id: z.string(),
  step: z.number().int().min(0),
  status: z.enum(['running', 'done']),
  total: z.number().int().min(0),
  sent: z.number().int().min(0),
  failed: z.number().int().min(0),
  failures: z.array(BroadcastFailure),
  /** The delivery of the event whose run the counts belong to: a retry counts again from zero. */
  run: z.number().int().min(1),
  started_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().optional(),
});

export type BroadcastFailure = z.infer<typeof BroadcastFailure>;
export type Broadcast = z.infer<typeof Broadcast>;

export type BroadcastStart = Pick<Broadcast, 'id' | 'account_key' | 'event_id' | 'route_id' | 'step' | 'total' | 'run'>;

/**
 * Broadcast progress records, kept beside the messages they sent (the messages bucket, with its
 * expiry) as `<account>._broadcast.<id>`, changed only by compare-and-set.
 */
export class BroadcastRepository {
  private readonly docs: JsonKv<typeof Broadcast>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Broadcast);
  }

  static key(account: string, id: string): string {
    return `${account}._broadcast.${id}`;
  }

  async get(account: string, id: string): Promise<Broadcast | undefined> {
    return (await this.docs.get(BroadcastRepository.key(account, id)))?.value;
  }

  /**
   * Starts counting a run. A finished broadcast stays as it is (a redelivered event sends nothing
   * again); an unfinished one, left by a run that failed or crashed, counts again from zero: its
   * sends are idempotent, so what was sent is counted as sent once more.
   */
  async start(draft: BroadcastStart): Promise<Broadcast> {
    const now = new Date().toISOString();
    const saved = await this.docs.mutate(BroadcastRepository.key(draft.account_key, draft.id), (current) =>
      current?.status === 'done'
        ? undefined
        : { ...draft, status: 'running', sent: 0, failed: 0, failures: [], started_at: current?.started_at ?? now, updated_at: now },
    );
    return saved!.value;
  }

  /** Adds a finished batch to the counts of its run; a stale run's batch is ignored. */
  async recordBatch(
    account: string,
    id: string,
    run: number,
    batch: { sent: number; failures: BroadcastFailure[] },
  ): Promise<Broadcast | undefined> {
    const saved = await this.docs.mutate(BroadcastRepository.key(account, id), (current) =>
      current && current.run === run && current.status === 'running'
        ? {
            ...current,
            sent: current.sent + batch.sent,
            failed: current.failed + batch.failures.length,
            failures: [...current.failures, ...batch.failures].slice(0, MAX_LISTED_FAILURES),
            updated_at: new Date().toISOString(),
          }
        : undefined,
    );
    return saved?.value;
  }

  async finish(account: string, id: string, run: number): Promise<Broadcast | undefined> {
    const now = new Date().toISOString();
    const saved = await this.docs.mutate(BroadcastRepository.key(account, id), (current) =>
      current && current.run === run && current.status === 'running'
        ? { ...current, status: 'done', updated_at: now, finished_at: now }
        : undefined,
    );
    return saved?.value;
  }
}
