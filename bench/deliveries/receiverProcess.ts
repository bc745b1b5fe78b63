import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's webhook receiver, in a process of its own (started by receiver.ts) so that it
 * takes no time from the Switchboard being measured. It answers every POST 204 as soon as the body
 * is in, and reports each one (its webhook-id, and the time since the event's publish stamp) to
 * the parent in batches.
 */
const sentAtField = process.argv[2] ?? '';
let batch: Array<[string, number | null]> = [];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = performance.timeOrigin + performance.now();
    res.writeHead(204).end();
    const sentAt = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_data?: Record<string, unknown> }).event_data?.[
      sentAtField
    ];
    batch.push([String(req.headers['webhook-id']), typeof sentAt === 'number' ? receivedAt - sentAt : null]);
  });
});
// Keep the workers' pooled connections open between runs.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

setInterval(() => {
  if (batch.length === 0) return;
  process.send!({ received: batch });
  batch = [];
}, 5);
process.on('disconnect', () => process.exit(0));
