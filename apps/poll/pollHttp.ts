import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { SwitchboardError } from '#libs/errors';
import type { Logger } from '#libs/logger';
import { installErrorHandling } from '#libs/http';
import { pollAnswerParser } from './pollAnswer.js';
import type { PollDefinition } from './pollDefinition.js';
import type { PollSessions } from './pollSessions.js';

export interface PollHttpDeps {
  poll: PollDefinition;
  sessions: PollSessions;
  log: Logger;
  bodyLimit: number;
}

interface PollParams {
  poll: string;
}

/** The poll's HTTP API, with the server's error format: `{ error: { code, message, details } }`. */
export function buildPollHttp({ poll, sessions, log, bodyLimit }: PollHttpDeps): FastifyInstance {
  // Typed as fastify's logger, so that the app is typed as fastify's default instance.
  const httpLog: FastifyBaseLogger = log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLog,
    bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandling(app, bodyLimit);
  const parseAnswer = pollAnswerParser(poll);

  // One worker runs one poll; the key in the path keeps URLs stable when more polls run side by side.
  const ensurePoll = (params: PollParams) => {
    if (params.poll !== poll.key) throw new SwitchboardError('not_found', `no poll "${params.poll}" here: this worker runs "${poll.key}"`);
  };

  app.get<{ Params: PollParams }>('/polls/:poll', async (request) => {
    ensurePoll(request.params);
    return poll;
  });

  app.post<{ Params: PollParams }>('/polls/:poll/answers', async (request) => {
    ensurePoll(request.params);
    const outcome = await sessions.answer(parseAnswer(request.body));
    // PollSessions logs completions at info; a line per answer would drown them.
    request.log.debug({ session: outcome.session, complete: outcome.complete }, 'answers recorded');
    return outcome;
  });

  return app;
}
