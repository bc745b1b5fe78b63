import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { validationFailed } from '../errors/index.js';

/** The check's signature: the URL to use, or a validation error naming `url`. */
export type DeliveryUrlCheck = (raw: string) => Promise<URL>;

/** Resolves a host name to every address it has (node's dns.lookup with `all`, by default). */
export type ResolveAll = (host: string) => Promise<LookupAddress[]>;

export interface DeliveryTargets {
  /** Made when a subscription is saved and again before every delivery: what a name resolves to can change. */
  check: DeliveryUrlCheck;
  /** Used by the connection itself, so the address connected to is one that passed the check. */
  lookup: LookupFunction | undefined;
}

/** Loopback, private, link-local (cloud metadata), shared, reserved and multicast ranges. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32]] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** IPv6 forms that carry an IPv4 address (`::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`) are judged by it. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(address);
  return v4 !== undefined ? PRIVATE.check(v4, 'ipv4') : PRIVATE.check(address, 'ipv6');
}

const resolveWithDns: ResolveAll = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

function refused(message: string) {
  return validationFailed([{ path: 'url', message }]);
}

/**
 * Where Switchboard may POST. http or https only, no credentials in the URL, and, unless the
 * operator allows private targets (SWITCHBOARD_ALLOW_PRIVATE_TARGETS), no loopback, private,
 * link-local or reserved address: every address the host resolves to is checked (a name with one
 * private answer is refused), at save, before each delivery, and again when connecting.
 */
export function deliveryTargets(policy: { allowPrivate: boolean; resolve?: ResolveAll }): DeliveryTargets {
  const resolve = policy.resolve ?? resolveWithDns;

  async function publicAddresses(host: string): Promise<LookupAddress[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: LookupAddress[];
    try {
      addresses = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await resolve(bare);
    } catch (err) {
      throw refused(`host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
    }
    const blocked = addresses.find((one) => isPrivateAddress(one.address));
    if (blocked || addresses.length === 0) {
      throw refused(`${host} resolves to ${blocked?.address ?? 'nothing'}, a private or reserved address: subscriptions may only reach public hosts (an operator can allow private targets)`);
    }
    return addresses;
  }

  return {
    async check(raw) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw refused('must be an absolute URL, e.g. https://example.com/hooks');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`must be http or https, not ${url.protocol.slice(0, -1)}`);
      if (url.username || url.password) throw refused('must not carry credentials (user:password@): authenticate the POST with its signature');
      if (!policy.allowPrivate) await publicAddresses(url.hostname);
      return url;
    },
    lookup: policy.allowPrivate
      ? undefined
      : (hostname, options, callback) => {
          publicAddresses(hostname).then(
            (addresses) => {
              if ((options as { all?: boolean }).all) (callback as (err: null, addresses: LookupAddress[]) => void)(null, addresses);
              else callback(null, addresses[0]!.address, addresses[0]!.family);
            },
            (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
          );
        },
  };
}
