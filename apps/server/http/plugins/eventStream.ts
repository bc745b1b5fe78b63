import type { FastifyPluginAsync } from 'fastify';
import { consumerOpts } from 'nats';
import { z } from 'zod';
import { STREAMS, type Bus } from '#libs/bus';
import { EVENTS_SUBJECT_ROOT, readBusEvent, type VumiApiEvent } from '#libs/events';
import { parse } from '#libs/http';
import type { Logger } from '#libs/logger';
import { EventTypePattern, Wildcard, type SubscriptionFilter } from '#libs/store';
import { filterMatches } from '#libs/subscriptions';
import { AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export interface EventStreamOptions {
  bus: Bus;
  heartbeatMs: number;
  log: Logger;
}

/** `?filter=escalation_*,poll_complete&conversation_type=poll&conversation_key=ops-poll`, a subscription's filter in a query. */
const StreamQuery = z.object({
  filter: z
    .string()
    .default('*')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(EventTypePattern).min(1, 'give at least one event type, or "*"').max(32)),
  conversation_type: Wildcard.default('*'),
  conversation_key: Wildcard.default('*'),
});

/** A client that reads slower than events come gets cut off past this, rather than held in memory. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The narrowest subject for the filter: NATS filters by whole tokens, patterns are checked per event. */
function subjectFor(account: string, filter: SubscriptionFilter): string {
  const [only] = filter.event_types;
  const eventType = filter.event_types.length === 1 && only && !only.includes('*') ? only : '*';
  return `${EVENTS_SUBJECT_ROOT}.${account}.${filter.conversation_type}.${filter.conversation_key}.${eventType}`;
}

function frame(event: VumiApiEvent): string {
  return `event: ${event.event_type}\nid: ${event.event_id}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * `GET /v1/accounts/:account/events/stream`: the account's events as they are stored, as
 * Server-Sent Events. It reads EVENTS through an ordered push consumer (the kind the KV watcher
 * uses), so what it sends is what JetStream stored (a re-publish it deduplicated is not sent
 * twice), and the consumer is gone when the client is. It starts with new events: a system that
 * must not miss one subscribes a webhook instead.
 */
export const eventStreamPlugin: FastifyPluginAsync<EventStreamOptions> = async (app, { bus, heartbeatMs, log }) => {
  const open = new Set<() => void>();
  // Open streams never end by themselves: without this, closing the server would wait for them.
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get('/v1/accounts/:account/events/stream', { config: { access: access.read } }, async (request, reply) => {
    const { account } = parse(AccountParams, request.params);
    const query = parse(StreamQuery, request.query);
    const filter: SubscriptionFilter = {
      event_types: query.filter,
      conversation_type: query.conversation_type,
      conversation_key: query.conversation_key,
    };
    const subject = subjectFor(account, filter);
    const subscription = await bus.js.subscribe(subject, consumerOpts().orderedConsumer().deliverNew().bindStream(STREAMS.events));

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`: following ${subject}\n\n`);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      open.delete(close);
      subscription.destroy().catch((err: unknown) => log.debug({ err, subject }, 'event stream consumer already gone'));
      res.end();
    };
    open.add(close);
    res.on('close', close);
    // A write racing the client's disconnect fails here rather than as an unhandled error.
    res.on('error', close);
    log.debug({ account_key: account, subject }, 'event stream opened');

    void (async () => {
      for await (const msg of subscription) {
        if (closed) break;
        const read = readBusEvent(msg.subject, msg.data);
        if (!read.ok || !filterMatches(filter, read.event)) continue;
        res.write(frame(read.event));
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          log.warn({ account_key: account, subject }, 'event stream client too slow: closed');
          break;
        }
      }
    })()
      .catch((err: unknown) => log.error({ err, subject }, 'event stream failed'))
      .finally(close);
  });
};
