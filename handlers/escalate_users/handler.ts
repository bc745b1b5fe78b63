import { defineHandler } from '../../libs/dispatcher/index.js';
import { escalateUsersConfig } from './schema.js';
import { startEscalation } from './start.js';

export function escalateUsersHandler(options: { maxRepeat: number }) {
  return defineHandler({
    type: 'escalate_users',
    description:
      'Reaches users in priority order, each on their channels in order, failing over when a message is not read (or delivered) in time, until one reads it. Emits escalation_started, escalation_attempt, then escalation_read or escalation_exhausted. Output: the escalation id.',
    config: escalateUsersConfig(options),
    async handle({ event, config, route, stepIndex, services, log }) {
      const { escalation, created } = await startEscalation({ config, trigger: event, routeId: route.id, step: stepIndex, services, log });
      return { output: { escalation_id: escalation.id, status: escalation.status, created } };
    },
  });
}
