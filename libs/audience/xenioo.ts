import { z } from 'zod';
import { Audience, AudienceCondition, Join, MAX_CONDITIONS, Scalar } from './audience.js';
import { criterionNamed, needsValue, type FieldValue } from './criteria.js';

/** The most entries one list may hold (variables included). */
const MAX_ENTRIES = MAX_CONDITIONS;
const MAX_LIST_CHARS = 20_000;

/** Xenioo's string form (`"a;b"`) or the structured form (a JSON array). */
const List = z.union([z.string().max(MAX_LIST_CHARS), z.array(Scalar).max(MAX_ENTRIES)]);
const ValueList = z.union([z.string().max(MAX_LIST_CHARS), z.array(Scalar.nullable()).max(MAX_ENTRIES)]);

/** The fields of an "audience and values" payload, before they are checked against each other. */
export const XeniooLists = z.object({
  audience_filters: List.optional().describe('fields or variables to filter on: "a;b" (or "a,b"), or an array'),
  audience_criteria: List.optional().describe('one criterion per filter: "Equals;Contains", or an array'),
  audience_values: List.optional().describe('one value per filter: "red;blue", or an array'),
  audience_join: z.string().optional().describe('AND (default) or OR'),
  set_variables: List.optional().describe('variables to set on every targeted contact: "a;b", or an array'),
  set_variables_values: ValueList.optional().describe('one value per variable: "1;2", or an array (null unsets)'),
});

export type XeniooLists = z.infer<typeof XeniooLists>;

export const VariableName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a variable name: 1 to 100 characters of A-Z, a-z, 0-9, "_" or "-"')
  .refine((name) => !name.startsWith('__'), 'names starting with "__" are reserved');

export type VariableValues = Record<string, FieldValue | null>;

/** A problem in one of the payload's fields, with its path (`["audience_criteria", 1]`). */
export interface ListIssue {
  path: Array<string | number>;
  message: string;
}

/** Entries of a list: the string form split on the separators and trimmed; a blank string is no entries. */
function entries<T extends FieldValue | null>(input: string | T[] | undefined, separators: RegExp): Array<T | string> {
  if (input === undefined) return [];
  if (Array.isArray(input)) return input;
  if (input.trim() === '') return [];
  return input.split(separators).map((entry) => entry.trim());
}

function checkNoEmptyEntries(field: string, list: ReadonlyArray<unknown>, issues: ListIssue[]): void {
  list.forEach((entry, index) => {
    if (entry === '') issues.push({ path: [field, index], message: 'an empty entry: two separators in a row, or one at the end' });
  });
}

const CONDITION_FIELDS: Readonly<Record<string, string>> = {
  field: 'audience_filters',
  criterion: 'audience_criteria',
  value: 'audience_values',
};

/**
 * The audience a payload filters on, or undefined when it names no filters. Filters, criteria
 * and values are parallel lists: the counts must match (values may be left out when every
 * criterion is HasValue or EmptyOrUnset). Problems go to `issues`, named by field and entry.
 */
export function audienceFromLists(lists: XeniooLists, issues: ListIssue[]): Audience | undefined {
  const filters = entries(lists.audience_filters, /[;,]/);
  const criteria = entries(lists.audience_criteria, /;/);
  const values = entries(lists.audience_values, /;/);
  const before = issues.length;
  const join = lists.audience_join === undefined ? undefined : Join.safeParse(lists.audience_join);
  if (join && !join.success) issues.push({ path: ['audience_join'], message: join.error.issues[0]?.message ?? 'use AND or OR' });

  if (filters.length === 0) {
    if (criteria.length > 0 || values.length > 0) {
      issues.push({ path: ['audience_filters'], message: 'criteria or values without filters: give audience_filters, one per criterion' });
    }
    return undefined;
  }
  checkNoEmptyEntries('audience_filters', filters, issues);
  checkNoEmptyEntries('audience_criteria', criteria, issues);
  if (criteria.length !== filters.length) {
    issues.push({
      path: ['audience_criteria'],
      message: `${filters.length} filter(s) but ${criteria.length} criteria: give one criterion per filter`,
    });
  }
  const valueless = criteria.every((name) => {
    const criterion = typeof name === 'string' ? criterionNamed(name) : undefined;
    return criterion !== undefined && !needsValue(criterion);
  });
  if (values.length !== filters.length && !(values.length === 0 && valueless)) {
    issues.push({
      path: ['audience_values'],
      message: `${filters.length} filter(s) but ${values.length} value(s): give one value per filter`,
    });
  }
  if (issues.length > before) return undefined;

  const conditions = filters.map((field, index) => {
    const criterion = criteria[index];
    const value = values[index];
    const named = typeof criterion === 'string' ? criterionNamed(criterion) : undefined;
    const parsed = AudienceCondition.safeParse({
      field,
      criterion,
      // An empty value beside HasValue or EmptyOrUnset is a placeholder, not a value.
      value: named && !needsValue(named) && value === '' ? undefined : value,
    });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'field');
      const field = CONDITION_FIELDS[key] ?? 'audience_filters';
      issues.push({ path: field === 'audience_values' && values.length === 0 ? [field] : [field, index], message: issue.message });
    }
    return undefined;
  });
  if (issues.length > before) return undefined;
  return Audience.parse({ join: join?.data ?? 'AND', conditions });
}

/** The variables a payload sets: `set_variables` names and `set_variables_values`, one value per name. */
export function variablesFromLists(lists: XeniooLists, issues: ListIssue[]): VariableValues {
  const names = entries(lists.set_variables, /;/);
  const values = entries(lists.set_variables_values, /;/);
  if (names.length !== values.length) {
    issues.push({
      path: ['set_variables_values'],
      message: `${names.length} variable(s) but ${values.length} value(s): give one value per variable`,
    });
    return {};
  }
  const variables: VariableValues = {};
  names.forEach((name, index) => {
    const parsed = VariableName.safeParse(name);
    if (parsed.success) variables[parsed.data] = values[index] ?? null;
    else issues.push({ path: ['set_variables', index], message: parsed.error.issues[0]?.message ?? 'not a variable name' });
  });
  return variables;
}
