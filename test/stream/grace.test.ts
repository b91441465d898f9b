/**
 * Budget forcing's graceful end (requests.graceRatio): past the budget the first leg's thinking
 * runs on to the first line break inside the grace window, so the continuation answers after a
 * finished step. llama.cpp shapes: one token an SSE event, reasoning_content, or a whole answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDialect, backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import { graceCut, ResponseRewriter } from '../../src/stream/rewriter.js';
import { splitAt } from '../harness/split.js';

const config = validateConfig({ backends: [{ name: 'llama', dialect: 'llamacpp', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
const dialect = buildDialect('llamacpp', backendOptions(config, config.backends[0]!));

/** A first leg stopped on the length cap inside thinking: one token (character) an event. */
function firstLeg(thinking: string): string {
  const ev = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  let s = ev({ role: 'assistant', content: null });
  for (const ch of thinking) s += ev({ reasoning_content: ch });
  return `${s}${ev({}, 'length')}data: [DONE]\n\n`;
}

function rewriter(budget: number, graceTokens: number, format: 'sse' | 'json' = 'sse') {
  return new ResponseRewriter({ dialect, format, budget, graceTokens, clientWantsUsage: false, thinkPrefilled: false, continuation: true, tier: 'simple' });
}

const STEPS = '\n1+7+0=8\n2+3+0=5\n8+9+0=17\n=5758\ncheck 1: ok\n';

describe('graceful end of thinking, streamed', () => {
  it('keeps thinking past the budget to the end of the line, then drops the rest', () => {
    // Budget 12 ends inside "2+3+0=5": the line is finished (17 tokens), nothing after it.
    const r = rewriter(12, 6);
    r.push(Buffer.from(firstLeg(STEPS.slice(0, 18))), true);
    expect(r.keptReasoning).toBe('\n1+7+0=8\n2+3+0=5\n');
    expect(r.continuationWanted).toBe(true);
    expect(r.enforced).toBe(true);
  });

  it('with no line break inside the window, stops at the end of the window', () => {
    const r = rewriter(10, 2);
    r.push(Buffer.from(firstLeg(STEPS.slice(0, 12))), true);
    expect(r.keptReasoning).toBe(STEPS.slice(0, 12));
  });

  it('a budget that ends on a line break takes no grace', () => {
    const r = rewriter(9, 5);
    r.push(Buffer.from(firstLeg(STEPS.slice(0, 14))), true);
    expect(r.keptReasoning).toBe('\n1+7+0=8\n');
  });

  it('grace 0 is the hard cut at the budget', () => {
    const r = rewriter(12, 0);
    r.push(Buffer.from(firstLeg(STEPS.slice(0, 12))), true);
    expect(r.keptReasoning).toBe(STEPS.slice(0, 12));
  });

  it('is the same however the stream is split (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (budget, grace, cuts) => {
        const text = STEPS.slice(0, Math.min(STEPS.length, budget + grace));
        const whole = rewriter(budget, grace);
        whole.push(Buffer.from(firstLeg(text)), true);
        const parts = rewriter(budget, grace);
        const pieces = splitAt(Buffer.from(firstLeg(text)), cuts);
        pieces.forEach((p, i) => parts.push(p, i === pieces.length - 1));
        expect(parts.keptReasoning).toBe(whole.keptReasoning);
        // Never past the window; past the budget only to finish a line.
        expect(whole.keptReasoning.length).toBeLessThanOrEqual(budget + grace);
        if (whole.keptReasoning.length > budget) {
          expect(whole.keptReasoning.endsWith('\n') || whole.keptReasoning.length === budget + grace).toBe(true);
          expect(whole.keptReasoning.slice(budget, -1)).not.toContain('\n');
        }
      }),
    );
  });
});

describe('graceful end of thinking, whole answers', () => {
  const body = (reasoning: string, finish: string) =>
    Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: '', reasoning_content: reasoning }, finish_reason: finish }], usage: { prompt_tokens: 5, completion_tokens: [...reasoning].length, total_tokens: 5 + [...reasoning].length } }));

  it('a whole answer stopped on the cap ends at the first line break after the budget', () => {
    const r = rewriter(12, 6, 'json');
    const out = JSON.parse(r.push(body(STEPS.slice(0, 18), 'length'), true)!.toString());
    expect(r.keptReasoning).toBe('\n1+7+0=8\n2+3+0=5\n');
    expect(out.choices[0].message.reasoning_content).toBe('\n1+7+0=8\n2+3+0=5\n');
  });

  it('graceCut: by the engine count, to the next line break, or all of it', () => {
    expect(graceCut('ab\ncd\nef', 4, 8)).toBe('ab\ncd\n');
    expect(graceCut('ab\ncd\nef', 3, 8)).toBe('ab\n');
    expect(graceCut('abcdefgh', 4, 8)).toBe('abcdefgh');
    expect(graceCut('ab\ncd', 10, 5)).toBe('ab\ncd');
  });
});

describe('graceful end of thinking, the request', () => {
  it('the first leg may think budget + grace tokens; the client’s own max_tokens still bounds it', () => {
    const body: Record<string, unknown> = { messages: [{ role: 'user', content: 'x' }] };
    dialect.rewriteRequest(body, { thinkingBudget: 100, answerTokens: 16, graceTokens: 10 });
    expect(body.max_tokens).toBe(110);
    const small: Record<string, unknown> = { messages: [{ role: 'user', content: 'x' }], max_tokens: 105 };
    dialect.rewriteRequest(small, { thinkingBudget: 100, answerTokens: 16, graceTokens: 10 });
    expect(small.max_tokens).toBe(105);
  });
});
