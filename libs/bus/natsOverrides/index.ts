import type { Logger } from '#libs/logger';
import { coalescedWrites } from './coalescedWrites.js';
import { installedNatsVersion } from './natsVersion.js';
import type { OverrideState } from './override.js';
import { settledRequests } from './settledRequests.js';

export { MAX_CONTROL_LINE_BYTES } from './coalescedWrites.js';

/**
 * Every replacement of a nats.js internal, each measured on the version package.json pins
 * exactly: each file says what it measured. A nats.js of another version, or whose method no
 * longer has the shape a replacement relies on, keeps its own method (and the start's log says so).
 */
const OVERRIDES = [coalescedWrites, settledRequests];

let states: readonly OverrideState[] | undefined;

/** Installs the overrides, once per process; answers which are active, and why any is not. */
export function applyNatsOverrides(): readonly OverrideState[] {
  if (!states) {
    const version = installedNatsVersion();
    states = OVERRIDES.map((override) => override.install(version));
  }
  return states;
}

/** Says which overrides are active, as a process opens its bus; one left out is a warning, as it costs CPU. */
export function logNatsOverrides(log: Logger): void {
  const applied = applyNatsOverrides();
  const inactive = applied.filter((state) => !state.active);
  const active = applied.filter((state) => state.active).map((state) => state.name);
  if (inactive.length === 0) log.info({ nats_overrides: active }, 'nats.js overrides active');
  else
    log.warn(
      { nats_overrides: active, inactive },
      'nats.js overrides left out: nats.js keeps its own methods (slower under load); see libs/bus/natsOverrides',
    );
}
