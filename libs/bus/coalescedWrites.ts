import { ProtocolHandler } from 'nats/lib/nats-base-client/protocol.js';

const encoder = new TextEncoder();

/** What this uses of the handler; `flushPending` is private in its typings. */
interface Handler {
  outbound: ProtocolHandler['outbound'];
  pendingLimit: number;
  flushPending(): void;
}

/**
 * Under load, the shortest time between two writes of one connection: commands made meanwhile
 * wait for the next write (at most this long), so a busy process writes a thousand larger frames
 * a second instead of one small frame per turn of the event loop. An idle connection still
 * writes in the turn that made the command.
 */
const MIN_WRITE_GAP_MS = 1;
const lastWrite = new WeakMap<Handler, number>();

function write(handler: Handler): void {
  lastWrite.set(handler, performance.now());
  handler.flushPending();
}

/**
 * nats.js 2.29 (the last 2.x) writes its outbound buffer to the socket in a microtask queued by
 * the first command after each write, so a busy process writes once per burst of promise
 * continuations: under load, socket writes were a fifth of the server's CPU (docs/benchmarks.md).
 * Here the buffer is written in the next turn of the event loop (setImmediate), as large as that
 * turn made it, and no sooner than MIN_WRITE_GAP_MS after the last write; the buffer's own size
 * limit still writes at once.
 */
ProtocolHandler.prototype.sendCommand = function sendCommand(this: ProtocolHandler, cmd: string | Uint8Array, ...payloads: Uint8Array[]): void {
  const handler = this as unknown as Handler;
  const idle = handler.outbound.length() === 0;
  handler.outbound.fill(typeof cmd === 'string' ? encoder.encode(cmd) : cmd, ...payloads);
  if (idle) {
    const wait = MIN_WRITE_GAP_MS - (performance.now() - (lastWrite.get(handler) ?? -Infinity));
    if (wait > 0) setTimeout(write, wait, handler);
    else setImmediate(write, handler);
  } else if (handler.outbound.size() >= handler.pendingLimit) {
    write(handler);
  }
};
