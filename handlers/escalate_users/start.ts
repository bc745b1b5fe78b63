import type { HandlerServices } from '../../libs/dispatcher/index.js';
import { SwitchboardError, validationFailed } from '../../libs/errors/index.js';
import { stableId, type VumiApiEvent } from '../../libs/events/index.js';
import type { Logger } from '../../libs/logger/index.js';
import type { Escalation } from '../../libs/store/index.js';
import { buildPlan, unsendable } from './plan.js';
import type { EscalateUsersConfig } from './schema.js';

/** The id of the escalation a trigger starts: a redelivered trigger starts no second one. */
export function escalationId(eventId: string, routeId: string, step: number): string {
  return `esc-${stableId(eventId, routeId, step).slice(0, 24)}`;
}

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

export interface StartEscalationInput {
  config: EscalateUsersConfig;
  trigger: VumiApiEvent;
  routeId: string;
  step: number;
  services: HandlerServices;
  log: Logger;
}

export async function startEscalation({ config, trigger, routeId, step, services, log }: StartEscalationInput): Promise<{ escalation: Escalation; created: boolean }> {
  checkApplication(config, services, log);
  const plan = await buildPlan(config, {
    account: trigger.account_key,
    findContact: (id) => services.stores.contacts.get(trigger.account_key, id),
    senderFor: (type) => services.messenger.senderFor(type),
  });
  // Checked whole before anything is sent: an address a template filled badly fails the start, not one send.
  const problems = unsendable(plan);
  if (problems.length > 0) throw validationFailed(problems);
  return services.escalations.start({
    id: escalationId(trigger.event_id, routeId, step),
    account_key: trigger.account_key,
    route_id: routeId,
    step,
    trigger,
    plan,
  });
}
