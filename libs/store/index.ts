import type { Buckets } from '../bus/index.js';
import { ContactRepository } from './contacts.js';
import { EscalationRepository } from './escalations.js';
import { MessageRepository } from './messages.js';
import { RouteRepository } from './routes.js';

export { Contact, ContactChannel, ContactRepository, VariableValue, type ContactInput } from './contacts.js';
export {
  Attempt,
  AttemptResult,
  Condition,
  DispatchRun,
  Effect,
  Escalation,
  EscalationPlan,
  EscalationRepository,
  EscalationStatus,
  Outcome,
  PlanChannel,
  PlanUser,
  type EscalationRef,
} from './escalations.js';
export { isRevisionConflict, JsonKv, jsonOf, type Versioned } from './jsonKv.js';
export { accountFilter, accountKey, indexKey } from './keys.js';
export { MessageRecord, MessageRepository, StatusReceipt, type SentMessage } from './messages.js';
export { LiveTable, type LiveTableOptions } from './liveTable.js';
export { Route, RouteMatch, RouteRepository, RouteStep, Wildcard } from './routes.js';

/** The repositories over the provisioned buckets. */
export interface Stores {
  routes: RouteRepository;
  contacts: ContactRepository;
  messages: MessageRepository;
  escalations: EscalationRepository;
}

export function createStores(buckets: Buckets): Stores {
  return {
    routes: new RouteRepository(buckets.routes),
    contacts: new ContactRepository(buckets.contacts),
    messages: new MessageRepository(buckets.messages),
    escalations: new EscalationRepository(buckets.escalations),
  };
}
