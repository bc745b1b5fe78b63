import { ErrorCode, NatsError } from 'nats';
import { ProtocolHandler } from 'nats/lib/nats-base-client/protocol.js';
import { defineOverride } from './override.js';

/**
 * nats-server's max_control_line (its default; nats.conf keeps it): a longer command line makes
 * the server close the whole connection ("maximum control line exceeded"). Counted here over the
 * whole line, a few bytes more than the server counts, so a line refused here is over there too.
 */
export const MAX_CONTROL_LINE_BYTES = 4096;

const encoder = new TextEncoder();

/** What this uses of the handler; `flushPending` is private in its typings. */
interface Handler {
  outbound: ProtocolHandler['outbound'];
  pendingLimit: number;
  flushPending(): void;
}

/**
 * Measured: nats.js 2.29 writes its outbound buffer to the socket in a microtask queued by the
 * first command after each write, so a busy process writes once per burst of promise
 * continuations: socket writes were 19 % of the server's busy CPU (3,000 escalations, profiled);
 * written once per turn of the event loop (setImmediate) instead, 9 %, and about 8 % less CPU
 * per send (docs/benchmarks.md). The buffer's own size limit still writes at once.
 *
 * Since every command of a turn shares one write, one command nats-server refuses would close the
 * connection under all of them: a command line over max_control_line (a subject built from a
 * 5,000-character id) is refused to its own caller instead (BAD_SUBJECT), before it joins the
 * buffer. A payload over max_payload nats.js refuses itself before this.
 */
export const coalescedWrites = defineOverride({
  name: 'coalescedWrites',
  measuredOn: '2.29.3',
  target: ProtocolHandler.prototype,
  method: 'sendCommand',
  shape: { length: 1, mentions: ['this.outbound.fill', 'this.flushPending()', 'this.pendingLimit', 'queueMicrotask'] },
  replace: () =>
    function sendCommand(this: ProtocolHandler, cmd: string | Uint8Array, ...payloads: Uint8Array[]): void {
      const line = typeof cmd === 'string' ? encoder.encode(cmd) : cmd;
      if (line.length > MAX_CONTROL_LINE_BYTES) {
        throw new NatsError(
          `a NATS command line of ${line.length} bytes is over nats-server's max_control_line (${MAX_CONTROL_LINE_BYTES}): its subject is too long`,
          ErrorCode.BadSubject,
        );
      }
      const handler = this as unknown as Handler;
      const idle = handler.outbound.length() === 0;
      handler.outbound.fill(line, ...payloads);
      if (idle) setImmediate(() => handler.flushPending());
      else if (handler.outbound.size() >= handler.pendingLimit) handler.flushPending();
    },
});
