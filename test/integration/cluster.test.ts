/**
 * The spend ledger on a real Redis Cluster (3 masters + 3 replicas of Debian's redis-server, on
 * loopback), two thinkcap replicas: the concurrent race. (A failover test is not here yet: in this
 * harness the killed master's replica was not promoted within 8 s, not diagnosed.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcFilter } from '../../devkit/envoy.js';
import { startRedisCluster, type RunningRedisCluster } from '../../devkit/redis-cluster.js';

const ADMIN = 'test-admin-token-0123456789';
const CAP = 0.5;
// $1,000 per million prompt tokens: "Hello" reserves $0.074 (bound 74 tokens) and costs
// $0.014 (the emulator bills 14): a $0.50 cap admits 6 at once, about 35 in all.
const PRICING = { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 };

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
      thinkcap: {
        admin: { token: ADMIN },
        requests: { deadlineMs: 1500 },
        spend: { enabled: true, ledger: 'redis', redis: { cluster: cluster.nodes, commandTimeoutMs: 1000 }, onLedgerError: 'closed', pricing: PRICING, reservationTtlSeconds: 5, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: CAP }] },
      },
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

