import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { countTokens, TOKENIZE_MAX_CHARS, truncateToTokens } from '../../src/stream/tokens.js';

const exact = new Tiktoken(o200k);
const exactTruncate = (text: string, n: number) => {
  const ids = exact.encode(text);
  return ids.length <= n ? text : exact.decode(ids.slice(0, n)).replace(/\uFFFD+$/u, '');
};

describe('token counting with bounded work', () => {
  it('counts exactly up to the bound, and estimates from a prefix past it', () => {
    const s = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
    expect(countTokens(s)).toBe(exact.encode(s).length);
    const big = 'word '.repeat(200_000); // 1 MB
    const est = countTokens(big);
    expect(est).toBeGreaterThan(190_000);
    expect(est).toBeLessThan(210_000);
    expect(big.length).toBeGreaterThan(TOKENIZE_MAX_CHARS);
  });

  it('truncateToTokens matches an exact truncation on ordinary text, and returns a prefix that fits on any text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('think ', 'über ', '数学 ', '🙂', 'x', '\n', 'aaaaaaaa'), { maxLength: 400 }), fc.nat({ max: 300 }), (parts, n) => {
        const text = parts.join('');
        const got = truncateToTokens(text, n);
        expect(text.startsWith(got)).toBe(true);
        expect(exact.encode(got).length).toBeLessThanOrEqual(n + 1);
        if (!/a{8}|🙂/.test(text)) expect(got).toBe(exactTruncate(text, n));
      }),
      { numRuns: 300 },
    );
  });

  it('truncating a megabyte to a small budget gives the exact prefix (only a prefix is tokenized)', () => {
    const big = 'reason '.repeat(150_000);
    const got = truncateToTokens(big, 100);
    expect(exact.encode(got).length).toBe(100);
    expect(got).toBe(exactTruncate(big.slice(0, 4096), 100));
  });
});
