/**
 * textShape is one pass of table lookups; it must count exactly what the regex version it
 * replaced counted (kept here as the reference), on any text: mixed scripts, CJK marks, astral
 * letters, lone surrogates, word joiners.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textShape } from '../../src/classify/text.js';

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/gu;
const CJK_ONE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
// A combining mark is part of a word (session 65: the Indic scripts' vowel signs are marks).
const WORD = /[\p{L}\p{N}\p{M}][\p{L}\p{N}\p{M}'’_-]*/gu;
// Thai, Lao, Myanmar and Khmer (session 64): every unit of their blocks, letters and marks, four to a word.
const UNSPACED = /[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]/gu;
const UNSPACED_ONE = /[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]/u;

function reference(text: string) {
  const cjk = CJK_ONE.test(text) ? text.match(CJK) : null;
  const cjkChars = cjk ? cjk.length : 0;
  const seen = new Set<string>();
  let words = 0;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    if (CJK_ONE.test(m[0]) || UNSPACED_ONE.test(m[0])) continue;
    words++;
    if (seen.size < 4000) seen.add(m[0].toLowerCase());
  }
  if (cjk) for (let i = 0; i < cjk.length && seen.size < 4000; i++) seen.add(cjk[i]!);
  const unspaced = text.match(UNSPACED) ?? [];
  for (let i = 0; i < unspaced.length && seen.size < 4000; i++) seen.add(unspaced[i]!);
  let lines = 1;
  let q = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) lines++;
    // '¿' opens the question that '?' closes: one question, not two. A run of marks ("??", "?!?") is one.
    else if ((ch === 63 || ch === 0xff1f) && !/[?？!！]/.test(text[i - 1] ?? '')) q++;
  }
  return { words: words + Math.round(cjkChars / 1.5) + Math.round(unspaced.length / 4), distinct: seen.size, chars: text.length, lines, questionMarks: q, cjkChars };
}

const pieces = ['design', 'Design', '!', "don't", 'rock’n’roll', 'snake_case', 'x-ray', '-', "'", '’', '_', ' ', '\n', '?', '？', '¿', '证明', '設計', 'ー', '・', '゛', 'доказать', 'برهان', 'प्रमाण', '최적화', '𝐀𝐁', '😀', '\ud800', '\udc00', '42', '3.14', 'ÉCOLE', 'ǅ', '\u200d', 'ออกแบบ', 'พิสูจน์', 'ສະບາຍດີ', 'ស្រាយបញ្ជាក់', 'သက်သေပြ', '၂', '๙', 'अंतरिक्ष', 'ि', '\u0301', 'ধন্যবাদ'];

describe('textShape', () => {
  it('counts what the regex version counted, on any mix of scripts (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(textShape(text)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("a Spanish question ('¿...?') is one question, as the same question in English", () => {
    expect(textShape('¿Qué es la latencia de cola?').questionMarks).toBe(1);
    expect(textShape('¿Por qué? ¿Y cómo?').questionMarks).toBe(2);
    // A run of marks closes one question.
    expect(textShape("What is Newton's second law??").questionMarks).toBe(1);
    expect(textShape('Why?!? And how？？').questionMarks).toBe(2);
  });

  it('generated worst cases: the same figures', () => {
    const fill = (u: string, b: number) => u.repeat(Math.ceil(b / u.length)).slice(0, b);
    for (const t of [fill('证明 design доказать 設計 بره‍ان प्रमाण optimize 최적화 ', 2048), fill("a'b-c_d’e", 2048), fill('{\n;\n', 2048), fill('why? how? ', 2048)]) {
      expect(textShape(t)).toEqual(reference(t));
    }
  });

  it('lowerCased: on lower-cased text, the same figures without lower-casing its words again (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces, 'ΑΣ', 'İ', 'ẞ', 'K'), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 40 }), (parts) => {
        const lower = parts.join('').toLowerCase();
        expect(textShape(lower, true)).toEqual(textShape(lower));
        expect(textShape(lower, true)).toEqual(reference(lower));
      }),
      { numRuns: 2000 },
    );
  });
});

