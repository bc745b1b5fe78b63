import type { Bus } from '../bus/index.js';
import { causedEvent, publishEvent, type EmittedEvent, type Provenance, type VumiApiEvent } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { DeadLetters } from './deadLetters.js';

/**
 * Publishes events that handlers (or the escalation engine) emit on behalf of a cause. Past the
 * depth cap an event is dead-lettered instead of published, so a loop of routes ends.
 */
export class CausedEvents {
  constructor(
    private readonly bus: Bus,
    private readonly deadLetters: DeadLetters,
    private readonly maxDepth: number,
    private readonly log: Logger,
  ) {}

  /** `routeMaxDepth`: the emitting route's own bound on its chain (its `allow_cycle.max_depth`). */
  async publish(parent: VumiApiEvent, emitted: EmittedEvent, provenance: Provenance, routeMaxDepth?: number): Promise<'published' | 'dead_lettered'> {
    const child = causedEvent(parent, emitted, provenance);
    const depth = child.cause!.depth;
    const maxDepth = Math.min(this.maxDepth, routeMaxDepth ?? this.maxDepth);
    if (depth <= maxDepth) {
      await publishEvent(this.bus.js, child);
      return 'published';
    }
    const bound = maxDepth < this.maxDepth ? ` (route "${provenance.route_id}"'s allow_cycle.max_depth)` : '';
    await this.deadLetters.add(
      {
        reason: 'depth_exceeded',
        account_key: child.account_key,
        event: child,
        route_id: provenance.route_id,
        error: { code: 'depth_exceeded', message: `event chain is deeper than ${maxDepth}${bound}: not published (a route loop?)` },
        attempts: 0,
        failed_at: new Date().toISOString(),
      },
      `${child.event_id}-depth`,
    );
    this.log.warn({ event_id: parent.event_id, child_event_id: child.event_id, depth }, 'depth cap reached: emitted event dead-lettered');
    return 'dead_lettered';
  }
}
