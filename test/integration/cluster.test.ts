/**
 * The spend ledger on a real Redis Cluster (3 masters + 3 replicas of Debian's redis-server, on
 * loopback), two thinkcap replicas: the concurrent race, and a failover of the master that holds
 * the spend keys in the middle of a paced load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../devkit/stack.js';
import { startRedisCluster, type RunningRedisCluster } from '../../devkit/redis-cluster.js';
import { redisCli } from '../../devkit/redis.js';
import { validateConfig } from '../../src/config/load.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import type { Counter } from '../../src/ledger/types.js';
import { describeRun, expectFailoverHeld, expectRaceHeld, race, replicatedSpendConfig, runFailover, settled, startLedgerStack } from '../harness/failover.js';

/** A fresh Cluster and stack for the enclosing describe block, with the tenants' cap `usd`. */
function useClusterStack(usd: number): () => { cluster: RunningRedisCluster; stack: Stack } {
  let env: { cluster: RunningRedisCluster; stack: Stack } | undefined;
  // Held on its own so that a stack that fails to start (Envoy missing, a port taken) does not
  // leave the six redis-servers running: two runs that way left 24 behind this session.
  let cluster: RunningRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const stack = await startLedgerStack(replicatedSpendConfig({ cluster: cluster.nodes }, usd), 2);
    env = { cluster, stack };
  }, 60_000);
  afterAll(async () => {
    await env?.stack.stop();
    await cluster?.stop();
  });
  return () => env!;
}

describe('spend ledger on a real Redis Cluster, two thinkcap replicas', () => {
  // "Hello" reserves $0.074 and costs $0.014: a $0.50 cap admits 6 at once, about 35 in all.
  const CAP = 0.5;
  const env = useClusterStack(CAP);

  it('300 concurrent requests: settled spend ≤ cap, upstream calls = admitted', async () => {
    const { stack } = env();
    await expectRaceHeld(stack, await race(stack, 300), CAP);
  }, 60_000);
});

describe('spend ledger on a real Redis Cluster: the master holding the spend keys fails mid-run', () => {
  // About 70 requests fit before the kill, and the cap is reached after the failover.
  const CAP = 3;
  const env = useClusterStack(CAP);

  it('nothing settled is lost or counted twice, nothing admitted over the cap, refusals only while the slot moves', async () => {
    const { cluster, stack } = env();
    const topology = {
      master: () => {
        try {
          return cluster.masterFor('{tc}');
        } catch {
          return null; // no master serves the slot during the failover
        }
      },
      kill: (p: number) => cluster.kill(p),
      restart: (p: number) => cluster.restart(p),
      replicasAcking: (p: number) => cluster.replicasAcking(p),
    };
    const run = await runFailover(stack, topology, { seconds: 12, everyMs: 20, killAtMs: 1500 });
    await settled(stack);
    console.log(describeRun('cluster', run));
    await expectFailoverHeld(stack, run, CAP, 0);
  }, 90_000);
});

describe('the ledger (replicaAcks 1) right after the slot of its keys moved to another node', () => {
  let cluster: RunningRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a write whose batch is redirected (MOVED) goes to the new owner at once, not refused until the next slot-map refresh', async () => {
    const c = cluster!;
    const master = c.masterFor('{tc}');
    const nodes = redisCli(master, 'cluster', 'nodes').split('\n').map((l) => l.split(' '));
    const masterId = nodes.find((f) => f[1]?.startsWith(`127.0.0.1:${master}@`))![0]!;
    const replica = Number(nodes.find((f) => f[3] === masterId)![1]!.split(':')[1]!.split('@')[0]);
    const ledger = new RedisLedger({ ...validateConfig({}).spend.redis, cluster: c.nodes, keyPrefix: `moved${Date.now()}`, commandTimeoutMs: 3000, replicaAckTimeoutMs: 400, replicaAcks: 1 });
    try {
      await ledger.ready(5000);
      const counter: Counter = { key: 'tenant:a:total:0:usd', scope: 'tenant', id: 'a', window: 'total', unit: 'usd', limit: 100, resetAt: null, softFraction: 0.8 };
      expect((await ledger.reserve('before', [{ counter, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
      // A manual failover: the replica takes the slot, the old master serves it no more.
      expect(redisCli(replica, 'cluster', 'failover').trim()).toBe('OK');
      for (let i = 0; i < 100 && c.masterFor('{tc}') !== replica; i++) await new Promise((r) => setTimeout(r, 20));
      expect(c.masterFor('{tc}')).toBe(replica);
      // The old master now answers MOVED; the first writes after the move are not refused.
      const results = await Promise.all(['a1', 'a2', 'a3'].map((id) => ledger.reserve(id, [{ counter, amount: 1 }], Date.now(), 60_000)));
      expect(results.map((r) => r.ok)).toEqual([true, true, true]);
      expect((await ledger.state(counter, Date.now())).reserved).toBeCloseTo(4, 9);
    } finally {
      await ledger.close();
    }
  }, 60_000);
});
