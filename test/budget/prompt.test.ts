import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { promptTokenBound, textTokens } from '../../src/budget/prompt.js';
import { TOKENIZE_MAX_CHARS } from '../../src/stream/tokens.js';

const o200k = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;
const BOUND = { safetyFactor: 2, overheadTokens: 64 };
const english = (n: number) => 'We need to decide how to roll out the new billing system, region by region. '.repeat(Math.ceil(n / 76)).slice(0, n);
/** Yi syllables with a space every six: o200k takes about 2.5 tokens a character (short pieces, quick to encode whole). */
const yi = (n: number) => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += String.fromCharCode(0xa000 + ((i * 7919) % 0x48c)) + (i % 6 === 5 ? ' ' : '');
  return s.slice(0, n);
};

describe('the prompt token bound', () => {
  it('up to 32 KiB of text: the exact count, as estimate and as bound, plus 4 a message', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: english(20_000) }];
    const exact = o200k('Be brief.' + english(20_000));
    expect(promptTokenBound({ messages }, BOUND)).toEqual({ estimate: exact + 8, bound: (exact + 8) * 2 + 64 });
  });

  it('past 32 KiB, whatever the rest holds, the bound is at least the count (a scaled count of the head is not)', () => {
    const text = english(TOKENIZE_MAX_CHARS) + yi(40_000);
    const exact = o200k(text);
    const t = textTokens(text);
    expect(t.bound).toBeGreaterThanOrEqual(exact);
    // The estimate (the head's rate scaled by length) falls far short here: why the bound is not it.
    expect(t.estimate).toBeLessThan(exact / 2);
    // And the bound before this change: chars / 2 past 64 KiB, times the safety factor 2.
    const big = english(1000) + yi(70_000);
    expect(textTokens(big).bound).toBeGreaterThanOrEqual(o200k(big));
    expect(big.length).toBeLessThan(o200k(big) / 2);
  });

  it('the bound is never below the estimate, and a cut at the limit never splits a surrogate pair', () => {
    for (const text of [english(40_000), 'a'.repeat(TOKENIZE_MAX_CHARS - 1) + '😀'.repeat(1000), yi(50_000) + english(10_000), '😀'.repeat(30_000)]) {
      const t = textTokens(text);
      expect(t.bound).toBeGreaterThanOrEqual(t.estimate);
      expect(Number.isFinite(t.bound)).toBe(true);
    }
    // An emoji across the cut: counted whole on one side (no U+FFFD), so the bound is at least the count.
    const across = 'a'.repeat(TOKENIZE_MAX_CHARS - 1) + '😀' + 'b'.repeat(100);
    expect(textTokens(across).bound).toBeGreaterThanOrEqual(o200k(across) - 1);
  });

  it('tools, functions and a response schema are bounded too', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: yi(40_000), parameters: { type: 'object' } } }];
    const r = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }], tools }, BOUND);
    expect(r.bound).toBeGreaterThanOrEqual((o200k('hi') + 4 + o200k(JSON.stringify(tools))) * 2 + 64);
  });
});
