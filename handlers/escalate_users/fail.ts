import { z } from 'zod';
import type { HandlerServices } from '#libs/dispatcher';
import type { SwitchboardError } from '#libs/errors';
import type { VumiApiEvent } from '#libs/events';
import { EscalationFailure, escalationId, type Escalation } from '#libs/escalation';

const WithIssues = z.object({ issues: EscalationFailure.shape.issues });

export interface FailEscalationInput {
  error: SwitchboardError;
  trigger: VumiApiEvent;
  routeId: string;
  step: number;
  services: HandlerServices;
  /** Where the fields the issues name are, when they do not say (a plan's issues): `steps.0.config`. */
  under?: string;
}

/**
 * A route's escalation that cannot start (its config once rendered, or its plan, is invalid) is
 * recorded as `failed` with the reason and each field at fault, and ends with
 * `escalation_failed`: those who follow escalations hear why, instead of a dead letter alone.
 */
export async function failEscalation({
  error,
  trigger,
  routeId,
  step,
  services,
  under,
}: FailEscalationInput): Promise<{ escalation: Escalation; created: boolean }> {
  const details = WithIssues.safeParse(error.details);
  const issues = (details.success ? details.data.issues : []).map((issue) =>
    under ? { ...issue, path: `${under}.${issue.path}` } : issue,
  );
  return services.escalations.fail({
    id: escalationId(trigger.event_id, routeId, step),
    account_key: trigger.account_key,
    route_id: routeId,
    step,
    trigger,
    failure: { reason: issues[0] ? `${issues[0].path}: ${issues[0].message}` : error.message, issues },
  });
}
