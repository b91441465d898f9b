/**
 * The fallback reader: a linear model of hashed words and word pairs, for asks in which the rules
 * recognise nothing (no ask verb, no problem, no puzzle, no material). The rules fit the phrasing
 * they were written against; on 136 freshly written queries (fourth round) they found no signal
 * in a quarter of them and under-tiered 38 % (benchmarks/README.md). A model of the words of the
 * whole labelled tune split knows that "estimator", "evicted" or "competing risks" come with hard
 * asks however they are phrased.
 *
 * It is also the second opinion on a simple or moderate reading of a plain ask (classifyMessages):
 * where it reads the words well above the reading, the reading goes up one tier.
 *
 * Trained by `node dist/scripts/train-word-model.js` on the tune split and the probe sets not
 * held back (never a held-out row or a held-back probe: wordmodel-train.ts) into
 * word-model-weights.ts; a test retrains and compares, so labels and weights cannot drift apart.
 * Reads at most WORD_MODEL_CHARS characters: one pass, no regex, a few µs.
 */
import { WORD_MODEL } from './word-model-weights.js';
import { isBmpLetterOrNumber, isDigitCode } from './text.js';

/** Hash buckets (a power of two). */
export const WORD_MODEL_DIM = 1 << 15;
/** Characters read from the start of the ask: enough for any short ask, which is what it is for. */
export const WORD_MODEL_CHARS = 500;

const MASK = WORD_MODEL_DIM - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Chinese and Japanese (kana and unified ideographs): no spaces, so character pairs are the words. */
const isCjk = (c: number): boolean => c >= 0x3040 && c <= 0x9fff;

/** A 32-bit finaliser (murmur3's), so that nearby FNV states land in unrelated buckets. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Feature buckets of the text being read: at most two per character read (a word and a pair). */
const buckets = new Int32Array(2 * WORD_MODEL_CHARS + 2);

/**
 * Writes each feature's bucket into `buckets` and returns how many: every word (lower case; a
 * run of digits reads as one "0", so numbers share a feature), every pair of adjacent words, and
 * for Chinese and Japanese every pair of adjacent characters (a lone character stands for
 * itself). One pass with no allocation but the lower-cased slice.
 */
function readFeatures(text: string): number {
  const s = (text.length > WORD_MODEL_CHARS ? text.slice(0, WORD_MODEL_CHARS) : text).toLowerCase();
  let n = 0;
  let prev = 0;
  let hasPrev = false;
  let h = FNV_OFFSET;
  let inWord = false;
  let inDigits = false;
  let lastCjk = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 32;
    let word = -1;
    if (isCjk(c)) {
      if (inWord) {
        // The Latin word before the run ends here; the run's first token follows below.
        buckets[n++] = mix(h ^ 0x9e3779b9) & MASK;
        if (hasPrev) buckets[n++] = mix(Math.imul(prev, 0x2545f491) ^ h) & MASK;
        prev = h >>> 0;
        hasPrev = true;
        inWord = false;
      }
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 32;
      if (lastCjk >= 0) word = Math.imul(Math.imul(FNV_OFFSET ^ lastCjk, FNV_PRIME) ^ c, FNV_PRIME) >>> 0;
      else if (!isCjk(next)) word = Math.imul(FNV_OFFSET ^ c, FNV_PRIME) >>> 0;
      lastCjk = c;
    } else {
      lastCjk = -1;
      if (c < 0xd800 || c > 0xdfff ? isBmpLetterOrNumber(c) : false) {
        if (!inWord) {
          h = FNV_OFFSET;
          inWord = true;
          inDigits = false;
        }
        if (isDigitCode(c)) {
          if (!inDigits) h = Math.imul(h ^ 48, FNV_PRIME);
          inDigits = true;
        } else {
          inDigits = false;
          h = Math.imul(h ^ c, FNV_PRIME);
        }
        continue;
      }
      if (!inWord) continue;
      word = h >>> 0;
      inWord = false;
    }
    if (word < 0) continue;
    buckets[n++] = mix(word ^ 0x9e3779b9) & MASK;
    if (hasPrev) buckets[n++] = mix(Math.imul(prev, 0x2545f491) ^ word) & MASK;
    prev = word;
    hasPrev = true;
  }
  return n;
}

/** The weights as numbers, decoded once at load from the generated file (index, int8 weight). */
const WEIGHTS = (() => {
  const w = new Float32Array(WORD_MODEL_DIM);
  const bytes = Buffer.from(WORD_MODEL.data, 'base64');
  for (let i = 0; i + 2 < bytes.length; i += 3) {
    const index = bytes[i]! | (bytes[i + 1]! << 8);
    const q = (bytes[i + 2]! << 24) >> 24;
    w[index & MASK] = q * WORD_MODEL.scale;
  }
  return w;
})();

// Marks of the buckets seen in the text being read (cleared after each read): features are
// present or absent, so repeating a word ("complex complex complex") adds nothing.
const seen = new Uint8Array(WORD_MODEL_DIM);

/** Reads a text's features and keeps each bucket once, in place at the front of `buckets`; returns how many. */
function readDistinct(text: string): number {
  const total = readFeatures(text);
  let n = 0;
  for (let i = 0; i < total; i++) {
    const b = buckets[i]!;
    if (seen[b]) continue;
    seen[b] = 1;
    buckets[n++] = b;
  }
  for (let i = 0; i < n; i++) seen[buckets[i]!] = 0;
  return n;
}

/** The distinct feature buckets of a text, in order of first appearance (for training). */
export function distinctFeatures(text: string): number[] {
  return Array.from(buckets.subarray(0, readDistinct(text)));
}

/**
 * The model's difficulty reading of an ask: about the tier index (0 trivial … 4 deep), a real
 * number. Each distinct feature counts 1/√n, so a text is not read as harder for being long.
 */
export function wordModelScore(text: string, weights: Float32Array = WEIGHTS, bias: number = WORD_MODEL.bias): number {
  const n = readDistinct(text);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[buckets[i]!]!;
  return n === 0 ? bias : bias + sum / Math.sqrt(n);
}

/**
 * The odds of a lift of the word model from tier t (a second opinion on a plain reading of t, or
 * the fallback's): P(labelled above t | such a lift, model score s) = σ(a + b·(s − t)).
 */
export interface LiftOdds {
  readonly a: number;
  readonly b: number;
}

/** σ(a + b·x): the odds of a lift whose model score is x above the reading's tier. */
export const liftOdds = (odds: LiftOdds, x: number): number => 1 / (1 + Math.exp(-(odds.a + odds.b * x)));

/**
 * The odds of a fallback lift (an ask the rules found nothing in, read a tier up by the model):
 * P(labelled above the rules' tier t | such a lift, score s) = σ(a + b·(s − t)), fitted with the
 * committed weights (wordmodel-train.ts fitLiftOdds); the lift's confidence.
 */
export const FALLBACK_ODDS: LiftOdds = WORD_MODEL.fallbackOdds;

/**
 * The labels, by tier (trivial first), of the training asks the fallback reads: an ask the rules
 * found nothing in, as a prior for one whose words the model cannot read (classifier.ts,
 * modelHasWords).
 */
export const UNREAD_PRIOR: readonly number[] = WORD_MODEL.unreadPrior;
/** How many labels UNREAD_PRIOR counts. */
const UNREAD_TOTAL = UNREAD_PRIOR.reduce((a, b) => a + b, 0);

/**
 * The tier such an ask is read at, at a cost ratio: the one with the least expected cost under
 * UNREAD_PRIOR, the smallest whose share of the labels at or below it reaches R / (R + 1), as
 * decideTier picks from calibrated probabilities.
 */
export function unreadTier(underTierCost: number): number {
  const q = underTierCost / (underTierCost + 1);
  let atOrBelow = 0;
  for (let k = 0; k < UNREAD_PRIOR.length; k++) if ((atOrBelow += UNREAD_PRIOR[k]!) >= q * UNREAD_TOTAL) return k;
  return UNREAD_PRIOR.length - 1;
}

/** The share of UNREAD_PRIOR's labels above tier t: the confidence of a reading it lifted from t. */
export const unreadAbove = (t: number): number => UNREAD_PRIOR.slice(t + 1).reduce((a, b) => a + b, 0) / UNREAD_TOTAL;

/** The readings the second opinion may lift one tier, each with its odds. */
export type SecondOpinionTier = 'simple' | 'moderate';
export const SECOND_OPINION_TIERS: readonly SecondOpinionTier[] = ['simple', 'moderate'];

/** The odds fitted with the committed weights (wordmodel-train.ts fitLiftOdds). */
export const SECOND_OPINION_ODDS: Readonly<Record<SecondOpinionTier, LiftOdds>> = WORD_MODEL.secondOpinion;

/**
 * How far above a reading's tier the model must read for the second opinion to lift it, at a
 * cost ratio: where P(labelled above) passes 1 / (1 + underTierCost), the point where lifting
 * costs less than not (σ(a + b·m) = 1/(1+R) ⇔ m = (−ln R − a) / b). Infinity if the fit found no
 * rise (b ≤ 0).
 */
export function secondOpinionMarginFor(underTierCost: number, odds: LiftOdds): number {
  return odds.b > 0 ? (-Math.log(underTierCost) - odds.a) / odds.b : Infinity;
}

/** Margins of the second opinion per reading it may lift (classifyMessages). */
export type SecondOpinionMargins = Readonly<Record<SecondOpinionTier, number>>;

let lastRatio = NaN;
let lastMargins: SecondOpinionMargins = { simple: Infinity, moderate: Infinity };
/** Both margins at a cost ratio, with the committed odds (the last ratio's kept: every request asks for the configured one). */
export function secondOpinionMargins(underTierCost: number): SecondOpinionMargins {
  if (underTierCost !== lastRatio) {
    lastMargins = { simple: secondOpinionMarginFor(underTierCost, SECOND_OPINION_ODDS.simple), moderate: secondOpinionMarginFor(underTierCost, SECOND_OPINION_ODDS.moderate) };
    lastRatio = underTierCost;
  }
  return lastMargins;
}

/** The tier index a model score reads as (rounded, 0 to 4). */
export const wordModelTierOf = (score: number): number => Math.max(0, Math.min(4, Math.round(score)));
