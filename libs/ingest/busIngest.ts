import type { Msg, Subscription } from 'nats';
import { natsFailure, STREAMS, type Bus } from '#libs/bus';
import type { DeadLetters } from '#libs/deadletters';
import { errorMessage, SwitchboardError } from '#libs/errors';
import { publishEvent, readBusEvent } from '#libs/events';
import type { JsonShapeLimits } from '#libs/jsonShape';
import type { Quotas } from '#libs/limits';
import type { Logger } from '#libs/logger';

/** Where the sources' publishes arrive in Switchboard's account: `ingest.<account>.<conversation_type>.<conversation_key>.<event_type>`. */
export const INGEST_PREFIX = 'ingest';
/** Every process that serves the edge takes a share of the sources' publishes. */
const QUEUE = 'ingest';
/** Publishes handled at once per process. */
const CONCURRENCY = 64;

export interface BusIngestOptions {
  bus: Bus;
  deadLetters: DeadLetters;
  jsonShape: JsonShapeLimits;
  /** An account at any of its quotas publishes no new event on the bus either. */
  quotas: Pick<Quotas, 'admit'>;
  log: Logger;
}

export interface BusIngest {
  stop(): Promise<void>;
}

const encoder = new TextEncoder();

/** The code of a refusal for a quota or a full stream: HTTP's "insufficient storage", as the API answers them. */
const STORAGE_REFUSED = 507;

/** What JetStream itself answers a publish, so a source's `js.publish` reads our answer as it would its. */
function pubAck(seq: number, duplicate: boolean): Uint8Array {
  return encoder.encode(JSON.stringify({ stream: STREAMS.events, seq, duplicate }));
}

function refusal(code: number, description: string): Uint8Array {
  return encoder.encode(JSON.stringify({ error: { code, description } }));
}

/**
 * The bus's edge: an event source (`source-<account>`, in a NATS account of its own) publishes on
 * `events.<account>.…`, which its service import carries into Switchboard's account as
 * `ingest.<account>.…`, here. Each publish is checked as the API checks a body (the JSON shape,
 * the envelope, its account and subject), then stored on EVENTS with its dedupe key scoped to its
 * account, whatever message id the source sent (a source could otherwise send another account's
 * ids and have their events taken for repeats), and answered as JetStream would. A refusal is
 * answered as JetStream's errors are, and kept as a malformed dead letter of the account; an
 * account at a quota is refused (507) as the API refuses it, and nothing is kept.
 */
export async function startBusIngest({ bus, deadLetters, jsonShape, quotas, log }: BusIngestOptions): Promise<BusIngest> {
  const subscription: Subscription = bus.nc.subscribe(`${INGEST_PREFIX}.>`, { queue: QUEUE });
  const inFlight = new Set<Promise<void>>();

  async function take(msg: Msg): Promise<void> {
    const account = msg.subject.split('.')[1] ?? '';
    const subject = `events.${msg.subject.slice(INGEST_PREFIX.length + 1)}`;
    const parsed = readBusEvent(subject, msg.data, jsonShape);
    if (!parsed.ok) {
      log.warn({ account_key: account, subject, reason: parsed.message }, 'event from the bus refused');
      await deadLetters.add(
        {
          reason: 'malformed',
          account_key: account,
          raw: parsed.raw.slice(0, 4096),
          subject,
          error: { code: 'validation_failed', message: parsed.message },
          attempts: 1,
          failed_at: new Date().toISOString(),
        },
        `ingest-malformed-${subject}-${parsed.raw.length}-${Date.now()}`,
      );
      msg.respond(refusal(400, parsed.message));
      return;
    }
    try {
      await quotas.admit(account);
      const published = await publishEvent(bus.js, parsed.event);
      msg.respond(pubAck(published.seq, published.duplicate));
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'quota_exceeded') {
        msg.respond(refusal(STORAGE_REFUSED, err.message));
        return;
      }
      const outage = natsFailure(err);
      log.warn({ err, event_id: parsed.event.event_id, account_key: account }, 'event from the bus not stored');
      const code = outage?.code === 'storage_full' ? STORAGE_REFUSED : outage ? 503 : 500;
      msg.respond(refusal(code, outage?.message ?? `not stored: ${errorMessage(err)}`));
    }
  }

  const loop = (async () => {
    for await (const msg of subscription) {
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
      const work: Promise<void> = take(msg)
        .catch((err: unknown) => log.error({ err, subject: msg.subject }, 'event from the bus not handled'))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
  })();

  return {
    async stop() {
      await subscription.drain();
      await loop;
      await Promise.allSettled(inFlight);
    },
  };
}
