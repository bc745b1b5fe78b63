import { z } from 'zod';

/**
 * The rules for every identifier that becomes a NATS subject token or part of a KV key. One
 * schema per kind of id, used at every edge (API bodies and params, provider webhooks, the bus
 * ingest, handler configs once rendered), so no input can build a subject nats-server refuses
 * (it drops the whole connection for a control line over 4 KB) or a key the KV store rejects.
 * Anything else that ends up in a subject or key (addresses, jtis, hook tokens, send refs) is
 * hashed or encoded there, never used as it is.
 */

const SAFE = 'A-Z, a-z, 0-9, "_" or "-" (no dots, wildcards or spaces)';

function safeToken(maxLength: number) {
  return z.string().regex(new RegExp(`^[A-Za-z0-9_-]{1,${maxLength}}$`), `must be 1 to ${maxLength} characters of ${SAFE}`);
}

export const TOKEN_MAX_LENGTH = 64;
export const EVENT_ID_MAX_LENGTH = 128;
export const PROVIDER_ID_MAX_LENGTH = 100;
export const CLIENT_REF_MAX_LENGTH = 100;

/**
 * A name of ours: account, conversation type and key, event type, contact id, route, hook,
 * subscription, escalation and delivery ids. One subject token each.
 */
export const Token = safeToken(TOKEN_MAX_LENGTH);

/** Event ids: the JetStream message id (`<account>:<event_id>`) and a token of fan-out subjects. */
export const EventId = safeToken(EVENT_ID_MAX_LENGTH);

/**
 * An id the provider gives (Vonage's message_uuid and dispatch_uuid, UUIDs): refused unless it is
 * a token, since it is one in PROVIDER's subjects and in the messages bucket's keys.
 */
export const ProviderId = safeToken(PROVIDER_ID_MAX_LENGTH);

/**
 * Vonage's client_ref, free text up to Vonage's own limit. Ours is `<account>:<ref>`; a subject
 * takes its account only when that is a Token, and its ref base64url-encoded (providerFilings).
 */
export const ClientRef = z.string().max(CLIENT_REF_MAX_LENGTH, `must be at most ${CLIENT_REF_MAX_LENGTH} characters (Vonage's limit)`);
