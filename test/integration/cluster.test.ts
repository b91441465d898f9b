/**
 * The spend ledger on a real Redis Cluster (3 masters + 3 replicas of Debian's redis-server, on
 * loopback), two thinkcap replicas: the concurrent race, and a failover of the master that holds
 * the spend keys in the middle of a paced load.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Stack } from '../../devkit/stack.js';
import { startRedisCluster, type RunningRedisCluster } from '../../devkit/redis-cluster.js';
import { describeRun, expectFailoverHeld, expectRaceHeld, race, replicatedSpendConfig, runFailover, settled, startLedgerStack } from '../harness/failover.js';

/** A fresh Cluster and stack for the enclosing describe block, with the tenants' daily cap `usd`. */
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
      replicasInSync: (p: number) => cluster.replicasInSync(p),
    };
    const run = await runFailover(stack, topology, { seconds: 12, everyMs: 20, killAtMs: 1500 });
    await settled(stack);
    console.log(describeRun('cluster', run));
    await expectFailoverHeld(stack, run, CAP, 0);
  }, 90_000);
});
