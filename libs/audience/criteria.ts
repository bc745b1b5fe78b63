import { z } from 'zod';

/** Xenioo's audience criteria, by their documented names. */
export const CRITERIA = [
  'Equals',
  'Different',
  'GreaterThan',
  'LesserThan',
  'Contains',
  'DoesNotContain',
  'StartsWith',
  'DoesNotStartWith',
  'HasValue',
  'EmptyOrUnset',
  'IsLongerThan',
  'IsShorterThan',
] as const;

export type Criterion = (typeof CRITERIA)[number];

/** A value a field holds or a condition compares with. */
export type FieldValue = string | number | boolean;

const BY_NAME: ReadonlyMap<string, Criterion> = new Map([
  ...CRITERIA.map((name) => [name.toLowerCase(), name] as const),
  // Xenioo's documentation spells it so; payloads written from it must work.
  ['cointains', 'Contains'],
]);

/** The criterion a name means, case-insensitively (and Xenioo's `Cointains`), or undefined. */
export function criterionNamed(name: string): Criterion | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

export const CriterionSchema = z.string().transform((name, ctx): Criterion => {
  const criterion = criterionNamed(name);
  if (criterion) return criterion;
  ctx.addIssue({ code: 'custom', message: `unknown criterion "${name}": use one of ${CRITERIA.join(', ')}` });
  return z.NEVER;
});

/** HasValue and EmptyOrUnset look at the field alone. */
export function needsValue(criterion: Criterion): boolean {
  return criterion !== 'HasValue' && criterion !== 'EmptyOrUnset';
}

/** IsLongerThan and IsShorterThan compare with a length. */
export function comparesLength(criterion: Criterion): boolean {
  return criterion === 'IsLongerThan' || criterion === 'IsShorterThan';
}

const NUMERIC = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?\s*$/i;

/** The number a value stands for, when it is one ("10", " -2.5 ", 3); booleans are not numbers. */
export function asNumber(value: FieldValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

const text = (value: FieldValue) => String(value).toLowerCase();

/** Numbers compare as numbers when both sides are numeric; anything else as case-folded text. */
function compare(value: FieldValue, expected: FieldValue): number {
  const a = asNumber(value);
  const b = asNumber(expected);
  if (a !== undefined && b !== undefined) return Math.sign(a - b);
  const x = text(value);
  const y = text(expected);
  return x < y ? -1 : x > y ? 1 : 0;
}

type Test = (value: FieldValue, expected: FieldValue) => boolean;

const equals: Test = (value, expected) => compare(value, expected) === 0;
const contains: Test = (value, expected) => text(value).includes(text(expected));
const startsWith: Test = (value, expected) => text(value).startsWith(text(expected));
const hasValue: Test = (value) => String(value).trim() !== '';

/**
 * Each criterion as a test on one value, or the negation of one: a negated criterion holds when
 * no value passes the test, so it holds on a missing field ("Different from red" includes the
 * contacts that have no colour at all), and the others need a value that passes.
 */
const RULES: Readonly<Record<Criterion, { test: Test; negated: boolean }>> = {
  Equals: { test: equals, negated: false },
  Different: { test: equals, negated: true },
  GreaterThan: { test: (value, expected) => compare(value, expected) > 0, negated: false },
  LesserThan: { test: (value, expected) => compare(value, expected) < 0, negated: false },
  Contains: { test: contains, negated: false },
  DoesNotContain: { test: contains, negated: true },
  StartsWith: { test: startsWith, negated: false },
  DoesNotStartWith: { test: startsWith, negated: true },
  HasValue: { test: hasValue, negated: false },
  EmptyOrUnset: { test: hasValue, negated: true },
  IsLongerThan: { test: (value, expected) => String(value).length > Number(expected), negated: false },
  IsShorterThan: { test: (value, expected) => String(value).length < Number(expected), negated: false },
};

/**
 * Whether a criterion holds for a field's values (none when the field is unset; several for a
 * contact's channels). `expected` is ignored by HasValue and EmptyOrUnset.
 */
export function holds(criterion: Criterion, values: readonly FieldValue[], expected: FieldValue = ''): boolean {
  const { test, negated } = RULES[criterion];
  const passes = values.some((value) => test(value, expected));
  return negated ? !passes : passes;
}
