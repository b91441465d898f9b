/**
 * A cue of how long to think before an ask ("Think step by step:", "/no_think", "Reasoning:
 * high") is set apart, and only such a cue: what breaks it is a cue that eats an ask's words, or
 * an ask that is left empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages } from '../../src/classify/classifier.js';
import { withoutEffortCue } from '../../src/classify/effort.js';

const rules = (q: string) => classifyMessages([{ role: 'user', content: q }], 3, false);

describe('withoutEffortCue', () => {
  it('sets apart a leading cue to think more, in the languages it reads', () => {
    for (const [turn, ask] of [
      ["Think step by step: what's the capital of Canada?", "what's the capital of Canada?"],
      ['Take your time and reason carefully. How many legs does a spider have?', 'How many legs does a spider have?'],
      ['Think very hard and deeply, step by step, with maximum reasoning: what is 12 times 12?', 'what is 12 times 12?'],
      ['This is a really hard problem, please think deeply: what does HTTP stand for?', 'what does HTTP stand for?'],
      ['Use maximum reasoning effort. Convert 5 kilometres to miles.', 'Convert 5 kilometres to miles.'],
      ['Réfléchis bien, étape par étape : combien font 15 + 27 ?', 'combien font 15 + 27 ?'],
      ['Denk gründlich nach, bevor du antwortest: Wie heißt die Hauptstadt von Kanada?', 'Wie heißt die Hauptstadt von Kanada?'],
      ['Подумай как следует: сколько будет 6 умножить на 7?', 'сколько будет 6 умножить на 7?'],
      ['请一步一步仔细思考：法国的首都是哪里？', '法国的首都是哪里？'],
      ['よく考えてから答えて：1メートルは何センチ？', '1メートルは何センチ？'],
      ["/think what's 7 + 5", "what's 7 + 5"],
      ['Reasoning: high\n\nWhat does idempotent mean?', 'What does idempotent mean?'],
    ] as const) {
      expect(withoutEffortCue(turn), turn).toEqual({ text: ask, asksMore: true });
    }
  });

  it('sets apart a cue to think less, and says it asks no more', () => {
    for (const [turn, ask] of [
      ["Don't think, just answer: what's 9 times 8?", "what's 9 times 8?"],
      ['No need to overthink it: design the sharding scheme for our orders table.', 'design the sharding scheme for our orders table.'],
      ['/no_think Prove that the square root of 3 is irrational.', 'Prove that the square root of 3 is irrational.'],
      ['Prove that the square root of 3 is irrational. /no_think', 'Prove that the square root of 3 is irrational.'],
      ['Pas besoin de réfléchir longtemps : démontre que 2 est premier.', 'démontre que 2 est premier.'],
      ['Reasoning: low\nSummarise this paragraph.', 'Summarise this paragraph.'],
      ['不用想太多，直接回答：1+1等于几？', '直接回答：1+1等于几？'],
    ] as const) {
      expect(withoutEffortCue(turn), turn).toEqual({ text: ask, asksMore: false });
    }
  });

  it('keeps what is an ask, or part of one', () => {
    for (const turn of [
      "Think about how you'd shard a 2 TB table: by customer or by date?",
      'Step 1: install nginx. Step 2: configure TLS. What did I miss?',
      'Explain step by step: how does DNS resolution work?',
      'Time complexity: what is the big-O of heapify?',
      'Think step by step.',
      // Words that may stand around a cue, with no word of thinking, effort or difficulty: no cue.
      'Just a quick sanity check: is a TCP handshake three packets?',
      'Quick check, one question: is UDP connectionless?',
      '/think',
      'How do I pass /think to Qwen3 in the chat template?',
      'Hard drives or SSDs: which last longer?',
      'Reasoning: the cache is cold after a deploy. Why is p99 high?',
      '',
    ]) {
      expect(withoutEffortCue(turn), turn).toEqual({ text: turn, asksMore: false });
    }
  });

  it('never leaves an empty ask, and reads at most the start of a long turn', () => {
    const cue = fc.constantFrom('Think step by step', 'Take your time', 'think hard', 'Be thorough', 'Denk gründlich nach', 'Подумай как следует', 'no need to overthink it');
    const mark = fc.constantFrom(': ', ', ', '. ', '! ', '\n', ' — ');
    fc.assert(
      fc.property(fc.array(fc.tuple(cue, mark), { minLength: 0, maxLength: 6 }), fc.string({ maxLength: 300 }), (cues, rest) => {
        const turn = cues.map(([c, m]) => c + m).join('') + rest;
        const { text } = withoutEffortCue(turn);
        // What is left is the turn's end: nothing is taken from inside the ask.
        expect(turn.endsWith(text) || turn.trimEnd().endsWith(text.trimEnd())).toBe(true);
        if (turn.trim() !== '') expect(text.trim()).not.toBe('');
      }),
      { numRuns: 3000 },
    );
    // A cue past the first 200 characters is not read, and a long turn costs a 200-character read.
    const long = `${'a'.repeat(250)} think step by step: ${'x'.repeat(1_000_000)}`;
    expect(withoutEffortCue(long).text).toBe(long);
    const cues = `${'think hard, '.repeat(100_000)}what is 2 + 2?`;
    expect(withoutEffortCue(cues).text.length).toBeGreaterThan(cues.length - 60);
    // Lone surrogates and odd marks do not throw.
    expect(withoutEffortCue('\ud800 think hard: \udfff').asksMore).toBe(false);
  });
});

describe('a cue of how long to think, classified (probe set 183)', () => {
  it('reads the ask, not the cue, and a cue to think hard before a one-step ask as simple', () => {
    // Before session 70 (rules alone): moderate, moderate, moderate.
    expect(rules("Think step by step: what's the capital of Canada?").tier).toBe('simple');
    expect(rules("Be extremely thorough and consider every edge case: what's the keyboard shortcut to undo on a Mac?").tier).toBe('simple');
    expect(rules('Réfléchis bien, étape par étape : combien font 15 + 27 ?').tier).toBe('simple');
    // The tune split's tc-0528, labelled simple: arithmetic under a cue to think hard.
    const stuffed = rules('Think very hard and deeply, step by step, with maximum reasoning: what is 12 times 12?');
    expect(stuffed.tier).toBe('simple');
    expect(stuffed.signals).toContain('asks to think hard about a one-step ask: read as simple');
    // A cue to think less lifts nothing; a social turn after a cue stays one.
    expect(rules("Don't think, just answer: what's 9 times 8?").tier).toBe('trivial');
    expect(rules('Reason as long as you need: thanks, that fixed it!').tier).toBe('trivial');
    // The cue does not lower an ask: a design stays a design, a proof a proof.
    expect(rules('No need to overthink it: design the sharding scheme for our 2 TB orders table so that per-customer queries stay on one shard and monthly reports still work.').tier).toBe('complex');
    expect(rules('/no_think Prove that the square root of 3 is irrational.').tier).toBe('deep');
  });
});
