import { describe, expect, it } from 'vitest';
import { deliveryTargets, isPrivateAddress, type ResolveAll } from './targetUrl.js';

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

  it('allows private targets when the operator says so, and still refuses other schemes', async () => {
    const targets = deliveryTargets({ allowPrivate: true });
    await expect(targets.check('http://127.0.0.1:9/hook')).resolves.toBeInstanceOf(URL);
    expect(targets.lookup).toBeUndefined();
    await expect(targets.check('ftp://127.0.0.1/hook')).rejects.toThrow(/http or https/);
  });
});
