import { z } from 'zod';
import type { Contact } from '#libs/store';
import { comparesLength, CriterionSchema, holds, needsValue, asNumber } from './criteria.js';
import { CONTACT_FIELDS, expectedFor, fieldRef, fieldValues } from './fields.js';

/** At most this many conditions in one audience. */
export const MAX_CONDITIONS = 50;

const FIELD_NAME = /^(?:variables\.)?[A-Za-z0-9_-]{1,100}$/;

export const FieldName = z
  .string()
  .trim()
  .regex(FIELD_NAME, 'must be a field or variable name: 1 to 100 characters of A-Z, a-z, 0-9, "_" or "-" (optionally after "variables.")')
  .refine((name) => !name.replace(/^variables\./, '').startsWith('__'), 'names starting with "__" are reserved')
  .describe(`${Object.keys(CONTACT_FIELDS).join(', ')}, or a variable name (variables.<name> for a variable that shares a field's name)`);

export const Scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);

export const Join = z
  .string()
  .transform((value, ctx): 'AND' | 'OR' => {
    const upper = value.trim().toUpperCase();
    if (upper === 'AND' || upper === 'OR') return upper;
    ctx.addIssue({ code: 'custom', message: `unknown join "${value}": use AND or OR` });
    return z.NEVER;
  })
  .describe('AND: every condition holds; OR: at least one does');

export const AudienceCondition = z
  .object({
    field: FieldName,
    criterion: CriterionSchema,
    value: Scalar.optional().describe(
      'compared case-insensitively, as numbers when both sides are numeric; not used by HasValue and EmptyOrUnset',
    ),
  })
  .superRefine((condition, ctx) => {
    if (needsValue(condition.criterion) && condition.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${condition.criterion} needs a value to compare with` });
    }
    if (comparesLength(condition.criterion) && condition.value !== undefined) {
      const length = asNumber(condition.value);
      if (length === undefined || !Number.isInteger(length) || length < 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: `${condition.criterion} needs a length: a whole number of 0 or more, not "${condition.value}"`,
        });
      }
    }
  });

/** A filter over an account's contacts; no conditions at all selects every contact. */
export const Audience = z.object({
  join: Join.default('AND'),
  conditions: z.array(AudienceCondition).max(MAX_CONDITIONS),
});

export type AudienceCondition = z.infer<typeof AudienceCondition>;
export type Audience = z.infer<typeof Audience>;

/** The audience as one predicate, with field names resolved and compared values normalized once. */
function audienceMatcher(audience: Audience): (contact: Contact) => boolean {
  const tests = audience.conditions.map((condition) => {
    const ref = fieldRef(condition.field);
    const expected = condition.value === undefined ? undefined : expectedFor(ref, condition.value);
    return (contact: Contact) => holds(condition.criterion, fieldValues(contact, ref), expected);
  });
  if (tests.length === 0) return () => true;
  return audience.join === 'AND' ? (contact) => tests.every((test) => test(contact)) : (contact) => tests.some((test) => test(contact));
}

/** The contacts an audience selects, oldest first (then by id), so the order is the same every time. */
export function selectAudience(contacts: readonly Contact[], audience: Audience): Contact[] {
  const matches = audienceMatcher(audience);
  return contacts.filter(matches).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
