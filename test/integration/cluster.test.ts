/**
 * The spend ledger on a real Redis Cluster (3 masters + 3 replicas of Debian's redis-server, on
 * loopback), two thinkcap replicas: the concurrent race, and a failover of the master that holds
 * the spend keys in the middle of a paced load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcFilter } from '../../devkit/envoy.js';
import { startRedisCluster, type RunningRedisCluster } from '../../devkit/redis-cluster.js';
import { runFailover, settled } from '../harness/failover.js';

const ADMIN = 'test-admin-token-0123456789';
const CAP = 0.5;
// $1,000 per million prompt tokens: "Hello" reserves $0.074 (bound 74 tokens) and costs
// $0.014 (the emulator bills 14): a $0.50 cap admits 6 at once, about 35 in all.
const PRICING = { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 };

function spendConfig(cluster: RunningRedisCluster, usd: number) {
  return {
    admin: { token: ADMIN },
    requests: { deadlineMs: 1500 },
    spend: {
      enabled: true,
      ledger: 'redis',
      // replicaAcks 1: a write counts once a replica holds it, so a promoted replica has it.
      redis: { cluster: cluster.nodes, commandTimeoutMs: 1000, replicaAcks: 1 },
      onLedgerError: 'closed',
      pricing: PRICING,
      reservationTtlSeconds: 5,
      limits: [{ scope: 'tenant', id: '*', window: 'day', usd }],
    },
  };
}

async function ledger(stack: Stack) {
  const r = await fetch(`http://127.0.0.1:${stack.replicas[0]!.adminPort}/api/budget?scope=tenant:anonymous`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await r.json()) as { budgets: Array<{ spent: number; reserved: number }> }).budgets[0]!;
}

describe('spend ledger on a real Redis Cluster, two thinkcap replicas', () => {
  let cluster: RunningRedisCluster;
  let stack: Stack;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startStack({
      replicas: 2,
      emulator: { promptBilling: { factor: 2, overhead: 12 }, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) },
      thinkcap: spendConfig(cluster, CAP),
      envoy: { mutate: (cfg) => (extProcFilter(cfg).message_timeout = '2s') },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await cluster?.stop();
  });

  it('300 concurrent requests: settled spend ≤ cap, upstream calls = admitted', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await r.arrayBuffer();
        return r.status;
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(stack.emulator.chatCalls()).toBe(admitted);
    const b = await ledger(stack);
    expect(b.spent).toBeLessThanOrEqual(CAP + 1e-9);
    expect(b.reserved).toBe(0);
    const trueCost = stack.replicas.flatMap((r) => r.history).reduce((s, h) => s + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);
    expect(b.spent).toBeCloseTo(trueCost, 9);
  }, 60_000);
});


describe('spend ledger on a real Redis Cluster: the master holding the spend keys fails mid-run', () => {
  // About 70 requests fit before the kill, and the cap is reached after the failover.
  const FAILOVER_CAP = 3;
  let cluster: RunningRedisCluster;
  let stack: Stack;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startStack({
      replicas: 2,
      emulator: { promptBilling: { factor: 2, overhead: 12 }, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) },
      thinkcap: spendConfig(cluster, FAILOVER_CAP),
      envoy: { mutate: (cfg) => (extProcFilter(cfg).message_timeout = '2s') },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await cluster?.stop();
  });

  it('nothing settled is lost or counted twice, nothing admitted over the cap, refusals only while the slot moves', async () => {
    const topology = {
      master: () => {
        try {
          return cluster.masterFor('{tc}');
        } catch {
          return null;
        }
      },
      kill: (p: number) => cluster.kill(p),
      restart: (p: number) => cluster.restart(p),
      replicasInSync: (p: number) => cluster.replicasInSync(p),
    };
    const run = await runFailover(stack, topology, { seconds: 12, everyMs: 20, killAtMs: 1500 });
    await settled(stack);
    const by = (s: number) => run.requests.filter((r) => r.status === s);
    const refusedUnavailable = by(503);
    console.log(
      `cluster failover: ${run.requests.length} requests, killed at ${run.killedAt} ms, promoted at ${run.promotedAt} ms, rejoined at ${run.rejoinedAt} ms; ` +
        `200: ${by(200).length}, 429: ${by(429).length}, 503: ${refusedUnavailable.length} (sent ${refusedUnavailable[0]?.at ?? '-'}–${refusedUnavailable.at(-1)?.at ?? '-'} ms)`,
    );
    // Only answers, budget refusals and ledger-unavailable refusals: no Envoy error, no timeout.
    expect(run.requests.every((r) => [200, 429, 503].includes(r.status))).toBe(true);
    // The refusals fall between the kill and the killed node's return as a replica (a request sent
    // just before the kill may still meet it), and the metric counts every one.
    expect(refusedUnavailable.length).toBeGreaterThan(0);
    for (const r of refusedUnavailable) {
      expect(r.at).toBeGreaterThanOrEqual(run.killedAt - 500);
      expect(r.at).toBeLessThanOrEqual(run.rejoinedAt + 2000);
    }
    let counted = 0;
    for (const rep of stack.replicas) counted += (await rep.metrics.ledgerErrors.get()).values.reduce((s, v) => s + v.value, 0);
    expect(counted).toBe(refusedUnavailable.length);
    // Admitted before and after the failover, and the cap reached after it.
    expect(by(200).some((r) => r.at < run.killedAt)).toBe(true);
    expect(by(200).some((r) => r.at > run.rejoinedAt)).toBe(true);
    expect(by(429).length).toBeGreaterThan(0);
    const admitted = by(200).length;
    expect(stack.emulator.chatCalls()).toBe(admitted);
    // Wait out refunds of reservations that were cut off, then compare the ledger with the truth.
    let b = await ledger(stack);
    for (let i = 0; i < 100 && b.reserved > 1e-9; i++) {
      await new Promise((r) => setTimeout(r, 100));
      b = await ledger(stack);
    }
    expect(b.reserved).toBeCloseTo(0, 9);
    expect(b.spent).toBeLessThanOrEqual(FAILOVER_CAP + 1e-9);
    const trueCost = stack.replicas.flatMap((r) => r.history).reduce((s, h) => s + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);
    expect(b.spent).toBeCloseTo(trueCost, 9);
  }, 90_000);
});
