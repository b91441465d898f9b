import { TIER_NAMES, type TierName } from '../config/schema.js';
import { DEFAULT_UNDER_TIER_COST, decideTier, tierProbabilities } from './calibration.js';
import { expandTerm, hasPlaceWithin, readLexicons, wordSet, words, type LexiconScan } from './wordlex.js';
import { FALLBACK_ODDS, SECOND_OPINION_ODDS, liftOdds, secondOpinionMargins, wordModelScore, wordModelTierOf, type SecondOpinionMargins, type SecondOpinionTier } from './wordmodel.js';
import { HASH_SEED, RangeSet, hashStep, sameRange } from './wordset.js';
import { BMP_LETTER, astralToBmp, countMatches, letterOrNumberAt, isAsciiAlnum, isBmpLetter, isBmpWordChar, currentTurnIndex, ends, isDigitCode, isJsSpace, lexicalForm, lineEndAt, listLines, messageEnds, withoutEmphasis, messageHead, nonBlankLines, splitAsk, technicalMarks, textShape, withPlainSpaces, paragraphBreaks, type ChatMessageLike, type TechnicalMarks } from './text.js';
import {
  BREVITY,
  COMPLEX_ASK,
  CONSTRAINT,
  DEEP_ASK,
  DEPTH_TERMS,
  LOOKUP_CORE,
  LOWER_CASE_SYSTEMS,
  mathNotationIn,
  MATH_WORDS,
  MODERATE_ASK,
  MULTI_STEP,
  SIMPLE_ASK,
  SMALL_TALK_CJK,
  SMALL_TALK_WORDS,
  SYSTEM_BRIEF,
  SYSTEM_RIGOUR,
  TRIVIAL_ASK,
  EFFORT_WORDS,
  EFFORT_TERMS,
  WHOLE_SYSTEM,
  SYMPTOM,
  SYMPTOM_OF_SYSTEM,
  DIAGNOSE_ASK,
  QUANTITY_QUESTION,
  PUZZLE_STRATEGY,
  EXTREMAL,
  SEARCH_VERB,
  CHEAPEST,
  COHORT_WORD,
  RETENTION_WORD,
  KEPT_OR_LOST_MEASURE,
  BREAKDOWN,
  TRIP_DAYS,
  REVIEW_ASK,
  MATH_TASK,
  MATH_MULTI_STEP,
  definesTools,
  NUMBER_WORDS,
  OWN_RECORD,
  TOPIC_SWITCH,
  IMPLEMENT_VERB,
  REFACTOR_VERB,
  ANALYSIS_ASKED,
  COUNTING_PUZZLE,
  COURTESY_OPENING,
  REQUEST_OPENING,
  DISCOURSE_OPENING,
  ASK_OPENING_WORDS,
  SIGN_OFF_LINE,
  NAME_LINE,
  LABEL_OPENING,
  QUOTE_CLOSES,
  WRAPPED_LINE,
  CLOSING_ASIDE,
  CLOSING_ASIDE_LAST_WORDS,
  EMOJI_UNIT,
  EMOTICONS,
  SOCIAL_EDGE_WORDS,
  SOCIAL_OPENING,
  SOCIAL_OPENING_CJK,
  FAILURE_PATTERN,
  CHANGE_REF,
  OPERATIONAL_GUARANTEE,
  TECH_CONTEXT,
  CREATIVE_OBJECT,
  JUDGEMENT,
  CHANGE_RISK,
  DESIGN_QUESTION,
  METHOD_QUESTION,
  CONDITIONAL_DE,
  BUILD_VERB_DE,
  SEQUENCE_ASK,
} from './lexicon.js';

export interface Classification {
  tier: TierName;
  /** Continuous difficulty score; tier thresholds cut it into five bands. */
  score: number;
  /** Calibrated probability that the chosen tier is the right one (see calibration.ts). */
  confidence: number;
  /** The decision in plain words, strongest first. */
  signals: string[];
}

/** Score at which each tier starts (trivial starts at -infinity): the bands the scoring rules are written against. */
const THRESHOLDS: readonly number[] = [0.95, 2.5, 4.2, 6.1];
/** Base score of each ask family: the middle of its tier. */
const BASE = { deep: 6.6, complex: 4.7, moderate: 3.1, simple: 1.6, none: 1.5 };
/** The middle of each tier's band, trivial first. */
const BAND_MIDDLE: readonly number[] = [0.3, BASE.simple, BASE.moderate, BASE.complex, BASE.deep];

/** The simple and moderate tiers' indices (the readings the second opinion may lift, see classifyMessages). */
const SIMPLE = TIER_NAMES.indexOf('simple');
const MODERATE = TIER_NAMES.indexOf('moderate');
/** The start of the signal of an ask the rules found nothing in, read a tier up by the word model (its tier follows). */
export const FALLBACK_SIGNAL_PREFIX = 'no ask the rules know; its words read as ';
/** The signal of a reading the second opinion lifted, by the reading's tier. */
export const SECOND_OPINION_SIGNALS: Readonly<Record<SecondOpinionTier, string>> = {
  simple: 'read as simple; its words read as moderate',
  moderate: 'read as moderate; its words read as complex',
};

const MAX_SCAN = 8 * 1024; // characters examined from each side of a huge message (bounded time; pasted material stops adding past ~11 KB anyway)
const CONTEXT_TURNS = 6;
/**
 * Characters of earlier user turns the context reads in all, newest turn first. The newest is
 * always read, whole, as any turn is (scoreTurn bounds what it reads); an older one only if it
 * fits whole in what is left, since a turn read in part reads differently (600 characters of a
 * long paste look like one long ask). Scored whole, six long earlier turns and a "why?" cost six
 * asks: a 1 MB conversation ~1.6 ms, a 2 KB one of six short turns ~420 us, against ~120 us for
 * one 2 KB ask, on this VM (benchmarks/README.md, session 20). No labelled conversation has
 * more than 94 characters of earlier turns.
 */
const CONTEXT_SCAN = 600;
/**
 * Messages looked through for the others the classifier reads: back from the classified turn for
 * earlier user turns, and from the start for a system prompt. A request of 120,000 one-word
 * messages took ~1 ms a loop here (4 MB); 256 leaves room for dozens of an agent's tool calls
 * and results between two user turns.
 */
const MESSAGES_LOOKED_THROUGH = 256;
/**
 * Characters of an ask the lexicons read: its first 900 and its last 300 (a longer ask is long
 * whatever else it says, and this bounds the per-request cost).
 */
const ASK_SCAN = 1200;
const ASK_SCAN_HEAD = 900;
/**
 * Characters of it whose shape (words, distinct words, questions) is counted: its first 450 and
 * last 150. The length bonus is full from ~64 distinct words and questions add at most three, so
 * 600 characters tell what 1,200 do (no labelled query's tier changes) at half the cost; the
 * lexicons read all 1,200, so a hard verb in the middle of a long instruction still counts (read
 * at 600 too, an 874-character ask whose "prove ... derive" sat in its middle went from deep to
 * complex).
 */
const SHAPE_SCAN = 600;
const SHAPE_SCAN_HEAD = 450;
// What is left of a stuffed ask is scored on at most 300 characters, its two ends: no labelled
// rest is longer than 147 and no score of 3,000 seeded mixtures moved (a session script), where
// scoring up to 1,200 again nearly doubled the time of an ask of many short clauses.
const REST_SCAN = 300;
const REST_SCAN_HEAD = 225;

const WORD_RE = /[\p{L}\p{N}'’]+/gu;
const MATH_HINT = /[=^\\∑∫∏√∞∀∃∂≤≥≠≈∈⊂]|mod\s|t\(n\)/;
/** "Check it for anything that could ...", "check pull request 17 for regressions". */
const CHECK_FOR = /\bcheck (?:(?:it|this|them) for |(?:[^\s]+ ){0,3}for (?:anything|any|problems|issues|bugs|regressions|risks|security)(?![\p{L}]))/u;
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

const DEEP_ALL = DEEP_ASK.regexAll;
const COMPLEX_ALL = COMPLEX_ASK.regexAll;
const MULTI_ALL = MULTI_STEP.regexAll;

const HARD_LEXICONS = [DEEP_ASK, COMPLEX_ASK, MULTI_STEP] as const;

/**
 * Whether the places the lexicon scan finds give exactly what the three replaces in turn give
 * (withoutHardWords): a literal of the second or third lexicon that begins or ends with a
 * character that is not a letter or number, or holds two such characters in a row, could match
 * across or beside a replaced span where it did not match before, and a term that does not
 * expand to literals has no places; a Chinese or Japanese literal (no boundary) that is not all
 * letters and numbers could match across the space a replaced span leaves. None does; this is
 * checked once at load so that a lexicon edit cannot make the shortcut wrong.
 */
export const PLACES_REPLACE_EXACT = [COMPLEX_ASK, MULTI_STEP].every(
  (lexicon) =>
    lexicon.spaced.every((term) =>
      (expandTerm(term) ?? ['\u0000']).every((lit) => {
        if (!isBmpWordChar(lit.charCodeAt(0)) || !isBmpWordChar(lit.charCodeAt(lit.length - 1))) return false;
        for (let i = 1; i < lit.length; i++) if (!isBmpWordChar(lit.charCodeAt(i)) && !isBmpWordChar(lit.charCodeAt(i - 1))) return false;
        return true;
      }),
    ) && lexicon.cjk.every((term) => (expandTerm(term) ?? ['\u0000']).every((lit) => [...lit].every((ch) => isBmpWordChar(ch.charCodeAt(0))))),
);

/**
 * lex.replace(DEEP_ALL, ' ').replace(COMPLEX_ALL, ' ').replace(MULTI_ALL, ' '), built from the
 * places the lexicon scan already found instead of three more regex passes (~4 us over 200
 * characters of keyword soup here; exported for tests). Each lexicon's matches are what a global
 * scan of the text left by the ones before takes: by place, the first term at a place, on from
 * its end, none across a span already replaced. Every spaced match has a character that is not a
 * letter or number (or the text's end) on each side, so replacing one with a space changes no
 * other match's boundary. A Chinese or Japanese term matches with no boundary at all: where one
 * taken out had a letter or number beside it, the space it leaves could be the boundary of a
 * later lexicon's match ("证明design"), so such a text takes the regexes.
 */
export function withoutHardWords(lex: string, scan: LexiconScan): string {
  const spans = PLACES_REPLACE_EXACT ? hardSpans(scan, 0, lex.length) : null;
  if (spans === null || (scan.hasCjk && beside(lex, spans, 0, lex.length))) return lex.replace(DEEP_ALL, ' ').replace(COMPLEX_ALL, ' ').replace(MULTI_ALL, ' ');
  if (spans.length === 0) return lex;
  // Joined once, flat: the checks after it read it character by character.
  const out: string[] = [];
  let from = 0;
  for (let k = 0; k < spans.length; k += 2) {
    out.push(lex.slice(from, spans[k]), ' ');
    from = spans[k + 1]!;
  }
  out.push(lex.slice(from));
  return out.join('');
}

/**
 * Whether a span of hardSpans has beside it, inside [from, to), a character that ends or begins
 * a later lexicon's spaced literal or a filler form (BOUNDARY_SENSITIVE): only a Chinese or
 * Japanese term's span can have a letter or number beside it (a spaced term matches between
 * boundaries), and the space it is replaced with could then be the boundary of a match the text
 * did not have ("证明design"). Beside Chinese or Japanese characters it cannot: no such literal
 * begins or ends with one.
 */
function beside(lex: string, spans: readonly number[], from: number, to: number): boolean {
  for (let k = 0; k < spans.length; k += 2) {
    const at = spans[k]!;
    const until = spans[k + 1]!;
    if ((at > from && BOUNDARY_SENSITIVE[lex.charCodeAt(at - 1)]! & 2) || (until < to && BOUNDARY_SENSITIVE[lex.charCodeAt(until)]! & 1)) return true;
  }
  return false;
}

/**
 * The spans the three replaces in turn take out of the scanned text's range [from, to), as flat
 * [start, end) pairs in text order (what withoutHardWords says of the whole text, and what those
 * replaces say of the range cut out as a string when the characters either side of it are not
 * letters or numbers). Only places wholly inside the range count; each lexicon's scan starts at
 * `from`. Needs PLACES_REPLACE_EXACT and no Chinese or Japanese term inside the range.
 */
function hardSpans(scan: LexiconScan, from: number, to: number): number[] {
  let spans: number[] = [];
  for (const lexicon of HARD_LEXICONS) {
    const places = lexicon.places(scan);
    if (places.length === 0) continue;
    const chosen: number[] = [];
    let end = from;
    let s = 0; // the first span that does not end before the candidate
    for (let k = 0; k < places.length; k += 3) {
      const at = places[k]!;
      const until = at + places[k + 2]!;
      if (at < end) continue;
      if (until > to) {
        // Places are in text order: none past this one lies inside the range.
        if (at >= to) break;
        continue;
      }
      while (s < spans.length && spans[s + 1]! <= at) s += 2;
      if (s < spans.length && spans[s]! < until) continue; // across a span already replaced
      chosen.push(at, until);
      end = until;
    }
    if (chosen.length === 0) continue;
    // Merge the two sorted lists of disjoint spans.
    const merged: number[] = [];
    let a = 0;
    let b = 0;
    while (a < spans.length || b < chosen.length) {
      if (b >= chosen.length || (a < spans.length && spans[a]! < chosen[b]!)) merged.push(spans[a++]!, spans[a++]!);
      else merged.push(chosen[b++]!, chosen[b++]!);
    }
    spans = merged;
  }
  return spans;
}

/** Wh-words that open a question (isSmallTalk: such a question with a word of its own asks something). */
const WH_QUESTION_OPENER = new Set(['what', 'which', 'why', 'where', 'when', 'who']);

/** The distinct words isSmallTalk has read (it stops at the fifteenth), and its word list as ranges. */
const SMALL_TALK_SEEN = new RangeSet(15);
const SMALL_TALK_WORD_SET = wordSet(SMALL_TALK_WORDS);

/** Length of the word unit at i as WORD_RE reads it (a letter, a number or an apostrophe; 2 for an astral one), or 0. */
function wordUnitAt(t: string, i: number): number {
  const c = t.charCodeAt(i);
  return c === 39 || c === 0x2019 ? 1 : letterOrNumberAt(t, i);
}

/** A greeting, thanks or acknowledgement and nothing more (exported for tests). */
export function isSmallTalk(text: string): boolean {
  // Length first: lower-casing 2 KB of mixed scripts costs more than the rest of this check.
  const trimmed = text.trim();
  if (trimmed.length === 0) return true;
  if (trimmed.length > 600) return false;
  const t = trimmed.toLowerCase();
  if (SMALL_TALK_CJK.test(t)) return true;
  if (SOCIAL_OPENING_CJK.test(t)) return !namesAnAsk(t);
  // Distinct words ("thanks thanks thanks" is still thanks), as WORD_RE reads them, scanned in
  // place (hashed ranges, no string or match per word: a turn of repeated small-talk words is
  // read to its end); stop at the fourth unknown word so an ordinary prompt costs a few words.
  const seen = SMALL_TALK_SEEN;
  seen.reset(t);
  let known = 0;
  let unknown = 0;
  let firstStart = -1;
  let firstEnd = -1;
  let lastStart = -1;
  let lastEnd = -1;
  // Chinese and Japanese characters (U+2E80 to U+9FFF) past a distinct word's first two, two to a
  // word: a sentence in them is one run of letters ("Hi! デプロイのたびにメモリ使用量が増えていきます"
  // is not two words).
  let cjkMore = 0;
  for (let i = 0; i < t.length; ) {
    let len = wordUnitAt(t, i);
    if (len === 0) {
      i++;
      continue;
    }
    const start = i;
    let h = HASH_SEED;
    let cjk = 0;
    do {
      const c = t.charCodeAt(i);
      // A number: never small talk (the answer whatever the other words are).
      if (c >= 48 && c <= 57) return false;
      if (c >= 0x2e80 && c <= 0x9fff) cjk++;
      h = hashStep(h, c);
      if (len === 2) h = hashStep(h, t.charCodeAt(i + 1));
      i += len;
    } while (i < t.length && (len = wordUnitAt(t, i)) > 0);
    lastStart = start;
    lastEnd = i;
    if (firstStart < 0) {
      firstStart = start;
      firstEnd = i;
    }
    if (!seen.addNew(start, i, h)) continue;
    // A run of three or more such characters: a greeting or thanks of its own ("ありがとうございます"), or a sentence.
    const cjkSocial = cjk > 2 && SMALL_TALK_CJK.test(t.slice(start, i));
    if (cjk > 2 && !cjkSocial) cjkMore += Math.ceil((cjk - 2) / 2);
    if (cjkSocial || SMALL_TALK_WORD_SET.getRange(t, start, i, h) !== undefined) known++;
    else if (++unknown > 3) return false;
    if (seen.size > 14) return false;
  }
  if (seen.size === 0) return /^[\p{Emoji}\s!?.]+$/u.test(t); // emoji only
  const first = t.slice(firstStart, firstEnd);
  const last = t.slice(lastStart, lastEnd);
  // A wh-question with a word of its own ("What makes a good unit test?") asks something, even if
  // its other words are small-talk words ("makes sense", "quick test").
  if (unknown > 0 && WH_QUESTION_OPENER.has(first) && /[?？]/.test(t)) return false;
  if (known / (seen.size + cjkMore) >= 0.75) return !SIMPLE_ASK.regex.test(astralToBmp(t));
  // Up to five words opened or closed by thanks or a greeting, asking nothing: on the tune split
  // 58 of the 59 such turns are labelled trivial.
  return seen.size + cjkMore <= 5 && !/[?？]/.test(t) && (SOCIAL_EDGE_WORDS.has(first) || SOCIAL_EDGE_WORDS.has(last)) && !namesAnAsk(t);
}

/** Does a short text name an ask of any family (so that it is not small talk)? */
function namesAnAsk(lower: string): boolean {
  const lex = astralToBmp(lower);
  return SIMPLE_ASK.regex.test(lex) || MODERATE_ASK.regex.test(lex) || COMPLEX_ASK.regex.test(lex) || DEEP_ASK.regex.test(lex);
}

// "How do I / how can I / how should we ..." in the covered languages.
const HOW_TO = /^\s*(?:how (?:do|can|should|would) (?:i|we)|¿?cómo (?:puedo|hago|le|les|debo)|wie (?:kann|soll) ich|comment (?:puis-je|faire|dois-je)|как (?:мне|сделать))(?![\p{L}])/u;

/**
 * A how-to's first verb ("How do I set up ...", "¿Cómo puedo ahorrar ...") and the word after it;
 * German puts the verb last ("Wie kann ich meinen Bildschirm drehen?"): germanHowToVerb.
 */
const HOW_TO_VERB = /^\s*(?:how (?:do|can) (?:i|we)|¿?cómo (?:puedo|podemos|hago)|comment (?:puis-je|pouvons-nous|faire pour)|как (?:мне|нам))\s+(\p{L}+)(?:\s+(\p{L}+))?/u;
const HOW_TO_DE = /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L})/u;
/** What the regex dot does not cross. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
/** ? ？ . ! */
const CLOSING_MARKS = new Set([0x3f, 0xff1f, 0x2e, 0x21]);

/**
 * The last word of a German how-to ("Wie kann ich meinen Bildschirm drehen?" -> "drehen"), or null:
 * what /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L}).{0,120}?(\p{L}+)\s*[?？.!]*\s*$/u captured, read
 * backwards from the end. That regex tried every split of a long run of letters at every start
 * (0.5 ms for 200 characters of "wie kann ich aaaa... 1"); this reads each character once
 * (exported for tests).
 */
export function germanHowToVerb(lex: string): string | null {
  const opener = HOW_TO_DE.exec(lex);
  if (opener === null) return null;
  let end = lex.length;
  while (end > 0 && isJsSpace(lex.charCodeAt(end - 1))) end--;
  while (end > 0 && CLOSING_MARKS.has(lex.charCodeAt(end - 1))) end--;
  while (end > 0 && isJsSpace(lex.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && isBmpLetter(lex.charCodeAt(start - 1))) start--;
  const from = opener[0].length;
  if (start === end || start <= from || start - from > 120 || LINE_TERMINATOR.test(lex.slice(from, start))) return null;
  return lex.slice(start, end);
}

/**
 * Verbs of one action that a how-to asks the steps of ("How do I exit vim?", "undo my last
 * commit", "¿Cómo puedo cambiar el idioma ...?"): a lookup. Not here: verbs of a process or of
 * advice ("set up", "reduce", "learn", "deal with").
 */
const ONE_ACTION_VERBS = new Set([
  'undo', 'exit', 'quit', 'check', 'turn', 'say', 'pronounce', 'spell', 'convert', 'delete', 'remove', 'change', 'install', 'uninstall', 'find', 'open',
  'close', 'reset', 'enable', 'disable', 'rename', 'restart', 'reboot', 'update', 'upgrade', 'cancel', 'unsubscribe', 'log', 'sign', 'print', 'copy',
  'paste', 'add', 'insert', 'type', 'center', 'centre', 'align', 'clear', 'save', 'download', 'upload', 'see', 'view', 'show', 'hide', 'list', 'count', 'rotate', 'mute', 'unmute',
  'cambiar', 'borrar', 'eliminar', 'instalar', 'desinstalar', 'abrir', 'cerrar', 'decir', 'convertir', 'activar', 'desactivar', 'encontrar', 'ver', 'quitar', 'apagar', 'encender', 'restablecer', 'cancelar',
  'supprimer', 'changer', 'modifier', 'installer', 'désinstaller', 'ouvrir', 'fermer', 'dire', 'convertir', 'activer', 'désactiver', 'trouver', 'voir', 'annuler', 'effacer', 'éteindre', 'allumer', 'réinitialiser',
  'drehen', 'ändern', 'löschen', 'öffnen', 'schließen', 'installieren', 'deinstallieren', 'sagen', 'umrechnen', 'finden', 'aktivieren', 'deaktivieren', 'ausschalten', 'einschalten', 'zurücksetzen', 'kündigen', 'entfernen', 'sehen', 'herausfinden',
  'изменить', 'удалить', 'установить', 'открыть', 'закрыть', 'сказать', 'перевести', 'найти', 'включить', 'выключить', 'отключить', 'сбросить', 'отменить', 'посмотреть', 'проверить', 'узнать',
]);

/** What "make" does in a how-to of one action: formatting ("How do I make text bold in Markdown?"). */
const MAKE_FORMAT = /^make (?:(?:a|the|my|some|this) )?(?:text |font |it |word |line )?(?:bold|italic|underlined?|bigger|smaller|larger|uppercase|lowercase|strikethrough)(?!\p{L})/u;

/**
 * What a how-to asks for: the steps of a process or advice ("How do I set up SSH keys for
 * GitHub?", "How do I stop procrastinating?"), or one named action, a lookup ("How do I exit
 * vim?"); null if the ask is no how-to. Tune split: 8 of 11 such how-tos are moderate; the simple
 * ones open developer tools, reset a password, make text bold.
 */
function howToKind(lex: string): 'process' | 'action' | null {
  const m = HOW_TO_VERB.exec(lex);
  let oneAction: boolean;
  if (m !== null) {
    const verb = m[1]!;
    const next = m[2];
    if (verb === 'set' || verb === 'get') oneAction = next !== 'up' && next !== 'started' && (next === 'the' || next === 'a' || next === 'an' || next === undefined);
    else if (verb === 'make') oneAction = MAKE_FORMAT.test(lex.slice(lex.indexOf('make', m.index)));
    else if (verb === 'take') oneAction = lex.includes('screenshot');
    else oneAction = ONE_ACTION_VERBS.has(verb);
  } else {
    const verb = germanHowToVerb(lex);
    if (verb === null) return null;
    oneAction = ONE_ACTION_VERBS.has(verb);
  }
  return oneAction ? 'action' : 'process';
}

/**
 * A question for one value in a language that puts its question word last: Chinese, Japanese,
 * Korean ("现在 CPU 使用率是多少？", "サーバーはいくつありますか？", "재귀 함수란 무엇인가요?") and
 * Turkish ("Türkiye'nin başkenti neresi?"): a lookup, as WH_LOOKUP's are.
 */
const END_LOOKUP = /(?:是多少|有多少|是什么|是哪个|是谁|在哪里?|几点|多少个?|何ですか|何(?:台|個|人|件|回)(?:ありますか|ですか|いますか)?|いくつ(?:ありますか|ですか)?|どこですか|いつですか|何年に\p{L}{0,10}か|(?:一番|最も)\p{L}{1,8}は|무엇인가요|무엇입니까|뭐예요|뭔가요|어디(?:인가요|예요|에 있나요)|언제(?:인가요|예요)|누구(?:인가요|예요)|(?<!\p{L})(?:nedir|neresi|nerede|kimdir|ne zaman|kaç))[?？]?$/u;
/** Whether a text ends as END_LOOKUP's questions do (its last 16 characters read, trailing white space left out: bounded). */
function endLookup(text: string): boolean {
  const t = text.trimEnd();
  return END_LOOKUP.test(t.length > 16 ? t.slice(-16) : t);
}
// A short question opening with a wh-word asks for a fact ("What port does HTTPS use?"); Portuguese,
// Italian, Polish and Dutch ones since session 59 (not Dutch "wie": it is German "how").
const WH_LOOKUP = /^\s*[¿"'“]?(?:what|which|when|who|where|qué|cuál|cuándo|quién|dónde|was|welche[rsn]?|wann|wer|wo|quel(?:le)?s?|quand|qui|où|что|какой|какая|какое|когда|кто|где|o que|qual|quais|quem|onde|quando|quant[oaie]s?|che|cosa|quale|quali|chi|dove|co to|jak(?:i|a|ie)|kto|gdzie|kiedy|wat|welke?|waar|wanneer|hoeveel|a qué hora|à quelle heure|um wie ?viel uhr|во сколько|a que horas|a che ora)(?![\p{L}])/u;

// One-step arithmetic asked in words, in the covered languages: "Wie viel ist 8 plus 9?", "Combien
// font 6 fois 7 ?", "Сколько будет 2 плюс 2?" (a percentage or a square root is simple: the labels).
const NUM = '\\d+(?:[.,]\\d+)?';
const ARITH_OPENER = "(?:what(?:'s|s| is)|how much is|calculate|compute|¿?cuánto (?:es|son)|was (?:ist|ergibt)|wie ?viel ist|combien (?:font|fait)|quanto (?:é|fa|faz)|ile (?:to )?jest|сколько будет|чему равно)";
const ARITH_OPERATOR = '(?:[-+*/x×÷]|times|plus|minus|divided by|multiplied by|mal|geteilt durch|más|menos|por|entre|dividido (?:por|entre)|fois|moins|divisé par|vezes|mais|per|diviso|razy|плюс|минус|умножить на|разделить на)';
export const ARITHMETIC_QUESTION = new RegExp(
  `^${ARITH_OPENER}\\s+${NUM}\\s*${ARITH_OPERATOR}\\s*${NUM}\\s*[?？!]{0,3}$`,
  'iu',
);

/** One step named in words ("half of 350?", "double 21?", "What's a third of 90?"). */
const WORD_ARITH = /^(?:what(?:'s|s| is)\s+)?(?:half|a third|a quarter|double|twice|triple)\s+(?:of\s+)?\d+(?:[.,]\d+)?\s*[?？.!]{0,3}$/iu;
/** A translation of one quoted word ("Translate 'yes' to Spanish"): a one-word answer; a phrase stays a lookup. */
const TRANSLATE_ONE_WORD = /^(?:translate|traduce|traduis|traduisez|übersetze|переведи)\s+(?!(?:this|that|it|these|those|esto|eso|esta|este|das|dies|ceci|cela|ça|это)\s)["'“‘«„]?[\p{L}-]+["'”’»“]?\s+(?:to|into|al|a|en|auf|ins|in|на)\s+\p{L}+\s*[.!?]?$/iu;
const SIMPLE_ARITH = /^(?:what(?:'s|s| is)\s+|calculate\s+|compute\s+)?[\d\s+\-*/×÷().^%=?]+(?:times|plus|minus|divided by|squared|cubed|mal|más|menos|plus|fois)?[\d\s+\-*/×÷().^%=?]*$/iu;

interface TurnScore {
  score: number;
  signals: string[];
  smallTalk: boolean;
  short: boolean;
  family?: 'deep' | 'complex' | 'moderate' | 'simple' | 'none';
  /** The turn is all ask: no pasted material and no code (the word model would read a paste's start, not the ask). */
  plain?: boolean;
  /**
   * A rule bounded this reading on purpose, against words that read harder: a design for people,
   * a word problem or a piece of prose capped at one worked answer, hard words stuffed around an
   * easier ask. The word model's second opinion does not overrule it (classifyMessages).
   */
  settled?: boolean;
  /** The text the lexicons read and what they found (a nested score's caller may reuse them). */
  lex?: string;
  lexScan?: LexiconScan;
}

// Words that add no object to a hard verb: "prove it rigorously", "design the architecture".
// NO_OBJECT reads lexical forms only (its boundary class is the BMP's letters).
export const NO_OBJECT_TERMS = ['it', 'this', 'that', 'the', 'a', 'an', 'and', 'or', 'then', 'from', 'first', 'principles', 'architecture', 'everything', 'all', 'of', 'to', 'with', 'in', 'detail', 'answer', 'solution', 'approach', 'trade-?offs?', 'analysis', 'rigorously', 'rigorous', 'thoroughly', 'be', 'thorough', 'step', 'by', 'please', 'me', 'your', 'reasoning', 'maximum', 'very', 'hard', 'deeply', 'carefully', 'think', 'make', 'sure', 'everything', 'es', 'alles', 'todo', 'lo', 'le', 'la', 'и', 'это', 'всё', 'все'];
export const NO_OBJECT = new RegExp(`(?<!${BMP_LETTER})(?:${NO_OBJECT_TERMS.join('|')})(?!${BMP_LETTER})`, 'gu');
/**
 * Every word a stuffing clause can lose: the words of the hard-verb lexicons and the filler. A
 * word of a clause outside it (and outside Chinese and Japanese, whose terms match inside words)
 * is still there after the hard words and the filler are taken out.
 */
/** Words that keyword stuffing is made of: the hard lexicons' and the filler's (exported for tests). */
export const STUFFING_VOCABULARY: ReadonlySet<string> = new Set([...DEEP_ASK.words(), ...COMPLEX_ASK.words(), ...MULTI_STEP.words(), ...NO_OBJECT_TERMS.flatMap((t) => expandTerm(t)!.flatMap(words))]);

/** Words the one-sentence check below can take out: those and the effort words (exported for tests). */
export const ONE_SENTENCE_REMOVABLE: ReadonlySet<string> = new Set([...STUFFING_VOCABULARY, ...EFFORT_TERMS]);
const STUFFING_WORDS = wordSet(STUFFING_VOCABULARY);
/** Words unknownKeptWords passes over: the removable ones and small talk's. */
const REMOVABLE_OR_SMALL_TALK = wordSet([...ONE_SENTENCE_REMOVABLE, ...SMALL_TALK_WORDS]);
/** Ranges of the distinct words unknownKeptWords has counted (at most 4; reused, it is synchronous). */
const KEPT_STARTS = new Int32Array(4);
const KEPT_ENDS = new Int32Array(4);
const KEPT_HASHES = new Int32Array(4);

/**
 * Distinct words of an ask that the one-sentence check keeps and small talk does not know,
 * counted up to 4 (0 if an apostrophe could join words). Four of them make both small-talk tests
 * of what is left fail, so the left-overs need not be built (exported for tests). Words are
 * hashed as they are read and compared in place, not made into strings for a Set: 150 characters
 * of prose (four unknown words early) 1.45 -> 0.42 us here; 200 characters of nothing but hard
 * words about the same (2.4 -> 2.9).
 */
export function unknownKeptWords(text: string): number {
  if (/['’]/.test(text)) return 0;
  let count = 0;
  const n = text.length;
  // The words are cut as scanWord cuts them, written out here: through scanWord, in a process
  // that had classified varied asks, this took ~8 us over 200 characters of keyword soup.
  for (let i = 0; i < n; ) {
    let c = text.charCodeAt(i);
    if (!isBmpWordChar(c)) {
      i++;
      continue;
    }
    const start = i;
    let hash = HASH_SEED;
    // Letters only (no number), none Chinese or Japanese: no removal takes part of it.
    let plain = true;
    for (;;) {
      hash = hashStep(hash, c);
      if (plain && (c >= 0x2e80 || !isBmpLetter(c))) plain = false;
      if (++i >= n) break;
      c = text.charCodeAt(i);
      if (!isBmpWordChar(c)) break;
    }
    const end = i;
    if (!plain || REMOVABLE_OR_SMALL_TALK.getRange(text, start, end, hash) !== undefined) continue;
    let counted = false;
    for (let k = 0; k < count && !counted; k++) counted = KEPT_HASHES[k] === hash && KEPT_ENDS[k]! - KEPT_STARTS[k]! === end - start && sameRange(text, KEPT_STARTS[k]!, start, end - start);
    if (counted) continue;
    KEPT_STARTS[count] = start;
    KEPT_ENDS[count] = end;
    KEPT_HASHES[count] = hash;
    if (++count >= 4) return 4;
  }
  return count;
}

/** What /^\s*(?:which|what)\s/u tests, by hand: it ran on every clause of a long ask (exported for tests). */
export function opensWithWhChoice(clause: string): boolean {
  return opensWithWhChoiceAt(clause, 0, clause.length);
}

/** opensWithWhChoice(text.slice(start, end)), without the slice. */
function opensWithWhChoiceAt(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && isJsSpace(text.charCodeAt(i))) i++;
  if (i >= end || text.charCodeAt(i) !== 119 /* w */) return false;
  const word = text.startsWith('which', i) ? 5 : text.startsWith('what', i) ? 4 : 0;
  return word > 0 && i + word < end && isJsSpace(text.charCodeAt(i + word));
}

/** A clause made only of hard verbs and filler, with no object of its own (exported for tests). */
export function isStuffing(clause: string): boolean {
  return clause.length <= MAX_STUFFING_CLAUSE && mayBeStuffingAt(clause, 0, clause.length) && hardWordsAndNothingElse(clause);
}

/** Characters of the longest clause that can be keyword stuffing. */
const MAX_STUFFING_CLAUSE = 160;

/**
 * The cheap part of isStuffing, for the clause text[start, end) (no longer than
 * MAX_STUFFING_CLAUSE): false for a clause that cannot be stuffing. Read in place, in one pass
 * (1.2 KB of short clauses has ~100 of them; a word pass and a regex over each took ~10 % more).
 * Exported for tests.
 */
export function mayBeStuffingAt(text: string, start: number, end: number): boolean {
  // "which estimator", "what model": a question about the rest, not a hard word beside it.
  if (opensWithWhChoiceAt(text, start, end)) return false;
  // Two words that removing hard words and filler cannot remove (Chinese and Japanese terms
  // match inside words: a word with such a unit may lose part) are two words left, unless only
  // apostrophes join them: not stuffing. Most clauses end here, before the check's regexes.
  let kept = 0;
  for (let i = start; i < end; ) {
    let c = text.charCodeAt(i);
    if (!isBmpWordChar(c)) {
      if (c === 39 || c === 0x2019) return true;
      i++;
      continue;
    }
    const from = i;
    let h = HASH_SEED;
    let high = false;
    for (;;) {
      h = hashStep(h, c);
      if (c >= 0x2e80) high = true;
      if (++i >= end) break;
      c = text.charCodeAt(i);
      if (!isBmpWordChar(c)) break;
    }
    if (!high && STUFFING_WORDS.getRange(text, from, i, h) === undefined && ++kept === 2) {
      // Two kept words: the answer is now whether an apostrophe follows (the loop would return
      // at one), found without reading the rest as words.
      for (; i < end; i++) {
        c = text.charCodeAt(i);
        if (c === 39 || c === 0x2019) return true;
      }
      return false;
    }
  }
  return kept < 2;
}

/** The costly part of isStuffing: a hard word, and at most one word left once hard words and filler are out. */
function hardWordsAndNothingElse(clause: string): boolean {
  DEEP_ALL.lastIndex = 0;
  COMPLEX_ALL.lastIndex = 0;
  MULTI_ALL.lastIndex = 0;
  if (!DEEP_ALL.test(clause) && !COMPLEX_ALL.test(clause) && !MULTI_ALL.test(clause)) return false;
  const left = clause.replace(DEEP_ALL, ' ').replace(COMPLEX_ALL, ' ').replace(MULTI_ALL, ' ').replace(NO_OBJECT, ' ').replace(/[,\s]+/gu, ' ').trim();
  return (left.match(WORD_RE)?.length ?? 0) <= 1;
}

/**
 * Whether a word of the hard lexicons lies wholly inside [start, end) of the scanned text, by the
 * places the scan found (what the lexicons' regexes say of a clause cut out there).
 */
function hardWordWithin(scan: LexiconScan, start: number, end: number): boolean {
  for (const lexicon of HARD_LEXICONS) if (hasPlaceWithin(lexicon.places(scan), start, end)) return true;
  return false;
}

/** The filler terms' letters-only forms, for the place-based check below. */
const NO_OBJECT_FORMS = NO_OBJECT_TERMS.flatMap((t) => expandTerm(t)!);
const allLetters = (w: string) => [...w].every((ch) => isBmpLetter(ch.charCodeAt(0)));
const NO_OBJECT_LETTER_WORDS = wordSet(NO_OBJECT_FORMS.filter(allLetters));
/**
 * The characters that begin (1) or end (2) a spaced literal of the lexicons replaced after the
 * first (COMPLEX_ASK, MULTI_STEP) or a filler form: where a replaced span has one beside it, the
 * places cannot say what the regexes do (beside).
 */
const BOUNDARY_SENSITIVE = (() => {
  const t = new Uint8Array(0x10000);
  const literals = [...[COMPLEX_ASK, MULTI_STEP].flatMap((l) => l.spaced.flatMap((term) => expandTerm(term) ?? [])), ...NO_OBJECT_FORMS];
  for (const lit of literals) {
    t[lit.charCodeAt(0)]! |= 1;
    t[lit.charCodeAt(lit.length - 1)]! |= 2;
  }
  return t;
})();

/** Their other forms ("trade-off"), in the order the filler regex tries them. */
const NO_OBJECT_JOINED = [...new Set(NO_OBJECT_FORMS.filter((w) => !allLetters(w)))];
const NO_OBJECT_JOINING_MARKS = new Set(NO_OBJECT_JOINED.flatMap((w) => [...w].map((ch) => ch.charCodeAt(0)).filter((c) => !isBmpLetter(c))));
/**
 * Whether the place-based check can read a joined filler form itself, where the regexes would
 * take it out: each begins and ends with a letter (so it can only start a run of letters and its
 * boundaries are the filler regex's), and the run of letters it starts with is no filler word of
 * its own (which the regex could take there first, by its place among the terms). Checked once
 * at load; where it does not hold, a clause with a joined form takes the regexes, as before.
 */
const JOINED_READ_IN_PLACE = NO_OBJECT_JOINED.every((w) => {
  if (!isBmpLetter(w.charCodeAt(0)) || !isBmpLetter(w.charCodeAt(w.length - 1))) return false;
  let run = 1;
  while (run < w.length && isBmpLetter(w.charCodeAt(run))) run++;
  return !NO_OBJECT_FORMS.includes(w.slice(0, run));
});
/** First units of the joined forms (all letters; see JOINED_READ_IN_PLACE). */
const JOINED_FIRST = new Set(NO_OBJECT_JOINED.map((w) => w.charCodeAt(0)));

/**
 * The length of the joined filler form the filler regex takes at `at` (a run of letters starts
 * there), or 0: the first form, in the regex's order, that ends by `limit` (the clause's end or
 * the next hard word's span, which the regexes have made a space by then) with no letter after it.
 */
function joinedFillerAt(lex: string, at: number, limit: number): number {
  for (const w of NO_OBJECT_JOINED) {
    const after = at + w.length;
    if (after <= limit && lex.startsWith(w, at) && (after === limit || !isBmpLetter(lex.charCodeAt(after)))) return w.length;
  }
  return 0;
}

/**
 * hardWordsAndNothingElse(lex.slice(start, end)) for a clause of the scanned text, from the
 * places the lexicon scan found instead of seven regex passes (~3 us a clause here; an ask gets
 * up to EXACT_STUFFING_CHECKS of them); null where it cannot say exactly, and the regexes decide:
 * a clause where a Chinese or Japanese term taken out has a letter or number beside it (it
 * matches with no boundary, and the space left could be a boundary: withoutHardWords).
 * Elsewhere a filler term (NO_OBJECT, whose boundary is a letter) matches a whole run of letters,
 * a joined form starting with one ("trade-off", see JOINED_READ_IN_PLACE), or nothing, and what is
 * left is counted in words as WORD_RE reads them.
 */
function hardWordsAndNothingElseAt(lex: string, scan: LexiconScan, start: number, end: number): boolean | null {
  if (!PLACES_REPLACE_EXACT) return null;
  let joiningMark = false;
  let high = false;
  for (let i = start; i < end; i++) {
    const c = lex.charCodeAt(i);
    if (c >= 0x2e80) high = true;
    if (NO_OBJECT_JOINING_MARKS.has(c)) joiningMark = true;
  }
  if (joiningMark && !JOINED_READ_IN_PLACE) {
    for (const w of NO_OBJECT_JOINED) {
      const at = lex.indexOf(w, start);
      if (at >= 0 && at + w.length <= end) return null;
    }
  }
  if (!hardWordWithin(scan, start, end)) return false;
  const spans = hardSpans(scan, start, end);
  if (high && beside(lex, spans, start, end)) return null;
  // Words of what is left (runs of letters, numbers and apostrophes, as WORD_RE reads them), a
  // filler run of letters taken out as a space; more than one is an answer.
  let words = 0;
  let inWord = false;
  let k = 0;
  for (let i = start; i < end; ) {
    if (k < spans.length && i >= spans[k]!) {
      i = spans[k + 1]!;
      k += 2;
      inWord = false;
      continue;
    }
    const c = lex.charCodeAt(i);
    if (isBmpLetter(c)) {
      // A run of letters ends where a span begins (a Chinese or Japanese term can sit inside one:
      // "请证明这个" leaves two words, as the replaces do).
      const runEnd = k < spans.length ? spans[k]! : end;
      // A joined filler form ("trade-offs") is taken out as the filler regex takes it: a space.
      const joined = joiningMark && JOINED_FIRST.has(c) ? joinedFillerAt(lex, i, runEnd) : 0;
      if (joined > 0) {
        inWord = false;
        i += joined;
        continue;
      }
      let h = hashStep(HASH_SEED, c);
      let j = i + 1;
      for (; j < runEnd; j++) {
        const d = lex.charCodeAt(j);
        if (!isBmpLetter(d)) break;
        h = hashStep(h, d);
      }
      if (NO_OBJECT_LETTER_WORDS.getRange(lex, i, j, h) !== undefined) inWord = false;
      else if (!inWord) {
        if (++words > 1) return false;
        inWord = true;
      }
      i = j;
      continue;
    }
    if (isBmpWordChar(c) || c === 39 || c === 0x2019) {
      if (!inWord) {
        if (++words > 1) return false;
        inWord = true;
      }
    } else inWord = false;
    i++;
  }
  return true;
}

/** What ends a clause of an ask. */
const CLAUSE_END = /[.!?:;。？！：；]+\s*|\n+/gu;

/**
 * The clauses of a text, as flat [start, end) pairs: the pieces text.split(CLAUSE_END) gives,
 * blank ones left out (exported for tests).
 */
export function clauseRanges(text: string): number[] {
  const ranges: number[] = [];
  const add = (start: number, end: number) => {
    for (let i = start; i < end; i++) {
      if (!isJsSpace(text.charCodeAt(i))) {
        ranges.push(start, end);
        return;
      }
    }
  };
  let from = 0;
  CLAUSE_END.lastIndex = 0;
  for (let m = CLAUSE_END.exec(text); m !== null; m = CLAUSE_END.exec(text)) {
    add(from, m.index);
    from = CLAUSE_END.lastIndex;
  }
  CLAUSE_END.lastIndex = 0;
  add(from, text.length);
  return ranges;
}

/**
 * Clauses read with the whole stuffing check (its regexes: a few us a clause here); past them a
 * clause that may be stuffing counts as stuffing if a hard word lies in it, found among the places
 * the lexicon scan has already found (what the check's first test asks). Of the 318 labelled
 * queries that reach the check, none has more than three clauses that need it (four clauses in
 * all); 1.4 KB of short clauses ("prove x1. derive x2. ...") is ~130 of them.
 */
const EXACT_STUFFING_CHECKS = 4;

/**
 * Which clauses of an ask are keyword stuffing (see scoreTurn; exported for tests). Past
 * EXACT_STUFFING_CHECKS whole checks, what is left of a clause once its hard words and filler are
 * out is not counted: one that may be stuffing (at most one kept word) and has a hard word counts
 * as stuffing. That can only set aside more of the ask than the whole check would, never a clause
 * with no hard word. What is left is then less of the ask (the cap is judged on it), or, where
 * nothing is left, the ask is scored whole, as when every clause is stuffing (such a clause has a
 * hard word, so what is left with it in would have read as a hard ask too).
 */
export function stuffingClauses(lex: string, lexScan: LexiconScan, ranges: readonly number[]): { stuffing: string[]; rest: string[] } {
  const stuffing: string[] = [];
  const rest: string[] = [];
  // The clauses given the whole check and what it said (a repeat gets the same answer).
  const checked: string[] = [];
  const verdicts: boolean[] = [];
  for (let k = 0; k < ranges.length; k += 2) {
    const start = ranges[k]!;
    const end = ranges[k + 1]!;
    const clause = lex.slice(start, end);
    let stuffed = false;
    if (end - start <= MAX_STUFFING_CLAUSE) {
      const seen = checked.indexOf(clause);
      if (seen >= 0) stuffed = verdicts[seen]!;
      else if (mayBeStuffingAt(lex, start, end)) {
        if (checked.length < EXACT_STUFFING_CHECKS) {
          stuffed = hardWordsAndNothingElseAt(lex, lexScan, start, end) ?? hardWordsAndNothingElse(clause);
          checked.push(clause);
          verdicts.push(stuffed);
        } else {
          stuffed = hardWordWithin(lexScan, start, end);
        }
      }
    }
    (stuffed ? stuffing : rest).push(clause);
  }
  return { stuffing, rest };
}

/**
 * A list mark, or a bracketed group closed on its line within 120 characters: a group's commas
 * list the parts of one thing (a signature, a schema, a tuple: "orders(id, customer_id, total)"),
 * not items of the ask. A '(' with no ')' near it on its line (":(") hides nothing. With
 * NOT_BEFORE_NUMBER, marks before a number (white space between) are left out too: the terms of a
 * sequence.
 */
const LIST_MARK = /[(（][^()（）\n]{0,120}[)）]|[,，、;]/g;
const LIST_MARK_NOT_BEFORE_NUMBER = /[(（][^()（）\n]{0,120}[)）]|[,，、;](?!\s*\d)/g;

/**
 * Commas, ideographic commas and semicolons in a text outside bracketed groups (LIST_MARK), counted
 * up to max; with `sequence`, not those before a number. test() in a loop makes no string (a
 * match that ends in a closing bracket is a group) and stops at max (exported for tests).
 */
export function listMarks(text: string, sequence: boolean, max: number): number {
  const re = sequence ? LIST_MARK_NOT_BEFORE_NUMBER : LIST_MARK;
  let n = 0;
  re.lastIndex = 0;
  while (n < max && re.test(text)) {
    const last = text.charCodeAt(re.lastIndex - 1);
    if (last !== 0x29 && last !== 0xff09) n++;
  }
  re.lastIndex = 0;
  return n;
}

/**
 * Quantities a word problem gives: numerals and number words ("two coins that total 30 cents",
 * "length is twice its width and its perimeter is 36"), counted up to 3.
 */
function quantitiesIn(lex: string, scan: LexiconScan): number {
  const numerals = countNumerals(lex, 3);
  return numerals >= 3 ? 3 : numerals + NUMBER_WORDS.count(scan, 3 - numerals);
}

/**
 * The quantities of a text given with an ask (groundedAsk), which count as the ask's own where a
 * quantity is asked of them ("Using the table below, by how much …?"): a word problem whose numbers
 * were given before its question.
 */
function figuresIn(passage: string): number {
  const figures = astralToBmp(passage.toLowerCase());
  return quantitiesIn(figures, readLexicons(figures));
}

/** A numeral: "36", "3.5", "1,000" (and "1,000,000" is two). */
const NUMERAL = /\d+(?:[.,]\d+)?/g;

/** Numerals in a text, counted up to max (what match(NUMERAL) counted, without a string each; exported for tests). */
export function countNumerals(text: string, max: number): number {
  return countMatches(NUMERAL, text, max);
}

/** Word count by whitespace runs (CJK characters count as words): linear, no allocation. */
function approxWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 && (c === 32 || c === 10 || c === 9 || c === 13)) inWord = false;
    else if (c >= 0x3040 && c <= 0x9fff) {
      n++;
      inWord = false;
    } else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

/** Characters of pasted material whose words are counted: half from each end (~80 words of prose). */
const MATERIAL_SAMPLE = 512;

/**
 * Words of pasted material, counted on its two ends and scaled to its length past
 * MATERIAL_SAMPLE characters (exported for tests). Material only adds a little to the score and
 * names its size in a signal ("about 360 words"), so an estimate serves; a full count was a pass
 * over all of it (~5-10 ns a character on this VM, 10-16 us for 2 KB), the costliest step of a
 * classification whose ask is short. On the 38 labelled queries with longer material the
 * estimate is 1.4 % off at the median, 9 % at most, and changed no tier.
 */
export function materialWords(material: string): number {
  const n = material.length;
  if (n <= MATERIAL_SAMPLE) return approxWords(material);
  const half = MATERIAL_SAMPLE / 2;
  const sampled = approxWords(material.slice(0, half)) + approxWords(material.slice(n - half));
  return Math.round((sampled * n) / MATERIAL_SAMPLE);
}

/** Does a paragraph of a long message read like the instruction rather than the material? */
function isInstruction(p: string): boolean {
  if (/[?？]/u.test(p) || /[:：]\s*$/u.test(p)) return true;
  const head = lexicalForm(p.slice(0, 80));
  return DEEP_ASK.regex.test(head) || COMPLEX_ASK.regex.test(head) || SIMPLE_ASK.regex.test(head) || /^(?:please|can you|could you|list|summar|tl;?dr|turn|group|rewrite|translate|fix|explain|compare)/iu.test(head);
}

/**
 * Words of a text that are not small talk ("hello", "thanks", "ok"), counted up to 4; a run of
 * Chinese or Japanese counts a word per two characters.
 */
function wordsBeside(text: string): number {
  let n = 0;
  for (const w of words(text.toLowerCase())) {
    if (SMALL_TALK_WORDS.has(w)) continue;
    const c = w.charCodeAt(0);
    n += c >= 0x3040 && c <= 0x9fff ? Math.ceil(w.length / 2) : 1;
    if (n >= 4) return 4;
  }
  return n;
}

/** WORD_RE's matches in a text, counted up to max (text.match(WORD_RE).length where that is below max). */
function wordsUpTo(text: string, max: number): number {
  return countMatches(WORD_RE, text, max);
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

/** Whether an ask names a system the way systems are named or gives a measurement. */
function hasTechnicalMark(marks: TechnicalMarks): boolean {
  return marks.names > 0 || marks.measurements > 0;
}

/** A choice or a comparison beside a judgement word: "rent or buy", "better than", "worth it". */
const WEIGHS_OPTIONS = /(?<!\p{L})(?:or|o|oder|ou|или)(?!\p{L})|(?:better|worse|safer|healthier|cheaper) than|worth|vale la pena|lohnt|vaut|стоит ли|besser als|mejor que|лучше/u;
/** Words that tell a scene in the first person. */
const FIRST_PERSON = /(?<!\p{L})(?:i|i'm|my|me|we|our|us|mine|mi|mis|mein|meine|mon|ma|mes|мой|моя|мои|у меня)(?!\p{L})/u;
/** A statement of at least five words, then one closing question of one clause: "<scene>. <question>?". */
function setUpQuestion(lex: string): boolean {
  const t = lex.trimEnd();
  const last = t.charCodeAt(t.length - 1);
  if (last !== 63 && last !== 0xff1f) return false;
  // The closing question's marks, a run of them one ("How??").
  let end = t.length - 1;
  while (end > 0 && isQuestionOrBang(t.charCodeAt(end - 1))) end--;
  const q = Math.max(t.lastIndexOf('. ', end - 1), t.lastIndexOf('! ', end - 1), t.lastIndexOf('。', end - 1));
  if (q < 0 || t.lastIndexOf('?', end - 1) > q || t.lastIndexOf('？', end - 1) > q || t.indexOf(':', q) >= 0) return false;
  // Told in the first person it is a support request or advice ("My order 12345 hasn't arrived. Where is it?").
  return wordsUpTo(t.slice(0, q), 5) >= 5 && !FIRST_PERSON.test(t);
}
/** ? or ! (either width): a run of them closes one question. */
const isQuestionOrBang = (c: number): boolean => c === 63 || c === 0xff1f || c === 33 || c === 0xff01;
/** A sentence end, then a closing question of one to five words (its marks a run or one: "Options??"). */
const SHORT_FINAL_QUESTION = /[.!:;。！：；]\s+((?:[\p{L}'’-]+\s+){0,4}[\p{L}'’-]+)\s*[?？]+\s*$/u;
/** "or" in the covered languages: a closing question with one is a choice. */
const CHOICE_WORDS = new Set(['or', 'o', 'oder', 'ou', 'или']);
/** First words of a closing question that asks no course of action: yes/no openers, and a bare "Fix?" (a known remedy). */
const NO_COURSE_OPENER = new Set(['fix', 'is', 'are', 'was', 'does', 'do', 'did', 'can', 'could', 'should', 'will', 'would', 'ist', 'est', 'es']);
/** Forms of "to be": a longer closing question with one second ("What was the original price?") asks for a value, not a course. */
const VALUE_VERB = new Set(['is', 'was', 'are', 'were', "'s", 'will']);
/**
 * A statement of at least eight words closed by a question of up to five words that is not
 * yes/no or a choice: "... 2 TB table. Options?", "... won't converge. How should I simplify it?"
 * (up to three words until session 48: paraphrases of tune asks that said the same in four or five
 * words read a tier lower); of four or five words, not one that asks for a value.
 */
function terseCourseQuestion(lex: string, words: number): boolean {
  const m = SHORT_FINAL_QUESTION.exec(lex);
  if (m === null) return false;
  const q = m[1]!.split(/\s+/u);
  if (q.length > 3 && VALUE_VERB.has(q[1]!)) return false;
  return words - q.length >= 8 && !NO_COURSE_OPENER.has(q[0]!) && !q.some((w) => CHOICE_WORDS.has(w));
}

/** Below the simple/moderate boundary at the default cost (calibration cut 2.38 less 0.29 x ln 3). */
const BRIEF_EXPLANATION_CAP = 2.0;
/** What a term is, in the covered languages ("what recursion is", "什么是递归", "что такое мьютекс"): a definition asked for. */
const DEFINITION_ASKED = /(?<!\p{L})(?:what (?:is|are)|what (?:an? |the )?[\p{L}-]{1,40} (?:is|are|means)|define|definition of|meaning of|что такое|qué (?:es|son)|qu'est-ce qu|was (?:ist|sind))(?!\p{L})|什么是|是什么|とは/u;
/**
 * An instruction to transform a text given with it (summarize, translate, proofread, fix or check
 * the grammar, rephrase, shorten, extract), in the covered languages, asked plainly or with "can
 * you": what follows its colon is the text, not the ask. Latin and Cyrillic verbs end at a word's
 * end; Chinese and Japanese ones need not.
 */
const TRANSFORM_INSTRUCTION =
  /^(?:(?:please|pls|plz)\s+|(?:can|could|would) (?:you|u) (?:please |pls |plz )?)?(?:(?:summari[sz]e|tl;?dr|translate|proofread|check (?:[\p{L}']+ ){0,3}for (?:grammar|spelling|typos?|punctuation)|paraphrase|rephrase|reword|rewrite|shorten|extract|fix (?:the |my )?(?:grammar|spelling|typos?|punctuation|wording)|correct (?:the |my )?(?:grammar|spelling|typos?|punctuation)|make (?:this|it|the)(?: \p{L}+){0,2} (?:more|less|shorter|longer|clearer|simpler|sound)|reescribe|réécris|réécrivez|перепиши|resume (?:este|esto|el|la)|resumir|resúmeme|traduce|traduis|traduisez|traduz|traduci|übersetze|fasse|korrigiere|corrige|résume|résumez|переведи|перескажи|исправь|сократи)(?![\p{L}])|翻译|总结|概括|要約|翻訳)/iu;
/**
 * Quotes a given text may be put in, each with its closing mark: QUOTE_CLOSES, the CJK corner
 * brackets, and closing marks used at both ends (typography that turns every ' into ’).
 */
const PASSAGE_QUOTES: Readonly<Record<string, string>> = { ...QUOTE_CLOSES, '「': '」', '『': '』', '’': '’', '”': '”' };
/**
 * How a text should sound, in the covered languages ("to sound more professional", "que suene más
 * formal", "professioneller klingt"), or how much shorter or plainer it should be ("to be more
 * concise", set 91).
 */
const TONE_EDIT = /(?<!\p{L})(?:sound|sounds|suene|sueni|klingt|klingen|sonne|звучал[оаи]?|звучит|(?:more )?(?:concise|shorter|clearer|simpler|plainer))(?!\p{L})/u;
/** Where an instruction's colon may be looked for: a transform instruction is short. */
const GIVEN_INSTRUCTION_MAX = 160;

/** A turn split into what it asks (instruction) and the text it gives with the ask (passage: material). */
export interface GivenText {
  instruction: string;
  passage: string;
}

/**
 * A text given to transform, split from its instruction: "Summarize in one sentence: '…'" or an
 * instruction line ending in a colon with the text on the lines after it. Null for anything else:
 * a question about the text ("Translate: … — is that right?"), a text not quoted to its end, or an
 * instruction that is no transform ("Explain: …").
 */
export function givenPassage(ask: string): GivenText | null {
  return instructionThenPassage(ask) ?? passageThenInstruction(ask);
}

/** "Summarize in one sentence: '…'", "Fix the grammar:" and the text on the lines after it (givenPassage). */
function instructionThenPassage(ask: string): GivenText | null {
  let colon = -1;
  const look = Math.min(ask.length, GIVEN_INSTRUCTION_MAX);
  for (let i = 0; i < look; i++) {
    const c = ask.charCodeAt(i);
    if (c === 0x3a || c === 0xff1a) {
      colon = i;
      break;
    }
    // An instruction is one line, and a question is no transform.
    if (c === 0x0a || c === 0x3f || c === 0xff1f) return null;
  }
  if (colon < 0) return null;
  const instruction = ask.slice(0, colon).trim();
  if (!TRANSFORM_INSTRUCTION.test(instruction)) return null;
  let at = colon + 1;
  while (at < ask.length && (ask.charCodeAt(at) === 0x20 || ask.charCodeAt(at) === 0x09)) at++;
  if (at >= ask.length) return null;
  const rest = ask.slice(at);
  if (rest.charCodeAt(0) === 0x0a || rest.charCodeAt(0) === 0x0d) return LETTER_OR_DIGIT.test(rest) ? { instruction, passage: rest.trim() } : null;
  // A quoted text: its closing mark ends the turn (a stop or a question mark after it aside).
  const close = PASSAGE_QUOTES[rest[0]!];
  if (close === undefined) return null;
  let end = rest.trimEnd().length - 1;
  if (end > 0 && /[.!?。！？]/u.test(rest[end]!) && rest[end - 1] === close) end--;
  if (end <= 1 || rest[end] !== close) return null;
  const passage = rest.slice(1, end);
  return LETTER_OR_DIGIT.test(passage) ? { instruction, passage } : null;
}

/**
 * A text, a blank line, then a transform instruction of one line as the turn's last paragraph
 * ("<meeting notes>\n\nSummarize this in 3 bullet points.", "<a paragraph>\n\nTranslate to
 * Spanish."): the text is given, not asked (givenPassage). A question is no transform.
 */
function passageThenInstruction(ask: string): GivenText | null {
  const t = ask.trimEnd();
  const nl = t.lastIndexOf('\n');
  if (nl < 0 || t.length - nl - 1 > GIVEN_INSTRUCTION_MAX) return null;
  // The line before the instruction is blank.
  let k = nl - 1;
  while (k >= 0 && (t.charCodeAt(k) === 0x20 || t.charCodeAt(k) === 0x09 || t.charCodeAt(k) === 0x0d)) k--;
  if (k < 0 || t.charCodeAt(k) !== 0x0a) return null;
  const instruction = t.slice(nl + 1).trim();
  if (instruction.includes('?') || instruction.includes('？') || !TRANSFORM_INSTRUCTION.test(instruction)) return null;
  const passage = t.slice(0, k).trim();
  return LETTER_OR_DIGIT.test(passage) ? { instruction, passage } : null;
}

/** The most characters of a grounded ask's question or instruction (groundedAsk): a longer one is the ask itself. */
const GROUNDED_ASK_MAX = 300;
/** The most characters of a line that introduces a given text ("Here are the release notes of v3.0:"). */
const GROUNDED_INTRO_MAX = 100;
/** The fewest characters of a text given before its ask with no line to introduce it (a sentence or two). */
const GROUNDED_PASSAGE_MIN = 100;
/**
 * How an ask that points at a text below opens when it is no question ("Using the following policy,
 * decide …", "Based on this job description, list …"): a report ("I'm getting these errors:") is
 * not one, and its text is the problem, not material.
 */
const GROUNDING_OPENER = /^\s*(?:using|use|based on|from|given|according to|read|look at|consider|usando|según|con base en|a partir de|anhand|basierend auf|laut|gemäß|lies|d'après|selon|en utilisant|à partir de|lis|используя|на основе|согласно|прочитай|根据|基于)(?!\p{L})/iu;
/** Words that point at a text given after the ask ("the table below", "these two reviews", "la siguiente tabla"), in the covered languages. */
const GIVEN_BELOW = /(?<!\p{L})(?:below|following|these|this (?:text|passage|paragraph|abstract|clause|excerpt|article|email|letter|review|transcript|log|table|data|description|notes|list|survey|contract|policy|document|job description)|a continuación|siguientes?|folgenden?|unten|suivante?s?|ci-dessous|ниже|следующ\p{L}*)(?!\p{L})|以下|下面|次の/u;
/** A line that labels the question asked of a given context ("Question:", "Q:", "Pregunta:", "问题："), in the covered languages. */
const QUESTION_LABEL = /\n[ \t]*(?:question|q|pregunta|frage|вопрос|pergunta|domanda|pytanie|vraag|soru|질문|问题|質問)[ \t]*[:：][ \t]*(?=\S)/giu;

/**
 * An ask of a text given with it, split into the ask and the text (material): a few-shot prompt
 * (fewShotAsk), a template's input fields (templatedAsk), a context then a labelled question
 * ("Context: <facts>\nQuestion: When did it open?"), an ask that points at the text below it, a text
 * introduced by a line of its own then the ask, and a text then a lookup in it or a transform of
 * it. Reading comprehension is as hard as its question, not its context (set 97: eleven such asks
 * read one or two tiers high); groundedParts keeps whole what asks for hard work. Null for
 * anything else.
 */
export function groundedAsk(ask: string): GivenText | null {
  // Every form has a line break: most asks are one line, and stop at this search.
  const nl = ask.indexOf('\n');
  if (nl < 0) return null;
  const shots = fewShotAsk(ask) ?? templatedAsk(ask);
  if (shots !== null) return shots;
  QUESTION_LABEL.lastIndex = 0;
  const m = QUESTION_LABEL.exec(ask);
  if (m !== null) return groundedParts(ask.slice(m.index + m[0].length), ask.slice(0, m.index));
  // The first and last paragraph breaks, found from the two ends (paragraphBreaks).
  const breaks = paragraphBreaks(ask);
  // An ask that points at the text after it ("From the abstract below, what …?\n\nAbstract: …").
  const firstEnd = breaks.count === 0 ? nl : breaks.firstStart;
  const first = ask.slice(0, firstEnd);
  if (firstEnd <= GROUNDED_ASK_MAX && GIVEN_BELOW.test(first) && (first.includes('?') || first.includes('？') || GROUNDING_OPENER.test(first))) return groundedParts(first, ask.slice(firstEnd));
  if (breaks.count === 0) return null;
  const passage = ask.slice(0, breaks.lastStart);
  const instruction = ask.slice(breaks.lastEnd);
  // A text introduced by a line of its own ("Here is a paragraph from our privacy policy:",
  // "Meeting notes, 14 March:"), then the ask as the last paragraph.
  const intro = ask.slice(0, nl).trimEnd();
  if (nl <= GROUNDED_INTRO_MAX && (intro.endsWith(':') || intro.endsWith('：'))) return breaks.lastStart < nl ? null : groundedParts(instruction, passage.slice(nl));
  // A text, a blank line, then a lookup in it or a transform of it ("<an article>\n\nWhat is the
  // main point of this text?", "<a notice>\n\nTranslate this into Spanish."). Any other ask of it
  // may be as hard as the text makes it ("Do you agree? Argue both sides"), and log lines are the
  // failure itself, not a text to read ("What's happening here?"): those are read whole, as before.
  if (passage.length < GROUNDED_PASSAGE_MIN || instruction.length > GROUNDED_ASK_MAX || pastedLogs(passage)) return null;
  return groundedParts(instruction, passage, true);
}

/** A last line that is a label waiting for its value ("Sentiment:", "French:", "A:"): a completion prompt. */
const EMPTY_LABEL_LINE = /^[ \t]*([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*[:：][ \t]*$/u;
/** A line that opens with a short label and its colon ("Text: …", "Q: …"): a field, not an instruction. */
const LABELLED_LINE = /^[ \t]*[\p{L}][\p{L}\p{N} _-]{0,24}[:：]/u;
/** A last line that waits for what an arrow maps it to ("\"USB-C Cable 2m\" ->"). */
const ARROW_END = /(?:->|=>|→)[ \t]*$/u;
/** An example line: an arrow and what it maps to ("\"Café Table\" -> cafe-table"). */
const ARROW_WITH_VALUE = /(?:->|=>|→)[ \t]*[^\s]/u;

/**
 * A few-shot prompt: examples, then one more item whose answer is left empty ("Text: …\nSentiment:
 * positive\n\nText: …\nSentiment:", "\"Oak Table\" -> oak-table\n\"USB-C Cable\" ->"). What is asked is
 * the instruction before the examples and the last item; the examples are given (set 99: seven of
 * eight read a tier or two high, their examples read as requirements). Null for anything else.
 */
export function fewShotAsk(ask: string): GivenText | null {
  const t = ask.trimEnd();
  const lastNl = t.lastIndexOf('\n');
  if (lastNl < 0) return null;
  const lastLine = t.slice(lastNl + 1);
  const label = EMPTY_LABEL_LINE.exec(lastLine);
  let itemStart: number;
  if (label !== null) {
    // An example gives the same label its value ("Sentiment: positive"); the item is the line before the label.
    if (!labelledWithValue(t, lastNl, label[1]!)) return null;
    itemStart = t.lastIndexOf('\n', lastNl - 1) + 1;
  } else if (ARROW_END.test(lastLine) && ARROW_WITH_VALUE.test(t.slice(0, lastNl))) {
    itemStart = lastNl + 1;
  } else return null;
  // The instruction before the examples: the first line, unless it is an example or a field itself.
  const firstNl = t.indexOf('\n');
  const firstLine = t.slice(0, firstNl);
  const preamble = LABELLED_LINE.test(firstLine) || ARROW_WITH_VALUE.test(firstLine) ? '' : firstLine;
  const from = preamble === '' ? 0 : firstNl;
  if (itemStart <= from) return null;
  return groundedParts(preamble === '' ? t.slice(itemStart) : `${preamble}\n${t.slice(itemStart)}`, t.slice(from, itemStart));
}

/** A field's label at a line's start: "Input:", "### Context", "TEXT :" (sticky: read where a line starts). */
const FIELD_LABEL = /[ \t]*(?:#{1,4}[ \t]*([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*(?:[:：][ \t]*)?(?=\r?\n|$)|([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*[:：])/uy;
/** Labels of the fields a template gives its input in (lower case), in the covered languages and the six more. */
const MATERIAL_FIELDS = new Set([
  'input', 'text', 'context', 'passage', 'document', 'article', 'email', 'e-mail', 'message', 'review', 'ticket', 'schema', 'data', 'table', 'log', 'logs',
  'transcript', 'notes', 'excerpt', 'abstract', 'reference', 'student answer', 'sentence', 'recipe', 'product', 'paragraph', 'source', 'snippet',
  'texto', 'contexto', 'entrada', 'mensaje', 'reseña', 'frase', 'oración', 'kontext', 'eingabe', 'nachricht', 'satz', 'texte', 'contexte', 'entrée',
  'phrase', 'schéma', 'текст', 'контекст', 'сообщение', 'предложение', 'ввод', '文本', '上下文', '背景', '输入', '句子', '入力', 'テキスト', '文', '文章',
  'testo', 'contesto', 'messaggio', 'tekst', 'treść', 'metin', 'bericht', 'invoer',
]);
/** The most fields a template is read into (a longer list of labelled lines is material whatever its labels). */
const TEMPLATE_FIELDS = 24;

/**
 * A templated prompt: labelled fields, some of which give its input ("### Task\nSummarize …\n###
 * Input\n<message>", "TASK: …\nSCHEMA: …\nQUESTION: …"). What is asked is every line but the input
 * fields' (set 99: the templates read a tier high, their input read as the ask). Null where no
 * field gives input, or nothing else is asked.
 */
export function templatedAsk(ask: string): GivenText | null {
  // First the fields, with no string per line: most asks have none, or none that gives input.
  let fields = 0;
  let material = false;
  for (let start = 0; start < ask.length; start = lineEndAt(ask, start) + 1) {
    const label = fieldLabelAt(ask, start);
    if (label === null) continue;
    if (++fields > TEMPLATE_FIELDS) return null;
    material ||= MATERIAL_FIELDS.has(label.toLowerCase());
  }
  if (!material || fields < 2) return null;
  let instruction = '';
  let passage = '';
  let inMaterial = false;
  for (let start = 0; start <= ask.length; ) {
    const end = lineEndAt(ask, start);
    const label = fieldLabelAt(ask, start);
    let value = ask.slice(start, end);
    if (label !== null) {
      inMaterial = MATERIAL_FIELDS.has(label.toLowerCase());
      // A field's value without its label; a heading's label alone says nothing asked.
      value = FIELD_LABEL.lastIndex >= end ? '' : ask.slice(FIELD_LABEL.lastIndex, end).trimStart();
    }
    if (inMaterial) passage += value + '\n';
    else instruction += value + '\n';
    start = end + 1;
  }
  return groundedParts(instruction, passage);
}

/**
 * The label of a field that opens the line at `start` (FIELD_LABEL, which is left just past the
 * label and its colon), or null. A line with no '#' first and no colon in its first 32 characters
 * opens none, and is not run through the regex.
 */
function fieldLabelAt(text: string, start: number): string | null {
  let i = start;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
  if (text.charCodeAt(i) !== 0x23) {
    const stop = Math.min(text.length, start + 32);
    let colon = false;
    for (let k = i; k < stop && !colon; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x0a) break;
      colon = c === 0x3a || c === 0xff1a;
    }
    if (!colon) return null;
  }
  FIELD_LABEL.lastIndex = start;
  const m = FIELD_LABEL.exec(text);
  return m === null ? null : (m[1] ?? m[2]!);
}

/** Whether a line of text[0, end) opens with `label`, its colon and a value (an example of a completion prompt). */
function labelledWithValue(text: string, end: number, label: string): boolean {
  for (let at = text.indexOf(label); at >= 0 && at < end; at = text.indexOf(label, at + 1)) {
    if (at > 0 && text.charCodeAt(at - 1) !== 0x0a) continue;
    let k = at + label.length;
    while (k < end && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k++;
    if (text.charCodeAt(k) !== 0x3a && text.charCodeAt(k) !== 0xff1a) continue;
    for (k++; k < end && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09); k++);
    if (k < end && text.charCodeAt(k) !== 0x0a && text.charCodeAt(k) !== 0x0d) return true;
  }
  return false;
}

/**
 * The parts of a grounded ask, or null where its instruction is long, the text has no word, or the
 * instruction asks for hard work (a proof, a design, a diagnosis): the context is then the problem
 * itself, not a text to read ("… Question: Diagnose the root cause and propose a fix" is as hard as
 * the incident it is given). Steps ("and explain", "for each") are no such ask. `lookupOnly`: null
 * too unless the instruction asks a lookup or transform and nothing moderate.
 */
function groundedParts(instruction: string, passage: string, lookupOnly = false): GivenText | null {
  const i = instruction.trim();
  const p = passage.trim();
  if (i.length === 0 || i.length > GROUNDED_ASK_MAX || !LETTER_OR_DIGIT.test(p)) return null;
  // One scan of the instruction's words in lower case, not the lexicons' whole regexes nor the
  // full lexical form (its plain spaces and apostrophes cost ~2 us more on 300 characters of the
  // benchmark's mixtures, and a guard does not need them).
  const scan = readLexicons(astralToBmp(i.toLowerCase()));
  if (DEEP_ASK.test(scan) || COMPLEX_ASK.test(scan)) return null;
  return !lookupOnly || (SIMPLE_ASK.test(scan) && !MODERATE_ASK.test(scan)) ? { instruction: i, passage: p } : null;
}

/**
 * Whether a hard verb (IMPLEMENT_VERB, REFACTOR_VERB) is asked with no analysis and no other hard
 * verb: the ask without it names none of COMPLEX_ASK's (read only where the ask already is complex).
 */
function onlyVerbAsked(verb: typeof IMPLEMENT_VERB, lex: string, lexScan: LexiconScan): boolean {
  return verb.test(lexScan) && !ANALYSIS_ASKED.test(lexScan) && !COMPLEX_ASK.regex.test(lex.replace(verb.regexAll, ' '));
}

/** A piece of writing asked for at the start of the ask. */
const WRITING_OPENER = /^\s*(?:please\s+)?(?:write|draft|compose|rewrite|escribe|redacta|schreib|schreibe|écris|rédige|напиши)(?!\p{L})/u;
/** Code as the thing to write. */
const CODE_ARTIFACT = /(?<!\p{L})(?:functions?|scripts?|programs?|quer(?:y|ies)|class(?:es)?|regex|modules?|components?|code|sql|api|tests?)(?!\p{L})/u;
/** A long-form piece (a thousand words or more). */
const LONG_FORM = /\d,?\d{3}|thousand/u;
/** A difference or a comparison asked for. */
const DIFFERENCE = /differen|(?<!\p{L})vs\.?(?!\p{L})|versus|unterschied|diferencia|разниц|区别|違い/u;
/** "The difference between" two things, in the covered languages (a bare "vs" may weigh a choice). */
const DIFFERENCE_BETWEEN = /differences? between|unterschied zwischen|diferencias? entre|différences? entre|разниц[аеуы] между|区别|違い/u;
/** Below the moderate/complex boundary at the default cost (calibration cut 4.04 less 0.29 x ln 3): the most a capped moderate ask scores. */
const MODERATE_CEILING = 3.6;

/**
 * A pasted diff that only fixes spelling: one to three changed lines, each replaced by a line that
 * differs in at most three letters ("-Run `make instal`" / "+Run `make install`"). Checking it is
 * a glance, whatever "LGTM?" or "Is this safe?" asks of it; a changed digit or operator is not a
 * typo (exported for tests).
 */
export function isTypoDiff(code: string): boolean {
  const removed: string[] = [];
  const added: string[] = [];
  for (const line of code.split('\n', 64)) {
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('-')) removed.push(line.slice(1));
    else if (line.startsWith('+')) added.push(line.slice(1));
    if (removed.length > 3 || added.length > 3) return false;
  }
  if (removed.length === 0 || removed.length !== added.length) return false;
  for (let k = 0; k < removed.length; k++) {
    const a = removed[k]!;
    const b = added[k]!;
    if (a === b) return false;
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    let q = 0;
    while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
    const fromA = a.slice(p, a.length - q);
    const fromB = b.slice(p, b.length - q);
    if (Math.max(fromA.length, fromB.length) > 3 || !/^\p{L}*$/u.test(fromA) || !/^\p{L}*$/u.test(fromB)) return false;
  }
  return true;
}

/**
 * An extremal puzzle over a large search space: the fewest tries to find something ("Fewest races
 * to find the 3 fastest", "the minimum number of drops that finds the critical floor"), the search
 * named after the extremum, and a number of 20 or more in the ask. "Find the minimum number of
 * servers for 2000 users" asks for a division, and "8 balls, minimum weighings" is a small one.
 */
function extremalSearch(lex: string, scan: LexiconScan): boolean {
  if (!EXTREMAL.test(scan) || !SEARCH_VERB.test(scan)) return false;
  const first = EXTREMAL.places(scan)[0]!;
  const search = SEARCH_VERB.places(scan);
  return search[search.length - 3]! > first && largestNumber(lex) >= 20;
}

/** Log lines: a level or an exception name, as loggers write them (case matters: "error" in prose is not one). */
const LOG_LEVEL = /\b(?:ERROR|WARN(?:ING)?|FATAL|CRITICAL|SEVERE|PANIC|Traceback|[A-Z]\w+(?:Exception|Error))\b/;
/** Every word LOG_LEVEL can match holds one of these: searched first, so prose costs a few indexOf calls. */
const LOG_WORDS = ['ERROR', 'WARN', 'FATAL', 'CRITICAL', 'SEVERE', 'PANIC', 'Traceback', 'Exception', 'Error'];
/** Whether pasted material holds at least three log lines among its first 2,000 characters. */
function pastedLogs(material: string): boolean {
  if (material.length === 0) return false;
  const head = material.length > 2000 ? material.slice(0, 2000) : material;
  // Three lines need two line breaks: a paste of one line (most prose) stops at one indexOf.
  const firstBreak = head.indexOf('\n');
  if (firstBreak < 0 || head.indexOf('\n', firstBreak + 1) < 0) return false;
  if (!LOG_WORDS.some((w) => head.includes(w))) return false;
  let n = 0;
  for (const line of head.split('\n', 40)) if (LOG_LEVEL.test(line) && ++n >= 3) return true;
  return false;
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
function largestNumber(text: string): number {
  let max = 0;
  for (const m of text.matchAll(/\d{1,9}/g)) max = Math.max(max, Number(m[0]));
  return max;
}

/** An ask for a definition or an explanation of a term ("Define exactly-once delivery."): not an operation to carry out. */
const DEFINITION_OPENER = /^\s*(?:please\s+)?(?:define|definition|meaning|what|explain|describe|défini[rs]|definier|определи)(?![\p{L}])/u;

/** A second question joined to the first: ", and what ...", "; y cuánto ...", ", und wie ...". */
const SECOND_QUESTION = /[,;]\s*(?:and|y|und|et|и)\s+(?:what|how|which|when|who|why|qué|cuánto|cuántos|cuándo|cómo|was|wie|wann|welche[rsn]?|que|quel(?:le)?s?|combien|quand|comment|что|как|когда|сколько)(?![\p{L}])/u;

/** Score one user turn on its own. */
function scoreTurn(raw: string, nested = false): TurnScore {
  const text = ends(raw, 2 * MAX_SCAN, MAX_SCAN);
  // One plain space between words for the short forms below ("What is  15 + 27?" is arithmetic),
  // where a turn is short enough to be one (isSmallTalk reads at most 600 characters).
  const whole = text.trim();
  // (A nested turn is a part of a lexical form: its spaces are plain already.)
  const trimmed = whole.length <= 600 && !nested ? withPlainSpaces(whole) : whole;
  if (trimmed.length === 0) return { score: 0, signals: ['empty message'], smallTalk: true, short: true };
  if (isSmallTalk(trimmed)) return { score: 0.3, signals: ['greeting or acknowledgement'], smallTalk: true, short: true };
  if (trimmed.length <= 60 && (SIMPLE_ARITH.test(trimmed) || ARITHMETIC_QUESTION.test(trimmed) || WORD_ARITH.test(trimmed))) {
    return { score: 0.2, signals: ['one-step arithmetic'], smallTalk: false, short: true };
  }
  if (trimmed.length <= 60 && TRANSLATE_ONE_WORD.test(trimmed)) return { score: 0.25, signals: ['one-word answer'], smallTalk: false, short: true, family: 'none' };

  const split = splitAsk(text, isInstruction);
  const { code } = split;
  // A short text given to transform ("Summarize: '…'", "Fix the grammar:\n…") is material, not
  // the ask: its words are not what is asked ("Summarize: 'The team will review the design'").
  const transform = !nested && split.material === '' ? givenPassage(split.ask) : null;
  // So is a context a question is asked of ("Context: …\nQuestion: …", "From the abstract below, …").
  const grounded = !nested && split.material === '' && transform === null ? groundedAsk(split.ask) : null;
  const given = transform ?? grounded;
  const material = given === null ? split.material : given.passage;
  // A long paste with no recognisable instruction: judge its opening. Lexicons match lower case.
  const askRaw = given === null ? split.ask || text.slice(0, 200) : given.instruction;
  // Lexicons scan at most ASK_SCAN characters of instruction (its start and end): a longer ask is
  // long whatever else it says, and this bounds the per-request cost.
  // One plain space between words and plain apostrophes (withPlainSpaces): what the rules are written for.
  const scanRaw = ends(askRaw, ASK_SCAN, ASK_SCAN_HEAD);
  // (An ask that is the whole short turn has been made plain above, as trimmed.)
  const askScan = nested ? scanRaw : scanRaw === whole && whole.length <= 600 ? trimmed : withPlainSpaces(scanRaw);
  const ask = askScan.toLowerCase();
  const shape = textShape(ends(ask, SHAPE_SCAN, SHAPE_SCAN_HEAD), true);
  // What the lexicons read (the same as ask unless it has astral characters).
  const lex = astralToBmp(ask);
  // Every lexicon below reads this one word-by-word pass over the ask (wordlex.ts).
  const lexScan = readLexicons(lex);
  const codeLines = nonBlankLines(code);
  const signals: string[] = [];

  const deep = DEEP_ASK.test(lexScan);
  const complex = COMPLEX_ASK.test(lexScan);
  const moderate = MODERATE_ASK.test(lexScan);
  const simple = SIMPLE_ASK.test(lexScan);
  const wholeSystem = WHOLE_SYSTEM.test(lexScan);

  let family: keyof typeof BASE = 'none';
  // A yes/no question about a mathematical object ("Is 221 prime?") takes a check, not a glance.
  const powerQuestion = shape.words >= 4 && (lex.includes('^') || lex.includes('**')) && powerQuestionIn(lex) && !socialEdge(askRaw);
  const trivialAsk = !deep && !complex && !moderate && !material && !code && shape.words <= 9 && TRIVIAL_ASK.regex.test(lex.trim()) && !MATH_WORDS.test(lexScan) && !JUDGEMENT.test(lexScan) && !powerQuestion;
  // The ask's names and measurements, found once where a rule first asks (up to eight rules do).
  let askMarks: TechnicalMarks | undefined;
  // Read on the ask's scan (plain spaces); names in lower case only where the scan found one.
  const marks = () => (askMarks ??= technicalMarks(askScan, LOWER_CASE_SYSTEMS.test(lexScan)));
  // A yes/no question about a system ("Does DNS use TCP or UDP?", "Does Python have tail calls?")
  // takes a fact and its caveat: a lookup, not a one-word answer.
  // So does one about the asker's own order or booking ("Can I cancel my order 5521?": OWN_RECORD).
  const aboutSystem = trivialAsk && (TECH_CONTEXT.test(lexScan) || marks().names > 0 || OWN_RECORD.test(lexScan));
  // The ask names a system: code, a system word, or a name or measurement.
  const namesSystem = () => codeLines > 0 || TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks());
  // A symptom: SYMPTOM's words anywhere, SYMPTOM_OF_SYSTEM's where a system is named.
  const symptom = () => SYMPTOM.test(lexScan) || (SYMPTOM_OF_SYSTEM.test(lexScan) && namesSystem());
  if (trivialAsk && !aboutSystem) return { score: 0.25, signals: ['one-word answer'], smallTalk: false, short: true, family: 'none' };
  if (deep) family = 'deep';
  else if (complex) family = 'complex';
  else if (moderate) family = 'moderate';
  else if (simple || aboutSystem) family = 'simple';
  // A given text rewritten for its tone ("Rewrite this sentence to sound more professional: '…'")
  // is a short edit, as "make this more formal" is, whatever "rewrite" asks elsewhere (training
  // rows: two such asks labelled simple; "Rewrite for a VP audience, 3 bullets max" moderate).
  if (family === 'moderate' && transform !== null && TONE_EDIT.test(lex)) family = 'simple';
  // Asks that name no hard verb but are hard work (second round of labels, tune split).
  const below = (f: keyof typeof BASE) => family === 'none' || family === 'simple' || (f === 'complex' && family === 'moderate');
  const extra: string[] = [];
  let namedCap = Infinity;
  // A symptom and a diagnosis ask make a failure to diagnose when a system is in the ask (a system
  // word, a named system or a measurement, or code): "Why did the stock market crash in 1929?" is
  // a question to explain, and a counting puzzle that climbs steps is a word problem.
  if (below('complex') && DIAGNOSE_ASK.test(lexScan) && !COUNTING_PUZZLE.test(lexScan) && ((symptom() && namesSystem()) || pastedLogs(material))) {
    family = 'complex';
    extra.push('a failure or slowdown to diagnose');
  } else if (below('complex') && ((codeLines > 5 && REVIEW_ASK.test(lexScan)) || (codeLines >= 2 && CHANGE_RISK.test(lexScan))) && !/\bquick\b/.test(lex)) {
    family = 'complex';
    extra.push('a review of pasted code');
  } else if (below('complex') && !code && CHANGE_REF.test(lexScan) && (REVIEW_ASK.test(lexScan) || CHECK_FOR.test(lex))) {
    // An agent asked to review a pull request by number reads the diff itself.
    family = 'complex';
    extra.push('a review of a change');
  } else if (below('complex') && (MATH_MULTI_STEP.test(lexScan) || PUZZLE_STRATEGY.test(lexScan) || extremalSearch(lex, lexScan))) {
    family = 'complex';
    extra.push('a multi-step problem');
  } else if (below('complex') && (family !== 'simple' || (shape.questionMarks === 0 && !DEFINITION_OPENER.test(lex))) && shape.words >= 8 && OPERATIONAL_GUARANTEE.test(lexScan)) {
    // Not a definition or lookup ("What does exactly-once mean?" stays simple), nor a short
    // how-to with a known recipe ("How do I restart nginx without downtime?").
    family = 'complex';
    extra.push('an operation under a hard guarantee');
  } else if (below('complex') && !code && !material && CHEAPEST.test(lexScan) && TRIP_DAYS.test(lexScan) && numericRanges(lex) >= 2) {
    // "The cheapest Lyon-Tokyo return, one stop at most, leaving 3-7 May, back 10 to 14 days later":
    // every combination of the ranges is a candidate.
    family = 'complex';
    extra.push('a search over many combinations');
  } else if (below('moderate') && (MATH_TASK.test(lexScan) || COUNTING_PUZZLE.test(lexScan) || powerQuestion || (QUANTITY_QUESTION.test(lexScan) && quantitiesIn(lex, lexScan) + (grounded === null ? 0 : figuresIn(grounded.passage)) >= 2))) {
    family = 'moderate';
    extra.push('a calculation or word problem');
  } else if (
    below('complex') && !code && !material && askRaw.length <= 400 &&
    ((FAILURE_PATTERN.test(lexScan) && (symptom() || marks().names >= 1) && !opensWithInstruction(askRaw)) ||
      (family === 'none' && shape.questionMarks === 0 && shape.words >= 8 && symptom() && (quantitiesIn(lex, lexScan) >= 2 || ((TECH_CONTEXT.test(lexScan) || marks().names >= 1) && (marks().measurements >= 1 || !opensWithInstruction(askRaw)))) && !socialEdge(askRaw) && !hasSocialWord(lex)))
  ) {
    // A failure report says when it happens; it asks for a diagnosis whether or not it asks. A
    // symptom stated without a question and beside no other ask is a report too: with two
    // quantities ("1997 of 2000 tasks finish in a minute, the last 3 run for hours"), or about a
    // system, measured ("heap grows 1 GB a day in our Go service") or not ("The payments service
    // leaks file descriptors until it hits the ulimit"; fresh probes of session 49 under-tiered
    // these when a measurement was required), unless it opens as an instruction that names a
    // symptom ("Replace the retry loop ... with backoff and jitter", "Build an incident response
    // runbook for a ransomware detection").
    family = 'complex';
    extra.push('a failure report');
  } else if (below('complex') && !code && !material && askRaw.length <= 300 && ((COHORT_WORD.test(lexScan) && KEPT_OR_LOST_MEASURE.test(lexScan)) || (RETENTION_WORD.test(lexScan) && BREAKDOWN.test(lexScan))) && !DEFINITION_OPENER.test(lex)) {
    // Cohorts measured by what they keep or lose, or retention broken down by a group or a period:
    // an analysis over groups and time (COHORT_WORD's comment).
    family = 'complex';
    extra.push('a cohort or retention analysis');
  } else if (below('complex') && (DESIGN_QUESTION.test(lexScan) || (CONDITIONAL_DE.test(lexScan) && BUILD_VERB_DE.test(lexScan))) && !CREATIVE_OBJECT.test(lexScan)) {
    family = 'complex';
    extra.push('asks how one would build a system');
  } else if (below('complex') && !code && !material && askRaw.length <= 400 && shape.words >= 8 && METHOD_QUESTION.test(lexScan) && !CREATIVE_OBJECT.test(lexScan) && (TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks()))) {
    // A team asking how it should do something to a system is asking for a plan or a design.
    family = 'complex';
    extra.push('asks how a team should do something to a system');
  } else if (below('complex') && family !== 'simple' && !code && !material && askRaw.length <= 400 && shape.questionMarks === 1 && terseCourseQuestion(lex, shape.words) && (TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks()))) {
    // "Spark job OOMs on a 200 GB shuffle. Tuning?": the terse expert's whole ask is the situation;
    // the closing word asks for options, a plan or causes (tune split: 24 of 35 asks shaped so are
    // complex; the moderate ones are puzzles, yes/no checks, choices and a bare "Fix?").
    family = 'complex';
    extra.push('a technical situation and a short ask for what to do');
  } else if (below('complex') && !code && !material && askRaw.length <= 400) {
    // Terse expert asks name no hard verb; what they give is a named system, often measured. The
    // ask must say something besides the names and numbers ("Hello, GC 400 ms" is a greeting), and
    // a lookup stays a lookup (names and numbers appended to "What is 7 times 8?" lift nothing).
    const found = marks();
    const systemWord = found.names === 0 && found.measurements >= 1 && TECH_CONTEXT.test(lexScan);
    if ((found.names >= 1 || systemWord) && wordsBeside(found.rest) >= 4) {
      if (found.measurements >= 1 && family !== 'simple') {
        family = 'complex';
        extra.push('a measured problem in a named system');
      } else if (family === 'none' && !(shape.words <= 10 && (WH_LOOKUP.test(lex) || endLookup(lex))) && !agentCommand(askRaw)) {
        // One tier up from a plain question, no more: a name says the topic is technical, not hard.
        // A short command naming one ("bump requests to 2.32 in requirements.txt") is one operation.
        family = 'moderate';
        namedCap = BAND_MIDDLE[2]!;
        extra.push('a question about a named system');
      }
    }
  }
  // A scene set in a sentence with quantities, then a question about it ("Three switches outside,
  // one bulb inside a closed room, one visit. Which switch is it?"): a puzzle, not a lookup.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && askRaw.length <= 300 && !MULTI_STEP.test(lexScan) && setUpQuestion(lex) && quantitiesIn(lex, lexScan) >= 1 && !TECH_CONTEXT.test(lexScan) && marks().names === 0) {
    family = 'moderate';
    extra.push('a puzzle set up before its question');
  }
  // Asking how to do something under a constraint ("How do I tell my manager ... without it
  // sounding like I'm quitting?") is advice with a constraint, not a lookup.
  if (family === 'simple' && extra.length === 0 && !code && !material && HOW_TO.test(lex) && CONSTRAINT.test(lexScan) && shape.words >= 10) {
    family = 'moderate';
    extra.push('how to do something under a constraint');
  }
  // "How do I set up SSH keys?", "How can I improve my sleep?": the steps of a process, or advice.
  // A how-to of one named action ("¿Cómo puedo cambiar el idioma?") is a lookup, whatever its words.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && askRaw.length <= 200) {
    const howTo = howToKind(lex);
    if (howTo === 'process') {
      family = 'moderate';
      extra.push('how to do something that takes several steps');
    } else if (howTo === 'action') family = 'simple';
  }
  // A question asking for a judgement ("Is it better to learn Python or JavaScript first?") weighs
  // options: advice, not a lookup.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && shape.questionMarks >= 1 && shape.words >= 5 && JUDGEMENT.test(lexScan) && WEIGHS_OPTIONS.test(lex)) {
    family = 'moderate';
    extra.push('asks for a judgement between options');
  }
  // A calculation or word problem is one worked answer: its numbers say how much it tells.
  let settled = extra.includes('a calculation or word problem');
  // So is a lookup that holds one-step arithmetic ("What is 7 times 8? it drops 3 of 5 packets and
  // runs for hours"): the words beside the computation are not what it asks, and the second
  // opinion, which reads them, does not lift it (padded so, the rules read it one tier up already;
  // of the training rows' simple readings the second opinion may lift, one holds such a step).
  if (family === 'simple' && !settled && ARITHMETIC_STEP.test(lex)) settled = true;
  // A design verb on something made for people ("Design a logo for my bakery", "a 4-week workout
  // plan") asks for an idea or a plan, not engineering, unless the ask also names a system.
  if (family === 'complex' && extra.length === 0 && !code && !material && !wholeSystem && CREATIVE_OBJECT.test(lexScan) && !TECH_CONTEXT.test(lexScan) && !hasTechnicalMark(marks())) {
    family = 'moderate';
    extra.push('a design for people, not a system');
    settled = true;
  }
  // An implementation of a known thing with no analysis asked ("Implement binary search in Java",
  // "Implement a stack in Python with push and pop") is one piece of code, and so is a refactoring
  // of a short pasted function ("Refactor this to use a set so it's faster"): moderate, unless
  // another hard verb is in the ask (IMPLEMENT_VERB's and REFACTOR_VERB's comments).
  if (family === 'complex' && extra.length === 0 && !material && !wholeSystem) {
    if (!code && onlyVerbAsked(IMPLEMENT_VERB, lex, lexScan)) {
      family = 'moderate';
      extra.push('an implementation of a known thing, no analysis asked');
    } else if (codeLines > 0 && codeLines <= 20 && onlyVerbAsked(REFACTOR_VERB, lex, lexScan)) {
      family = 'moderate';
      extra.push('a refactoring of pasted code, no analysis asked');
    }
  }
  let score = BASE[family];
  if (extra.length) signals.push(...extra);
  else if (family === 'deep') signals.push('asks for a proof or derivation');
  else if (family === 'complex') signals.push('asks to design, debug, optimise or analyse');
  else if (family === 'moderate') signals.push('asks to explain, compare, write or solve');
  else if (family === 'simple') signals.push('asks a lookup, definition, conversion or short edit');
  // Whole-system scope widens a design ask, not a review or a diagnosis ("full review").
  if (family === 'complex' && complex && wholeSystem) {
    score += 1.2;
    signals.push('whole-system scope');
  }
  if (family === 'deep' && complex) score += 0.3;

  // Length of the ask itself, on distinct words so padding buys little.
  const substance = Math.min(shape.words, shape.distinct * 1.3);
  if (substance > 14) {
    const add = Math.min(1.1, Math.log2(substance / 14) * 0.5);
    score += add;
    if (add > 0.4) signals.push(`${Math.round(substance)}-word ask`);
  } else if (substance <= 4) score -= 0.3;

  const steps = MULTI_STEP.count(lexScan, 8);
  const constraints = CONSTRAINT.count(lexScan, 8);
  const depth = DEPTH_TERMS.count(lexScan, 8);
  const enumerated = listLines(ask);
  // The terms of a sequence to continue ("What's the next number: 1, 1, 2, 3, 5, 8?") are one item, not a list of asks.
  const listItems = listMarks(ask, SEQUENCE_ASK.test(lexScan), 10);
  const quantities = countQuantities(ask);
  const load = steps * 0.35 + constraints * 0.3 + depth * 0.35 + Math.min(enumerated, 8) * 0.25 + listItems * 0.12 + quantities * 0.2;
  if (load > 0) {
    score += Math.min(family === 'simple' || family === 'none' ? 1.2 : 1.8, load);
    const named = steps + constraints + depth + enumerated + quantities;
    // Commas and semicolons alone can make the load (a list of many items): say so, not "0 requirements".
    if (load >= 1) signals.push(named > 0 ? `${named} requirements, constraints or hard topics` : `a list (${listItems} commas or semicolons)`);
  }
  if (shape.questionMarks >= 2) {
    score += Math.min(0.6, (shape.questionMarks - 1) * 0.3);
    signals.push(`${shape.questionMarks} questions`);
  }
  // The notation's forms only where a math character could be (mathNotationIn tries the math
  // symbols' plain class search among them, second, after the LaTeX one where a backslash is).
  const mathNotation = MATH_HINT.test(lex) && mathNotationIn(lex);
  const mathWords = MATH_WORDS.count(lexScan, 4);
  if (mathNotation || mathWords > 0) {
    score += (mathNotation ? 0.4 : 0) + Math.min(0.6, mathWords * 0.2);
    signals.push(mathNotation ? 'mathematical notation' : 'mathematical subject');
    // A short exercise asked to solve or explain ("Solve for x: 3x + 7 = 22") is one worked
    // answer: its notation says the topic, not the size of the work.
    if (family === 'moderate' && extra.length === 0 && substance <= 14 && !complex && steps <= 1) score = Math.min(score, MODERATE_CEILING);
  }
  // A moderate ask of its own family, with no hard verb and no code: the asks the caps below keep
  // under the moderate/complex boundary when they are one answer.
  const plainModerate = family === 'moderate' && extra.length === 0 && !code && !complex && !deep;
  // A short question to explain ("Monty Hall: should you switch, and why?") is one explanation,
  // whatever its second part or its questions add; a measured one may be a system's problem.
  if (plainModerate && !material && substance <= 16 && shape.questionMarks >= 1 && marks().measurements === 0) score = Math.min(score, MODERATE_CEILING);
  // The difference between two named things ("nginx: difference between proxy_pass with and
  // without a trailing slash") is two definitions and the contrast: one explanation, which the
  // second opinion does not lift (tune split and used probes: 48 such asks, 45 labelled moderate, 3 simple).
  if (plainModerate && !material && substance <= 16 && steps === 0 && DIFFERENCE_BETWEEN.test(lex)) settled = true;
  // Prose with a few constraints ("a cover letter; I have a physics degree", "3 bullets max") is one
  // piece of writing however many constraints it lists; code and long-form pieces are not capped.
  if (plainModerate && !material && WRITING_OPENER.test(lex) && !CODE_ARTIFACT.test(lex) && !LONG_FORM.test(lex)) {
    score = Math.min(score, MODERATE_CEILING);
    settled = true;
  }
  // A word problem is one worked answer too: its numbers and length say how much it tells, not
  // how hard it is (extremal and counting puzzles and named steps are left to their rules).
  // A second question about the same numbers ("When does it reach 4,000, and what churn would get
  // there a year sooner?") makes it several worked answers: not capped.
  if (extra.length === 1 && (extra[0] === 'a calculation or word problem' || extra[0] === 'a puzzle set up before its question') && !complex && steps === 0 && !COUNTING_PUZZLE.test(lexScan) && !SECOND_QUESTION.test(lex)) {
    score = Math.min(score, MODERATE_CEILING);
    settled = true;
  }
  if (codeLines > 0 && codeLines <= 12 && family !== 'complex' && family !== 'deep' && isTypoDiff(code)) {
    score = Math.min(score, BASE.simple);
    signals.push('a spelling fix in a pasted diff');
  } else if (codeLines > 0) {
    // Code matters through what is asked about it.
    const w = family === 'complex' || family === 'deep' ? 0.4 : family === 'moderate' ? 0.3 : family === 'simple' ? 0.1 : 1.2;
    score += w;
    signals.push(`${codeLines} lines of code`);
  }
  if (material) {
    const words = materialWords(material);
    score += Math.min(0.5, Math.log2(1 + words / 400) * 0.2);
    signals.push(`about ${words} words of pasted material`);
    // A short ask to explain or compare pasted text is one reading, however long the text.
    if (plainModerate && substance <= 20) score = Math.min(score, MODERATE_CEILING);
  }
  if (BREVITY.test(lexScan)) {
    score -= 0.8;
    // A difference asked for in one line ("the difference between a process and a thread, in one
    // sentence") is two definitions, and a definition explained in one ("用一句话解释什么是递归",
    // "explain in one sentence what recursion is") is one; a puzzle explained briefly is still a puzzle.
    if (family === 'moderate' && extra.length === 0 && substance <= 14 && !code && !material && (DIFFERENCE.test(lex) || DEFINITION_ASKED.test(lex))) score = Math.min(score, BRIEF_EXPLANATION_CAP);
    signals.push('asks for a brief answer');
  }

  // Keyword stuffing: hard words around an easy ask do not make it hard. Sentences made of hard
  // words with no object of their own ("Prove it rigorously, design the architecture") are
  // set aside and the rest is scored on its own; one hard word may lift it a tier, several not.
  // Only whether there are none, one or several is read: each lexicon is counted up to 2.
  const hardWords = deep || complex || steps > 0 ? DEEP_ASK.count(lexScan, 2) + COMPLEX_ASK.count(lexScan, 2) + steps : 0;
  if (hardWords >= 1 && !nested) {
    const ranges = clauseRanges(lex);
    const { stuffing, rest } = stuffingClauses(lex, lexScan, ranges);
    let core: number | null = null;
    // A rest that names a hard topic or a failure ("pods OOMKilled at 70% of limit. Diagnose.")
    // is not an easy ask: the bare verb beside it may lift it one tier more.
    let hardRest = false;
    if (stuffing.length > 0 && rest.length > 0) {
      // The rest is scored on at most REST_SCAN characters (its two ends), as a long ask's shape is.
      const restText = ends(rest.join('. '), REST_SCAN, REST_SCAN_HEAD);
      const inner = scoreTurn(restText, true);
      core = inner.score;
      // The nested score's lexicons read the rest as it is unless it had code lines or more than ASK_SCAN characters.
      const restScan = inner.lex === restText ? inner.lexScan! : readLexicons(restText);
      // SYMPTOM's words only: SYMPTOM_OF_SYSTEM's would need the rest's system read too.
      hardRest = DEPTH_TERMS.test(restScan) || SYMPTOM.test(restScan);
    } else if (lex.length < 600) {
      // One sentence: strip the hard words and judge what is left.
      const lookupCore = LOOKUP_CORE.test(lexScan) || endsInArithmetic(lex, ranges);
      if (lookupCore || unknownKeptWords(lex) < 4) {
        const left = withoutHardWords(lex, lexScan).replace(EFFORT_WORDS, ' ');
        const bare = left.replace(NO_OBJECT, ' ');
        core = isSmallTalk(left) || isSmallTalk(bare) ? 0.3 : lookupCore ? Math.min(scoreTurn(left, true).score, BASE.simple) : null;
      }
    }
    if (core !== null) {
      const coreTier = tierIndex(core);
      // The cap is the middle of the tier's band, not its top: the calibrated decision moves the
      // boundaries towards the lower tier by the under-tier cost, and a score at the top of a band
      // then reads as the next tier.
      const capTier = Math.min(THRESHOLDS.length, coreTier + (hardWords >= 2 ? 0 : 1) + (hardRest ? 1 : 0));
      const cap = capTier >= THRESHOLDS.length ? Infinity : Math.max(core, BAND_MIDDLE[capTier]!);
      if (score > cap) {
        score = Math.max(core, Math.min(score, cap));
        settled = true;
        const around = hardWords >= 2 ? 'hard keywords stuffed around' : 'a hard word around';
        signals.push(hardRest ? `${around} an ask on a hard topic: at most ${capTier - coreTier} tier${capTier - coreTier > 1 ? 's' : ''} up` : hardWords >= 2 ? `${around} an easy ask: the easy ask decides` : `${around} an easy ask: at most one tier up`);
      }
    }
  }
  score = Math.min(score, namedCap);
  // A design without whole-system scope stays below deep.
  if (family === 'complex' && !wholeSystem) score = Math.min(score, THRESHOLDS[3]! - 0.15);
  if (family === 'moderate') score = Math.min(score, THRESHOLDS[3]! - 0.6);
  // A real question is at least simple, whatever brevity asks.
  if (family !== 'none') score = Math.max(score, THRESHOLDS[0]! + 0.2);
  return { score, signals, smallTalk: false, short: substance <= 14 && codeLines === 0 && !material, family, plain: !code && !material, settled, lex, lexScan };
}

/**
 * Verbs that open an instruction, in the covered languages: an ask that opens with one is asked
 * for, not reported, whatever symptom it names ("Replace the retry loop ... with backoff and
 * jitter"). The verbs the ask lexicons know ("design", "fix", "explain") give an ask a family of
 * its own and never reach the rule this serves.
 */
const INSTRUCTION_VERBS = new Set([
  'replace', 'build', 'add', 'make', 'remove', 'create', 'move', 'rename', 'convert', 'put', 'migrate', 'rotate', 'enable', 'disable', 'configure', 'install',
  'upgrade', 'downgrade', 'deploy', 'rerun', 'delete', 'give', 'show', 'find', 'send', 'restart', 'tell', 'let', 'keep', 'bring', 'generate', 'wrap',
  'extract', 'increase', 'reduce', 'please', 'can', 'could', 'would', 'will',
  // Asked to write or automate something that runs on a schedule ("Write a cron job that restarts
  // the worker every night"): a thing to write, not a failure that recurs.
  'write', 'draft', 'implement', 'automate', 'schedule', 'escribe', 'implementa', 'schreib', 'schreibe', 'implementiere', 'écris', 'écrivez', 'напиши', 'напишите',
  'reemplaza', 'construye', 'añade', 'agrega', 'crea', 'cambia', 'mueve', 'usa', 'elimina', 'configura', 'instala', 'actualiza',
  'ersetze', 'baue', 'füge', 'erstelle', 'ändere', 'verschiebe', 'nutze', 'verwende', 'entferne', 'lösche', 'konfiguriere', 'installiere', 'aktualisiere',
  'remplace', 'remplacez', 'construis', 'construisez', 'ajoute', 'ajoutez', 'crée', 'créez', 'changez', 'déplace', 'déplacez', 'utilise', 'utilisez', 'supprime', 'supprimez',
  'замени', 'замените', 'построй', 'постройте', 'добавь', 'добавьте', 'создай', 'создайте', 'измени', 'измените', 'удали', 'удалите', 'перенеси', 'перенесите', 'настрой', 'настройте',
]);
/**
 * English words that are verbs and nouns both ("Log volume grows ...", "Change failure rate
 * doubled ..."): an instruction only when an object's determiner follows ("Change the ...").
 */
const VERB_OR_NOUN = new Set([
  'use', 'change', 'update', 'set', 'switch', 'run', 'scale', 'drop', 'turn', 'get', 'list', 'check', 'open', 'close', 'start', 'stop', 'help', 'take',
  'port', 'split', 'merge', 'limit', 'cap', 'lower', 'raise', 'retry', 'handle', 'log', 'print', 'return',
]);
const OBJECT_DETERMINERS = new Set(['the', 'a', 'an', 'our', 'my', 'this', 'that', 'these', 'those', 'it', 'them', 'all', 'every', 'each', 'its', 'their', 'your', 'some']);
const FIRST_TWO_TOKENS = /^[\s"'“‘«„(¿¡]*([\p{L}\p{N}][\p{L}\p{N}_'’-]*)(?:\s+([\p{L}]+))?/u;

/**
 * Verbs of one operation an agent's tool carries out ("isolate host db-07", "ack incident 4412",
 * "scale payments to 6 replicas"), besides INSTRUCTION_VERBS and VERB_OR_NOUN: such a command,
 * short, to a tool-using agent, is one tool call (agentCommand).
 */
const AGENT_COMMAND_VERBS = new Set([
  ...INSTRUCTION_VERBS, ...VERB_OR_NOUN,
  'isolate', 'ack', 'acknowledge', 'block', 'unblock', 'cancel', 'pause', 'resume', 'revert', 'rollback', 'approve', 'reopen', 'assign', 'mute', 'silence', 'reset',
  'bump', 'kill', 'drain', 'cordon', 'uncordon', 'tag', 'label', 'book', 'reserve', 'refund', 'archive', 'promote', 'purge', 'flush', 'revoke', 'grant', 'invite', 'ban',
  'suspend', 'reschedule', 'freeze', 'unfreeze', 'dispute', 'dim', 'lock', 'unlock', 'setze', 'cancela', 'reinicia', 'borra', 'bloquea', 'muestra', 'reembolsa', 'lösche', 'starte', 'stoppe', 'sperre', 'zeige', 'storniere',
  'annule', 'annulez', 'supprime', 'bloque', 'redémarre', 'affiche', 'rembourse', 'перезапусти', 'удали', 'покажи', 'заблокируй', 'отмени', 'останови',
  // Session 59 (set 81): Portuguese, Italian, Polish and Dutch.
  'marque', 'agende', 'cancele', 'mostre', 'envie', 'reinicie', 'apague', 'prenota', 'annulla', 'cancella', 'mostra', 'invia', 'riavvia', 'fissa',
  'zarezerwuj', 'anuluj', 'pokaż', 'wyślij', 'usuń', 'boek', 'annuleer', 'toon', 'stuur', 'verwijder', 'herstart',
]);
/** A Japanese request ending ("…してください") or a Chinese one-operation form ("把 X 改成 Y"). */
const CJK_COMMAND = /(?:して(?:ください|下さい|くれ)|しといて)[。！!]?\s*$|^\s*(?:请)?把/u;

/** A short command to a tool-using agent: one operation (at most eight words opening with its verb, or 30 characters of a Japanese or Chinese command form). */
function agentCommand(text: string): boolean {
  const head = text.length > 120 ? text.slice(0, 120) : text;
  // approxWords counts a word per Chinese or Japanese character: such a command is short in characters.
  if (head.trim().length <= 30 && CJK_COMMAND.test(head)) return true;
  if (approxWords(head) > 8) return false;
  const m = FIRST_TWO_TOKENS.exec(head);
  return m !== null && AGENT_COMMAND_VERBS.has(m[1]!.toLowerCase());
}

/** Whether an ask opens with an instruction's verb (INSTRUCTION_VERBS, or VERB_OR_NOUN before a determiner). */
function opensWithInstruction(askRaw: string): boolean {
  const m = FIRST_TWO_TOKENS.exec(askRaw.length > 80 ? askRaw.slice(0, 80) : askRaw);
  if (m === null) return false;
  const first = m[1]!.toLowerCase();
  return INSTRUCTION_VERBS.has(first) || (VERB_OR_NOUN.has(first) && m[2] !== undefined && OBJECT_DETERMINERS.has(m[2].toLowerCase()));
}

/**
 * Whether the word model may read an ask the rules found nothing in: not a short wh-lookup
 * ("What year did the first PS2 go on sale?" stays a lookup) and not a turn opened or closed by
 * a greeting, thanks or acknowledgement, nor one with a greeting, thanks or "ok" anywhere in its
 * first 200 characters (names and numbers beside "Hello" lift it one tier at most, by the rules;
 * the model would add another).
 */
function fallbackMayRead(text: string): boolean {
  const start = text.length > 200 ? text.slice(0, 200) : text;
  if (approxWords(start) <= 10 && WH_LOOKUP.test(text.slice(0, 60).trim().toLowerCase())) return false;
  if (text.length <= 40 && endLookup(text)) return false;
  return !socialEdge(text) && !hasSocialWord(start.toLowerCase());
}

/** A mention that opens a turn ("@assistant ", "@bot: "): withoutSocialEdges reads the word after it. */
const MENTION_OPENING = /@[\p{L}\p{N}_.-]{1,40}(?:[ \t]*[,:])?[ \t]+/uy;
/** What ends an opening greeting (SOCIAL_OPENING): a mark or a line break, and the space after it. */
const OPENING_END = /[ \t]*(?:[,!.:;~，！。：、]+|\n)\s*/y;
/** A name after a greeting ("Hi Anna,", "Hey ChatGPT:"): one capitalised word. */
const OPENING_NAME = /[ \t]+\p{Lu}[\p{L}\p{N}'’-]{0,24}/uy;
/** Characters of a turn's ends that the greeting and thanks are looked for in. */
const SOCIAL_EDGE_SCAN = 120;

/** Marks that end a sentence before closing thanks: kept with the ask. */
const SENTENCE_MARKS = '.!?;:)]。！？；：';
/** Is the character at i an upper-case letter (a capitalised word starts there)? */
const isUpperAt = (s: string, i: number): boolean => {
  const ch = s[i] ?? '';
  return ch !== ch.toLowerCase();
};

/** Whether the last word of text[0, end) (before marks and spaces) is one a closing aside (thanks, a please, an urgency) can end with (CLOSING_ASIDE_LAST_WORDS). */
function endsInAsideWord(text: string, end: number): boolean {
  let e = end;
  while (e > 0 && !isBmpWordChar(text.charCodeAt(e - 1))) e--;
  let b = e;
  while (b > 0 && e - b < 24 && isBmpWordChar(text.charCodeAt(b - 1))) b--;
  return e > b && CLOSING_ASIDE_LAST_WORDS.has(text.slice(b, e).toLowerCase());
}

/** Where the emoji and spaces that open a text end (0 if none open it), read forward one unit at a time. */
function leadingEmojiEnd(text: string): number {
  let at = 0;
  let cut = 0;
  for (;;) {
    while (at < text.length && isJsSpace(text.charCodeAt(at))) at++;
    const c = text.charCodeAt(at);
    // (Every emoji unit but © and ®, which open no greeting, is U+200D or above: most turns open
    // below it, and are read with no regex test.)
    if (at >= text.length || c < 0x200d) return cut;
    const unit = c >= 0xd800 && c <= 0xdbff ? text.slice(at, at + 2) : text.slice(at, at + 1);
    if (!EMOJI_UNIT.test(unit)) return cut;
    at += unit.length;
    cut = at;
    while (cut < text.length && isJsSpace(text.charCodeAt(cut))) cut++;
  }
}

/**
 * Where the emoji, emoticons and spaces that end a text begin (its length if none end it):
 * read back from the end, one unit at a time (no regex reads a run from each start).
 */
function withoutTrailingEmoji(text: string): number {
  let end = text.length;
  let cut = end;
  for (;;) {
    while (end > 0 && isJsSpace(text.charCodeAt(end - 1))) end--;
    const c = text.charCodeAt(end - 1);
    // A pictograph past the BMP is a surrogate pair; one in the BMP (☕, ❤) a single unit.
    const unit = c >= 0xdc00 && c <= 0xdfff && end >= 2 ? text.slice(end - 2, end) : text.slice(end - 1, end);
    if (end > 0 && EMOJI_UNIT.test(unit)) {
      end -= unit.length;
      cut = end;
      continue;
    }
    // An emoticon stands apart: "4:3" and "f(x=)" end in none.
    const emoticon = EMOTICONS.find((e) => text.endsWith(e, end) && (end === e.length || isJsSpace(text.charCodeAt(end - e.length - 1))));
    if (emoticon === undefined) {
      if (cut === text.length) return cut;
      while (cut > 0 && isJsSpace(text.charCodeAt(cut - 1))) cut--;
      return cut;
    }
    end -= emoticon.length;
    cut = end;
  }
}

/**
 * A turn without what opens it before its ask (emoji, a mention, a greeting, a discourse opening, a
 * label or tag, a courtesy or a request: "Can you ...") and what closes it after (thanks, a please or an urgency, emoji, a
 * sign-off and a name): "Hi! Prove that ...", "... why? Thanks!", "..., please", "...\n\nBest,\nAlice".
 * The ask between them is what the rules and the word model read. Without this, a greeting before
 * a proof read as small talk around an easy ask, and one before a Chinese failure report as small
 * talk: "Hi! " moved 11 % of the training asks' tiers, 8 % down (exported for tests; sessions 55
 * and 56 in benchmarks/README.md). The turn itself where nothing would be left ("Hi!") or thanks
 * close an acknowledgement ("thanks, that's all").
 */
export function withoutSocialEdges(turn: string): string {
  const unwrapped = unwrappedLine(turn);
  // A sign-off and a name on the turn's last lines ("...\n\nBest,\nAlice") end it as thanks do:
  // what is read below is the turn before them.
  const signed = withoutSignOff(unwrapped);
  const text = signed < unwrapped.length ? unwrapped.slice(0, signed) : unwrapped;
  const head = text.length > SOCIAL_EDGE_SCAN ? text.slice(0, SOCIAL_EDGE_SCAN) : text;
  // In this order, one of each at most: emoji, a mention, a greeting or thanks, a discourse
  // opening, a label, a courtesy or a request ("Hi! Quick question: could you please explain ...").
  // Emoji before the greeting or the ask ("👋 Hi! ...", "🙏 Please ...") are no words of it, nor
  // is a mention of the assistant ("@assistant how do I ...", "@bot What is ..."): a handle before
  // a capital or an ask's first word. A capitalised one may be a Java annotation ("@Transactional
  // Spring ..."): only before an ask's first word.
  let start = leadingEmojiEnd(head);
  MENTION_OPENING.lastIndex = start;
  if (head.charCodeAt(start) === 0x40 && MENTION_OPENING.test(head)) {
    const word = wordAfter(head, MENTION_OPENING.lastIndex);
    const handle = !isUpperAt(head, start + 1);
    if (word > 0 && ((handle && isUpperAt(head, word)) || askOpeningAfter(head, MENTION_OPENING.lastIndex) > 0)) start = word;
  }
  let greeted = false;
  let unmarked = false;
  let thanksFirst = false;
  SOCIAL_OPENING.lastIndex = start;
  const opening = SOCIAL_OPENING.exec(head);
  if (opening !== null) {
    const after = start + opening[0].length;
    OPENING_NAME.lastIndex = after;
    const named = OPENING_NAME.test(head) ? OPENING_NAME.lastIndex : -1;
    for (const at of named >= 0 ? [named, after] : [after]) {
      OPENING_END.lastIndex = at;
      if (OPENING_END.test(head)) {
        start = OPENING_END.lastIndex;
        greeted = true;
        thanksFirst = opening[1] !== undefined;
        break;
      }
    }
    // No mark after it: a greeting run straight into an ask ("hey how do I ...", "hi write ...").
    // One that is nothing but a greeting or a please ("hey", "Please", BARE_OPENINGS) before any word; one that
    // may be part of a name or a phrase ("Hello World", "Good morning routine") before an ask's
    // first word only.
    if (!greeted && opening[1] === undefined) {
      const ask = BARE_OPENINGS.has(firstWordOf(opening[0])) ? wordAfter(head, after) : askOpeningAfter(head, after);
      if (ask > 0) {
        start = ask;
        greeted = true;
        unmarked = true;
      }
    }
  }
  // A discourse opening before an ask ("Okay so how do I ...", "So, what is ..."): before any word
  // where it is one for sure (a mark or "so" ends it, or it is a filler: "Okay so", "Um,"), before
  // an ask's first word where it may be a word of the ask ("So many people ...", "Well ...").
  DISCOURSE_OPENING.lastIndex = start;
  if (start < head.length && DISCOURSE_OPENING.test(head)) {
    const opener = head.slice(start, DISCOURSE_OPENING.lastIndex);
    const sure = FILLER_OPENING.test(opener);
    const ask = sure ? wordAfter(head, DISCOURSE_OPENING.lastIndex) : askOpeningAfter(head, DISCOURSE_OPENING.lastIndex);
    if (ask > 0) start = ask;
  }
  LABEL_OPENING.lastIndex = start;
  if (LABEL_OPENING.test(head)) start = LABEL_OPENING.lastIndex;
  COURTESY_OPENING.lastIndex = start;
  if (COURTESY_OPENING.test(head)) start = COURTESY_OPENING.lastIndex;
  else {
    // A request put as a question ("Can you explain ...?") before an ask's verb.
    REQUEST_OPENING.lastIndex = start;
    if (REQUEST_OPENING.test(head)) {
      const ask = askOpeningAfter(head, REQUEST_OPENING.lastIndex);
      if (ask > 0) start = ask;
    }
  }
  const from = Math.max(start, text.length - SOCIAL_EDGE_SCAN);
  const tail = from === 0 ? text : text.slice(from);
  const unEmoji = withoutTrailingEmoji(tail);
  const emoji = unEmoji < tail.length;
  let end = from + unEmoji;
  const closing = endsInAsideWord(tail, unEmoji) ? CLOSING_ASIDE.exec(emoji ? tail.slice(0, unEmoji) : tail) : null;
  let closed = false;
  if (closing !== null) {
    // What is before the thanks: a sentence mark (kept with the ask: its question mark is read), a
    // comma or a line break (not kept), or a space before a capital ("... do you think Thanks!").
    let k = closing.index - 1;
    let lineBreak = false;
    for (; k >= 0 && (tail[k] === ' ' || tail[k] === '\t' || tail[k] === '\n'); k--) if (tail[k] === '\n') lineBreak = true;
    const mark = k >= 0 ? tail[k]! : '';
    const spaced = k < closing.index - 1;
    if (mark === '(' || mark === '（') {
      // Thanks in parentheses ("... overlap? (thanks!)"): the parenthesis is theirs.
      while (k > 0 && isJsSpace(tail.charCodeAt(k - 1))) k--;
      end = from + k;
    } else if (k < 0 && from === start && greeted) {
      // Nothing between the greeting and the aside ("hey! ASAP"): no ask.
      end = from;
    } else if (mark !== '' && SENTENCE_MARKS.includes(mark)) end = from + k + 1;
    else if (mark === ',' || mark === '，' || lineBreak || (spaced && mark !== '' && isUpperAt(closing[0], 0))) end = from + k + (mark === ',' || mark === '，' ? 0 : 1);
    closed = end <= from + closing.index;
  }
  if (start === 0 && end === text.length) return text;
  const ask = text.slice(start, end);
  closed ||= signed < unwrapped.length;
  if (ask.trim() === '') {
    // Nothing but a greeting and what closes it ("hey! ASAP"): the greeting.
    const greeting = text.slice(0, end);
    return greeted && end < text.length && greeting.trim() !== '' ? greeting : text;
  }
  // Thanks with an acknowledgement, asking nothing, is a social turn, read whole ("thanks, that's
  // all", "that fixed it, thx"); with a question or a command ("Isolate laptop-bob. Thanks!") what
  // is left is the ask.
  // So is a greeting with no mark and small talk after it ("hallo zusammen", "hey how are you").
  const thanked = closed || thanksFirst || emoji || unmarked;
  if (thanked && !/[?？]/.test(ask) && isSmallTalk(text) && !agentCommand(ask)) return text;
  // Hard words with no sentence around them after a greeting ("Hello! prove design optimize
  // derive theorem step by step") are keyword stuffing around the greeting, the turn's only ask:
  // read whole, where the stuffing check lets the greeting decide (scoreTurn).
  return greeted && keywordSoup(ask) ? text : ask;
}

/**
 * Where the ask starts after a greeting or a discourse opening that no mark ends: the word after
 * `at` (wordAfter) where it opens an ask (ASK_OPENING_WORDS), else -1.
 */
function askOpeningAfter(head: string, at: number): number {
  const b = wordAfter(head, at);
  if (b < 0) return -1;
  let e = b;
  while (e < head.length && e - b <= 12 && isBmpLetter(head.charCodeAt(e))) e++;
  return e > b && ASK_OPENING_WORDS.has(head.slice(b, e).toLowerCase()) ? b : -1;
}

/** Greetings and a please that are nothing else: set apart before any word with no mark after them ("hey book a table ...", "Please book a table ..."). */
const BARE_OPENINGS: ReadonlySet<string> = new Set(['hey', 'hi', 'hiya', 'heya', 'yo', 'hola', 'bonjour', 'salut', 'hallo', 'ciao', 'привет', 'oi', 'please']);
/** A discourse opening that is one for sure: a mark or "so" ends it, or it is a filler ("um", "hmm"). */
const FILLER_OPENING = /[,.!]|\sso\s*$|^[\s"'“«]*(?:um+|uh+|hmm+)\s*$/iu;

/** The first word of a greeting's match, lower case. */
function firstWordOf(match: string): string {
  return words(match.toLowerCase())[0] ?? '';
}

/** Where the word after `at` starts, if a space is before it (a greeting is a whole word: "yo" is no greeting in "you're") and a letter starts it; else -1. */
function wordAfter(head: string, at: number): number {
  let b = at;
  while (b < head.length && (head.charCodeAt(b) === 32 || head.charCodeAt(b) === 9)) b++;
  const spaced = b > 0 && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9);
  return spaced && b < head.length && isBmpLetter(head.charCodeAt(b)) ? b : -1;
}

/** Characters of a turn's end a sign-off and a name are looked for in. */
const SIGN_OFF_SCAN = 80;

/** The last line break before `end` within SIGN_OFF_SCAN characters, or -1 (lastIndexOf would read a long line to its start). */
function lineBreakBefore(text: string, end: number): number {
  // Most turns have none there: indexOf, forward, says so fastest.
  const from = Math.max(0, end - SIGN_OFF_SCAN);
  const first = text.indexOf('\n', from);
  if (first < 0 || first >= end) return -1;
  for (let i = end - 1; i > first; i--) if (text.charCodeAt(i) === 10) return i;
  return first;
}

/**
 * Where a turn ends without a sign-off and a name on its last two lines ("Thanks in advance,\nBob",
 * "Cheers,\nSam": SIGN_OFF_LINE then NAME_LINE, each at most SIGN_OFF_SCAN characters); the
 * turn's length if it has none, or nothing before them.
 */
function withoutSignOff(text: string): number {
  let end = text.length;
  while (end > 0 && isJsSpace(text.charCodeAt(end - 1))) end--;
  const nameAt = lineBreakBefore(text, end);
  if (nameAt <= 0) return text.length;
  // A name opens with a capital or a dash (most last lines do not: one test before the regex).
  let n = nameAt + 1;
  while (n < end && isJsSpace(text.charCodeAt(n))) n++;
  const first = text.charCodeAt(n);
  if ((first < 0x41 || first > 0x5a) && first < 0x80 && first !== 0x2d && first !== 0x7e) return text.length;
  if (!NAME_LINE.test(text.slice(nameAt + 1, end))) return text.length;
  const lineAt = lineBreakBefore(text, nameAt);
  if (lineAt <= 0 || !SIGN_OFF_LINE.test(text.slice(lineAt + 1, nameAt))) return text.length;
  let cut = lineAt;
  while (cut > 0 && isJsSpace(text.charCodeAt(cut - 1))) cut--;
  return cut > 0 ? cut : text.length;
}

/**
 * Function words: a sentence has one ("Design a cache", "Prove that ..."); a list of keywords
 * ("prove design optimize theorem") has none. The covered languages' articles, prepositions,
 * pronouns, conjunctions and copulas.
 */
const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the this that these those my our your his her its their me us it i we you he she they to of for in on at by with from into about and or but if ' +
    'is are was were be been am do does did how what why which who when where can could should would will not no ' +
    'el la los las un una de del que y o en por para con es son como qué cómo mi su ' +
    'der die das ein eine einen und oder ist sind wie was warum mit für zu von im in den dem ich wir mein unser ' +
    'le les une des et ou est sont comment pourquoi avec pour dans du je nous mon notre ' +
    'и в на с по для как что это почему мой наш я мы не ' +
    'o os as um uma do da dos das é são com em meu nosso il lo gli di che è sono come perché per mio nostro'
  ).split(' '),
);

/**
 * Whether a short text is hard words with no sentence around them: a hard lexicon's word, no
 * question mark, and once the hard words are out no function word (FUNCTION_WORDS) and no Chinese
 * or Japanese (whose sentences have no spaces to find words by).
 */
function keywordSoup(text: string): boolean {
  if (text.length > SOCIAL_EDGE_SCAN * 5 || /[?？]/.test(text)) return false;
  const lex = lexicalForm(text);
  const scan = readLexicons(lex);
  if (!DEEP_ASK.test(scan) && !COMPLEX_ASK.test(scan) && !MULTI_STEP.test(scan)) return false;
  const left = withoutHardWords(lex, scan);
  return !/[\u2e80-\u9fff]/.test(left) && !words(left).some((w) => FUNCTION_WORDS.has(w));
}

/**
 * A one-line turn without the list mark or the quotes around all of it ("- What is X?",
 * "\"How do I ...?\""), which the rules that read a turn from its start would take for its first
 * word, and without markdown emphasis (withoutEmphasis); any other turn as it is. Lines of up to
 * SOCIAL_EDGE_SCAN * 5 characters.
 */
function unwrappedLine(line: string): string {
  if (line.length > SOCIAL_EDGE_SCAN * 5 || line.includes('\n') || line.includes('\r')) return line;
  // Markdown emphasis and a heading mark are not words either ("**What** has keys ...?" is a
  // riddle asked as a wh-question, which the word model's gate reads from the turn's start): looked
  // for where the line opens or closes with one (inside, the rules read it away: withPlainSpaces).
  const text = emphasisAtEdge(line) ? withoutEmphasis(line) : line;
  const m = WRAPPED_LINE.exec(text);
  if (m === null) return text;
  const body = text.slice(m[0].length);
  const open = m[1];
  if (open === undefined) return body.trim() === '' ? text : body;
  // A quotation: only where its closing quote ends the line (a question mark or stop after it kept).
  const trimmed = body.trimEnd();
  const close = QUOTE_CLOSES[open]!;
  const last = trimmed.length - 1;
  const at = trimmed[last] === close ? last : /[?.!？。！]/u.test(trimmed[last] ?? '') && trimmed[last - 1] === close ? last - 1 : -1;
  if (at <= 0 || body.slice(0, at).includes(close)) return text;
  return body.slice(0, at) + trimmed.slice(at + 1);
}

/** Whether a line opens with '*', '_' or '#' or closes with '*' or '_' (spaces aside). */
function emphasisAtEdge(line: string): boolean {
  let b = 0;
  while (b < line.length && isJsSpace(line.charCodeAt(b))) b++;
  let e = line.length - 1;
  while (e > b && isJsSpace(line.charCodeAt(e))) e--;
  const first = line.charCodeAt(b);
  const last = line.charCodeAt(e);
  return first === 0x2a || first === 0x5f || first === 0x23 || last === 0x2a || last === 0x5f;
}

/** Whether any word of a (lower-case) text is a greeting, thanks or "ok" (a report beside "ok got it" is not only a report). */
function hasSocialWord(lower: string): boolean {
  for (const w of words(lower)) if (SOCIAL_OR_OK.has(w)) return true;
  return false;
}

/** Whether a turn opens or closes with a greeting, thanks or acknowledgement (a word or a whole sentence). */
function socialEdge(text: string): boolean {
  const head = text.slice(0, 60).trim().toLowerCase();
  const first = words(head)[0];
  const last = words(text.slice(-60).toLowerCase()).at(-1);
  if ((first !== undefined && SOCIAL_OR_ACK.has(first)) || (last !== undefined && SOCIAL_OR_ACK.has(last))) return true;
  // An acknowledgement sentence at either end ("... on G1. ok got it"). Marks alone are no
  // sentence: the "**" after "quarter." in "**Top 10 countries ... last quarter.**" is not one.
  const clause = (t: string | undefined) => t !== undefined && isSmallTalk(t);
  const sentences = (t: string) => t.split(/[.!?;。！？；\n]+/u).filter((x) => LETTER_OR_DIGIT.test(x));
  return clause(sentences(head)[0]) || clause(sentences(text.slice(-60)).at(-1));
}
/** A letter or a digit: what a sentence has and a run of marks has not. */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Greetings, thanks and "ok": a turn with one of these anywhere is not read by the fallback. */
const SOCIAL_OR_OK = new Set([...SOCIAL_EDGE_WORDS, 'ok', 'okay']);
/** Words that open or close a social turn or an acknowledgement ("ok got it", "thanks"). */
const SOCIAL_OR_ACK = new Set([...SOCIAL_OR_OK, 'k', 'sure', 'yes', 'yep', 'no', 'nope', 'got']);

/** The tier of a score by the hand-set bands alone (before calibration; benchmarks compare). */
export function thresholdTier(score: number): TierName {
  return TIER_NAMES[tierIndex(score)]!;
}

function tierIndex(score: number): number {
  let i = 0;
  while (i < THRESHOLDS.length && score >= THRESHOLDS[i]!) i++;
  return i;
}

/**
 * Classify a whole chat request: the last user turn read in the context of the conversation
 * (earlier user turns, system prompt). Pure and deterministic. `fallback: false` leaves out the
 * word model (benchmarks and tests compare the rules alone); a function stands in for it (the
 * benchmark's checks of a model trained on part of the labelled rows), returning its score;
 * `secondOpinionMargin` overrides the second opinion's margins (benchmarks; a number sets both;
 * Infinity: none).
 */
export function classifyMessages(
  messages: readonly ChatMessageLike[],
  underTierCost = DEFAULT_UNDER_TIER_COST,
  fallback: boolean | ((text: string) => number) = true,
  secondOpinionMargin: number | SecondOpinionMargins = secondOpinionMargins(underTierCost),
): Classification {
  const lastUser = currentTurnIndex(messages);
  if (lastUser < 0) return { tier: 'trivial', score: 0, confidence: 1, signals: ['no messages'] };

  // Every turn is read at its two ends at most (scoreTurn), the parts of a long one too.
  // The ask, without a greeting before it or thanks after it (withoutSocialEdges).
  const currentText = withoutSocialEdges(messageEnds(messages[lastUser]!, 2 * MAX_SCAN, MAX_SCAN));
  const current = scoreTurn(currentText);
  let score = current.score;
  const signals = [...current.signals];

  // Conversation context: a short follow-up ("and for n = 5?", "why?") inherits most of the
  // difficulty of the conversation; a closing "ok thanks" stays trivial, and a turn that changes
  // the subject ("unrelated: …", TOPIC_SWITCH) inherits nothing.
  if (!current.smallTalk && current.short && !TOPIC_SWITCH.test(current.lexScan ?? readLexicons(lexicalForm(currentText)))) {
    let prior = -Infinity;
    let seen = 0;
    let left = CONTEXT_SCAN;
    const stop = Math.max(0, lastUser - MESSAGES_LOOKED_THROUGH);
    for (let i = lastUser - 1; i >= stop && seen < CONTEXT_TURNS; i--) {
      const m = messages[i]!;
      if (m.role !== 'user') continue;
      const text = messageEnds(m, 2 * MAX_SCAN, MAX_SCAN);
      if (seen > 0 && text.length > left) break;
      left -= Math.min(text.length, left);
      seen++;
      prior = Math.max(prior, scoreTurn(withoutSocialEdges(text)).score);
    }
    if (prior > score) {
      score = Math.max(score, prior - 0.6);
      signals.push('follow-up in a harder conversation');
    }
  }

  // Whether a system prompt defines tools (an agent).
  let toolAgent = false;
  if (!current.smallTalk) {
    for (const m of messages.length <= MESSAGES_LOOKED_THROUGH ? messages : messages.slice(0, MESSAGES_LOOKED_THROUGH)) {
      if (m.role !== 'system' && m.role !== 'developer') continue;
      // Lower case and BMP only, as written: a system prompt is the platform's own text, and a
      // search of 4,000 characters for odd spaces (withPlainSpaces) cost ~4 us a request here.
      const sys = astralToBmp(messageHead(m, 4000).toLowerCase());
      // An agent's system prompt (it defines tools): its tone rules are policy for every turn,
      // not a hint about this ask.
      if (definesTools(sys)) {
        toolAgent = true;
        // A request to an agent takes at least a tool call, even a yes/no one ("Can I move my
        // appointment?"); one-step arithmetic (a turn with no family) stays trivial.
        if (current.family !== undefined && score < THRESHOLDS[0]! + 0.2) {
          score = THRESHOLDS[0]! + 0.2;
          signals.push('a request to a tool-using agent');
        }
        break;
      }
      // Two small lexicons: their own regexes, not the scan of every lexicon (~10 against ~110 us
      // over 4,000 characters here; the answers are the same, see wordlex.ts).
      if (SYSTEM_RIGOUR.regex.test(sys)) {
        // Rigour deepens an answer within its tier band; it does not turn a design into a proof.
        score = Math.min(score + 0.4, current.family === 'deep' ? Infinity : THRESHOLDS[3]! - 0.15);
        signals.push('system prompt asks for rigour');
      } else if (SYSTEM_BRIEF.regex.test(sys)) {
        score = Math.max(score - 0.5, current.family && current.family !== 'none' ? THRESHOLDS[0]! + 0.2 : 0);
        signals.push('system prompt asks for brevity');
      }
      break;
    }
  }

  let idx = decideTier(score, underTierCost);
  // The confidence of a reading the word model lifted: its odds, not the band's.
  let liftedOdds: number | undefined;
  const model = fallback === true ? wordModelScore : fallback;
  // Where the model may lift at all: not a short wh-lookup or a social turn, and (a short command
  // to a tool-using agent is one tool call, whatever its words suggest) not one agent command.
  // Nor a turn that follows an earlier user turn: the model reads the turn's words alone, and the
  // rules read a follow-up with its conversation (followsUserTurn).
  const modelMayLift = () => fallbackMayRead(currentText) && !(toolAgent && agentCommand(currentText)) && !followsUserTurn(messages, lastUser);
  if (signals.length === 0 && model) {
    // The rules recognised nothing in this ask (no verb, problem, puzzle or material, no context):
    // the word model reads it, and may lift it one tier, never more and never down (wordmodel.ts).
    // The model first: it is the cheaper test, and most reads lift nothing.
    const s = model(currentText);
    if (wordModelTierOf(s) > idx && idx < TIER_NAMES.length - 1 && modelMayLift()) {
      // Its confidence is the fitted odds that the label is above the rules' tier, as a second
      // opinion's is: such lifts are right about half the time out of fold, not the band's ~0.9.
      liftedOdds = liftOdds(FALLBACK_ODDS, s - idx);
      idx++;
      // The middle of the tier's band, so the score and the tier agree.
      score = Math.max(score, BAND_MIDDLE[idx]!);
      signals.push(`${FALLBACK_SIGNAL_PREFIX}${TIER_NAMES[idx]}`);
    }
  } else if ((idx === MODERATE || idx === SIMPLE) && model && current.plain === true && !current.settled) {
    // A moderate reading is where the rules under-tier most (complex asks phrased casually, with
    // no failure, design verb or method question), a simple one next (a short question on a hard
    // subject read as a lookup); the model's words, read well above the reading, lift it one tier
    // (never down). Not over a paste (the model reads a turn's start) nor over a rule that bounded
    // the reading on purpose (stuffing among them); a simple reading not where the fallback would
    // not read either (a short wh-lookup, a social turn, one command to an agent). The margin is
    // where the odds of the tier above pass what the cost ratio asks for (secondOpinionMarginFor).
    const reading: SecondOpinionTier = idx === MODERATE ? 'moderate' : 'simple';
    const margin = typeof secondOpinionMargin === 'number' ? secondOpinionMargin : secondOpinionMargin[reading];
    const read = margin === Infinity ? -Infinity : model(currentText);
    if (read > idx + margin && (reading === 'moderate' ? !followsUserTurn(messages, lastUser) : modelMayLift())) {
      // Its confidence is the fitted odds that the label is above the reading (P of the tier above
      // or higher: that tier's by far the most), not the band middle's: lifted readings are right
      // well under the band's ~0.9 (out of fold, 36 % of simple and 41 % of moderate ones).
      liftedOdds = liftOdds(SECOND_OPINION_ODDS[reading], read - idx);
      idx++;
      score = Math.max(score, BAND_MIDDLE[idx]!);
      signals.push(SECOND_OPINION_SIGNALS[reading]);
    }
  }
  const confidence = liftedOdds ?? tierProbabilities(score)[idx]!;
  if (signals.length === 0) signals.push('short general question');
  return { tier: TIER_NAMES[idx]!, score: Math.round(score * 100) / 100, confidence: Math.round(confidence * 100) / 100, signals };
}

/**
 * Whether the current turn follows an earlier user turn (among the messages looked through): a
 * turn of a conversation, which the rules read with the turns before it ("And why not a hash
 * index?" after a question on B-tree indexes). The word model reads the turn's words alone, and
 * a follow-up names the topic's words, not how much it asks: the training rows' follow-ups it
 * lifted (two by the second opinion, one by the fallback) were each labelled the tier it lifted
 * them from.
 */
function followsUserTurn(messages: readonly ChatMessageLike[], lastUser: number): boolean {
  const stop = Math.max(0, lastUser - MESSAGES_LOOKED_THROUGH);
  for (let i = lastUser - 1; i >= stop; i--) if (messages[i]!.role === 'user') return true;
  return false;
}

/** Convenience for a single prompt. */
export function classifyText(text: string, underTierCost = DEFAULT_UNDER_TIER_COST): Classification {
  return classifyMessages([{ role: 'user', content: text }], underTierCost);
}
