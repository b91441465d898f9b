/**
 * Spend-ledger throughput: reserve + settle pairs per second and their latency, for the
 * in-memory ledger, one Redis, a Redis Cluster (3 masters + 3 replicas) and Redis Sentinel (one
 * master, one replica, three sentinels), the last two also with `replicaAcks: 1` (each write
 * waits for a replica), side by side in one run; and the ceiling of one hot tenant (all its keys
 * share one hash slot, so one Redis core serves it whatever the cluster size).
 *
 *   npm run build && node dist/benchmarks/ledger.js [--seconds 5] [--concurrency 64]
 */
import { validateConfig } from '../src/config/load.js';
import { MemoryLedger } from '../src/ledger/memory.js';
import { RedisLedger } from '../src/ledger/redis.js';
import type { Counter, Ledger } from '../src/ledger/types.js';
import { windowBounds } from '../src/ledger/windows.js';
import { startRedis } from '../devkit/redis.js';
import { startRedisCluster } from '../devkit/redis-cluster.js';
import { startRedisSentinel } from '../devkit/redis-sentinel.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 64);

function counter(tenant: string): Counter {
  const now = Date.now();
  const { start, end } = windowBounds('day', now);
  return { key: `tenant:${tenant}:day:${start}:usd`, scope: 'tenant', id: tenant, window: 'day', unit: 'usd', limit: 1e12, resetAt: end, softFraction: 0.8 };
}

/** reserve + settle pairs from CONCURRENCY clients for SECONDS; `tenants` spreads the keys. */
async function measure(ledger: Ledger, tenants: number): Promise<{ opsPerSecond: number; p50: number; p99: number }> {
  const counters = Array.from({ length: tenants }, (_, i) => counter(`t${i}`));
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const id = `bench-${process.pid}-${n++}`;
      const c = counters[n % counters.length]!;
      const t0 = performance.now();
      await ledger.reserve(id, [{ counter: c, amount: 0.001 }], Date.now(), 60_000);
      await ledger.settle(id, [{ counter: c, amount: 0.0005 }], Date.now());
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  latencies.sort((a, b) => a - b);
  return { opsPerSecond: latencies.length / SECONDS, p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

async function main(): Promise<void> {
  const redisCfg = validateConfig({}).spend.redis;
  const rows: Array<[string, Awaited<ReturnType<typeof measure>>, Awaited<ReturnType<typeof measure>>]> = [];
  const memory = new MemoryLedger();
  rows.push(['memory (one replica)', await measure(memory, 1), await measure(memory, 100)]);

  const redis = await startRedis();
  try {
    const ledger = new RedisLedger({ ...redisCfg, url: redis.url, commandTimeoutMs: 2000 });
    await ledger.ready(5000);
    rows.push(['one Redis', await measure(ledger, 1), await measure(ledger, 100)]);
    await ledger.close();
  } finally {
    await redis.stop();
  }

  // Replicated Redis, without and with waiting for a replica on each write.
  const replicated: Array<[string, () => Promise<{ cfg: Partial<typeof redisCfg>; stop(): Promise<void> }>]> = [
    ['Redis Cluster (3 masters + 3 replicas)', async () => {
      const cluster = await startRedisCluster();
      return { cfg: { cluster: cluster.nodes }, stop: () => cluster.stop() };
    }],
    ['Redis Sentinel (master + replica, 3 sentinels)', async () => {
      const sentinel = await startRedisSentinel();
      return { cfg: { sentinel: { name: sentinel.name, sentinels: sentinel.sentinels } }, stop: () => sentinel.stop() };
    }],
  ];
  for (const [name, start] of replicated) {
    const running = await start();
    try {
      for (const replicaAcks of [0, 1]) {
        const ledger = new RedisLedger({ ...redisCfg, ...running.cfg, commandTimeoutMs: 2000, replicaAcks });
        await ledger.ready(10_000);
        rows.push([`${name}, replicaAcks ${replicaAcks}`, await measure(ledger, 1), await measure(ledger, 100)]);
        await ledger.close();
      }
    } finally {
      await running.stop();
    }
  }

  console.log(`\nreserve + settle pairs, ${CONCURRENCY} concurrent clients, ${SECONDS} s each, one process (Node) driving the ledger\n`);
  console.log('| ledger | one hot tenant: pairs/s | p50 ms | p99 ms | 100 tenants: pairs/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, hot, spread] of rows) {
    console.log(`| ${name} | ${Math.round(hot.opsPerSecond)} | ${hot.p50.toFixed(2)} | ${hot.p99.toFixed(2)} | ${Math.round(spread.opsPerSecond)} | ${spread.p50.toFixed(2)} | ${spread.p99.toFixed(2)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
