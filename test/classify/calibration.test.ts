import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALIBRATION, decideTier, tierProbabilities } from '../../src/classify/calibration.js';
import { classifyText } from '../../src/classify/classifier.js';

const score = fc.double({ min: -5, max: 15, noNaN: true });
const ratio = fc.double({ min: 1, max: 50, noNaN: true });

/** Expected cost of answering with tier j: under-tiering costs `r` per tier, over-tiering 1 per tier. */
const expectedCost = (p: number[], j: number, r: number) => p.reduce((s, pk, k) => s + pk * (k > j ? r * (k - j) : j - k), 0);

describe('calibrated tier probabilities and the asymmetric decision', () => {
  it('probabilities are a distribution over the five tiers', () => {
    fc.assert(
      fc.property(score, (s) => {
        const p = tierProbabilities(s);
        expect(p).toHaveLength(5);
        for (const x of p) expect(x).toBeGreaterThanOrEqual(0);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      }),
    );
  });

  it('the decision is the tier of least expected cost', () => {
    fc.assert(
      fc.property(score, ratio, (s, r) => {
        const p = tierProbabilities(s);
        const j = decideTier(s, r);
        const costs = p.map((_, k) => expectedCost(p, k, r));
        expect(costs[j]!).toBeLessThanOrEqual(Math.min(...costs) + 1e-9);
      }),
    );
  });

  it('a higher score or a costlier under-tier never lowers the tier', () => {
    fc.assert(
      fc.property(score, score, ratio, ratio, (a, b, r1, r2) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(decideTier(lo, r1)).toBeLessThanOrEqual(decideTier(hi, r1));
        const [rl, rh] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(decideTier(a, rl)).toBeLessThanOrEqual(decideTier(a, rh));
      }),
    );
  });

  it('at cost ratio 1 the most likely tier is chosen away from the cuts', () => {
    for (const [i, cut] of CALIBRATION.cuts.entries()) {
      expect(decideTier(cut - 0.5, 1)).toBe(i);
      expect(decideTier(cut + 0.5, 1)).toBe(i + 1);
    }
  });

  it("the classifier's confidence is the calibrated probability of its tier, and the cost ratio moves an unsure query up", () => {
    const tiers = ['trivial', 'simple', 'moderate', 'complex', 'deep'];
    const q = 'What is the difference between TCP and UDP?';
    const even = classifyText(q, 1);
    expect(even.confidence).toBeCloseTo(tierProbabilities(even.score)[tiers.indexOf(even.tier)]!, 1);
    const wary = classifyText(q, 50);
    expect(tiers.indexOf(wary.tier)).toBe(tiers.indexOf(even.tier) + 1);
    expect(wary.confidence).toBeCloseTo(tierProbabilities(wary.score)[tiers.indexOf(wary.tier)]!, 1);
  });
});
