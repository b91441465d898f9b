/**
 * The reservation bounds what the engine bills. Engines count the prompt with their own
 * tokenizer and chat template, so they report more prompt tokens than thinkcap's estimate; under a
 * concurrent race the settled spend must still stay within the cap, in every case.
 *
 * Pricing makes the prompt side decide: $1,000 per million prompt tokens, nothing for completion.
 * "Hello" is estimated at 5 tokens (1 + 4 framing); the reservation's bound is 5 × 2 + 64 = 74
 * tokens = $0.074, so a $0.5 cap admits 6 of the race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { LLAMA_ENVOY, startLlamaServer, type RunningLlama } from '../../devkit/llama.js';
import { anonymousBudget, concurrentHellos, TEST_ADMIN_TOKEN } from '../harness/spend.js';
import { ROOMY_DEADLINE, roomyTimeouts } from '../harness/timeouts.js';

const CAP = 0.5;
const PRICING = { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 };

async function race(stack: Stack, n: number) {
  const statuses = await concurrentHellos(stack, n);
  expect(statuses.filter((s) => s !== 200 && s !== 429), 'statuses other than 200 and 429').toEqual([]);
  await new Promise((r) => setTimeout(r, 200));
  const b = await anonymousBudget(stack.thinkcap!.adminPort);
  const metrics = await (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/metrics`)).text();
  const over = Number(/^thinkcap_budget_settle_over_reservation_total\{unit="usd"\} ([0-9.e-]+)$/m.exec(metrics)?.[1] ?? 0);
  const trueCost = stack.thinkcap!.history.reduce((s, h) => s + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);
  return { admitted: statuses.filter((s) => s === 200).length, refused: statuses.filter((s) => s === 429).length, spent: b.spent, reserved: b.reserved, over, trueCost };
}

function thinkcap(extra: Record<string, unknown> = {}) {
  return { ...ROOMY_DEADLINE, admin: { token: TEST_ADMIN_TOKEN }, spend: { enabled: true, pricing: PRICING, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: CAP }], ...extra } };
}

describe.each([
  { name: 'a template adding 20 tokens and a tokenizer counting 2× (within the bound)', billing: { factor: 2, overhead: 20 }, settle: 'clip', overExpected: false },
  { name: 'a template adding 300 tokens and a tokenizer counting 3× (past the bound): clipped', billing: { factor: 3, overhead: 300 }, settle: 'clip', overExpected: true },
])('emulated engine billing $name', ({ billing, settle, overExpected }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ emulator: { promptBilling: billing, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) }, thinkcap: thinkcap({ settleOverReservation: settle }), envoy: { mutate: roomyTimeouts } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('60 concurrent requests: settled spend stays within the cap', async () => {
    const r = await race(stack, 60);
    expect(r.admitted).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.admitted + r.refused).toBe(60);
    expect(stack.emulator.chatCalls()).toBe(r.admitted);
    expect(r.reserved).toBe(0);
    expect(r.spent).toBeLessThanOrEqual(CAP + 1e-9);
    if (overExpected) {
      // The engine billed more than the bound: finance sees it (metric, true cost in the record).
      expect(r.over).toBeGreaterThan(0);
      expect(r.trueCost).toBeGreaterThan(r.spent);
    } else {
      expect(r.over).toBe(0);
      expect(r.spent).toBeCloseTo(r.trueCost, 9);
    }
  });
});

describe('a prompt sent as content parts in every form an engine renders as text', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Billed by its text, as vLLM renders bare string parts (the emulator bills what it is sent).
    stack = await startStack({ emulator: { promptBilling: { factor: 1, overhead: 0 }, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) }, thinkcap: thinkcap(), envoy: { mutate: roomyTimeouts } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // ~2,000 words: ~4,000 tokens of bound, $4 at this price, past the $0.5 cap.
  const long = Array.from({ length: 2000 }, (_, i) => ['alpha', 'beta', 'gamma', 'delta'][i % 4]).join(' ');
  it.each([
    ['bare string parts (vLLM reads them as text)', [long]],
    ['an image part that also carries a text field', [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' }, text: 'x' }]],
  ])('%s: reserved for, so refused with 429 before any upstream call', async (_name, content) => {
    const calls = stack.emulator.chatCalls();
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }) });
    expect(r.status).toBe(429);
    await r.text();
    expect(stack.emulator.chatCalls()).toBe(calls);
    expect((await anonymousBudget(stack.thinkcap!.adminPort)).spent).toBe(0);
  });
});

describe('emulated engine billing past the bound with settleOverReservation: charge', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ emulator: { promptBilling: { factor: 3, overhead: 300 }, plan: () => ({ thinkingTokens: 10, answerTokens: 5 }) }, thinkcap: thinkcap({ settleOverReservation: 'charge' }), envoy: { mutate: roomyTimeouts } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the window is charged the true cost (which can pass the cap by the overshoot), and the overshoot is counted', async () => {
    const r = await race(stack, 60);
    expect(r.spent).toBeCloseTo(r.trueCost, 9);
    expect(r.over).toBeGreaterThan(0);
    // At most the reserved worst cases plus what the engine billed beyond them.
    expect(r.spent).toBeLessThanOrEqual(CAP + r.over + 1e-9);
  });
});

describe('the real llama-server bills the prompt through its own template', () => {
  let llama: RunningLlama;
  let stack: Stack;
  beforeAll(async () => {
    llama = await startLlamaServer({ template: 'think-forced-open', reasoningFormat: 'deepseek', slots: 2 });
    stack = await startStack({ backendPort: llama.port, thinkcap: { ...thinkcap(), backends: [{ name: 'llama', dialect: 'llamacpp' }] }, envoy: { ...LLAMA_ENVOY, mutate: roomyTimeouts } });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await llama?.stop();
  });

  it('30 concurrent requests: settled ≤ cap and no bill passed its reservation', async () => {
    const r = await race(stack, 30);
    expect(r.admitted).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.spent).toBeGreaterThan(0);
    expect(r.spent).toBeLessThanOrEqual(CAP + 1e-9);
    expect(r.over).toBe(0);
    // The engine's own prompt count ("Hello" through the template) is above thinkcap's 5-token estimate.
    expect(stack.thinkcap!.history.find((h) => h.outcome === 'ok')!.promptTokens).toBeGreaterThan(5);
  }, 120_000);
});
