import { describe, expect, it } from 'vitest';
import { audienceFromLists, variablesFromLists, XeniooLists, type ListIssue } from './xenioo.js';

function audience(input: Record<string, unknown>) {
  const issues: ListIssue[] = [];
  const result = audienceFromLists(XeniooLists.parse(input), issues);
  return { result, issues: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
}

function variables(input: Record<string, unknown>) {
  const issues: ListIssue[] = [];
  const result = variablesFromLists(XeniooLists.parse(input), issues);
  return { result, issues: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
}

describe('the string form', () => {
  it('splits on ";" (filters also on ","), trims, and reads criteria case-insensitively', () => {
    const { result, issues } = audience({
      audience_filters: 'favorite_color, city;age',
      audience_criteria: 'equals; Cointains ;GREATERTHAN',
      audience_values: 'red; Rome, Italy ;30',
      audience_join: 'or',
    });
    expect(issues).toEqual([]);
    expect(result).toEqual({
      join: 'OR',
      conditions: [
        { field: 'favorite_color', criterion: 'Equals', value: 'red' },
        { field: 'city', criterion: 'Contains', value: 'Rome, Italy' },
        { field: 'age', criterion: 'GreaterThan', value: '30' },
      ],
    });
  });

  it('lets HasValue and EmptyOrUnset go without values, or with empty ones', () => {
    expect(audience({ audience_filters: 'a;b', audience_criteria: 'HasValue;EmptyOrUnset' })).toEqual({
      result: {
        join: 'AND',
        conditions: [
          { field: 'a', criterion: 'HasValue' },
          { field: 'b', criterion: 'EmptyOrUnset' },
        ],
      },
      issues: [],
    });
    expect(
      audience({ audience_filters: 'a;b', audience_criteria: 'Equals;HasValue', audience_values: 'x;' }).result?.conditions[1],
    ).toEqual({
      field: 'b',
      criterion: 'HasValue',
    });
  });

  it('is no audience when there are no filters', () => {
    expect(audience({})).toEqual({ result: undefined, issues: [] });
    expect(audience({ audience_filters: '  ' })).toEqual({ result: undefined, issues: [] });
  });

  it.each([
    [
      'mismatched criteria',
      { audience_filters: 'a;b', audience_criteria: 'Equals', audience_values: 'x;y' },
      /^audience_criteria: 2 filter\(s\) but 1 criteria/,
    ],
    [
      'mismatched values',
      { audience_filters: 'a;b', audience_criteria: 'Equals;Equals', audience_values: 'x' },
      /^audience_values: 2 filter\(s\) but 1 value/,
    ],
    ['values left out where needed', { audience_filters: 'a', audience_criteria: 'Equals' }, /^audience_values: 1 filter\(s\) but 0 value/],
    [
      'an unknown criterion',
      { audience_filters: 'a;b', audience_criteria: 'Equals;Resembles', audience_values: 'x;y' },
      /^audience_criteria\.1: unknown criterion "Resembles"/,
    ],
    [
      'an empty entry',
      { audience_filters: 'a;;b', audience_criteria: 'Equals;Equals;Equals', audience_values: 'x;y;z' },
      /^audience_filters\.1: an empty entry/,
    ],
    [
      'a trailing separator',
      { audience_filters: 'a;b;', audience_criteria: 'Equals;Equals;Equals', audience_values: 'x;y;z' },
      /^audience_filters\.2: an empty entry/,
    ],
    [
      'a malformed field name',
      { audience_filters: 'favourite colour', audience_criteria: 'Equals', audience_values: 'x' },
      /^audience_filters\.0: must be a field or variable name/,
    ],
    [
      'a bad length',
      { audience_filters: 'a', audience_criteria: 'IsLongerThan', audience_values: 'long' },
      /^audience_values\.0: IsLongerThan needs a length/,
    ],
    [
      'criteria without filters',
      { audience_criteria: 'Equals', audience_values: 'x' },
      /^audience_filters: criteria or values without filters/,
    ],
    [
      'an unknown join',
      { audience_filters: 'a', audience_criteria: 'Equals', audience_values: 'x', audience_join: 'XOR' },
      /^audience_join: unknown join "XOR"/,
    ],
  ])('refuses %s, naming the field', (_name, input, message) => {
    const { result, issues } = audience(input);
    expect(result).toBeUndefined();
    expect(issues[0]).toMatch(message);
  });
});

describe('the JSON form', () => {
  it("takes arrays, keeping the values' types", () => {
    const { result, issues } = audience({
      audience_filters: ['age', 'vip', 'city'],
      audience_criteria: ['LesserThan', 'Equals', 'StartsWith'],
      audience_values: [18, true, 'Ro;me'],
      audience_join: 'AND',
    });
    expect(issues).toEqual([]);
    expect(result?.conditions).toEqual([
      { field: 'age', criterion: 'LesserThan', value: 18 },
      { field: 'vip', criterion: 'Equals', value: true },
      { field: 'city', criterion: 'StartsWith', value: 'Ro;me' },
    ]);
  });

  it('can mix with the string form, and checks the counts the same way', () => {
    expect(audience({ audience_filters: ['a', 'b'], audience_criteria: 'Equals;Equals', audience_values: ['x', 'y'] }).issues).toEqual([]);
    expect(audience({ audience_filters: ['a', 'b'], audience_criteria: ['Equals'], audience_values: ['x', 'y'] }).issues[0]).toMatch(
      /^audience_criteria: 2 filter/,
    );
    expect(audience({ audience_filters: ['a'], audience_criteria: ['Nope'], audience_values: ['x'] }).issues[0]).toMatch(
      /^audience_criteria\.0: unknown criterion/,
    );
  });
});

describe('variables', () => {
  it('pairs names with values, in either form', () => {
    expect(variables({ set_variables: 'new_color;score', set_variables_values: 'magenta;10' })).toEqual({
      result: { new_color: 'magenta', score: '10' },
      issues: [],
    });
    expect(variables({ set_variables: ['score', 'gone'], set_variables_values: [10, null] })).toEqual({
      result: { score: 10, gone: null },
      issues: [],
    });
    expect(variables({})).toEqual({ result: {}, issues: [] });
  });

  it('refuses mismatched counts and bad names', () => {
    expect(variables({ set_variables: 'a;b', set_variables_values: '1' }).issues[0]).toMatch(
      /^set_variables_values: 2 variable\(s\) but 1 value/,
    );
    expect(variables({ set_variables: 'a;b c', set_variables_values: '1;2' }).issues[0]).toMatch(
      /^set_variables\.1: must be a variable name/,
    );
  });
});
