/**
 * The spend ledger on real Redis Sentinel (one master, one replica, three sentinels of Debian's
 * redis-server, on loopback), two thinkcap replicas: the concurrent race, then a failover of the
 * master in the middle of a paced load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcFilter } from '../../devkit/envoy.js';
import { startRedisSentinel, type RunningRedisSentinel } from '../../devkit/redis-sentinel.js';
import { runFailover, settled } from '../harness/failover.js';

const ADMIN = 'test-admin-token-0123456789';
// $1,000 per million prompt tokens: "Hello" reserves $0.074 and costs $0.014 (see cluster.test.ts).
const PRICING = { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 };
const RACE_CAP = 0.5;
// The failover test adds its spend to the race's: about 70 requests fit before the kill, and the
// cap is reached after the failover.
const CAP_AFTER_RACE = 3.5;

async function ledger(stack: Stack) {
  const r = await fetch(`http://127.0.0.1:${stack.replicas[0]!.adminPort}/api/budget?scope=tenant:anonymous`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await r.json()) as { budgets: Array<{ spent: number; reserved: number }> }).budgets[0]!;
}

async function setCap(stack: Stack, usd: number) {
  const r = await fetch(`http://127.0.0.1:${stack.replicas[0]!.adminPort}/api/budget`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'tenant:*', window: 'day', usd }),
  });
  expect(r.status).toBe(200);
  // Each replica re-reads admin-set limits once a second.
  await new Promise((r) => setTimeout(r, 1500));
}

const trueCost = (stack: Stack) => stack.replicas.flatMap((r) => r.history).reduce((s, h) => s + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);

describe('spend ledger on real Redis Sentinel, two thinkcap replicas', () => {
  let sentinel: RunningRedisSentinel;
  let stack: Stack;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    stack = await startStack({
      replicas: 2,
      emulator: { promptBilling: { factor: 2, overhead: 12 }, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) },
      thinkcap: {
        admin: { token: ADMIN },
        requests: { deadlineMs: 1500 },
        spend: {
          enabled: true,
          ledger: 'redis',
          // replicaAcks 1: a write counts once the replica holds it, so a promoted replica has it.
          redis: { sentinel: { name: sentinel.name, sentinels: sentinel.sentinels }, commandTimeoutMs: 1000, replicaAcks: 1 },
          onLedgerError: 'closed',
          pricing: PRICING,
          reservationTtlSeconds: 5,
          limits: [{ scope: 'tenant', id: '*', window: 'day', usd: RACE_CAP }],
        },
      },
      envoy: { mutate: (cfg) => (extProcFilter(cfg).message_timeout = '2s') },
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sentinel?.stop();
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
    await settled(stack);
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(stack.emulator.chatCalls()).toBe(admitted);
    const b = await ledger(stack);
    expect(b.spent).toBeLessThanOrEqual(RACE_CAP + 1e-9);
    expect(b.reserved).toBe(0);
    expect(b.spent).toBeCloseTo(trueCost(stack), 9);
  }, 60_000);

  it('the master fails mid-run: nothing settled lost or counted twice, nothing over the cap, refusals only during the failover', async () => {
    await setCap(stack, CAP_AFTER_RACE);
    const callsBefore = stack.emulator.chatCalls();
    const run = await runFailover(stack, { master: () => sentinel.master(), kill: (p) => sentinel.kill(p), restart: (p) => sentinel.restart(p), replicasInSync: (p) => sentinel.replicasInSync(p) }, { seconds: 12, everyMs: 20, killAtMs: 1500 });
    await settled(stack);
    const by = (s: number) => run.requests.filter((r) => r.status === s);
    const unavailable = by(503);
    console.log(
      `sentinel failover: ${run.requests.length} requests, killed at ${run.killedAt} ms, promoted at ${run.promotedAt} ms, rejoined at ${run.rejoinedAt} ms; ` +
        `200: ${by(200).length}, 429: ${by(429).length}, 503: ${unavailable.length} (sent ${unavailable[0]?.at ?? '-'}–${unavailable.at(-1)?.at ?? '-'} ms)`,
    );
    expect(run.requests.every((r) => [200, 429, 503].includes(r.status))).toBe(true);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const r of unavailable) {
      expect(r.at).toBeGreaterThanOrEqual(run.killedAt - 500);
      expect(r.at).toBeLessThanOrEqual(run.rejoinedAt + 2000);
    }
    let counted = 0;
    for (const rep of stack.replicas) counted += (await rep.metrics.ledgerErrors.get()).values.reduce((s, v) => s + v.value, 0);
    expect(counted).toBe(unavailable.length);
    expect(by(200).some((r) => r.at < run.killedAt)).toBe(true);
    expect(by(200).some((r) => r.at > run.rejoinedAt)).toBe(true);
    expect(by(429).length).toBeGreaterThan(0);
    expect(stack.emulator.chatCalls() - callsBefore).toBe(by(200).length);
    let b = await ledger(stack);
    for (let i = 0; i < 100 && b.reserved > 1e-9; i++) {
      await new Promise((r) => setTimeout(r, 100));
      b = await ledger(stack);
    }
    expect(b.reserved).toBeCloseTo(0, 9);
    expect(b.spent).toBeLessThanOrEqual(CAP_AFTER_RACE + 1e-9);
    expect(b.spent).toBeCloseTo(trueCost(stack), 9);
  }, 120_000);
});
