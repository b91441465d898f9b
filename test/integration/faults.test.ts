/**
 * Fault injection through the real Envoy (and the real Redis): Redis killed and restarted in both
 * ledger modes, thinkcap killed mid-stream with Envoy failing open and closed, the backend dying
 * mid-stream. Each test states what the clients saw, what the backend served and what the ledger
 * holds afterwards. Every loop is bounded.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { startRedis, type RunningRedis } from '../../devkit/redis.js';
import { startServe } from '../harness/serve.js';
import { roomyTimeouts } from '../harness/timeouts.js';

const ADMIN = 'test-admin-token-0123456789';
const LIMIT = { scope: 'tenant', id: '*', window: 'total', usd: 100 };
const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(stack: Stack, body = BODY) {
  const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await r.arrayBuffer();
  return r.status;
}

async function ledgerState(adminPort: number) {
  const r = await fetch(`http://127.0.0.1:${adminPort}/api/budget?scope=tenant:anonymous`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await r.json()) as { budgets: Array<{ spent: number; reserved: number }> }).budgets[0] ?? { spent: 0, reserved: 0 };
}

describe.each(['closed', 'open'] as const)('Redis killed (SIGKILL) and restarted, onLedgerError %s', (mode) => {
  let stack: Stack;
  let redis: RunningRedis;
  // $100 per million completion tokens: a request's worst case (32 + 68 tokens) is $0.01 and it
  // really costs about $0.005; the allowance lets a few through, then refuses.
  const ALLOWANCE = 0.03;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({
      thinkcap: {
        admin: { token: ADMIN },
        requests: { answerTokens: 68 },
        spend: {
          enabled: true,
          ledger: 'redis',
          redis: { url: redis.url, commandTimeoutMs: 100 },
          pricing: { promptUsdPerMTok: 0, completionUsdPerMTok: 100 },
          onLedgerError: mode,
          failOpenAllowanceUsd: ALLOWANCE,
          limits: [LIMIT],
        },
      },
    });
    expect(await post(stack)).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('during the outage: refused (closed) or within the allowance (open); afterwards the ledger is whole again', async () => {
    const calls = stack.emulator.chatCalls();
    const history = stack.thinkcap!.history.length;
    redis.process.kill('SIGKILL');
    await sleep(100);
    const during: number[] = [];
    for (let i = 0; i < 15; i++) during.push(await post(stack));
    // Readiness follows: a fail-closed replica with no ledger takes no traffic (Kubernetes probe).
    const ready = await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/ready`);
    expect(ready.status).toBe(mode === 'closed' ? 503 : 200);
    const admitted = during.filter((s) => s === 200).length;
    expect(during.every((s) => s === 200 || s === 503)).toBe(true);
    expect(stack.emulator.chatCalls() - calls).toBe(admitted);
    const outageCost = stack.thinkcap!.history.slice(history).reduce((sum, h) => sum + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);
    if (mode === 'closed') expect(admitted).toBe(0);
    else {
      expect(admitted).toBeGreaterThan(0);
      expect(during).toContain(503);
      expect(outageCost).toBeLessThanOrEqual(ALLOWANCE + 1e-9);
    }
    // Redis comes back (empty: no persistence in this test); service resumes by itself.
    await redis.restart();
    let back = 0;
    for (let i = 0; i < 100 && back !== 200; i++) {
      await sleep(100);
      back = await post(stack);
    }
    expect(back).toBe(200);
    expect((await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/ready`)).status).toBe(200);
    // Settlements made during the outage are pushed to the ledger (open mode), nothing stays reserved.
    for (let i = 0; i < 50 && stack.thinkcap!.spend.pendingReconciliation > 0; i++) await sleep(100);
    expect(stack.thinkcap!.spend.pendingReconciliation).toBe(0);
    await sleep(100);
    const st = await ledgerState(stack.thinkcap!.adminPort);
    expect(st.reserved).toBe(0);
    expect(st.spent).toBeGreaterThanOrEqual(outageCost - 1e-9);
  }, 60_000);
});

describe.each([
  { failOpen: true, engineCap: false },
  { failOpen: true, engineCap: true },
  { failOpen: false, engineCap: false },
])('thinkcap killed (SIGKILL) mid-stream: failure_mode_allow $failOpen, engine honours the budget field $engineCap', ({ failOpen, engineCap }) => {
  let child: ChildProcess;
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tc-kill-'));
    const serve = await startServe(dir, ({ grpcPort, adminPort }) => ({ server: { grpcPort, adminPort }, log: { level: 'warn' } }), { path: '/health' });
    child = serve.child;
    stack = await startStack({
      noThinkcap: true,
      emulator: { plan: () => ({ thinkingTokens: 400, answerTokens: 20 }), tokenDelayMs: 5, ignoreBudget: !engineCap },
      // Envoy's message_timeout at 2 s: the first request to a fresh thinkcap process sometimes
      // missed the shipped 0.2 s in a full test run, and Envoy failed open before the kill (no
      // x-thinkcap-budget). The kill itself resets the gRPC stream, which Envoy acts on at once.
      envoy: { thinkcapPort: serve.grpcPort, failureModeAllow: failOpen, mutate: roomyTimeouts },
    });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const outcome = !failOpen
    ? 'the client stream is cut: nothing past the cap reaches it'
    : engineCap
      ? 'the engine cap written into the request still holds: thinking stops at the budget and the answer arrives'
      : 'Envoy forwards the rest of the stream uncapped (the documented cost of failing open without an engine cap)';
  it(outcome, async () => {
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-thinkcap-budget')).toBe('32');
    const reader = r.body!.getReader();
    let text = '';
    let killed = false;
    let cut = false;
    for (let i = 0; i < 10_000; i++) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        cut = true;
        break;
      }
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString();
      if (!killed && text.split('"reasoning"').length > 5) {
        child.kill('SIGKILL');
        killed = true;
      }
    }
    expect(killed).toBe(true);
    const reasoning = text.split('"reasoning"').length - 1;
    if (failOpen && !engineCap) {
      // thinkcap gone, Envoy forwards the backend's own stream: thinking past the budget arrives.
      expect(reasoning).toBeGreaterThan(32);
    } else if (failOpen) {
      expect(reasoning).toBeLessThanOrEqual(32);
      expect(text).toContain('data: [DONE]');
      expect(text).toContain('"content":"The');
    } else {
      // Envoy resets the client stream: what arrived before the kill stays under the budget.
      expect(cut || !text.includes('data: [DONE]')).toBe(true);
      expect(reasoning).toBeLessThanOrEqual(32);
    }
  }, 60_000);
});

describe('the backend dies mid-stream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 2000, answerTokens: 20 }), tokenDelayMs: 5 },
      thinkcap: { admin: { token: ADMIN }, spend: { enabled: true, limits: [LIMIT] } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the client stream ends, the record says so, and the ledger settles what was generated, keeping nothing reserved', async () => {
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Prove that there are infinitely many primes, step by step.' }] }) });
    const reader = r.body!.getReader();
    let got = 0;
    let ended = false;
    for (let i = 0; i < 10_000; i++) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        ended = true;
        break;
      }
      if (chunk.done) {
        ended = true;
        break;
      }
      got += chunk.value.length;
      if (got > 2000 && stack.emulator.chatCalls() === 1) await stack.emulator.close();
    }
    expect(ended).toBe(true);
    await sleep(200);
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(['aborted', 'upstream_error']).toContain(rec.outcome);
    const st = await ledgerState(stack.thinkcap!.adminPort);
    expect(st.reserved).toBe(0);
    expect(st.spent).toBeGreaterThan(0);
    // The settled cost is what was generated before the end, far under the reserved worst case.
    expect(st.spent).toBeLessThan(0.005);
  }, 60_000);
});
