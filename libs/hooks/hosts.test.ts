import { describe, expect, it } from 'vitest';
import { hostAllowed, parseHostPattern } from './hosts.js';

describe('allowed hosts', () => {
  it.each(['203.0.113.7', '198.51.100.0/24', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32', '::1', '::/0', ' 10.0.0.0/8 '])(
    'accepts %s',
    (pattern) => {
      expect(parseHostPattern(pattern)).toBeDefined();
    },
  );

  it.each([
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0/8',
    '300.1.1.1',
    'example.com',
    '10.0.0.0/8/8',
    '10.0.0.0/',
    '10.0.0.0/x',
    'fe80::1%eth0',
    '',
  ])('refuses %j', (pattern) => {
    expect(parseHostPattern(pattern)).toBeUndefined();
  });

  it('matches addresses and ranges of both families', () => {
    const patterns = ['198.51.100.0/24', '203.0.113.7', '2001:db8::/32'];
    expect(hostAllowed(patterns, '198.51.100.42')).toBe(true);
    expect(hostAllowed(patterns, '198.51.101.1')).toBe(false);
    expect(hostAllowed(patterns, '203.0.113.7')).toBe(true);
    expect(hostAllowed(patterns, '203.0.113.8')).toBe(false);
    expect(hostAllowed(patterns, '2001:db8:1::5')).toBe(true);
    expect(hostAllowed(patterns, '2001:db9::1')).toBe(false);
    expect(hostAllowed(patterns, '::ffff:198.51.100.9')).toBe(true);
    expect(hostAllowed(patterns, '127.0.0.1')).toBe(false);
    expect(hostAllowed(patterns, undefined)).toBe(false);
  });

  it('lets anyone call when there are no allowed hosts', () => {
    expect(hostAllowed([], '127.0.0.1')).toBe(true);
  });
});
