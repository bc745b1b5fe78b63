import { intParam, type BenchContext } from '../harness/benchmark.js';

export const HOOKS_OPTIONS = {
  seconds: 'length of each measured run (10; --quick 2)',
  connections: 'concurrent connections of the load tool (50; --quick 10)',
  hooks: 'hooks called round-robin in the many-hooks run (100; --quick 10)',
  contacts: 'contacts in the account, half of them in the launched audience (1000; --quick 100)',
} as const;

export interface HooksSizes {
  seconds: number;
  connections: number;
  hooks: number;
  contacts: number;
}

export function sizesFrom(ctx: BenchContext): HooksSizes {
  return {
    seconds: intParam(ctx, 'seconds', 10, 2),
    connections: intParam(ctx, 'connections', 50, 10),
    hooks: intParam(ctx, 'hooks', 100, 10),
    contacts: intParam(ctx, 'contacts', 1000, 100),
  };
}
