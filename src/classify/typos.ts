/**
 * Misspelt hard words, read as the words they miss (session 66, probe set 157: "proove that
 * there are infinitely many primes", "desing the architecure for a url shortener", "debuging a
 * race condtion" read one or two tiers low). Pure; a lookup table built once at load.
 *
 * A word of an ask is read as a lexicon word (the targets below) when it is that word with one
 * letter left out, one added, or two side by side swapped: not one letter changed for another,
 * which is how real words neighbour the targets ("resign", "deride", "probe"), but for an s and
 * a z ("diagnoze"). The word must be 6 to 20 ASCII letters, start with the target's letter, be no
 * word of any lexicon, and neither start the target nor be started by it ("solved", "designer",
 * "debugs" are inflections, not typos). Only English asks (a word of ENGLISH_WORDS, no letter
 * past ASCII) of up to TYPO_SCAN characters are read, in one bounded pass; the classifier reads
 * them only in the current turn's ask and only where its deep, complex and moderate lexicons
 * found nothing (scoreTurn).
 */

import * as lexicons from './lexicon.js';
import { isBmpLetter, isBmpWordChar } from './text.js';
import { WordLexicon } from './wordlex.js';

/** Characters of an ask read for misspellings (longer asks are read as written). */
export const TYPO_SCAN = 400;
const MIN_WORD = 6;
const MAX_WORD = 20;

/** Every word of every lexicon (their expanded spaced terms'): a word of an ask found here is spelt as some lexicon spells it. */
const KNOWN = new Set<string>(Object.values(lexicons).flatMap((v) => (v instanceof WordLexicon ? v.expandedWords() : [])));
/** Is w a word some lexicon spells (exported for tests)? */
export const isLexiconWord = (w: string): boolean => KNOWN.has(w);

/**
 * The words a misspelling is read as: English words of the hard asks and their topics, each a
 * word some lexicon spells (typos.test.ts). Chosen by hand: words of other languages neighbour
 * too many real ones ("pouvez" is "prouvez" less a letter, "compte" "compute"), and so do some
 * English ones ("reactor" is "refactor" less one).
 */
export const TYPO_TARGETS: readonly string[] = [
  'prove', 'proof', 'proofs', 'derive', 'derivation', 'rigorous', 'rigorously', 'theorem', 'induction', 'formally', 'invariant',
  'design', 'architecture', 'architect', 'debug', 'debugging', 'diagnose', 'optimize', 'optimise', 'analyze', 'analyse', 'analysis',
  'evaluate', 'implement', 'distributed', 'concurrency', 'consistency', 'latency', 'throughput', 'migration', 'deadlock', 'condition',
  'conditions', 'replication', 'explain', 'compare', 'describe', 'summarize', 'summarise', 'function',
  'algorithm', 'difference', 'calculate', 'estimate', 'outline', 'strategy', 'itinerary', 'translate', 'rewrite', 'script', 'query',
];

/** TYPO_TARGETS by first letter and length (slot: letter * 32 + length). */
const TARGETS = new Map<number, string[]>();
/** Whether a word of a first letter and length may be a slip of a target (a target one shorter, as long or one longer): one table read per word. */
const MAY_SLIP = new Uint8Array(26 * 32);
const slot = (letter: number, length: number): number => (letter - 97) * 32 + length;
for (const word of TYPO_TARGETS) {
  const key = slot(word.charCodeAt(0), word.length);
  const list = TARGETS.get(key);
  if (list === undefined) TARGETS.set(key, [word]);
  else list.push(word);
  for (const len of [word.length - 1, word.length, word.length + 1]) MAY_SLIP[slot(word.charCodeAt(0), len)] = 1;
}

/** Words an English ask has and other languages' asks rarely do: the misspellings are read only in such an ask. */
const ENGLISH_WORDS = new Set(['the', 'a', 'an', 'to', 'of', 'in', 'on', 'is', 'are', 'my', 'our', 'how', 'what', 'why', 'that', 'this', 'and', 'for', 'with', 'there', 'it', 'do', 'i', 'we', 'you', 'me']);

/** Do w from wi and t from ti on hold the same letters to their ends? */
function sameTail(w: string, wi: number, t: string, ti: number): boolean {
  if (w.length - wi !== t.length - ti) return false;
  for (; wi < w.length; wi++, ti++) if (w.charCodeAt(wi) !== t.charCodeAt(ti)) return false;
  return true;
}

/** Is w the target t with one letter left out, one added, two adjacent letters swapped, or an s for a z or a z for an s (exported for tests)? */
export function oneSlip(w: string, t: string): boolean {
  const lw = w.length;
  const lt = t.length;
  let i = 0;
  while (i < lw && i < lt && w.charCodeAt(i) === t.charCodeAt(i)) i++;
  if (lw === lt) {
    if (i >= lw) return false;
    // An s written z or a z written s ("diagnoze"), the rest equal: the one change of a letter read.
    const a = w.charCodeAt(i);
    const b = t.charCodeAt(i);
    if (((a === 122 && b === 115) || (a === 115 && b === 122)) && sameTail(w, i + 1, t, i + 1)) return true;
    // A swap of i and i + 1, the rest equal.
    if (i + 1 >= lw || a !== t.charCodeAt(i + 1) || w.charCodeAt(i + 1) !== b) return false;
    return sameTail(w, i + 2, t, i + 2);
  }
  // One letter more in the longer one at i.
  return lw === lt + 1 ? sameTail(w, i + 1, t, i) : lt === lw + 1 ? sameTail(w, i, t, i + 1) : false;
}

/** The target in the list of slot k that w is a slip of, or null. */
function slipIn(w: string, k: number): string | null {
  const list = TARGETS.get(k);
  if (list !== undefined) for (const t of list) if (!w.startsWith(t) && !t.startsWith(w) && oneSlip(w, t)) return t;
  return null;
}

/** The target a word is a slip of, or null (a word some lexicon spells is none). */
function targetOf(w: string): string | null {
  // A lexicon's own word first: most words that get this far are one ("design", "optimize").
  if (KNOWN.has(w)) return null;
  const c = w.charCodeAt(0);
  return slipIn(w, slot(c, w.length - 1)) ?? slipIn(w, slot(c, w.length + 1)) ?? slipIn(w, slot(c, w.length));
}

/** Does the text hold a word of ENGLISH_WORDS (a run of ASCII letters between other characters)? */
function hasEnglishWord(text: string): boolean {
  for (const m of text.matchAll(/[a-z]+/g)) if (m[0].length <= 5 && ENGLISH_WORDS.has(m[0])) return true;
  return false;
}

/** A letter past ASCII: an accented one or another alphabet's (lexical forms are lower case). */
const NON_ASCII = /[^\x00-\x7f]/;

/** Does the text hold a letter past ASCII? */
function hasOtherLetter(text: string): boolean {
  if (!NON_ASCII.test(text)) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127 && isBmpLetter(text.charCodeAt(i))) return true;
  return false;
}

/**
 * The lexical form with its misspelt hard words spelt as the lexicons spell them; the text itself
 * where it has none, is longer than TYPO_SCAN, holds a letter past ASCII or no English word. A
 * word is a run of ASCII letters between characters that are not letters, numbers or marks of any
 * script (lexical forms hold no astral ones), read in one pass; a table read sets aside those no
 * target is near in first letter and length, and a word some lexicon spells is no slip.
 */
export function withTypoFixes(lex: string): string {
  if (lex.length > TYPO_SCAN) return lex;
  let out: string[] | null = null;
  let from = 0;
  const n = lex.length;
  for (let i = 0; i < n; ) {
    const c = lex.charCodeAt(i);
    if (c < 97 || c > 122) {
      i++;
      continue;
    }
    const start = i;
    for (i++; i < n; i++) {
      const d = lex.charCodeAt(i);
      if (d < 97 || d > 122) break;
    }
    const len = i - start;
    if (len < MIN_WORD || len > MAX_WORD || MAY_SLIP[slot(c, len)] === 0) continue;
    // Part of a longer word (a digit, an accented letter or another script beside it): not read.
    if ((start > 0 && isBmpWordChar(lex.charCodeAt(start - 1))) || (i < n && isBmpWordChar(lex.charCodeAt(i)))) continue;
    const t = targetOf(lex.slice(start, i));
    if (t === null) continue;
    (out ??= []).push(lex.slice(from, start), t);
    from = i;
  }
  // (Read last: few asks get this far.)
  if (out === null || hasOtherLetter(lex) || !hasEnglishWord(lex)) return lex;
  out.push(lex.slice(from));
  return out.join('');
}
