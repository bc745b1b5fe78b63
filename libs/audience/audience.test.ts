import { describe, expect, it } from 'vitest';
import type { Contact } from '#libs/store';
import { Audience, AudienceCondition, selectAudience } from './audience.js';

function contact(id: string, fields: Partial<Contact> = {}, created = '2026-01-01T00:00:00.000Z'): Contact {
  return { id, account_key: 'acme', channels: [], variables: {}, created_at: created, updated_at: created, ...fields };
}

const ann = contact(
  'ann',
  {
    name: 'Ann Smith',
    channels: [
      { type: 'sms', id_num: '447700900001' },
      { type: 'messenger', id_num: 'ann-psid' },
    ],
    variables: { city: 'Rome', age: 34, vip: true, nickname: '' },
  },
  '2026-01-01T00:00:01.000Z',
);
const bob = contact(
  'bob',
  {
    name: 'Bob',
    channels: [{ type: 'whatsapp', id_num: '447700900002' }],
    variables: { city: 'Milan', age: '9', name: 'variable-name' },
  },
  '2026-01-01T00:00:02.000Z',
);
const cy = contact(
  'cy',
  { channels: [{ type: 'viber_service', id_num: '447700900003' }], variables: { age: null } },
  '2026-01-01T00:00:00.000Z',
);
const everyone = [ann, bob, cy];

const select = (input: unknown) => selectAudience(everyone, Audience.parse(input)).map((one) => one.id);
const one = (field: string, criterion: string, value?: string | number) => select({ conditions: [{ field, criterion, value }] });

describe('audience fields', () => {
  it('reads id, name, channel types, phone numbers, addresses and per-channel addresses', () => {
    expect(one('id', 'Equals', 'BOB')).toEqual(['bob']);
    expect(one('name', 'StartsWith', 'ann')).toEqual(['ann']);
    expect(one('name', 'EmptyOrUnset')).toEqual(['cy']);
    expect(one('channel', 'Equals', 'whatsapp')).toEqual(['bob']);
    expect(one('channel', 'Equals', 'viber')).toEqual(['cy']);
    expect(one('channel', 'Different', 'sms')).toEqual(['cy', 'bob']);
    expect(one('phone', 'Equals', '+44 7700 900001')).toEqual(['ann']);
    expect(one('phone', 'StartsWith', '4477009000')).toEqual(['cy', 'ann', 'bob']);
    expect(one('address', 'Equals', 'ann-psid')).toEqual(['ann']);
    expect(one('messenger', 'HasValue')).toEqual(['ann']);
    expect(one('whatsapp', 'Equals', '447700900002')).toEqual(['bob']);
  });

  it('reads any other name as a variable, and variables.<name> always as one', () => {
    expect(one('city', 'Equals', 'rome')).toEqual(['ann']);
    expect(one('age', 'GreaterThan', '10')).toEqual(['ann']);
    expect(one('age', 'LesserThan', 10)).toEqual(['bob']);
    expect(one('age', 'EmptyOrUnset')).toEqual(['cy']);
    expect(one('vip', 'Equals', 'true')).toEqual(['ann']);
    expect(one('nickname', 'EmptyOrUnset')).toEqual(['cy', 'ann', 'bob']);
    expect(one('variables.name', 'HasValue')).toEqual(['bob']);
    expect(one('name', 'Equals', 'variable-name')).toEqual([]);
  });

  it('returns contacts oldest first, then by id', () => {
    expect(select({ conditions: [] })).toEqual(['cy', 'ann', 'bob']);
  });
});

describe('joins', () => {
  const conditions = [
    { field: 'city', criterion: 'Equals', value: 'Rome' },
    { field: 'channel', criterion: 'Equals', value: 'whatsapp' },
  ];

  it('AND needs every condition, and is the default', () => {
    expect(select({ conditions })).toEqual([]);
    expect(select({ join: 'and', conditions: [conditions[0], { field: 'age', criterion: 'HasValue' }] })).toEqual(['ann']);
  });

  it('OR needs one condition', () => {
    expect(select({ join: 'or', conditions })).toEqual(['ann', 'bob']);
    expect(select({ join: 'OR', conditions: [{ field: 'city', criterion: 'Equals', value: 'Paris' }] })).toEqual([]);
  });

  it('refuses an unknown join', () => {
    expect(Audience.safeParse({ join: 'XOR', conditions }).success).toBe(false);
  });
});

describe('conditions', () => {
  const issue = (input: unknown) => {
    const parsed = AudienceCondition.safeParse(input);
    return parsed.success ? undefined : parsed.error.issues.map((one) => `${one.path.join('.')}: ${one.message}`).join('; ');
  };

  it('need a value, except HasValue and EmptyOrUnset', () => {
    expect(issue({ field: 'city', criterion: 'Equals' })).toMatch(/^value: Equals needs a value/);
    expect(issue({ field: 'city', criterion: 'hasvalue' })).toBeUndefined();
  });

  it('need a whole length for IsLongerThan and IsShorterThan', () => {
    expect(issue({ field: 'city', criterion: 'IsLongerThan', value: 'three' })).toMatch(/^value: IsLongerThan needs a length/);
    expect(issue({ field: 'city', criterion: 'IsShorterThan', value: '2.5' })).toMatch(/^value:/);
    expect(issue({ field: 'city', criterion: 'IsShorterThan', value: '2' })).toBeUndefined();
  });

  it('name known criteria and well-formed fields', () => {
    expect(issue({ field: 'city', criterion: 'Like', value: 'x' })).toMatch(/^criterion: unknown criterion "Like"/);
    expect(issue({ field: 'favourite colour', criterion: 'Equals', value: 'x' })).toMatch(/^field: must be a field or variable name/);
    expect(issue({ field: '__proto__', criterion: 'Equals', value: 'x' })).toMatch(/^field: names starting with "__" are reserved/);
  });
});
