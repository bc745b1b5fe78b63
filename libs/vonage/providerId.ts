import { z } from 'zod';

/**
 * An id Vonage gives (a message_uuid, a dispatch_uuid): a UUID from Vonage, but what arrives on a
 * webhook is a caller's word, and it becomes a subject token: bounded here, so no webhook builds
 * a subject past nats-server's control line.
 */
export const ProviderId = z.string().min(1).max(100);

/** Vonage's own limit on client_ref. */
export const ClientRef = z.string().max(100);
