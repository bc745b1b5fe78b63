import type { Bus } from '#libs/bus';
import { causedEvent, publishEvent, type CausedEventPublisher, type EmittedEvent, type Provenance, type VumiApiEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import type { DeadLetters } from '#libs/deadletters';
import type { FanoutBudget } from './fanoutBudget.js';

export type CausedOutcome = 'published' | 'dead_lettered' | 'over_budget';

/** A link of a chain of events: the root (depth 0), or an event a route emitted. */
interface ChainLink {
  event_id: string;
  event_type?: string;
  depth: number;
  route_id?: string;
}

/** Where an event stands in its chain, as far as envelopes tell: an event names its root and its parent, not the links between. */
function chainOf(parent: VumiApiEvent, child: VumiApiEvent): ChainLink[] {
  const link = (event: VumiApiEvent): ChainLink => ({
    event_id: event.event_id,
    event_type: event.event_type,
    depth: event.cause?.depth ?? 0,
    ...(event.cause ? { route_id: event.cause.route_id } : {}),
  });
  const root = parent.cause ? [{ event_id: parent.cause.root_event_id, depth: 0 }] : [];
  return [...root, link(parent), link(child)];
}

function chainText(chain: readonly ChainLink[]): string {
  return chain
    .map((one, index) => {
      const gap = index > 0 && one.depth > chain[index - 1]!.depth + 1 ? '… → ' : '';
      const emitted = one.route_id ? ` (route "${one.route_id}", depth ${one.depth})` : '';
      return `${gap}${[one.event_type, one.event_id].filter(Boolean).join(' ')}${emitted}`;
    })
    .join(' → ');
}

/**
 * Publishes events that handlers (or the escalation engine) emit on behalf of a cause, within two
 * bounds that end a loop of routes: the chain's depth (past it an event is dead-lettered) and its
 * root's fan-out budget (`FanoutBudget`: past it an event is not published, and the root gets one
 * dead letter).
 */
export class CausedEvents implements CausedEventPublisher {
  constructor(
    private readonly bus: Bus,
    private readonly deadLetters: DeadLetters,
    private readonly maxDepth: number,
    private readonly budget: FanoutBudget,
    private readonly log: Logger,
  ) {}

  /** `routeMaxDepth`: the emitting route's own bound on its chain (its `allow_cycle.max_depth`). */
  async publish(parent: VumiApiEvent, emitted: EmittedEvent, provenance: Provenance, routeMaxDepth?: number): Promise<CausedOutcome> {
    const child = causedEvent(parent, emitted, provenance);
    const cause = child.cause!;
    const maxDepth = Math.min(this.maxDepth, routeMaxDepth ?? this.maxDepth);
    if (cause.depth > maxDepth) {
      await this.deadLetterTooDeep(child, provenance, maxDepth);
      return 'dead_lettered';
    }
    const decision = await this.budget.admit({ account: child.account_key, root_event_id: cause.root_event_id, event_id: child.event_id });
    if (decision.admitted) {
      await publishEvent(this.bus.js, child);
      return 'published';
    }
    if (decision.first) await this.deadLetterOverBudget(parent, child, provenance, decision.budget);
    this.log.debug(
      { root_event_id: cause.root_event_id, child_event_id: child.event_id, refused: decision.refused },
      'fan-out budget exceeded: event not published',
    );
    return 'over_budget';
  }

  private async deadLetterTooDeep(child: VumiApiEvent, provenance: Provenance, maxDepth: number): Promise<void> {
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
    this.log.warn(
      { event_id: child.cause!.parent_event_id, child_event_id: child.event_id, depth: child.cause!.depth },
      'depth cap reached: emitted event dead-lettered',
    );
  }

  /** The root's one dead letter: its message id is the root's, so filing it again (a redelivery) stores nothing more. */
  private async deadLetterOverBudget(parent: VumiApiEvent, child: VumiApiEvent, provenance: Provenance, budget: number): Promise<void> {
    const { root_event_id } = child.cause!;
    const chain = chainOf(parent, child);
    await this.deadLetters.add(
      {
        reason: 'fanout_exceeded',
        account_key: child.account_key,
        event: child,
        route_id: provenance.route_id,
        error: {
          code: 'fanout_exceeded',
          message:
            `fan-out budget exceeded: root event ${root_event_id} has caused ${budget} events (the account's fanout_budget), so the ${child.event_type} event route ` +
            `"${provenance.route_id}" emits is not published (${chainText(chain)}), nor is any later event of this root: those are counted, not filed again (a route loop?)`,
          details: { root_event_id, budget, chain },
        },
        attempts: 0,
        failed_at: new Date().toISOString(),
      },
      `fanout:${child.account_key}:${root_event_id}`,
    );
    this.log.warn(
      { account_key: child.account_key, root_event_id, route_id: provenance.route_id, budget },
      'fan-out budget exceeded: events of this root are no longer published',
    );
  }
}
