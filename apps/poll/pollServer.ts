import type { Settings } from '#libs/config';
import type { Logger } from '#libs/logger';
import { buildPollHttp } from './pollHttp.js';
import { loadPollDefinition, type PollDefinition } from './pollDefinition.js';
import { openPollRuntime } from './pollRuntime.js';
import type { PollSettings } from './pollSettings.js';

export interface RunningPollServer {
  url: string;
  natsUrl: string;
  startedNats: boolean;
  poll: PollDefinition;
  stop(): Promise<void>;
}

/** The poll's HTTP worker: finishes what a crash left unpublished, then takes answers. */
export async function startPollServer(options: {
  settings: Settings;
  pollSettings: PollSettings;
  log: Logger;
}): Promise<RunningPollServer> {
  const { settings, pollSettings, log } = options;
  const poll = await loadPollDefinition(pollSettings.file);
  const runtime = await openPollRuntime({ settings, poll, log });
  try {
    const recovered = await runtime.sessions.publishPending();
    if (recovered > 0) log.info({ recovered }, 'published completions left unpublished by an earlier stop');
    const app = buildPollHttp({ poll, sessions: runtime.sessions, log, bodyLimit: settings.http.bodyLimit });
    await app.listen({ host: settings.http.host, port: pollSettings.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : pollSettings.port;
    return {
      url: `http://${settings.http.host}:${port}`,
      natsUrl: runtime.natsUrl,
      startedNats: runtime.startedNats,
      poll,
      async stop() {
        await app.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
