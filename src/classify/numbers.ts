/**
 * Numbers in an ask: the quantities a word problem gives (numerals, number words, measurements),
 * powers asked about, an arithmetic step at its end, numeric ranges, the largest number. Pure.
 */

import { NUMBER_WORDS } from './lexicon.js';
import { astralToBmp, countMatches, isAsciiAlnum, isDigitCode, isJsSpace, wordsUpTo } from './text.js';
import { type LexiconScan, readLexicons } from './wordlex.js';

/**
 * A question about a large power ("Which is bigger, 2^100 or 3^60?"; not "2^3"):
 * a calculation, not a glance. The question mark closes the same sentence. The definition;
 * powerQuestionIn answers what it does in one pass (exported for its test).
 */
export const POWER_QUESTION = /\d\s*(?:\^|\*\*)\s*\d\d[^.!?？\n]{0,80}[?？]/u;
/** POWER_QUESTION's power alone (one end for each start: no alternative of it is a prefix of another's match). */
const POWER = /\d\s*(?:\^|\*\*)\s*\d\d/g;

/**
 * Whether POWER_QUESTION matches a lexical form (no surrogate pairs: the regex counts code
 * points, this units). The regex reads up to 80 characters after every power, and backtracks
 * over them: 1,200 characters of "2^100 summarize" took a third of a classification here. Each
 * power's end is compared with the next sentence end instead (found once: the ends of successive
 * powers only increase), so the text is read about once.
 */
export function powerQuestionIn(lex: string): boolean {
  if (!lex.includes('?') && !lex.includes('？')) return false;
  const n = lex.length;
  let stop = 0;
  POWER.lastIndex = 0;
  for (let m = POWER.exec(lex); m !== null; m = POWER.exec(lex)) {
    const end = POWER.lastIndex;
    if (stop < end) {
      stop = end;
      while (stop < n && !isSentenceStop(lex.charCodeAt(stop))) stop++;
    }
    if (stop < n && stop - end <= 80 && (lex.charCodeAt(stop) === 63 || lex.charCodeAt(stop) === 0xff1f)) {
      POWER.lastIndex = 0;
      return true;
    }
    // Every start is tried, as the regex does: a power may begin inside the one just read ("1^23^45").
    POWER.lastIndex = m.index + 1;
  }
  POWER.lastIndex = 0;
  return false;
}

/** . ! ? ？ and a line feed: what POWER_QUESTION's gap may not hold. */
const isSentenceStop = (c: number): boolean => c === 46 || c === 33 || c === 63 || c === 0xff1f || c === 10;
/** The units and counted nouns of a quantity ("40 ms", "3 servers", "10x"), in the regex's order (the first that fits is the match). */
const QUANTITY_UNITS = ['%', 'k', 'm', 'ms', 's', 'tb', 'gb', 'mb', 'tps', 'rps', 'users', 'servers', 'services', 'rows', 'items', 'requests', 'events', 'minutes', 'hours', 'days', 'weeks', 'months', 'years', 'x'];
// The two characters that Unicode case folding maps onto ASCII letters: ſ (onto s) and the Kelvin sign (onto k).
const FOLDS_TO_ASCII = /[\u017f\u212a]/g;
/** Where a quantity may start: a digit with a word boundary before it. */
const QUANTITY_START = /\b\d/gu;
const isQuantityRunChar = (c: number) => isDigitCode(c) || c === 46 /* . */ || c === 44 /* , */;
/** A word character to \b under `u` without `i` (ASCII letters, digits, _); false outside the text. */
function isAsciiWordAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const c = text.charCodeAt(i);
  return isAsciiAlnum(c) || c === 95;
}

/** QUANTITY_UNITS by their first character (all ASCII), in their order: most places start none of them. */
const QUANTITY_UNITS_BY_FIRST: ReadonlyArray<readonly string[] | undefined> = (() => {
  const byFirst: string[][] = [];
  for (const unit of QUANTITY_UNITS) (byFirst[unit.charCodeAt(0)] ??= []).push(unit);
  return Array.from({ length: 128 }, (_, c) => byFirst[c]);
})();

/** Where the first unit (in QUANTITY_UNITS' order) that starts at `at` and ends on a word boundary ends, or -1. */
function quantityUnitEnd(text: string, at: number): number {
  const c = text.charCodeAt(at);
  const units = c < 128 ? QUANTITY_UNITS_BY_FIRST[c] : undefined;
  if (units === undefined) return -1;
  for (const unit of units) {
    if (!text.startsWith(unit, at)) continue;
    const end = at + unit.length;
    if (isAsciiWordAt(text, end - 1) !== isAsciiWordAt(text, end)) return end;
  }
  return -1;
}

/**
 * Quantities in a lower-cased ask, up to 4 (exported for tests). Under `iu` a pattern of ASCII
 * letters differs from `u` on lower-cased text only at ſ and the Kelvin sign, which match s and k
 * and are word characters to \b; they are replaced by s and k (one unit each, so every match is
 * the same) instead of matching with `iu`, which took ~10 us over 1,200 characters here, against
 * ~1 us (one ſ in a prompt was enough to choose it). Stops at the fourth match.
 */
export function countQuantities(lower: string): number {
  if (!/\d/.test(lower)) return 0;
  const text = lower.indexOf('\u017f') >= 0 || lower.indexOf('\u212a') >= 0 ? lower.replace(FOLDS_TO_ASCII, (c) => (c === '\u017f' ? 's' : 'k')) : lower;
  // What /\b\d[\d.,]*\s?(?:%|k|m|ms|...|x)\b/gu's global scan counts, with each run of digits,
  // points and commas read once: where a start in a run finds no unit after the run, no later
  // start in it does. The regex read a run from each start in it to its end (1,200 characters of
  // "0," took ~4.4 ms to classify).
  let n = 0;
  const len = text.length;
  // The starts are found by a regex (a native scan, faster than a loop over every character); the rest by hand.
  QUANTITY_START.lastIndex = 0;
  // test(), not exec(): no match object per start; lastIndex is then just past the start's digit.
  while (n < 4 && QUANTITY_START.test(text)) {
    let runEnd = QUANTITY_START.lastIndex;
    while (runEnd < len && isQuantityRunChar(text.charCodeAt(runEnd))) runEnd++;
    // Only the whole run can be followed by a unit (no unit starts with a digit, '.' or ','): a
    // space after it first, then none, as the regex tries them.
    let end = runEnd < len && isJsSpace(text.charCodeAt(runEnd)) ? quantityUnitEnd(text, runEnd + 1) : -1;
    if (end < 0) end = quantityUnitEnd(text, runEnd);
    if (end < 0) {
      // A later start in the same run ends where this one does: none fits.
      QUANTITY_START.lastIndex = runEnd;
      continue;
    }
    n++;
    QUANTITY_START.lastIndex = end;
  }
  QUANTITY_START.lastIndex = 0;
  return n;
}

/**
 * Quantities a word problem gives: numerals and number words ("two coins that total 30 cents",
 * "length is twice its width and its perimeter is 36"), counted up to 3.
 */
export function quantitiesIn(lex: string, scan: LexiconScan): number {
  const numerals = countNumerals(lex, 3);
  return numerals >= 3 ? 3 : numerals + NUMBER_WORDS.count(scan, 3 - numerals);
}

/**
 * The quantities of a text given with an ask (groundedAsk), which count as the ask's own where a
 * quantity is asked of them ("Using the table below, by how much …?"): a word problem whose numbers
 * were given before its question.
 */
export function figuresIn(passage: string): number {
  const figures = astralToBmp(passage.toLowerCase());
  return quantitiesIn(figures, readLexicons(figures));
}

/** A numeral: "36", "3.5", "1,000" (and "1,000,000" is two). */
const NUMERAL = /\d+(?:[.,]\d+)?/g;

/** Numerals in a text, counted up to max (what match(NUMERAL) counted, without a string each; exported for tests). */
export function countNumerals(text: string, max: number): number {
  return countMatches(NUMERAL, text, max);
}

/**
 * Starts only where a run of digits starts: started inside the run too, it read the run to its end
 * from each of its digits ("prove " and 590 digits took ~1.5 ms to classify). Where a match starts
 * inside a run, one starts at the run's start too, so test() answers the same.
 */
export const ARITHMETIC_STEP = /(?<!\d)\d+\s*(?:[-+*/×÷^]|times|plus|minus|divided by|mal|más|menos)\s*\d+/u;

/**
 * Whether the last clause of an ask (ranges: clauseRanges of it) is short arithmetic: one to eight
 * words with an operation between two numbers ("Prove it rigorously. What is 7 times 8?"). Asked
 * only where the answer is read, and the words counted only up to nine: counting every word of a
 * 600-character clause took ~3-8 us here (exported for tests).
 */
export function endsInArithmetic(lex: string, ranges: readonly number[]): boolean {
  if (ranges.length === 0) return false;
  const last = lex.slice(ranges[ranges.length - 2], ranges[ranges.length - 1]);
  const words = wordsUpTo(last, 9);
  return words >= 1 && words <= 8 && ARITHMETIC_STEP.test(last);
}

/**
 * A range of numbers ("between 10 and 20", "5 to 7", "3-7", "entre le 3 et le 7", "10 à 14"). It
 * starts only where a run of digits starts: started inside the run too, 1,100 digits after
 * "cheapest days" took 10 ms (each start tried every split of the run); the count is the same.
 */
const NUMERIC_RANGE = /(?<!\d)\d+\s*(?:-|–|to|and|à|a|bis|y|et(?: le)?|и|до)\s*\d+/gu;
/** How many numeric ranges a text gives, up to 3 (exported for tests). */
export function numericRanges(text: string): number {
  let n = 0;
  NUMERIC_RANGE.lastIndex = 0;
  while (n < 3 && NUMERIC_RANGE.exec(text) !== null) n++;
  NUMERIC_RANGE.lastIndex = 0;
  return n;
}

/** The largest whole number written in digits in a text, up to 10^9 (0 if none): an extremal puzzle's scale. */
export function largestNumber(text: string): number {
  let max = 0;
  for (const m of text.matchAll(/\d{1,9}/g)) max = Math.max(max, Number(m[0]));
  return max;
}
