import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real Envoy processes on free loopback ports; keep the parallelism
    // modest on the 2-core CI machines.
    maxWorkers: 2,
  },
});
