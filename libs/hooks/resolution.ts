import { selectAudience, type VariableValues } from '#libs/audience';
import type { ContactRepository } from '#libs/store';
import type { Hook, Targeting } from './hookRepository.js';
import { inChunks } from './chunks.js';

/** Contact writes in flight at once while a launch sets variables or creates contacts. */
const WRITES_AT_ONCE = 16;

/** Who a launch reached, for the event it publishes. */
export interface Resolution {
  contact_ids: string[];
  /** Set on every targeted contact (audience and conversation modes). */
  variables?: VariableValues;
  /** Targets mode: each contact with the variables set on it. */
  targets?: Array<{ contact_id: string; variables: VariableValues }>;
}

const hasAny = (variables: VariableValues) => Object.keys(variables).length > 0;

/**
 * Resolves a launch's targeting to contacts, and writes what the call asked for: variables on
 * every selected contact, contacts created for unknown targets or an unknown conversation.
 * Every write is an upsert or a compare-and-set merge, so running it twice changes nothing more.
 */
export async function resolveTargeting(contacts: ContactRepository, hook: Hook, targeting: Targeting): Promise<Resolution> {
  const account = hook.account_key;
  switch (targeting.mode) {
    case 'audience': {
      const audience = targeting.audience ?? hook.default_audience;
      const selected = audience ? selectAudience(await contacts.list(account), audience) : [];
      if (hasAny(targeting.variables))
        await inChunks(selected, WRITES_AT_ONCE, (contact) => contacts.setVariables(account, contact.id, targeting.variables));
      return { contact_ids: selected.map((contact) => contact.id), variables: targeting.variables };
    }
    case 'targets': {
      await inChunks(targeting.targets, WRITES_AT_ONCE, (target) => contacts.upsert(account, target));
      return {
        contact_ids: targeting.targets.map((target) => target.id),
        targets: targeting.targets.map((target) => ({ contact_id: target.id, variables: target.variables })),
      };
    }
    case 'conversation': {
      const existing = await contacts.findByAddress(account, targeting.channel);
      if (existing) {
        if (hasAny(targeting.variables)) await contacts.setVariables(account, existing.id, targeting.variables);
        return { contact_ids: [existing.id], variables: targeting.variables };
      }
      const { contact } = await contacts.upsert(account, {
        name: targeting.name,
        channels: [targeting.channel],
        variables: targeting.variables,
      });
      return { contact_ids: [contact.id], variables: targeting.variables };
    }
  }
}
