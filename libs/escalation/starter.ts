import type { Escalation, EscalationFailure, EscalationPlan } from './model.js';

export interface StartRequest extends Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'> {
  plan: EscalationPlan;
}

export interface FailRequest extends Omit<StartRequest, 'plan'> {
  failure: EscalationFailure;
}

export interface Started {
  escalation: Escalation;
  /** False when the request was a repeat (a redelivered trigger): the escalation is the one it started before. */
  created: boolean;
}

/** What a handler may do with escalations (the engine does it): start one, or record one that could not start. */
export interface EscalationStarter {
  start(request: StartRequest): Promise<Started>;
  fail(request: FailRequest): Promise<Started>;
}
