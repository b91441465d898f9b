import { defineConfig } from 'vitest/config';

// Redis failover tests kill masters under a paced load (up to 11 Redis processes, two thinkcap
// replicas, Envoy): run beside the rest, they starved tests that time answers against Envoy's
// 200 ms message_timeout on the 2-core CI machines (one such failure seen). They run after the
// others, one file at a time.
const FAILOVER = ['test/integration/cluster.test.ts', 'test/integration/sentinel.test.ts', 'test/integration/sentinel-partition.test.ts', 'test/integration/sentinel-watch.test.ts', 'test/integration/redis-secured.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real Envoy processes on free loopback ports; keep the parallelism
    // modest on the 2-core CI machines.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: FAILOVER, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'failover', include: FAILOVER, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
