import { openBus, provisionBus } from '#libs/bus';
import type { Settings } from '#libs/config';
import type { Logger } from '#libs/logger';
import type { PollDefinition } from './pollDefinition.js';
import { PollSessions } from './pollSessions.js';

export interface PollRuntime {
  sessions: PollSessions;
  natsUrl: string;
  /** True when this process had to start nats-server itself. */
  startedNats: boolean;
  close(): Promise<void>;
}

/**
 * What both the HTTP worker and the CLI need: the bus with its topology (started and provisioned
 * as the server does, so the poll works without a server running) and the poll's sessions.
 */
export async function openPollRuntime({
  settings,
  poll,
  log,
}: {
  settings: Settings;
  poll: PollDefinition;
  log: Logger;
}): Promise<PollRuntime> {
  const stops: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch((err: unknown) => log.error({ err }, 'error while stopping'));
  };
  try {
    const { bus, server: natsServer, url: natsUrl } = await openBus(settings, `poll ${poll.account_key}/${poll.key}`, log);
    if (natsServer) stops.push(() => natsServer.stop());
    stops.push(() => bus.close());
    await provisionBus(bus, settings.streams);
    const sessions = await PollSessions.open(bus, poll, log.child({ component: 'poll', poll: poll.key }));
    return { sessions, natsUrl, startedNats: natsServer !== undefined, close };
  } catch (err) {
    await close();
    throw err;
  }
}
