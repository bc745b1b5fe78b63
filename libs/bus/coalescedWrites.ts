import { ProtocolHandler } from 'nats/lib/nats-base-client/protocol.js';

const encoder = new TextEncoder();

/** What this uses of the handler; `flushPending` is private in its typings. */
interface Handler {
  outbound: ProtocolHandler['outbound'];
  pendingLimit: number;
  flushPending(): void;
}

/**
 * nats.js 2.29 (the last 2.x) writes its outbound buffer to the socket in a microtask queued by
 * the first command after each write, so a busy process writes once per burst of promise
 * continuations: under load, socket writes were a fifth of the server's CPU (docs/benchmarks.md).
 * Here the buffer is written once per turn of the event loop instead (setImmediate), as large as
 * that turn made it; the buffer's own size limit still writes at once.
 */
ProtocolHandler.prototype.sendCommand = function sendCommand(this: ProtocolHandler, cmd: string | Uint8Array, ...payloads: Uint8Array[]): void {
  const handler = this as unknown as Handler;
  const idle = handler.outbound.length() === 0;
  handler.outbound.fill(typeof cmd === 'string' ? encoder.encode(cmd) : cmd, ...payloads);
  if (idle) setImmediate(() => handler.flushPending());
  else if (handler.outbound.size() >= handler.pendingLimit) handler.flushPending();
};
