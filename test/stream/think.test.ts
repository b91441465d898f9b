import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { THINK_TAGS, ThinkTagTracker, partialSuffix, thinkTagsOf, type ThinkTags } from '../../src/stream/think.js';
import { splitAt } from '../harness/split.js';

const words = (n: number, w = 'step') => Array.from({ length: n }, (_, i) => (i ? ' ' : '') + w).join('');
// One token per word for the property: deterministic and independent of a tokenizer.
const count = (s: string) => s.split(' ').filter(Boolean).length;

// Cut after the first n words (the word counter above is the tokenizer).
const truncateWords = (s: string, n: number) => s.split(' ').filter(Boolean).slice(0, n).join(' ');

function run(pieces: string[], budget: number, prefilled = false, tags: ThinkTags = THINK_TAGS) {
  const t = new ThinkTagTracker(budget, count, prefilled, truncateWords, tags);
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

  it('a pre-filled block ends where a reasoning field comes before any content (the engine parsed thinking out)', () => {
    const t = new ThinkTagTracker(2, count, true, truncateWords);
    expect(t.push('').out).toBe('');
    t.answerOnly();
    const r = t.push(words(10, 'answer'));
    expect(r.answer).toBe(words(10, 'answer'));
    expect(r.out).toBe(words(10, 'answer'));
    expect(t.entered).toBe(false);
    // Once content has been read inside the block, a reasoning field does not end it.
    const late = new ThinkTagTracker(2, count, true, truncateWords);
    late.push('step step step');
    late.answerOnly();
    expect(late.insideThink).toBe(true);
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
    expect(partialSuffix('</think>', '</think>')).toBe(0); // a whole tag is no partial one
    expect(partialSuffix('<<<', '<<<<')).toBe(3);
  });

  it('property: partialSuffix is the longest suffix that is a proper prefix of the tag', () => {
    const naive = (s: string, tag: string) => {
      for (let k = Math.min(s.length, tag.length - 1); k > 0; k--) if (tag.startsWith(s.slice(s.length - k))) return k;
      return 0;
    };
    const text = fc.array(fc.constantFrom('<', '/', 't', 'h', '|', '>', 'x', 'é'), { maxLength: 24 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, text.filter((t) => t.length > 0), (s, tag) => {
        expect(partialSuffix(s, tag)).toBe(naive(s, tag));
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts one large piece (a whole JSON answer) at the budget', () => {
    const r = run([`<think>${words(50)}</think>\n\nAnswer`], 10);
    expect(r.out).toBe(`<think>${words(10)}</think>\n\nAnswer`);
    expect(r.t.reasoningTokens).toBe(50);
    expect(r.t.keptTokens).toBe(10);
  });

  it('drops a stray closing tag the model writes into its answer, however it is split', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 60 }), { maxLength: 8 }), (cuts) => {
        const text = `<think>${words(5)}</think>\n\nThe answer</think> goes on.`;
        // The test's tokenizer counts a word in each piece it is cut into: 5 words and at most 8
        // cuts count at most 13, so a budget of 20 is never reached (at 10, a seed here cut "step"
        // four ways and the budget closed the block early).
        const r = run(splitAt(text, cuts), 20);
        expect(r.out).toBe(`<think>${words(5)}</think>\n\nThe answer goes on.`);
        expect(r.answer).toBe('\n\nThe answer goes on.');
      }),
      { examples: [[[9, 13, 8, 14, 10, 18]]] },
    );
  });

  it('tags the model writes after thinking closed are dropped, the text between them is still its answer', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 80 }), { maxLength: 8 }), (cuts) => {
        const text = `<think>${words(3)}</think>Paris.<think>${words(4, 'again')}</think> Done.`;
        // 3 words and at most 8 cuts: under the budget however it is split (see above).
        const r = run(splitAt(text, cuts), 20);
        expect(r.out).toBe(`<think>${words(3)}</think>Paris.${words(4, 'again')} Done.`);
        expect(r.out.split('</think>').length - 1).toBe(1);
        expect(r.t.strayTags).toBe(2);
      }),
    );
  });

  it('with reasoning in its own field, think tags in the answer are stray', () => {
    const t = new ThinkTagTracker(10, count, false, truncateWords);
    t.answerOnly();
    const a = t.push('\n</thi');
    const b = t.push('nk>The answer');
    const f = t.flush();
    expect(a.out + b.out + f.out).toBe('\nThe answer');
  });

  it('a plain answer without any think block passes untouched, tags and all', () => {
    const text = 'Use the <think> tag, then </think>.';
    const r = run([text], 10);
    expect(r.out).toBe(text);
  });
});

describe("ThinkTagTracker with a template's own markers (backends[].thinkingFormat)", () => {
  const SEED = thinkTagsOf({ open: '<seed:think>', close: '</seed:think>\n' });
  const COHERE = thinkTagsOf({ open: '', close: '<|END_THINKING|><|START_TEXT|>' });

  it('thinkTagsOf: the markers without the spacing a template writes; an empty open means the prompt opened it; a run of markers ends at its first', () => {
    expect(SEED).toEqual({ open: '<seed:think>', close: '</seed:think>' });
    expect(COHERE).toEqual({ open: null, close: '<|END_THINKING|>' });
    // Text between the markers: the close is kept whole.
    expect(thinkTagsOf({ open: '', close: '<|close|>think<|sep|><|open|>response<|sep|>' }).close).toBe('<|close|>think<|sep|><|open|>response<|sep|>');
    expect(thinkTagsOf(undefined)).toBe(THINK_TAGS);
    // A close of spacing alone marks nothing: the default stays.
    expect(thinkTagsOf({ open: '<x>', close: '\n' })).toBe(THINK_TAGS);
  });

  // What the model writes where its thinking ends, and what of it is answer.
  const FORMATS = [
    { tags: SEED, written: '</seed:think>', answerHead: '' },
    { tags: COHERE, written: '<|END_THINKING|><|START_TEXT|>', answerHead: '<|START_TEXT|>' },
    // An engine that forces the end of thinking writes the first marker only (llama.cpp's budget).
    { tags: COHERE, written: '<|END_THINKING|>', answerHead: '' },
  ];

  it('property: any split gives one closing marker, kept reasoning <= budget + one piece, answer intact; <think> is text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom(...FORMATS),
        fc.constantFrom('Answer: 42.', 'Use <think> and </think> tags.', '答案是四十二', ''),
        (thinking, budget, cuts, { tags, written, answerHead }, answerText) => {
          const prefilled = tags.open === null;
          const text = `${prefilled ? '' : tags.open}${words(thinking)}${written}\n\n${answerText}`;
          const pieces = splitAt(text, cuts);
          const r = run(pieces, budget, prefilled, tags);
          const biggestPiece = Math.max(...pieces.map(count));
          expect(r.out.split(tags.close).length - 1).toBe(1);
          expect(r.out.endsWith(`${tags.close}${answerHead}\n\n${answerText}`)).toBe(true);
          expect(r.answer).toBe(`${answerHead}\n\n${answerText}`);
          const kept = r.out.slice(prefilled ? 0 : tags.open!.length, r.out.indexOf(tags.close));
          expect(count(kept)).toBeLessThanOrEqual(budget + biggestPiece);
          if (r.t.reasoningTokens <= budget) expect(kept).toBe(words(thinking));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("the model's own markers after thinking closed are dropped, however they are split", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 90 }), { maxLength: 8 }), (cuts) => {
        const text = `<seed:think>${words(3)}</seed:think>Paris.<seed:think>${words(4, 'again')}</seed:think> Done.`;
        const r = run(splitAt(text, cuts), 20, false, SEED);
        expect(r.out).toBe(`<seed:think>${words(3)}</seed:think>Paris.${words(4, 'again')} Done.`);
        expect(r.t.strayTags).toBe(2);
      }),
    );
  });

  it('an answer with no marker passes whole; with no opening marker, only a stream that starts inside thinks', () => {
    expect(run(['<think>not a tag here</think> ', 'answer'], 0, false, SEED).out).toBe('<think>not a tag here</think> answer');
    // Cohere's opening marker is in the prompt: a stream not said to start inside is all answer.
    const plain = run([`${words(5)}<|END_THINKING|><|START_TEXT|>answer`], 2, false, COHERE);
    expect(plain.answer).toBe(`${words(5)}<|END_THINKING|><|START_TEXT|>answer`);
    expect(plain.t.entered).toBe(false);
    // Closed at the budget: the model's own end marker later is dropped, what follows is answer.
    const inside = run([`${words(5)}<|END_THI`, 'NKING|><|START_TEXT|>answer'], 2, true, COHERE);
    expect(inside.out).toBe(`${words(2)}<|END_THINKING|><|START_TEXT|>answer`);
    expect(inside.answer).toBe('<|START_TEXT|>answer');
    expect(inside.t.closedByUs).toBe(true);
  });
});
