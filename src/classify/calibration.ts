/**
 * From a difficulty score to a tier: calibrated probabilities and a decision with asymmetric costs.
 *
 * The probabilities are an ordinal logistic model of the labelled tier given the score,
 * P(tier ≤ k | s) = σ((cut[k] − s) / scale), fitted by maximum likelihood on the dataset's tune
 * split (`node dist/benchmarks/classifier.js --calibrate` prints the fit; the held-out split is
 * never used). Pure functions.
 */

/**
 * Under-tiering (too little thinking: answers suffer) costs this many times as much as
 * over-tiering (tokens): classifier.underTierCost's default, chosen on the tune split (with all
 * three rounds of labels and session 11's rules, 3 gives 89.9 % exact and 3.8 % under-tier there,
 * 1x 90.1 % / 5.6 %, 5x 87.7 % / 3.1 %).
 */
export const DEFAULT_UNDER_TIER_COST = 3;

/** Fitted on the tune split (765 queries: all three rounds of labels). */
export const CALIBRATION = { cuts: [0.803, 2.381, 4.042, 6.459], scale: 0.2882 } as const;

export interface Calibration {
  readonly cuts: readonly number[];
  readonly scale: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** P(tier = k | score) for each tier, lowest first; sums to 1. */
export function tierProbabilities(score: number, c: Calibration = CALIBRATION): number[] {
  const out: number[] = [];
  let below = 0;
  for (const cut of c.cuts) {
    const atMost = sigmoid((cut - score) / c.scale);
    out.push(Math.max(0, atMost - below));
    below = Math.max(below, atMost);
  }
  out.push(1 - below);
  return out;
}

/**
 * The tier with the least expected cost when giving a query one tier too few costs
 * `underTierCost` times as much as one tier too many (costs grow with the distance): the
 * smallest tier whose cumulative probability reaches underTierCost / (underTierCost + 1). With
 * a cost ratio of 1 that is the median tier.
 */
export function decideTier(score: number, underTierCost: number, c: Calibration = CALIBRATION): number {
  // σ((cut − s)/scale) ≥ q  ⇔  s ≤ cut − scale·logit(q), and logit(R/(R+1)) = ln R.
  const shift = c.scale * Math.log(underTierCost);
  let k = 0;
  while (k < c.cuts.length && score > c.cuts[k]! - shift) k++;
  return k;
}
