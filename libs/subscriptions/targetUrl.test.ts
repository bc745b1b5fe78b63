import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { deliveryTargets, isPrivateAddress, type DeliveryTargets, type ResolveAll } from './targetUrl.js';

/** URLs whose host is an address that is not global unicast, what that address is, and how URL spells it. */
const REFUSED: [url: string, form: string, address: string][] = [
  ['http://127.0.0.1/', 'IPv4 loopback', '127.0.0.1'],
  ['http://127.1/', 'IPv4 loopback, short form', '127.0.0.1'],
  ['http://2130706433/', 'IPv4 loopback, decimal', '127.0.0.1'],
  ['http://0x7f.1/', 'IPv4 loopback, hex', '127.0.0.1'],
  ['http://017700000001/', 'IPv4 loopback, octal', '127.0.0.1'],
  ['http://10.0.0.1/', 'private 10/8', '10.0.0.1'],
  ['http://172.16.0.1/', 'private 172.16/12', '172.16.0.1'],
  ['http://192.168.1.1/', 'private 192.168/16', '192.168.1.1'],
  ['http://169.254.169.254/', 'link-local: cloud metadata', '169.254.169.254'],
  ['http://0251.0376.0251.0376/', 'cloud metadata, octal', '169.254.169.254'],
  ['http://100.64.0.1/', 'CGNAT 100.64/10', '100.64.0.1'],
  ['http://0.1.2.3/', '"this network" 0/8', '0.1.2.3'],
  ['http://0/', 'IPv4 unspecified', '0.0.0.0'],
  ['http://192.0.0.1/', 'IETF protocol assignments 192.0.0/24', '192.0.0.1'],
  ['http://198.18.0.1/', 'benchmarking 198.18/15', '198.18.0.1'],
  ['http://198.19.255.1/', 'benchmarking 198.18/15, upper half', '198.19.255.1'],
  ['http://192.0.2.1/', 'documentation TEST-NET-1', '192.0.2.1'],
  ['http://198.51.100.1/', 'documentation TEST-NET-2', '198.51.100.1'],
  ['http://203.0.113.1/', 'documentation TEST-NET-3', '203.0.113.1'],
  ['http://224.0.0.1/', 'IPv4 multicast', '224.0.0.1'],
  ['http://239.255.255.250/', 'IPv4 multicast (SSDP)', '239.255.255.250'],
  ['http://240.0.0.1/', 'reserved 240/4', '240.0.0.1'],
  ['http://255.255.255.255/', 'broadcast', '255.255.255.255'],
  ['http://[::1]/', 'IPv6 loopback', '::1'],
  ['http://[::]/', 'IPv6 unspecified', '::'],
  ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped loopback', '::ffff:7f00:1'],
  ['http://[::ffff:7f00:1]/', 'IPv4-mapped loopback, hex', '::ffff:7f00:1'],
  ['http://[::ffff:10.0.0.1]/', 'IPv4-mapped private', '::ffff:a00:1'],
  ['http://[::ffff:169.254.169.254]/', 'IPv4-mapped cloud metadata', '::ffff:a9fe:a9fe'],
  ['http://[::7f00:1]/', 'IPv4-compatible loopback', '::7f00:1'],
  ['http://[::127.0.0.1]/', 'IPv4-compatible loopback, dotted', '::7f00:1'],
  ['http://[::8.8.8.8]/', 'IPv4-compatible, even of a public address', '::808:808'],
  ['http://[::ffff:0:7f00:1]/', 'SIIT loopback', '::ffff:0:7f00:1'],
  ['http://[::ffff:0:8.8.8.8]/', 'SIIT, even of a public address', '::ffff:0:808:808'],
  ['http://[64:ff9b::7f00:1]/', 'NAT64 loopback', '64:ff9b::7f00:1'],
  ['http://[64:ff9b::169.254.169.254]/', 'NAT64 cloud metadata', '64:ff9b::a9fe:a9fe'],
  ['http://[64:ff9b::a00:1]/', 'NAT64 private', '64:ff9b::a00:1'],
  ['http://[64:ff9b:1::7f00:1]/', 'local-use NAT64 loopback', '64:ff9b:1::7f00:1'],
  ['http://[64:ff9b:1::808:808]/', 'local-use NAT64, even of a public address', '64:ff9b:1::808:808'],
  ['http://[2002:7f00:1::]/', '6to4 of loopback', '2002:7f00:1::'],
  ['http://[2002:a00:1::1]/', '6to4 of a private address', '2002:a00:1::1'],
  ['http://[2002:808:808::1]/', '6to4, even of a public address', '2002:808:808::1'],
  ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ['http://[fc00::1]/', 'unique local fc00::/7', 'fc00::1'],
  ['http://[fd12:3456:789a::1]/', 'unique local fd00::/8', 'fd12:3456:789a::1'],
  ['http://[fe80::1]/', 'link-local fe80::/10', 'fe80::1'],
  ['http://[febf::1]/', 'link-local, top of fe80::/10', 'febf::1'],
  ['http://[fec0::1]/', 'site-local fec0::/10', 'fec0::1'],
  ['http://[feff::1]/', 'site-local, top of fec0::/10', 'feff::1'],
  ['http://[100::1]/', 'discard 100::/64', '100::1'],
  ['http://[100:0:0:1::1]/', 'beside discard, still outside 2000::/3', '100:0:0:1::1'],
  ['http://[4000::1]/', 'unassigned, outside 2000::/3', '4000::1'],
  ['http://[2001:db8::1]/', 'documentation 2001:db8::/32', '2001:db8::1'],
  ['http://[3fff::1]/', 'documentation 3fff::/20', '3fff::1'],
  ['http://[2001:2::1]/', 'benchmarking 2001:2::/48', '2001:2::1'],
  ['http://[ff02::1]/', 'IPv6 multicast, link-local scope', 'ff02::1'],
  ['http://[ff0e::1]/', 'IPv6 multicast, global scope', 'ff0e::1'],
];

/** Each refused address once, as a resolver would answer it. */
const REFUSED_ANSWERS = REFUSED.filter(([, , address], index) => REFUSED.findIndex((row) => row[2] === address) === index).map(
  ([, form, address]) => [address, form] as const,
);

/** URLs of public hosts, and the host URL leaves to connect to. */
const PUBLIC: [url: string, form: string, hostname: string][] = [
  ['https://93.184.216.34/hook', 'IPv4', '93.184.216.34'],
  ['https://8.8.8.8/hook', 'IPv4', '8.8.8.8'],
  ['http://134744072/hook', 'IPv4, decimal', '8.8.8.8'],
  ['https://[2606:2800:220:1:248:1893:25c8:1946]/hook', 'IPv6 global unicast', '[2606:2800:220:1:248:1893:25c8:1946]'],
  ['https://[2001:4860:4860::8888]/hook', 'IPv6 global unicast', '[2001:4860:4860::8888]'],
  ['https://[::ffff:8.8.8.8]/hook', 'IPv4-mapped public', '[::ffff:808:808]'],
  ['https://[64:ff9b::8.8.8.8]/hook', 'NAT64 of a public address (DNS64)', '[64:ff9b::808:808]'],
];

/** A resolver that answers every name with these addresses. */
const resolvesTo =
  (...addresses: string[]): ResolveAll =>
  async () =>
    addresses.map((address) => ({ address, family: isIP(address) }));

/** A resolver for literals: they must be judged as written, never looked up. */
const neverResolves: ResolveAll = async (host) => {
  throw new Error(`${host} was looked up`);
};

function connectLookup(targets: DeliveryTargets, hostname: string, options: LookupOptions) {
  return new Promise<{ err: Error | null; address: string | LookupAddress[] }>((done) =>
    targets.lookup!(hostname, options, (err, address) => done({ err, address })),
  );
}

describe('delivery targets', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.0.0.1', true],
    ['172.31.255.255', true],
    ['192.168.0.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fd12::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['64:ff9b::a00:1', true],
    ['93.184.216.34', false],
    ['2606:4700::1111', false],
    ['::ffff:93.184.216.34', false],
    ['::7f00:1', true],
    ['2002:7f00:1::', true],
    ['0x7f.1', true],
    ['localhost', true],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('checks what a name resolves to at every check: a name that turns private is refused', async () => {
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '10.0.0.7', family: 4 }]];
    const resolve: ResolveAll = async () => answers.shift() ?? [];
    const targets = deliveryTargets({ allowPrivate: false, resolve });
    await expect(targets.check('https://hooks.example.com/in')).resolves.toBeInstanceOf(URL);
    await expect(targets.check('https://hooks.example.com/in')).rejects.toThrow(/resolves to 10\.0\.0\.7, a private or reserved address/);
  });

  it('refuses a name with any private answer, and at connect time too', async () => {
    const resolve: ResolveAll = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const targets = deliveryTargets({ allowPrivate: false, resolve });
    await expect(targets.check('https://mixed.example.com/')).rejects.toThrow(/127\.0\.0\.1/);
    const error = await new Promise<Error | null>((done) => targets.lookup!('mixed.example.com', {}, (err) => done(err)));
    expect(error?.message).toMatch(/private or reserved/);
  });

  it.each(REFUSED)('refuses %s (%s) as the address it is', async (url, _form, address) => {
    const targets = deliveryTargets({ allowPrivate: false, resolve: neverResolves });
    await expect(targets.check(url)).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ path: 'url', message: expect.stringContaining(`resolves to ${address}, a private or reserved address`) }] },
    });
  });

  it.each(PUBLIC)('lets %s (%s) through', async (url, _form, hostname) => {
    const targets = deliveryTargets({ allowPrivate: false, resolve: neverResolves });
    await expect(targets.check(url)).resolves.toMatchObject({ hostname });
  });

  it.each(REFUSED_ANSWERS)('refuses a name with a %s answer (%s), when saving and when connecting', async (address) => {
    const targets = deliveryTargets({ allowPrivate: false, resolve: resolvesTo('93.184.216.34', address) });
    await expect(targets.check('https://hooks.example.com/in')).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ path: 'url', message: expect.stringContaining(`resolves to ${address},`) }] },
    });
    for (const options of [{}, { all: true }]) {
      const { err } = await connectLookup(targets, 'hooks.example.com', options);
      expect(err).toMatchObject({ code: 'validation_failed', message: expect.stringContaining(`resolves to ${address},`) });
    }
  });

  it('connects to what a public name resolves to: every answer when asked for all, else the first', async () => {
    const answers = ['2606:2800:220:1:248:1893:25c8:1946', '93.184.216.34', '::ffff:8.8.8.8'];
    const targets = deliveryTargets({ allowPrivate: false, resolve: resolvesTo(...answers) });
    await expect(targets.check('https://hooks.example.com/in')).resolves.toMatchObject({ hostname: 'hooks.example.com' });
    expect(await connectLookup(targets, 'hooks.example.com', { all: true })).toEqual({
      err: null,
      address: answers.map((address) => ({ address, family: isIP(address) })),
    });
    expect(await connectLookup(targets, 'hooks.example.com', {})).toEqual({ err: null, address: answers[0] });
  });

  it('refuses a name that resolves to no address', async () => {
    const targets = deliveryTargets({ allowPrivate: false, resolve: resolvesTo() });
    await expect(targets.check('https://empty.example.com/')).rejects.toThrow('url: host empty.example.com resolves to no address');
  });

  it('allows private targets when the operator says so, and still refuses other schemes', async () => {
    const targets = deliveryTargets({ allowPrivate: true });
    await expect(targets.check('http://127.0.0.1:9/hook')).resolves.toBeInstanceOf(URL);
    expect(targets.lookup).toBeUndefined();
    await expect(targets.check('ftp://127.0.0.1/hook')).rejects.toThrow(/http or https/);
  });
});
