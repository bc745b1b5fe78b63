import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { validationFailed } from '#libs/errors';

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

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * The IPv6 forms whose last 32 bits name the IPv4 host a packet really reaches, so they are judged by
 * it: IPv4-mapped (a dual-stack view of an IPv4 peer) and the well-known NAT64 prefix (what DNS64
 * answers on IPv6-only networks, so public hosts must stay reachable through it).
 */
const CARRIES_IPV4 = [ipaddr.IPv6.parseCIDR('::ffff:0:0/96'), ipaddr.IPv6.parseCIDR('64:ff9b::/96')];

function lastIpv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const [high, low] = address.parts.slice(-2) as [number, number];
  return new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);
}

/** Public IPv4: outside every special range ipaddr.js knows (private, loopback, link-local, CGNAT, reserved...). */
function isGlobalIpv4(address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast';
}

/**
 * Public IPv6: 2000::/3 and outside every special range ipaddr.js knows. The other transition forms
 * are refused outright rather than decoded: IPv4-compatible (deprecated) and SIIT fall outside
 * 2000::/3, as does local-use NAT64 (64:ff9b:1::/48, whose IPv4 position depends on a prefix length
 * only its operator knows); 6to4 and Teredo are special ranges (deprecated relays, obfuscated client).
 */
function isGlobalIpv6(address: ipaddr.IPv6): boolean {
  if (CARRIES_IPV4.some((prefix) => address.match(prefix))) return isGlobalIpv4(lastIpv4(address));
  return address.match(GLOBAL_UNICAST) && address.range() === 'unicast';
}

/** Whether a delivery must not reach this address: anything but a global unicast address, or not an address at all. */
export function isPrivateAddress(address: string): boolean {
  // node's strict isIP decides what is a literal; ipaddr.js's parser would also take forms like 0x7f.1
  const family = isIP(address);
  if (family === 4) return !isGlobalIpv4(ipaddr.IPv4.parse(address));
  if (family === 6) return !isGlobalIpv6(ipaddr.IPv6.parse(address));
  return true;
}

const resolveWithDns: ResolveAll = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

function refused(message: string) {
  return validationFailed([{ path: 'url', message }]);
}

/**
 * Where Switchboard may POST. http or https only, no credentials in the URL, and, unless the
 * operator allows private targets (SWITCHBOARD_ALLOW_PRIVATE_TARGETS), global unicast addresses
 * only: every address the host resolves to is checked (a name with one private answer is refused),
 * at save, before each delivery, and again when connecting.
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
    if (addresses.length === 0) throw refused(`host ${host} resolves to no address`);
    const blocked = addresses.find((one) => isPrivateAddress(one.address));
    if (blocked) {
      throw refused(
        `${host} resolves to ${blocked.address}, a private or reserved address: subscriptions may only reach public hosts (an operator can allow private targets)`,
      );
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
      if (url.username || url.password)
        throw refused('must not carry credentials (user:password@): authenticate the POST with its signature');
      // URL has already rewritten IPv4 spellings such as 2130706433 or 0x7f.1 to dotted decimal
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
