import { defineHandler } from '#libs/dispatcher';
import { isSwitchboardError } from '#libs/errors';
import type { Escalation } from '#libs/escalation';
import { failEscalation } from './fail.js';
import { escalateUsersConfig } from './schema.js';
import { startEscalation } from './start.js';

function output({ escalation, created }: { escalation: Escalation; created: boolean }) {
  return { output: { escalation_id: escalation.id, status: escalation.status, created } };
}

export function escalateUsersHandler(options: { maxRepeat: number }) {
  return defineHandler({
    type: 'escalate_users',
    description:
      'Reaches users in priority order, each on their channels in order, failing over when a message is not read (or delivered) in time, until one reads it. Emits escalation_started, escalation_attempt, then escalation_read or escalation_exhausted (escalation_failed when its config, once rendered, or its plan is invalid). Output: the escalation id and status.',
    config: escalateUsersConfig(options),
    async handle({ event, config, route, stepIndex, services, log }) {
      try {
        return output(await startEscalation({ config, trigger: event, routeId: route.id, step: stepIndex, services, log }));
      } catch (err) {
        // A plan that cannot be made fails the escalation; anything else (NATS, say) is retried.
        if (!isSwitchboardError(err, 'validation_failed')) throw err;
        return output(
          await failEscalation({
            error: err,
            trigger: event,
            routeId: route.id,
            step: stepIndex,
            services,
            under: `steps.${stepIndex}.config`,
          }),
        );
      }
    },
    async refused({ event, route, stepIndex, services }, error) {
      return output(await failEscalation({ error, trigger: event, routeId: route.id, step: stepIndex, services }));
    },
  });
}
