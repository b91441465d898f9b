import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages, classifyText } from '../../src/classify/classifier.js';
import { TIER_NAMES } from '../../src/config/schema.js';
import { WORD_MODEL_CHARS, distinctFeatures, wordModelScore } from '../../src/classify/wordmodel.js';
import { trainWordModel, weightsModule, type LabelledRow } from '../../src/classify/wordmodel-train.js';
import { packageRoot } from '../../src/paths.js';

const root = packageRoot();
const rows = readFileSync(join(root, 'benchmarks', 'datasets', 'queries.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as LabelledRow);
const idx = (t: string) => TIER_NAMES.indexOf(t as (typeof TIER_NAMES)[number]);

describe('word model (the classifier fallback)', () => {
  it('the committed weights are what training on the tune split gives, and training reads no held-out row', () => {
    const model = trainWordModel(rows);
    const heldout = new Set(rows.filter((r) => r.split === 'heldout').map((r) => r.id));
    expect(model.ids.length).toBe(rows.length - heldout.size);
    expect(model.ids.some((id) => heldout.has(id))).toBe(false);
    expect(weightsModule(model)).toBe(readFileSync(join(root, 'src', 'classify', 'word-model-weights.ts'), 'utf8'));
    // A held-out label cannot move the weights.
    const flipped = rows.map((r) => (r.split === 'heldout' ? { ...r, expected_tier: 'deep' as const } : r));
    expect(weightsModule(trainWordModel(flipped))).toBe(weightsModule(model));
  });

  it('reads a bounded prefix: a megabyte after it changes nothing', () => {
    const ask = 'Kafka consumer lag keeps growing on one partition.';
    const padded = ask + ' ' + 'x'.repeat(WORD_MODEL_CHARS) + ' deadlock proof derivation '.repeat(40_000);
    expect(wordModelScore(padded)).toBe(wordModelScore(ask + ' ' + 'x'.repeat(WORD_MODEL_CHARS)));
  });

  it('features are present or absent: repeating the text adds nothing (within the window it reads)', () => {
    fc.assert(
      fc.property(fc.constantFrom('lag', 'deadlock', 'prove', '证明', 'kafka', 'thanks'), fc.integer({ min: 2, max: 60 }), (word, n) => {
        const reps = Math.min(n, Math.floor(WORD_MODEL_CHARS / (word.length + 1)));
        expect(wordModelScore(Array(reps).fill(word).join(' '))).toBeCloseTo(wordModelScore(`${word} ${word}`), 12);
      }),
    );
  });

  it('any string (lone surrogates, scripts, digits, controls) gives a finite score and bounded features', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (s) => {
        expect(Number.isFinite(wordModelScore(s))).toBe(true);
        expect(distinctFeatures(s).length).toBeLessThanOrEqual(2 * WORD_MODEL_CHARS + 2);
      }),
      { numRuns: 300 },
    );
    // Chinese and Japanese read as character pairs, numbers as one shape.
    expect(distinctFeatures('排查').length).toBe(1);
    expect(distinctFeatures('p99 is 400 ms')).toEqual(distinctFeatures('p95 is 12 ms'));
  });

  it('only reads asks the rules found nothing in, and lifts them one tier at most, never down', () => {
    let lifted = 0;
    for (const r of rows) {
      const rules = classifyMessages(r.messages, 3, false);
      const both = classifyMessages(r.messages);
      if (rules.signals.join() !== 'short general question') {
        expect(both, r.id).toEqual(rules);
        continue;
      }
      expect(idx(both.tier) - idx(rules.tier), r.id).toBeGreaterThanOrEqual(0);
      expect(idx(both.tier) - idx(rules.tier), r.id).toBeLessThanOrEqual(1);
      if (both.tier !== rules.tier) {
        lifted++;
        expect(both.signals.join(' ')).toMatch(/its words read as/);
      }
    }
    expect(lifted).toBeGreaterThan(10);
  });

  it('does not read short wh-lookups or turns opened or closed by a greeting or an acknowledgement', () => {
    for (const q of ['What year did the first PS2 go on sale?', 'Hello GC pauses 400 ms on G1.', 'GC pauses 400 ms on G1. ok got it', 'thanks, Kafka lag 40s on 3 partitions']) {
      expect(classifyText(q).signals.join(' '), q).not.toMatch(/its words read as/);
    }
  });
});
