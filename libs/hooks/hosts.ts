import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

interface Range {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

const MAX_PREFIX = { ipv4: 32, ipv6: 128 } as const;

/** An IP address or a CIDR range (IPv4 or IPv6), or undefined when the text is neither. */
export function parseHostPattern(text: string): Range | undefined {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  const version = isIP(address);
  // Zone ids (fe80::1%eth0) name an interface of the caller's machine, not an address we can check.
  if (rest.length > 0 || version === 0 || address.includes('%')) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) return { address, prefix: MAX_PREFIX[family], family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > MAX_PREFIX[family]) return undefined;
  return { address, prefix: Number(prefix), family };
}

export const HostPattern = z
  .string()
  .trim()
  .refine((text) => parseHostPattern(text) !== undefined, {
    message: 'not an IP address or CIDR range: e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::1 or 2001:db8::/32',
  });

/**
 * Whether a caller's address is one of the allowed hosts; no allowed hosts means anyone. An
 * IPv4 caller seen on a dual-stack socket as `::ffff:a.b.c.d` matches IPv4 ranges.
 */
export function hostAllowed(patterns: readonly string[], remoteAddress: string | undefined): boolean {
  if (patterns.length === 0) return true;
  if (!remoteAddress) return false;
  const version = isIP(remoteAddress);
  if (version === 0) return false;
  const allowed = new BlockList();
  for (const pattern of patterns) {
    const range = parseHostPattern(pattern);
    if (range) allowed.addSubnet(range.address, range.prefix, range.family);
  }
  return allowed.check(remoteAddress, version === 4 ? 'ipv4' : 'ipv6');
}
