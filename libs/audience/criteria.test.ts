import { describe, expect, it } from 'vitest';
import { CRITERIA, criterionNamed, holds } from './criteria.js';

describe('criterion names', () => {
  it('are case-insensitive, and take Xenioo\'s "Cointains" for Contains', () => {
    expect(criterionNamed('equals')).toBe('Equals');
    expect(criterionNamed(' DOESNOTSTARTWITH ')).toBe('DoesNotStartWith');
    expect(criterionNamed('Cointains')).toBe('Contains');
    expect(criterionNamed('cointains')).toBe('Contains');
    expect(criterionNamed('Equalz')).toBeUndefined();
    expect(CRITERIA.every((name) => criterionNamed(name.toUpperCase()) === name)).toBe(true);
  });
});

// [criterion, field values, compared value, expected result]
const cases: Array<[string, Array<string | number | boolean>, string | number | undefined, boolean]> = [
  ['Equals', ['Red'], 'red', true],
  ['Equals', ['red'], 'blue', false],
  ['Equals', ['10'], '10.0', true],
  ['Equals', [10], '10', true],
  ['Equals', [true], 'TRUE', true],
  ['Equals', [], 'red', false],
  ['Equals', ['sms', 'whatsapp'], 'whatsapp', true],
  ['Different', ['red'], 'RED', false],
  ['Different', ['red'], 'blue', true],
  ['Different', [], 'red', true],
  ['Different', ['sms', 'whatsapp'], 'whatsapp', false],
  ['GreaterThan', ['10'], '9', true],
  ['GreaterThan', ['9'], '10', false],
  ['GreaterThan', ['10'], '10', false],
  ['GreaterThan', ['b'], 'A', true],
  ['GreaterThan', [], '0', false],
  ['LesserThan', ['9'], '10', true],
  ['LesserThan', ['-1.5'], '-1', true],
  ['LesserThan', ['10'], '9', false],
  ['LesserThan', ['apple'], 'Banana', true],
  ['LesserThan', [], '100', false],
  ['Contains', ['Hello World'], 'WORLD', true],
  ['Contains', ['Hello'], 'bye', false],
  ['Contains', [], 'x', false],
  ['DoesNotContain', ['Hello World'], 'world', false],
  ['DoesNotContain', ['Hello'], 'bye', true],
  ['DoesNotContain', [], 'x', true],
  ['StartsWith', ['447700900123'], '4477', true],
  ['StartsWith', ['Rome'], 'ro', true],
  ['StartsWith', ['Rome'], 'me', false],
  ['StartsWith', [], 'r', false],
  ['DoesNotStartWith', ['Rome'], 'RO', false],
  ['DoesNotStartWith', ['Rome'], 'me', true],
  ['DoesNotStartWith', [], 'r', true],
  ['HasValue', ['x'], undefined, true],
  ['HasValue', [''], undefined, false],
  ['HasValue', ['  '], undefined, false],
  ['HasValue', [0], undefined, true],
  ['HasValue', [], undefined, false],
  ['EmptyOrUnset', [], undefined, true],
  ['EmptyOrUnset', [''], undefined, true],
  ['EmptyOrUnset', ['x'], undefined, false],
  ['EmptyOrUnset', [false], undefined, false],
  ['IsLongerThan', ['abcd'], '3', true],
  ['IsLongerThan', ['abc'], 3, false],
  ['IsLongerThan', [], '0', false],
  ['IsShorterThan', ['ab'], '3', true],
  ['IsShorterThan', ['abc'], '3', false],
  ['IsShorterThan', [], '3', false],
];

describe('criteria', () => {
  it.each(cases)('%s on %j with %j is %s', (name, values, expected, result) => {
    expect(holds(criterionNamed(name)!, values, expected)).toBe(result);
  });

  it('has a case for every criterion, each both holding and not', () => {
    for (const criterion of CRITERIA) {
      const outcomes = new Set(cases.filter(([name]) => name === criterion).map(([, , , result]) => result));
      expect(outcomes, criterion).toEqual(new Set([true, false]));
    }
  });
});
