import type { HandlerServices } from '#libs/dispatcher';
import { SwitchboardError, validationFailed } from '#libs/errors';
import type { VumiApiEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import { escalationId, type Escalation, type EscalationPlan } from '#libs/escalation';
import { buildPlan, unsendable } from './plan.js';
import type { EscalateUsersConfig } from './schema.js';

/**
 * The tutorial's APP block names the Vonage application to send with. This server sends with its
 * own; a different one is an error rather than a surprise (the simulator ignores APP, so the
 * tutorial's sample works as it is against the embedded default).
 */
function checkApplication(config: EscalateUsersConfig, services: HandlerServices, log: Logger): void {
  if (!config.app || config.app.app_id === services.provider.applicationId) return;
  if (services.provider.simulated) {
    log.info({ app_id: config.app.app_id }, 'APP block ignored: the local simulator sends with the server application');
    return;
  }
  throw new SwitchboardError(
    'validation_failed',
    `APP.APP_ID ${config.app.app_id} is not this server's Vonage application (${services.provider.applicationId}): remove APP to use the server's, or run a server for that application`,
  );
}

/**
 * The escalation's plan, checked whole before anything is sent or recorded: an address a template
 * filled badly, or a contact that does not exist, fails the start (validation_failed), not one send.
 */
export async function planEscalation(
  config: EscalateUsersConfig,
  account: string,
  services: HandlerServices,
  log: Logger,
): Promise<EscalationPlan> {
  checkApplication(config, services, log);
  const plan = await buildPlan(config, {
    account,
    findContact: (id) => services.stores.contacts.get(account, id),
    senderFor: (type) => services.messenger.senderFor(type),
  });
  const problems = unsendable(plan);
  if (problems.length > 0) throw validationFailed(problems);
  return plan;
}

export interface StartPlannedInput {
  plan: EscalationPlan;
  trigger: VumiApiEvent;
  routeId: string;
  step: number;
  services: HandlerServices;
}

/** Starts the escalation of a plan made by `planEscalation` (once per trigger, route and step). */
export function startPlanned({
  plan,
  trigger,
  routeId,
  step,
  services,
}: StartPlannedInput): Promise<{ escalation: Escalation; created: boolean }> {
  return services.escalations.start({
    id: escalationId(trigger.event_id, routeId, step),
    account_key: trigger.account_key,
    route_id: routeId,
    step,
    trigger,
    plan,
  });
}

export interface StartEscalationInput extends Omit<StartPlannedInput, 'plan'> {
  config: EscalateUsersConfig;
  log: Logger;
}

export async function startEscalation({
  config,
  log,
  ...start
}: StartEscalationInput): Promise<{ escalation: Escalation; created: boolean }> {
  const plan = await planEscalation(config, start.trigger.account_key, start.services, log);
  return startPlanned({ plan, ...start });
}
