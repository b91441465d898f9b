import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThinkTagTracker, partialSuffix } from '../../src/stream/think.js';
import { splitAt } from '../harness/split.js';

const words = (n: number, w = 'step') => Array.from({ length: n }, (_, i) => (i ? ' ' : '') + w).join('');
// One token per word for the property: deterministic and independent of a tokenizer.
const count = (s: string) => s.split(' ').filter(Boolean).length;

function run(pieces: string[], budget: number, prefilled = false) {
  const t = new ThinkTagTracker(budget, count, prefilled);
  let out = '';
  let answer = '';
  for (const p of pieces) {
    const r = t.push(p);
    out += r.out;
    answer += r.answer;
  }
  const f = t.flush();
  out += f.out;
  answer += f.answer;
  return { out, answer, t };
}


describe('ThinkTagTracker', () => {
  it('passes a block within budget through unchanged', () => {
    const text = `<think>${words(5)}</think>\n\nThe answer.`;
    const r = run([text], 10);
    expect(r.out).toBe(text);
    expect(r.answer).toBe('\n\nThe answer.');
    expect(r.t.closedByUs).toBe(false);
  });

  it('closes the block once at the budget and swallows the model’s own closing tag', () => {
    const r = run([`<think>${words(50)}</think>\n\nÄnswer ✓`], 10);
    expect(r.out.split('</think>').length - 1).toBe(1);
    expect(r.t.closedByUs).toBe(true);
    expect(r.out.endsWith('</think>\n\nÄnswer ✓')).toBe(true);
    expect(r.answer).toBe('\n\nÄnswer ✓');
  });

  it('handles a pre-filled <think> (stream starts inside the block)', () => {
    const r = run([`${words(30)}</think>answer`], 5, true);
    expect(r.out.startsWith('step step')).toBe(true);
    expect(r.out.split('</think>').length - 1).toBe(1);
    expect(r.answer).toBe('answer');
  });

  it('answers without a think block are forwarded whole', () => {
    expect(run(['Just ', 'an answer <b>'], 0).out).toBe('Just an answer <b>');
  });

  it('property: any split gives one </think>, kept reasoning <= budget + one piece, answer intact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom('Answer: 42.', 'Ответ — да ✓', '答案是四十二', ''),
        (thinking, budget, cuts, prefilled, answerText) => {
          const text = `${prefilled ? '' : '<think>'}${words(thinking)}</think>\n\n${answerText}`;
          const pieces = splitAt(text, cuts);
          const r = run(pieces, budget, prefilled);
          const biggestPiece = Math.max(...pieces.map(count));
          expect(r.out.split('</think>').length - 1).toBe(1);
          expect(r.out.endsWith(`</think>\n\n${answerText}`)).toBe(true);
          expect(r.answer).toBe(`\n\n${answerText}`);
          const kept = r.out.slice(prefilled ? 0 : 7, r.out.indexOf('</think>'));
          // Pieces are forwarded whole, so the slack is at most one piece (one token in real streams).
          expect(count(kept)).toBeLessThanOrEqual(budget + biggestPiece);
          if (r.t.reasoningTokens <= budget) expect(kept).toBe(words(thinking));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('partialSuffix finds split tag starts', () => {
    expect(partialSuffix('abc</thi', '</think>')).toBe(5);
    expect(partialSuffix('abc<', '</think>')).toBe(1);
    expect(partialSuffix('abc', '</think>')).toBe(0);
  });
});
