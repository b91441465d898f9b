/**
 * Answers, not just tokens: the enforcement layers on a model whose accuracy depends on how long
 * it thinks (benchmarks/quality/arith-think.gguf, trained for this; see benchmarks/quality/),
 * served by the real llama-server behind the real Envoy and thinkcap. A fixed set of 8 short
 * additions, 8 long additions and 8 multiplications from the held-out set, temperature 0, one
 * request at a time (so the engine's token counter is exact and repeatable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningLlama } from '../../devkit/llama.js';
import { loadHeldout, runArm, startQualityLlama, type Kind, type Problem } from '../../benchmarks/quality.js';

const { neededByKind, problems: all } = loadHeldout();
const SET: Problem[] = (['short', 'long', 'mul'] as Kind[]).flatMap((k) => all.filter((p) => p.kind === k).slice(0, 8));
/** Covers every kind's steps up to the result line, not all of the re-checks. */
const COVERING = Math.max(...Object.values(neededByKind));

describe('answer quality on a model that really thinks (real llama-server)', () => {
  let llama: RunningLlama;
  beforeAll(async () => {
    llama = await startQualityLlama(1);
  }, 60_000);
  afterAll(async () => {
    await llama?.stop();
  });

  it('the native cap at a budget covering the scratchpad keeps accuracy ≥ 0.95, and saves thinking', async () => {
    const free = await runArm(llama, 'no thinkcap', 'none', { by: 'unlimited' }, SET, neededByKind, 1);
    const capped = await runArm(llama, 'native', 'native', { by: 'fixed', budget: COVERING }, SET, neededByKind, 1);
    expect(free.failed + capped.failed).toBe(0);
    expect(capped.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(capped.engineThinking).toBeLessThan(free.engineThinking);
    // The engine stopped at the budget. Engine thinking counts all it generated but the answer:
    // the forced end-of-thinking tag, the two newlines after it and the end-of-turn token are the slack.
    expect(capped.engineThinking).toBeLessThanOrEqual(COVERING + 4);
  }, 120_000);

  it('at budget 0 accuracy is near 0: the thinking is what gets the answers right', async () => {
    const r = await runArm(llama, 'native 0', 'native', { by: 'fixed', budget: 0 }, SET, neededByKind, 1);
    expect(r.accuracy).toBeLessThanOrEqual(0.1);
    expect(r.failed).toBe(0);
  }, 120_000);

  it('stream rewrite only: the same accuracy and the same engine tokens as no cap (it saves nothing)', async () => {
    const budget = 32;
    const free = await runArm(llama, 'no thinkcap', 'none', { by: 'unlimited' }, SET, neededByKind, 1);
    const rewrite = await runArm(llama, 'rewrite', 'rewrite', { by: 'fixed', budget }, SET, neededByKind, 1);
    // Exactly equal: temperature 0, one request at a time. (Under CPU load, requests without
    // thinkcap once failed with Envoy 503s: llama-server closes its connection after each streamed
    // answer, and Envoy reused it; LLAMA_ENVOY gives each request its own connection.)
    expect(rewrite.failed + free.failed).toBe(0);
    expect(rewrite.accuracy).toBe(free.accuracy);
    expect(rewrite.generated).toBe(free.generated);
    // What it does do: the client is shown no more than the budget (one token a character here).
    expect(rewrite.maxShownStreamed).toBeLessThanOrEqual(budget);
    expect(rewrite.maxShownWhole).toBeLessThanOrEqual(budget);
    expect(free.maxShownStreamed).toBeGreaterThan(budget);
  }, 120_000);

  it('budget forcing: an answer arrives in every case, at every budget', async () => {
    for (const budget of [0, 20, 60]) {
      const r = await runArm(llama, `continuation ${budget}`, 'continuation', { by: 'fixed', budget }, SET, neededByKind, 1);
      expect(r.failed, `budget ${budget}`).toBe(0);
      expect(r.unanswered, `budget ${budget}`).toBe(0);
      // The first leg stops at the budget (at least 1 token); the second adds only the end-of-turn token.
      expect(r.engineThinking, `budget ${budget}`).toBeLessThanOrEqual(Math.max(1, budget) + 1);
    }
  }, 180_000);
});
