import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stoppedAtEngineLimit, thinkingThatFits } from '../../src/extproc/context-fit.js';
import { countTokens } from '../../src/stream/tokens.js';

describe('stoppedAtEngineLimit', () => {
  it('a length stop inside the budget, or fewer tokens than the limit thinkcap wrote under budget forcing, with no answer', () => {
    expect(stoppedAtEngineLimit({ followUp: 'rescue_at_context', completionTokens: null, answer: '' }, 100)).toBe(true);
    // Budget forcing: the upstream limit is the budget; the engine stopped short of it.
    expect(stoppedAtEngineLimit({ followUp: 'continuation', completionTokens: 60, answer: '' }, 100)).toBe(true);
    expect(stoppedAtEngineLimit({ followUp: 'continuation', completionTokens: 100, answer: '' }, 100)).toBe(false);
    expect(stoppedAtEngineLimit({ followUp: 'continuation', completionTokens: null, answer: '' }, 100)).toBe(false);
    // An answer had begun: the continuation finishes it, as before.
    expect(stoppedAtEngineLimit({ followUp: 'continuation', completionTokens: 60, answer: 'The' }, 100)).toBe(false);
    for (const followUp of ['rescue', 'rescue_at_length', null] as const) expect(stoppedAtEngineLimit({ followUp, completionTokens: 60, answer: '' }, 100)).toBe(false);
  });
});

describe('thinkingThatFits', () => {
  const thinking = Array.from({ length: 400 }, (_, i) => `step ${i}: check the next case.`).join('\n');

  it('keeps the start, dropping the reserve and the closing tokens in the proportion of what the engine generated', () => {
    const total = countTokens(thinking);
    // The engine counted 3,000 tokens where thinkcap counts `total`: 144 of them freed is 4.8 %.
    const { thinking: kept, answerRoom } = thinkingThatFits(thinking, 3000, 128);
    expect(thinking.startsWith(kept)).toBe(true);
    expect(countTokens(kept)).toBe(Math.floor(total * (3000 - 144) / 3000));
    expect(answerRoom).toBe(128);
  });

  it('drops at most half, and nothing where the engine gave no count', () => {
    const half = thinkingThatFits(thinking, 200, 4096);
    expect(countTokens(half.thinking)).toBe(Math.floor(countTokens(thinking) / 2));
    expect(half.answerRoom).toBe(100 - 16);
    expect(thinkingThatFits(thinking, null, 128)).toEqual({ thinking, answerRoom: null });
    expect(thinkingThatFits(thinking, 0, 128)).toEqual({ thinking, answerRoom: null });
    expect(thinkingThatFits('', 500, 128)).toEqual({ thinking: '', answerRoom: null });
  });

  it('any text, split characters included: a start of it, never longer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 4096 }), (text, generated, reserve) => {
        const { thinking: kept, answerRoom } = thinkingThatFits(text, generated, reserve);
        if (text !== '') expect(answerRoom).toBeGreaterThanOrEqual(1);
        expect(text.startsWith(kept)).toBe(true);
        expect(countTokens(kept)).toBeLessThanOrEqual(countTokens(text));
      }),
      { numRuns: 300 },
    );
  });
});
