/**
 * Keyword stuffing: hard words set around an easy ask ("Prove it rigorously, design the
 * architecture. What is 2+2?"). The clauses of an ask, which of them are hard words with no object
 * of their own, and the ask without them, for scoreTurn to score the rest on its own. Pure.
 *
 * "A Chinese or Japanese term" below is any term matched anywhere, with no word boundary: those
 * of Chinese, Japanese and Korean, and since session 64 Thai, Lao, Khmer and Burmese
 * (isAnywhereUnit, wordlex.ts).
 */

import { COMPLEX_ASK, DEEP_ASK, EFFORT_TERMS, MULTI_STEP, SMALL_TALK_WORDS } from './lexicon.js';
import { BMP_LETTER, isAnywhereUnit, isBmpLetter, isBmpLetterOrNumber, isBmpMark, isBmpWordChar, isJsSpace, WORD_RE } from './text.js';
import { expandTerm, hasPlaceWithin, type LexiconScan, readLexicons, words, wordSet } from './wordlex.js';
import { HASH_SEED, hashStep, sameRange } from './wordset.js';

const DEEP_ALL = DEEP_ASK.regexAll;
const COMPLEX_ALL = COMPLEX_ASK.regexAll;
const MULTI_ALL = MULTI_STEP.regexAll;

const HARD_LEXICONS = [DEEP_ASK, COMPLEX_ASK, MULTI_STEP] as const;

/**
 * Whether the places the lexicon scan finds give exactly what the three replaces in turn give
 * (withoutHardWords): a literal of the second or third lexicon that begins or ends with a
 * character that is not a letter or number, or holds two such characters in a row, could match
 * across or beside a replaced span where it did not match before, and a term that does not
 * expand to literals has no places; a Chinese or Japanese literal (no boundary) that holds a
 * character other than a word character (isBmpWordChar: letters, numbers and combining marks, with
 * which Thai, Khmer and Burmese words are written) could match across the space a replaced span
 * leaves. None does; this is
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
  if (spans === null || (scan.hasCjk && beside(lex, spans, 0, lex.length))) return withoutHardWordsInTurn(lex, scan);
  return withSpacesAt(lex, spans);
}

/** The text with each [start, end) span of spans (flat pairs in text order) replaced by one space. */
function withSpacesAt(text: string, spans: readonly number[]): string {
  if (spans.length === 0) return text;
  // Joined once, flat: the checks after it read it character by character.
  const out: string[] = [];
  let from = 0;
  for (let k = 0; k < spans.length; k += 2) {
    out.push(text.slice(from, spans[k]), ' ');
    from = spans[k + 1]!;
  }
  out.push(text.slice(from));
  return out.join('');
}

/** Whether every term of the three hard lexicons expanded to literals (their places are then their regexes' matches). Checked at load. */
const HARD_PLACES_EXACT = HARD_LEXICONS.every((lexicon) => lexicon.spaced.every((term) => expandTerm(term) !== null));

/**
 * The three replaces in turn, each read from the places of a scan of the text the ones before it
 * left (a lexicon's matches on one text are its places there: by place, the first term at a place,
 * on from its end). The text is scanned again only after a replace that took something out. Where
 * one scan cannot say it (a Chinese or Japanese term taken out beside a letter or number, see
 * withoutHardWords) this costs at most two more scans of the text, where the three regexes, whose
 * boundary class is every BMP letter, cost ~4 us each over 100 characters here.
 */
function withoutHardWordsInTurn(lex: string, scan: LexiconScan): string {
  if (!HARD_PLACES_EXACT) return lex.replace(DEEP_ALL, ' ').replace(COMPLEX_ALL, ' ').replace(MULTI_ALL, ' ');
  let text = lex;
  let textScan = scan;
  for (const lexicon of HARD_LEXICONS) {
    if (text !== textScan.text) textScan = readLexicons(text);
    text = withSpacesAt(text, takenSpans(lexicon.places(textScan), 0, text.length, NO_SPANS));
  }
  return text;
}

const NO_SPANS: readonly number[] = [];

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
    const chosen = takenSpans(places, from, to, spans);
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

/**
 * The spans a global replace of one lexicon takes out of [from, to), given its places (by place,
 * then term order): the first at or after the end of the one before, wholly inside the range and
 * across none of taken (the spans earlier replaces took out; flat pairs in text order).
 */
function takenSpans(places: readonly number[], from: number, to: number, taken: readonly number[]): number[] {
  const chosen: number[] = [];
  let end = from;
  let s = 0; // the first taken span that does not end before the candidate
  for (let k = 0; k < places.length; k += 3) {
    const at = places[k]!;
    const until = at + places[k + 2]!;
    if (at < end) continue;
    if (until > to) {
      // Places are in text order: none past this one lies inside the range.
      if (at >= to) break;
      continue;
    }
    while (s < taken.length && taken[s + 1]! <= at) s += 2;
    if (s < taken.length && taken[s]! < until) continue; // across a span already replaced
    chosen.push(at, until);
    end = until;
  }
  return chosen;
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
/**
 * The units of the filler and effort terms (NO_OBJECT, EFFORT_WORDS: Latin and Cyrillic), whose
 * boundary is a letter, not a word character: such a term can match the letters of a word up to a
 * combining mark in it ("a" of "a\u0301"), and take part of the word. A word with marks and none of
 * these units (a Hindi or Tamil word) loses no part (unknownKeptWords).
 */
const FILLER_UNITS = (() => {
  const t = new Uint8Array(0x10000);
  for (const term of [...NO_OBJECT_TERMS, ...EFFORT_TERMS]) for (const lit of expandTerm(term)!) for (let i = 0; i < lit.length; i++) t[lit.charCodeAt(i)] = 1;
  return t;
})();
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
    // Letters (and combining marks) only, no number, none of a script whose terms match anywhere:
    // no removal takes part of it, where its marks are not beside a filler term's letters
    // (FILLER_UNITS). A Hindi word is written with marks; read as not plain, every Indic ask with
    // a hard word took the one-sentence path's replaces (~5 us on the mixed-scripts row).
    let plain = true;
    let marked = false;
    let filler = false;
    for (;;) {
      hash = hashStep(hash, c);
      if (plain) {
        if (isAnywhereUnit(c)) plain = false;
        else if (!isBmpLetter(c)) {
          if (isBmpMark(c)) marked = true;
          else plain = false;
        }
        if (FILLER_UNITS[c] === 1) filler = true;
      }
      if (++i >= n) break;
      c = text.charCodeAt(i);
      if (!isBmpWordChar(c)) break;
    }
    const end = i;
    if (!plain || (marked && filler) || REMOVABLE_OR_SMALL_TALK.getRange(text, start, end, hash) !== undefined) continue;
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
      if (isAnywhereUnit(c)) high = true;
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
  const scan = readLexicons(clause);
  if (!DEEP_ASK.test(scan) && !COMPLEX_ASK.test(scan) && !MULTI_STEP.test(scan)) return false;
  const left = withoutHardWordsInTurn(clause, scan).replace(NO_OBJECT, ' ').replace(/[,\s]+/gu, ' ').trim();
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
    if (isAnywhereUnit(c)) high = true;
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
    // A number or an apostrophe, as WORD_RE reads words (a combining mark is not in it).
    if (isBmpLetterOrNumber(c) || c === 39 || c === 0x2019) {
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
