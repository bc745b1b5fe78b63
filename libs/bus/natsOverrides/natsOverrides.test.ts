import { readFileSync } from 'node:fs';
import { ProtocolHandler } from 'nats/lib/nats-base-client/protocol.js';
import { RequestOne } from 'nats/lib/nats-base-client/request.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyNatsOverrides } from './index.js';
import { installedNatsVersion } from './natsVersion.js';
import { defineOverride } from './override.js';

const REPLACEMENT = Symbol.for('switchboard.natsOverride');
const PackageJson = z.object({ dependencies: z.object({ nats: z.string() }) });

/** A stand-in for a nats.js class, to install onto without touching nats.js. */
class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

const shouting = (target: Greeter, measuredOn = '1.0.0', mentions = ['hello']) =>
  defineOverride({
    name: 'shouting',
    measuredOn,
    target,
    method: 'greet',
    shape: { length: 1, mentions },
    replace: (original) =>
      function greet(this: Greeter, name: string): string {
        return original.call(this, name).toUpperCase();
      },
  });

describe('the nats.js overrides', () => {
  it('are all active on the nats.js installed, the exact version package.json pins', () => {
    const pinned = PackageJson.parse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))).dependencies.nats;
    expect(installedNatsVersion()).toBe(pinned);
    expect(applyNatsOverrides()).toEqual([
      { name: 'coalescedWrites', active: true },
      { name: 'settledRequests', active: true },
    ]);
    expect(REPLACEMENT in ProtocolHandler.prototype.sendCommand).toBe(true);
    expect(REPLACEMENT in RequestOne.prototype.cancel).toBe(true);
  });

  it('install once however often they are applied', () => {
    const sendCommand = ProtocolHandler.prototype.sendCommand;
    applyNatsOverrides();
    expect(ProtocolHandler.prototype.sendCommand).toBe(sendCommand);
  });

  it('replace a method of the version and shape measured, and find it in place the second time', () => {
    const target = new Greeter();
    const override = shouting(target);
    expect(override.install('1.0.0')).toEqual({ name: 'shouting', active: true });
    expect(target.greet('ann')).toBe('HELLO ANN');
    expect(override.install('1.0.0')).toEqual({ name: 'shouting', active: true });
    expect(target.greet('ann')).toBe('HELLO ANN');
  });

  it('leave the method alone on another version, and say why', () => {
    const target = new Greeter();
    expect(shouting(target).install('1.0.1')).toEqual({
      name: 'shouting',
      active: false,
      code: 'version_mismatch',
      reason: 'measured on nats 1.0.0, 1.0.1 is installed',
    });
    expect(target.greet('ann')).toBe('hello ann');
  });

  it('leave the method alone when its shape has changed: its source, its parameters', () => {
    const target = new Greeter();
    expect(shouting(target, '1.0.0', ['hello', 'this.mux']).install('1.0.0')).toMatchObject({
      active: false,
      code: 'shape_changed',
      reason: 'greet no longer mentions this.mux',
    });
    const changed = { greet: (name: string, greeting: string) => `${greeting} ${name}` };
    const override = defineOverride({
      name: 'shouting',
      measuredOn: '1.0.0',
      target: changed,
      method: 'greet',
      shape: { length: 1, mentions: [] },
      replace: (original) => original,
    });
    expect(override.install('1.0.0')).toMatchObject({ active: false, code: 'shape_changed', reason: 'greet takes 2 parameters, not 1' });
    expect(target.greet('ann')).toBe('hello ann');
  });
});
