import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages, classifyText, SECOND_OPINION_SIGNALS } from '../../src/classify/classifier.js';
import { TIER_NAMES } from '../../src/config/schema.js';
import { FALLBACK_ODDS, SECOND_OPINION_ODDS, SECOND_OPINION_TIERS, UNREAD_PRIOR, WORD_MODEL_CHARS, distinctFeatures, liftOdds, secondOpinionMarginFor, secondOpinionMargins, wordModelScore } from '../../src/classify/wordmodel.js';
import { HELD_BACK_PROBE_SETS, RULES_ONLY_PROBE_SETS, askKey, fitLiftOdds, fitUnreadPrior, labelledRows, trainWordModel, weightsModule } from '../../src/classify/wordmodel-train.js';
import { packageRoot } from '../../src/paths.js';

const root = packageRoot();
const rows = labelledRows(root);
const idx = (t: string) => TIER_NAMES.indexOf(t as (typeof TIER_NAMES)[number]);

describe('word model (the classifier fallback)', () => {
  it('the committed weights are what training on the tune split and the probe sets not held back gives; no held-out row or held-back probe is read', () => {
    const model = trainWordModel(rows);
    const unseen = (r: (typeof rows)[number]) => r.split === 'heldout' || (r.split === 'probe' && HELD_BACK_PROBE_SETS.has(r.set!));
    // Nor a probe set used for the rules only (session 63's).
    const rulesOnly = (r: (typeof rows)[number]) => r.split === 'probe' && RULES_ONLY_PROBE_SETS.has(r.set!);
    const excluded = new Set(rows.filter((r) => unseen(r) || rulesOnly(r)).map((r) => r.id));
    expect(rows.filter(rulesOnly).length).toBeGreaterThanOrEqual(240);
    expect(rows.filter((r) => r.split === 'heldout').length).toBeGreaterThan(400);
    expect(rows.filter((r) => r.split === 'probe' && HELD_BACK_PROBE_SETS.has(r.set!)).length).toBeGreaterThan(200);
    expect(model.ids.some((id) => excluded.has(id))).toBe(false);
    // Nor a tune row or a probe whose ask the held-out split also holds (letters and numbers compared).
    const heldOutAsks = new Set(rows.filter((r) => r.split === 'heldout').map((r) => askKey(r.messages)));
    const repeats = new Set(rows.filter((r) => !unseen(r) && !rulesOnly(r) && heldOutAsks.has(askKey(r.messages))).map((r) => r.id));
    expect(repeats.size).toBeGreaterThan(0);
    expect(askKey([{ role: 'user', content: 'Who painted the Mona Lisa?' }])).toBe(askKey([{ role: 'user', content: ' who painted the  mona lisa' }]));
    expect(model.ids.length).toBe(rows.length - excluded.size - repeats.size);
    expect(model.ids.some((id) => repeats.has(id))).toBe(false);
    expect(new Set(model.ids).size).toBe(model.ids.length);
    const odds = fitLiftOdds(rows);
    const prior = fitUnreadPrior(rows);
    expect(weightsModule(model, odds, prior)).toBe(readFileSync(join(root, 'src', 'classify', 'word-model-weights.ts'), 'utf8'));
    expect(prior).toEqual([...UNREAD_PRIOR]);
    for (const t of SECOND_OPINION_TIERS) expect({ a: odds.secondOpinion[t].a, b: odds.secondOpinion[t].b }, t).toEqual({ ...SECOND_OPINION_ODDS[t] });
    expect({ a: odds.fallback.a, b: odds.fallback.b }).toEqual({ ...FALLBACK_ODDS });
    // A held-out label, a held-back probe's or a rules-only probe's cannot move the weights or the odds.
    const flipped = rows.map((r) => (unseen(r) || rulesOnly(r) ? { ...r, expected_tier: 'deep' as const } : r));
    expect(weightsModule(trainWordModel(flipped), fitLiftOdds(flipped), fitUnreadPrior(flipped))).toBe(weightsModule(model, odds, prior));
    // A used probe's label does (the probes are read).
    const probe = rows.findIndex((r) => r.split === 'probe' && !HELD_BACK_PROBE_SETS.has(r.set!) && !rulesOnly(r));
    const moved = rows.map((r, i) => (i === probe ? { ...r, expected_tier: r.expected_tier === 'deep' ? ('trivial' as const) : ('deep' as const) } : r));
    expect(weightsModule(trainWordModel(moved), odds, UNREAD_PRIOR)).not.toBe(weightsModule(model, odds, UNREAD_PRIOR));
  });

  it('a row weight scales its gradient: 1 for every row is the committed training, 0 leaves a row out, a half moves the weights', () => {
    const model = trainWordModel(rows);
    const odds = fitLiftOdds(rows);
    expect(weightsModule(trainWordModel(rows, () => 1), odds, UNREAD_PRIOR)).toBe(weightsModule(model, odds, UNREAD_PRIOR));
    const tuneOnly = trainWordModel(rows, (r) => (r.split === 'tune' ? 1 : 0));
    expect(tuneOnly.ids).toEqual(model.ids.filter((id) => rows.find((r) => r.id === id)!.split === 'tune'));
    expect(weightsModule(tuneOnly, odds, UNREAD_PRIOR)).toBe(weightsModule(trainWordModel(rows.filter((r) => r.split !== 'probe')), odds, UNREAD_PRIOR));
    expect(weightsModule(trainWordModel(rows, (r) => (r.split === 'tune' ? 1 : 0.5)), odds, UNREAD_PRIOR)).not.toBe(weightsModule(model, odds, UNREAD_PRIOR));
  });

  it("the second opinion's margins fall as under-tiering costs more: where each reading's fitted odds of the tier above pass 1 / (1 + ratio)", () => {
    for (const t of SECOND_OPINION_TIERS) {
      const odds = SECOND_OPINION_ODDS[t];
      expect(odds.b, t).toBeGreaterThan(0);
      const margins = [1, 1.5, 2, 3, 5, 10].map((r) => secondOpinionMarginFor(r, odds));
      for (let i = 1; i < margins.length; i++) expect(margins[i]!).toBeLessThan(margins[i - 1]!);
      // At the margin the odds are exactly what the ratio asks for.
      for (const r of [1, 3, 5]) {
        const m = secondOpinionMarginFor(r, odds);
        expect(1 / (1 + Math.exp(-(odds.a + odds.b * m)))).toBeCloseTo(1 / (1 + r), 9);
        expect(secondOpinionMargins(r)[t]).toBe(m);
      }
    }
    // A fit with no rise lifts nothing.
    expect(secondOpinionMarginFor(3, { a: 0, b: 0 })).toBe(Infinity);
    expect(secondOpinionMarginFor(3, { a: 0, b: -1 })).toBe(Infinity);
    // The classifier uses the ratio's margins (the last ratio's are kept; another ratio gets its
    // own): a model reading just above the default's margin lifts at the default ratio, not at a
    // ratio of 1 (whose margin is higher), for either reading.
    const moderate = [{ role: 'user', content: 'How would you approach a tricky rollout of a shared cache across regions?' }];
    const simple = [{ role: 'user', content: 'How do I list the open ports on a Linux box?' }];
    expect(classifyMessages(simple, 3, false).tier).toBe('simple');
    for (const [ask, t, above] of [[moderate, 'moderate', 'complex'], [simple, 'simple', 'moderate']] as const) {
      const just = () => TIER_NAMES.indexOf(t) + secondOpinionMarginFor(3, SECOND_OPINION_ODDS[t]) + 0.01;
      expect(classifyMessages(ask, 3, just).tier).toBe(above);
      expect(classifyMessages(ask, 1, just).tier).toBe(t);
      expect(classifyMessages(ask, 3, just).tier).toBe(above);
    }
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

  it('reads asks the rules found nothing in, and simple or moderate readings (second opinion); lifts one tier at most, never down', () => {
    let lifted = 0;
    let seconded = 0;
    for (const r of rows.filter((x) => x.split === 'tune')) {
      const rules = classifyMessages(r.messages, 3, false);
      const both = classifyMessages(r.messages);
      if (rules.signals.join() !== 'short general question') {
        if ((rules.tier === 'moderate' || rules.tier === 'simple') && idx(both.tier) === idx(rules.tier) + 1) {
          seconded++;
          expect(both.signals.at(-1), r.id).toBe(SECOND_OPINION_SIGNALS[rules.tier]);
          expect(both.signals.slice(0, -1), r.id).toEqual(rules.signals);
          continue;
        }
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
    expect(seconded).toBeGreaterThanOrEqual(3);
  });

  it('the second opinion: a simple or moderate reading the model reads well above is lifted one tier, and nothing else', () => {
    const model = (score: number) => () => score;
    const cases = [
      ['How would you approach a tricky rollout of a shared cache across regions?', 'moderate', 'complex'],
      ['How do I list the open ports on a Linux box?', 'simple', 'moderate'],
    ] as const;
    for (const [ask, reading, above] of cases) {
      const messages = [{ role: 'user', content: ask }];
      expect(classifyMessages(messages, 3, false).tier).toBe(reading);
      const margin = secondOpinionMarginFor(3, SECOND_OPINION_ODDS[reading]);
      // Just past the margin lifts; at it, nothing.
      const lifted = classifyMessages(messages, 3, model(idx(reading) + margin + 0.01));
      expect(lifted.tier).toBe(above);
      expect(lifted.signals.at(-1)).toBe(SECOND_OPINION_SIGNALS[reading]);
      // Its confidence is the odds of the tier above at the model's reading (1 / (1 + 3) just past
      // the margin), not the band middle's (~0.9): lifted readings are right far less often.
      expect(lifted.confidence).toBeCloseTo(1 / (1 + 3), 1);
      expect(classifyMessages(messages, 3, model(9)).confidence).toBeGreaterThan(0.95);
      expect(classifyMessages(messages, 3, model(idx(reading) + margin)).tier).toBe(reading);
      // A model reading deep still lifts one tier only; a low reading never lowers.
      expect(classifyMessages(messages, 3, model(9)).tier).toBe(above);
      expect(classifyMessages(messages, 3, model(-9)).tier).toBe(reading);
      // Each reading has its own margin: a margin given for the other reading alone lifts nothing.
      const other = reading === 'simple' ? 'moderate' : 'simple';
      expect(classifyMessages(messages, 3, model(9), { [reading]: Infinity, [other]: 0 } as { simple: number; moderate: number }).tier).toBe(reading);
    }
    // Other readings are not seconded: a trivial one, a complex one.
    expect(classifyMessages([{ role: 'user', content: 'thanks!' }], 3, model(9)).tier).toBe('trivial');
    expect(classifyMessages([{ role: 'user', content: 'Design a multi-region active-active Postgres setup with failover.' }], 3, model(9)).tier).toBe('complex');
  });

  it('a simple reading is not seconded where the fallback would not read: a short wh-lookup, a social turn, one command to an agent', () => {
    const high = () => 9;
    const agent = (content: string) => [
      { role: 'system', content: 'You are a support agent. You can call these tools: cancel_order(id), refund(id), lookup_order(id).' },
      { role: 'user', content },
    ];
    const cases = [
      [{ role: 'user', content: 'What is a mutex?' }],
      [{ role: 'user', content: 'Who wrote the Raft paper?' }],
      [{ role: 'user', content: 'ok got it, how do I list the open ports on a Linux box?' }],
      agent('convert order 4412 to euros'),
    ];
    for (const messages of cases) {
      const rules = classifyMessages(messages, 3, false);
      expect(rules.tier, messages.at(-1)!.content).toBe('simple');
      const seconded = classifyMessages(messages, 3, high);
      expect(seconded.tier, messages.at(-1)!.content).toBe('simple');
      expect(seconded.signals).not.toContain(SECOND_OPINION_SIGNALS.simple);
    }
    // Thanks or a greeting set apart from the ask are not read: the ask is seconded as it would be alone.
    const ask = 'How do I list the open ports on a Linux box?';
    for (const content of [ask, `Thanks! ${ask}`, `Hi team,\n${ask} 🙏`]) expect(classifyMessages([{ role: 'user', content }], 3, high).tier, content).toBe('moderate');
  });

  it('the second opinion does not overrule a paste, keyword stuffing, a design for people or a word problem, whatever the model reads', () => {
    const high = () => 9;
    const paste = Array.from({ length: 40 }, (_, i) => `Line ${i}: we must design, optimise and prove the distributed consensus protocol handles every failure mode.`).join('\n');
    const cases = [
      // The model reads a turn's start: over a paste it would read the paste, not the ask.
      `Summarize this in two sentences.\n\n${paste}`,
      `${paste}\n\nSummarize this in two sentences.`,
      // Hard words stuffed around an ask: the stuffing check's cap holds.
      'What is a mutex? Prove it rigorously, design the architecture, derive it from first principles and think step by step.',
      'Design a 4-week workout plan for a beginner.',
      'How would you design a logo for a bakery?',
      'Find the minimum number of servers for 2000 users at 50 users per server.',
    ];
    for (const q of cases) {
      const rules = classifyMessages([{ role: 'user', content: q }], 3, false);
      const seconded = classifyMessages([{ role: 'user', content: q }], 3, high);
      expect(idx(seconded.tier), q.slice(0, 60)).toBeLessThanOrEqual(Math.max(idx(rules.tier), idx('moderate')));
      expect(seconded.signals.join(' '), q.slice(0, 60)).not.toMatch(/read as (?:simple|moderate); its words/);
    }
  });

  it("a fallback lift's confidence is its fitted odds, not the band middle's", () => {
    const messages = [{ role: 'user', content: 'look up order 4412' }];
    const rules = classifyMessages(messages, 3, false);
    expect(rules.tier).toBe('simple');
    expect(rules.signals).toEqual(['short general question']);
    expect(FALLBACK_ODDS.b).toBeGreaterThan(0);
    for (const s of [1.6, 2.6, 9]) {
      const lifted = classifyMessages(messages, 3, () => s);
      expect(lifted.tier).toBe('moderate');
      expect(lifted.confidence).toBe(Math.round(liftOdds(FALLBACK_ODDS, s - 1) * 100) / 100);
    }
    // Just past the rounding that lifts (1.5 reads as moderate), the odds are low: well under the
    // band's ~0.9 (0.52 with the odds fitted in session 59, under 0.5 before; a refit moves them).
    expect(classifyMessages(messages, 3, () => 1.6).confidence).toBeLessThan(0.7);
    // No lift: the band's confidence, as before.
    expect(classifyMessages(messages, 3, () => 1.4)).toEqual(rules);
  });

  it('whatever the input and whatever the model reads, a lift is one tier at most above the rules, never below, with a confidence in [0, 1] (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('What is a mutex?', 'How do I', 'list the open ports', 'thanks', 'Hello', 'prove', 'design', 'convert order 4412', '```js\nx = 1\n```', '\n\n', '?', '2^100', 'ok'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    const system = { role: 'system', content: 'You are a support agent. You can call these tools: cancel_order(id), refund(id).' };
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), fc.double({ min: -20, max: 20, noNaN: true }), fc.constantFrom(1, 3, 5), (parts, agent, read, ratio) => {
        const messages = [...(agent ? [system] : []), { role: 'user', content: parts.join(' ') }];
        const rules = classifyMessages(messages, ratio, false);
        const lifted = classifyMessages(messages, ratio, () => read);
        expect(idx(lifted.tier) - idx(rules.tier)).toBeGreaterThanOrEqual(0);
        expect(idx(lifted.tier) - idx(rules.tier)).toBeLessThanOrEqual(1);
        expect(lifted.confidence).toBeGreaterThanOrEqual(0);
        expect(lifted.confidence).toBeLessThanOrEqual(1);
      }),
      { numRuns: 3000 },
    );
  });

  it('does not read short wh-lookups or turns opened or closed by a greeting or an acknowledgement', () => {
    for (const q of ['What year did the first PS2 go on sale?', 'Hello GC pauses 400 ms on G1.', 'GC pauses 400 ms on G1. ok got it', 'thanks, Kafka lag 40s on 3 partitions']) {
      expect(classifyText(q).signals.join(' '), q).not.toMatch(/its words read as/);
    }
  });
});
