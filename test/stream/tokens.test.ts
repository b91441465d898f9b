import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { seededText } from '../../devkit/random-text.js';
import { CHECKPOINT_CHARS, countTokens, countTokensBefore, MAX_RUN, runCuts, TOKENIZE_MAX_CHARS, truncateToTokens, wordCheckpoints } from '../../src/stream/tokens.js';
import { within } from '../harness/bounded.js';

// js-tiktoken, the encoder used before gpt-tokenizer, is the reference: on ordinary text the two
// give the same counts and truncations (the tests below hold them to it): the swap changed neither.
const exact = new Tiktoken(o200k);
const whole = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
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

  it('a cut inside a character never shows U+FFFD the text does not have, in one pass over a run of them', () => {
    // `Ѡ` is two tokens: cut after the first, it decodes as U+FFFD.
    expect(truncateToTokens('Ѡ ', 1)).toBe('');
    // Before, this cut was "\uFFFDﱾᴆꓚ喳≊": a U+FFFD before a character whose bytes span tokens.
    const spanning = 'ﱾᴆꓚ喳≊ﭢ𐹱𐰁🢒衠';
    expect(truncateToTokens(spanning, 14)).toBe('ﱾᴆꓚ喳≊');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.nat({ max: 120 }), (text, n) => {
        const got = truncateToTokens(text, n);
        expect(text.startsWith(got), JSON.stringify([text, n, got])).toBe(true);
        expect(exact.encode(got).length).toBeLessThanOrEqual(n + 1);
      }),
      { numRuns: 3000 },
    );
    // A model's reasoning of U+FFFD before other text, cut inside the run's tokens and past it.
    const reasoning = '\uFFFD'.repeat(32_000) + 'x' + ' hello world'.repeat(2_000);
    const cut = within(5000, () => truncateToTokens(reasoning, countTokens('\uFFFD'.repeat(32_000)) + 50));
    expect(reasoning.startsWith(cut)).toBe(true);
    expect(cut.length).toBeGreaterThan(32_001);
  });

  it('truncating a megabyte to a small budget gives the exact prefix (only a prefix is tokenized)', () => {
    const big = 'reason '.repeat(150_000);
    const got = truncateToTokens(big, 100);
    expect(exact.encode(got).length).toBe(100);
    expect(got).toBe(exactTruncate(big.slice(0, 4096), 100));
  });
});

describe('token counting in linear time on any text', () => {
  // Pieces with no run of one kind longer than MAX_RUN: ordinary text.
  const ordinary = fc.array(fc.constantFrom('think ', 'über ', '数学 ', '🙂', 'x', '\n', '  ', 'aaaaaaaa', 'don’t ', '3.14159 ', '{"a": [1, 2]}', 'é'), { maxLength: 300 });

  it('ordinary text has no cut and counts what the whole text encodes to, in both encoders', () => {
    fc.assert(
      fc.property(ordinary, (parts) => {
        const text = parts.join('');
        // No run of one kind past MAX_RUN characters (8 'a' at most in a row, a space between words).
        fc.pre(!/\S{65}|\s{65}/u.test(text));
        expect(runCuts(text)).toEqual([]);
        expect(countTokens(text)).toBe(whole(text));
        expect(countTokens(text)).toBe(exact.encode(text).length);
      }),
      { numRuns: 300 },
    );
  });

  it('runs of one kind are cut every MAX_RUN characters, never inside a surrogate pair', () => {
    const char = fc.constantFrom('a', ' ', '\n', '😀', '数', '!', '\t');
    fc.assert(
      fc.property(fc.array(fc.tuple(char, fc.integer({ min: 1, max: 300 })), { maxLength: 8 }), (runs) => {
        const text = runs.map(([c, n]) => c.repeat(n)).join('');
        if (text === '') return;
        const cuts = runCuts(text);
        const bounds = [0, ...cuts, text.length];
        for (let k = 1; k < bounds.length; k++) {
          expect(bounds[k]!).toBeGreaterThan(bounds[k - 1]!);
          const stretch = text.slice(bounds[k - 1], bounds[k]);
          // Within a stretch, no run of one kind longer than MAX_RUN (+1 where a pair kept whole).
          let run = 1;
          for (let i = 1; i < stretch.length; i++) {
            run = isSpace(stretch.charCodeAt(i)) === isSpace(stretch.charCodeAt(i - 1)) ? run + 1 : 1;
            expect(run).toBeLessThanOrEqual(MAX_RUN + 1);
          }
        }
        for (const cut of cuts) {
          const c = text.charCodeAt(cut);
          expect(c >= 0xdc00 && c <= 0xdfff).toBe(false);
        }
      }),
      // The example CI found: the last cut falls on the low half of the text's final pair.
      { numRuns: 500, examples: [[[['a', 277], ['😀', 22]]]] },
    );
  });

  it('a cut run counts at least what it does whole and at most two tokens more per cut', () => {
    const { pick } = seededText(7);
    for (const text of [
      'a'.repeat(1500),
      pick('abcdefghijklmnopqrstuvwxyz', 1500),
      pick('的一是不了人我在有他这为之大来以个中上们', 1500),
      ' '.repeat(1500) + 'x',
      pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 1500),
      ('https://example.com/' + 'path/segment-'.repeat(120)).slice(0, 1500),
      '😀🙂'.repeat(400),
      '!?'.repeat(700),
    ]) {
      const cuts = runCuts(text).length;
      expect(cuts, text.slice(0, 20)).toBeGreaterThan(0);
      expect(countTokens(text), text.slice(0, 20)).toBeGreaterThanOrEqual(whole(text));
      expect(countTokens(text), text.slice(0, 20)).toBeLessThanOrEqual(whole(text) + 2 * cuts);
      // Truncation keeps a prefix of the text that fits.
      const cut = truncateToTokens(text, 50);
      expect(text.startsWith(cut)).toBe(true);
      expect(countTokens(cut)).toBeLessThanOrEqual(51);
    }
  });

  it('special-token strings are counted as text, never refused (a prompt or an answer may quote them)', () => {
    for (const text of ['<|endoftext|>', 'ignore <|im_start|>system and <|endofprompt|>', '<|fim_prefix|>'.repeat(40)]) {
      expect(countTokens(text)).toBeGreaterThan(1);
      expect(truncateToTokens(text, 3).length).toBeGreaterThan(0);
      expect(text.startsWith(truncateToTokens(text, 3))).toBe(true);
    }
  });
});


describe('counting before a deadline (one prompt\'s counting time is bounded)', () => {
  // Pieces of ordinary and awkward text: words, contractions, numbers, punctuation, scripts,
  // combining marks, emoji, and every kind of whitespace the pre-tokenizer treats apart.
  const piece = fc.constantFrom('the', 'The', 'HTTP', "don't", "it's", '123', '4567', '3.14', '数据', '模型的', 'привет', 'Ünïcödé', '😀', '!', '?', '...', '/', '(x)', '{', '-', "'", '"', '\n', '\n\n', '\t', '  ', '\u00a0', 'a', 'é', '\u3000', 'x\u0301', '\r\n', '<|endoftext|>');
  const text = fc.array(fc.tuple(piece, fc.boolean()), { minLength: 200, maxLength: 900 }).map((xs) => xs.map(([p, space]) => (space ? `${p} ` : p)).join(''));

  it('counted to the end, it gives countTokens\' count, with word checkpoints every CHECKPOINT_CHARS or more', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(countTokensBefore(t, Infinity)).toEqual({ tokens: countTokens(t), chars: t.length });
        let last = 0;
        for (const at of wordCheckpoints(t)) {
          expect(at - last).toBeGreaterThanOrEqual(CHECKPOINT_CHARS);
          expect(t[at]).toBe(' ');
          expect(/\s/u.test(t[at - 1]!) || /\s/u.test(t[at + 1]!)).toBe(false);
          // What the whole text's encoder does at a checkpoint: the tokens of the two sides add up.
          expect(whole(t.slice(0, at)) + whole(t.slice(at))).toBe(whole(t));
          last = at;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('past the deadline it stops at a checkpoint or run cut, and the count is that prefix\'s', () => {
    const { next, pick } = seededText(17);
    const words = (n: number) => Array.from({ length: n }, () => pick('abcdefghij', 3 + Math.floor(next() * 6))).join(' ');
    for (const t of [words(2000), pick('的一是不了人我在有他这为之大来', 8000), Array.from({ length: 200 }, () => pick('的一是不了人我在有他这为之大来', 60)).join(' 1 ')]) {
      // A clock that passes the deadline after the second stretch.
      let calls = 0;
      const r = countTokensBefore(t, 1, () => (++calls >= 2 ? 2 : 0));
      expect(r.chars).toBeGreaterThan(0);
      expect(r.chars).toBeLessThan(t.length);
      expect(r.tokens).toBe(countTokens(t.slice(0, r.chars)));
      expect([...runCuts(t), ...wordCheckpoints(t)]).toContain(r.chars);
    }
  });
});
