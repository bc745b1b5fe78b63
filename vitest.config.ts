import { defineConfig } from 'vitest/config';

// Every suite starts its own nats-server (and often child processes): two cores, so at most two
// suites run at once, and timeouts leave room for real I/O.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'libs/**/*.test.ts', 'handlers/**/*.test.ts', 'apps/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
