import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Bus } from '#libs/bus';
import type { HandlerServices } from '#libs/dispatcher';
import { isSwitchboardError, SwitchboardError, validationError, validationFailed, type FieldIssue } from '#libs/errors';
import { publishEvent, Token } from '#libs/events';
import { parse } from '#libs/http';
import type { Quotas } from '#libs/limits';
import type { Logger } from '#libs/logger';
import { escalationView, EscalationStatus, type EscalationEngine, type EscalationRepository } from '#libs/escalation';
import { escalateUsersConfig, planEscalation, startPlanned } from '#handlers/escalate_users';
import { AccountItemParams, AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export interface EscalationsOptions {
  bus: Bus;
  services: HandlerServices;
  /** The engine, for what the API does beyond a start: cancel, and read attempts with their timelines. */
  engine: EscalationEngine;
  escalationStore: EscalationRepository;
  maxRepeat: number;
  log: Logger;
  /** An account at any of its quotas starts no new escalation. */
  quotas: Quotas;
}

const ListQuery = z.object({ status: EscalationStatus.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** A direct start (what `switchboard escalate` does): the handler's config, and the event data it renders. */
const StartBody = z.object({
  config: z.unknown(),
  event_data: z.record(z.string(), z.unknown()).default({}),
  conversation_type: Token.default('cli'),
  conversation_key: Token.default('escalate'),
});

/** A plan's issues name the config's fields, as the body's do: `config.users.0.channels.1.id_num`. */
function underConfig(err: unknown): never {
  const issues = isSwitchboardError(err, 'validation_failed') ? (err.details as { issues?: FieldIssue[] } | undefined)?.issues : undefined;
  throw issues ? validationFailed(issues.map((issue) => ({ ...issue, path: `config.${issue.path}` }))) : err;
}

export const escalationsPlugin: FastifyPluginAsync<EscalationsOptions> = async (
  app,
  { bus, services, engine, escalationStore, maxRepeat, log, quotas },
) => {
  const configSchema = escalateUsersConfig({ maxRepeat });
  const repository = escalationStore;

  app.get('/v1/accounts/:account/escalations', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const { status, limit } = parse(ListQuery, request.query);
    const { escalations, total } = await repository.recent(account, { status, limit });
    const page = await Promise.all(escalations.map((esc) => engine.withTimelines(esc)));
    return { escalations: page.map(escalationView), total };
  });

  app.get('/v1/accounts/:account/escalations/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const esc = await repository.get(account, id);
    if (!esc) throw new SwitchboardError('not_found', `no escalation ${id} in account ${account}`);
    return escalationView(await engine.withTimelines(esc));
  });

  app.post('/v1/accounts/:account/escalations/:id/cancel', { config: { access: access.write } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    return escalationView(await engine.withTimelines(await engine.cancel(account, id)));
  });

  app.post('/v1/accounts/:account/escalations', { config: { access: access.write } }, async (request, reply) => {
    const { account } = parse(AccountParams, request.params);
    const body = parse(StartBody, request.body);
    const config = configSchema.safeParse(body.config);
    if (!config.success) throw validationError(config.error, 'config');
    // Planned before anything is recorded: a start refused for its config leaves no trace on the bus.
    const plan = await planEscalation(config.data, account, services, log.child({ account_key: account })).catch(underConfig);
    await quotas.admit(account);
    // The request is an event like any other: recorded on the bus, and the outcome events chain from it.
    const { event: trigger } = await publishEvent(bus.js, {
      account_key: account,
      conversation_type: body.conversation_type,
      conversation_key: body.conversation_key,
      event_type: 'escalation_requested',
      event_data: body.event_data,
    });
    const { escalation } = await startPlanned({ plan, trigger, routeId: 'api', step: 0, services });
    return reply.status(201).send(escalationView(await engine.withTimelines(escalation)));
  });
};
