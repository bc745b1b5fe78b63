import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VumiApiEvent } from '#libs/events';
import { waitFor } from '../support/waitFor.js';

export interface Post {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** The event a delivery POSTed. */
export function postedEvent(post: Post): VumiApiEvent {
  return VumiApiEvent.parse(JSON.parse(post.body));
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * A webhook receiver on loopback: records every POST and answers by path (200 unless told). It
 * can go down (nothing listens: connection refused) and come back on the same port.
 */
export class Receiver {
  readonly posts: Post[] = [];
  private readonly answers = new Map<string, (post: Post, count: number) => Answer>();
  private server: Server | undefined;
  private port = 0;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.up();
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** How to answer POSTs to `path`; `count` is how many it has had, this one included. */
  answer(path: string, answer: (post: Post, count: number) => Answer): void {
    this.answers.set(path, answer);
  }

  at(path: string): Post[] {
    return this.posts.filter((post) => post.path === path);
  }

  /** Waits until `path` has had `count` POSTs, and answers them. */
  waitForPosts(path: string, count: number, timeoutMs = 10_000): Promise<Post[]> {
    return waitFor(
      `${count} POSTs to ${path} (have ${this.at(path).length})`,
      () => this.at(path).length >= count && this.at(path),
      timeoutMs,
    );
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const post: Post = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.posts.push(post);
        const answer = this.answers.get(post.path)?.(post, this.at(post.path).length) ?? { status: 200 };
        const respond = () => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? '');
        };
        if (answer.delayMs) setTimeout(respond, answer.delayMs);
        else respond();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: POSTs are refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
