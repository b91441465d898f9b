/**
 * Hard words that are no ask (session 67, probe sets 161-169): a command, a setting, a product, a
 * path, a title or a word asked about whose name or text holds one of the rules' verbs or hard
 * topics. "what does kubectl explain do?", "how do I turn on debug logging in nginx?", "merge the
 * branch feature/optimize-cache", "who wrote 'The Design of Everyday Things'?" and "what's the
 * past tense of 'prove'?" are lookups; before this they read as an explanation, a debugging task,
 * an optimisation, a design and a proof. The classifier reads each such name as a plain word
 * (rewriting the ask's lexical form, withPlainNames) before the rules read the ask, and only where
 * a hard word or a name was found. Pure; tables built once at load.
 *
 * What is read as a name:
 * - phrases that always are one (NAMED_COMMANDS, lexicon.ts): "kubectl explain", "terraform
 *   plan", "docker compose", "debug mode", "proof of stake", "EXPLAIN ANALYZE" in any case, "vs
 *   code"; and a hard word after a word that makes it one (NAMED_AFTER): a job title ("solutions
 *   architect"), a craft ("interior design"), a system's limit ("memory limit");
 * - a path, URL, branch, package, file or variable name, tag, channel, mention, flag or inline
 *   code span holding a hard word (hardNames: "feature/optimize-cache", "src/debug/analyze.py",
 *   "@acme/prove-it", "#[derive(Debug)]", "`cargo build --profile debug`");
 * - a title holding one (titles: a quoted span in title case, a span in Chinese or Japanese title
 *   quotes, a capitalised hard word beside a work's noun: "the Optimize conference");
 * - a word mentioned, not used (mentions: "how do you spell 'architecture'?", "synonyms for
 *   optimize");
 * - a hard word a frame declines (declined: "no need to explain", "not a full design", 不用解释);
 * - an SQL command written in capitals (EXPLAIN, ANALYZE, OPTIMIZE) in an ask that is not all
 *   capitals, where a word beside it is in capitals too or the ask names a database or a query
 *   ("через EXPLAIN в MySQL", "OPTIMIZE TABLE", "EXPLAIN (ANALYZE, BUFFERS)"). "EXPLAIN how TCP
 *   works" stays an ask to explain.
 */

import { COMMAND_NAMES, COMPLEX_ASK, DECLINE_FRAMES, DEEP_ASK, DEPTH_TERMS, MENTION_FRAMES, MODERATE_ASK, NAMED_AFTER, NAMED_AFTER_WORDS, NAMED_COMMANDS, SQL_COMMAND_WORDS, WHOLE_SYSTEM, WORK_NOUNS, WORKS_AFTER, WORKS_BEFORE } from './lexicon.js';
import { isBmpWordChar, isUpper } from './text.js';
import { expandTerm, wordSet, type LexiconScan } from './wordlex.js';
import { HASH_SEED, hashStep, type WordMap } from './wordset.js';

/** A name's literal (as COMMAND_NAMES matches it) → the words it is read as. */
const PLAIN = new Map<string, string>();
for (const [term, plain] of NAMED_COMMANDS) {
  const literals = expandTerm(term);
  if (literals === null) throw new Error(`names: ${term} must be a finite pattern`);
  for (const literal of literals) {
    const words = literal.split(/[^\p{L}\p{N}]+/u);
    const firstWord = words[0]!;
    const lastWord = words[words.length - 1]!;
    // "verbose $1" reads "debug logging" as "verbose logging".
    PLAIN.set(literal, plain.replace('$0', firstWord).replace('$1', lastWord));
  }
}

/** Each NAMED_AFTER word's literals → the words that make it a name before it, and what it is read as. */
const AFTER = new Map<string, { before: WordMap<true>; plain: string }>();
for (const [word, before, plain] of NAMED_AFTER) for (const literal of expandTerm(word) ?? []) AFTER.set(literal, { before: wordSet(before), plain });

/** The words the name read as (tests): undefined for a literal that is no name. */
export const plainNameOf = (literal: string): string | undefined => PLAIN.get(literal);

/** What after an SQL command in capitals makes it one ("EXPLAIN ANALYZE", "OPTIMIZE TABLE", "EXPLAIN (…"): a word in capitals, or '('. */
const CAPITAL_WORD_AFTER = /^[ ,]*(?:\(|[A-Z]{2,}\b)/;


/** Whether what stands before `at` makes an SQL command in capitals one ("EXPLAIN (ANALYZE, …"): a word of two or more capitals, then spaces and at most one '('. */
function capitalWordBefore(written: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && written.charCodeAt(i) === 32) i--;
  if (i >= 0 && written.charCodeAt(i) === 40) i--;
  while (i >= 0 && written.charCodeAt(i) === 32) i--;
  let capitals = 0;
  // (At most 24 read: a longer run of capitals is a word in capitals too.)
  for (; i >= 0 && capitals < 24 && isUpper(written.charCodeAt(i)); i--) capitals++;
  // The word starts there: nothing before it, no letter or digit, or past the 24.
  return capitals >= 2 && (i < 0 || capitals === 24 || !/[\p{L}\p{N}]/u.test(written[i]!));
}

/** A database, a query or a table named in the ask (lower case, as the lexical form is). */
const DATABASE_NAMED = /sql|postgres|mariadb|oracle|sqlite|clickhouse|snowflake|bigquery|redshift|duckdb|\bquer(?:y|ies)\b|\btables?\b|запрос|consulta|abfrage|requête|查询|クエリ|쿼리/;
/** A letter with a case that is lower case, or a unit of a script with no case: the ask is not written in capitals. */
const NOT_ALL_CAPITALS = /\p{Ll}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/u;

/**
 * The hard words a name is looked through for: the one-word literals of the lexicons that raise
 * a reading (a proof, a design, an explanation, a hard topic, whole-system scope).
 */
const HARD_WORDS = wordSet(
  [DEEP_ASK, COMPLEX_ASK, MODERATE_ASK, DEPTH_TERMS, WHOLE_SYSTEM].flatMap((l) => l.spaced.flatMap((term) => expandTerm(term) ?? [])).filter((literal) => /^[\p{L}\p{N}]+$/u.test(literal)),
);

/** Where a token is read for a name: at most this many characters (a longer run is not a name, and is read as written). */
const NAME_TOKEN = 200;

/** What an ASCII character is to hardNames: nothing (0), a space or line break, a joining mark, a slash, a mark that opens a name, a backtick. */
const KIND_PLAIN = 0;
const KIND_SPACE = 1;
const KIND_JOIN = 2;
const KIND_SLASH = 3;
const KIND_OPENS = 4;
const KIND_BACKTICK = 5;
const ASCII_KIND = new Uint8Array(128);
for (const ch of ' \n\r\t') ASCII_KIND[ch.charCodeAt(0)] = KIND_SPACE;
for (const ch of '_.=-:') ASCII_KIND[ch.charCodeAt(0)] = KIND_JOIN;
for (const ch of '@#~$') ASCII_KIND[ch.charCodeAt(0)] = KIND_OPENS;
ASCII_KIND[47] = KIND_SLASH;
ASCII_KIND[96] = KIND_BACKTICK;
const DOT = 46;
const kindOf = (c: number): number => (c < 128 ? ASCII_KIND[c]! : KIND_PLAIN);
/** A character that may make its token a name: a slash, an underscore, a mark that opens one, a backtick, '=', or '.', '-' or ':' before a letter or digit. */
const NAME_MARK = /[/_@#~$`=]|[.:-](?=[\p{L}\p{N}])/gu;

/**
 * [start, end) of each name in lex that holds a hard word (HARD_WORDS): a token (a run of
 * characters but spaces and line breaks) that is a URL or path, a snake_case or dotted name, an
 * assignment, a tag, channel or mention, a flag; and each inline code span (one backtick each
 * side, one line). A token with one slash and nothing else of a name ("design/implement",
 * "CI/CD") is words, not a name. Read from each mark a regex finds; exported for tests.
 */
export function hardNames(lex: string): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  const n = lex.length;
  const marks = NAME_MARK;
  marks.lastIndex = 0;
  // From one character that may make a name to the next: the token around each (a regex finds
  // them at ~1 ns a character here; a loop over every character took ~5 us on 1,200). test, not
  // exec: every mark is one character, so it ends at lastIndex, and no match array is made.
  while (marks.test(lex)) {
    const at = marks.lastIndex - 1;
    let start = at;
    if (lex.charCodeAt(start) === 96 && lex.charCodeAt(start + 1) !== 96 && (start === 0 || lex.charCodeAt(start - 1) !== 96)) {
      // Inline code: to the next single backtick on the line, within NAME_TOKEN.
      let j = start + 1;
      while (j < n && j - start < NAME_TOKEN && lex.charCodeAt(j) !== 96 && lex.charCodeAt(j) !== 10) j++;
      if (j < n && lex.charCodeAt(j) === 96 && lex.charCodeAt(j + 1) !== 96 && j > start + 1) {
        if (holdsHardWord(lex, start + 1, j)) found.push([start, j + 1]);
        marks.lastIndex = j + 1;
        continue;
      }
    }
    // The token: back to a space or line break (not past the last name found), then on to one.
    const floor = found.length > 0 ? found[found.length - 1]![1] : 0;
    while (start > floor && start > at - NAME_TOKEN && kindOf(lex.charCodeAt(start - 1)) !== KIND_SPACE) start--;
    // A token that starts NAME_TOKEN or more before its first mark is too long to be a name.
    const tooLong = start === at - NAME_TOKEN && start > floor && kindOf(lex.charCodeAt(start - 1)) !== KIND_SPACE;
    let i: number;
    let slashes = 0;
    let joined = false;
    const c = lex.charCodeAt(start);
    let marked = kindOf(c) === KIND_OPENS || c === 47 || (c === 45 && lex.charCodeAt(start + 1) === 45);
    for (i = start; i < n && i - start <= NAME_TOKEN; i++) {
      const d = lex.charCodeAt(i);
      const k = kindOf(d);
      if (k === KIND_PLAIN || k === KIND_BACKTICK) continue;
      if (k === KIND_SPACE) break;
      if (k === KIND_SLASH) slashes++;
      else if (k === KIND_JOIN && i > start && i + 1 < n && isBmpWordChar(lex.charCodeAt(i - 1)) && isBmpWordChar(lex.charCodeAt(i + 1))) {
        // '-' joins a slashed name's words ("feature/optimize-cache"), not a name of its own
        // ("trade-offs"); ':' only a URL's scheme ("https://"); '.' an extension, a host's or a
        // version's part of at most five characters ("analyze.py", "api.acme.com", "2.3.0"), not a
        // sentence typed with no space after its full stop ("it crashes.explain why").
        if (d === 45) joined = true;
        else if (d === 58) marked ||= lex.startsWith('//', i + 1);
        else if (d === DOT) marked ||= wordRunWithin(lex, i + 1, 5);
        else marked = true;
      }
    }
    // Past NAME_TOKEN: read as written, and the search goes on after it.
    while (i < n && kindOf(lex.charCodeAt(i)) !== KIND_SPACE) i++;
    marks.lastIndex = i;
    if (tooLong || i - start > NAME_TOKEN) continue;
    if (slashes >= 2 || (slashes === 1 && joined)) marked = true;
    if (marked && holdsHardWord(lex, start, i)) found.push([start, i]);
  }
  return found;
}

/** Whether the run of word characters at from is at most max long. */
function wordRunWithin(lex: string, from: number, max: number): boolean {
  let k = from;
  while (k < lex.length && k - from <= max && isBmpWordChar(lex.charCodeAt(k))) k++;
  return k - from <= max;
}

/** Whether lex[from, to) holds a word (a run of BMP word characters) of HARD_WORDS, hashed as it is read (no string made). */
function holdsHardWord(lex: string, from: number, to: number): boolean {
  let w = from;
  let h = HASH_SEED;
  for (let k = from; k <= to; k++) {
    const c = k < to ? lex.charCodeAt(k) : 32;
    if (isBmpWordChar(c)) {
      h = hashStep(h, c);
      continue;
    }
    if (k - w >= 4 && HARD_WORDS.getRange(lex, w, k, h) !== undefined) return true;
    w = k + 1;
    h = HASH_SEED;
  }
  return false;
}

/** The quote that closes a title opened by c ('…', "…", “…”, ‘…’, «…», 《…》, 「…」, 『…』), or -1. */
function titleClose(c: number): number {
  if (c < 0xab) return c === 0x27 || c === 0x22 ? c : -1;
  switch (c) {
    case 0xab:
      return 0xbb;
    case 0x201c:
      return 0x201d;
    case 0x2018:
      return 0x2019;
    case 0x300a:
    case 0x300c:
    case 0x300e:
      return c + 1;
    default:
      return -1;
  }
}
/** A quote that may open a title (titleClose's) or a mention (those and „, German). */
const OPENING_QUOTE = /['"\u201c\u2018\u00ab\u300a\u300c\u300e\u201e]/g;
/** A capital and three lower-case letters: where a capitalised word of four or more letters may start. */
const CAPITALISED = /[A-Z][a-z]{3}/g;
/** A title's characters at most (a longer quote is a passage, given.ts's). */
const TITLE_CHARS = 80;
/** A capitalised hard word after one of these, or before one of those, is a name (lexicon.ts). */
const WORK_BEFORE = wordSet(WORKS_BEFORE);
const WORK_AFTER = wordSet(WORKS_AFTER);

/**
 * [start, end) of each title in written (the ask as written; lex, its lexical form, has its
 * positions) that holds a hard word: a quoted span of one line and at most TITLE_CHARS written in
 * title case ("'The Design of Everyday Things'"), a span in Chinese or Japanese title quotes
 * (《设计数据密集型应用》, whatever it holds), and a capitalised hard word beside a noun of a work,
 * team or event or a verb of reading ("the film Proof", "the Optimize conference"). A hard word
 * written in capitals at a sentence's start is an ask ("Optimize Postgres queries"). Exported for
 * tests.
 */
export function titles(lex: string, written: string, scan?: LexiconScan): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  const n = written.length;
  const quotes = OPENING_QUOTE;
  quotes.lastIndex = 0;
  // From quote to quote (a regex finds them; the text between is not read unless it is a title).
  while (quotes.test(written)) {
    const i = quotes.lastIndex - 1;
    const c = written.charCodeAt(i);
    const close = titleClose(c);
    // („ opens a mention, not a title.)
    if (close < 0) continue;
    const cjk = c >= 0x300a;
    // A straight quote opens only after a space, a line's start or a bracket, before a letter ("I'll" is no quote).
    // (Every index read is in the text: an index past it gives NaN, and isBmpWordChar called with
    // one once slowed every caller of it, the lexicon scan's included, ~10 % on the conversations.)
    if (!cjk && ((i > 0 && isBmpWordChar(written.charCodeAt(i - 1))) || i + 1 >= n || !isBmpWordChar(written.charCodeAt(i + 1)))) continue;
    const j = written.indexOf(String.fromCharCode(close), i + 1);
    if (j < 0 || j - i > TITLE_CHARS) continue;
    const line = written.indexOf('\n', i + 1);
    if ((line >= 0 && line < j) || (!cjk && j + 1 < n && isBmpWordChar(written.charCodeAt(j + 1)))) continue;
    if (cjk ? j > i + 1 : isTitleCase(written, i + 1, j) && holdsHardWord(lex, i + 1, j)) {
      found.push([i, j + 1]);
      quotes.lastIndex = j + 1;
    }
  }
  // A capitalised hard word beside a work's noun, outside the quotes found (where the scan found such a noun, if given).
  if (scan !== undefined && !WORK_NOUNS.test(scan)) return found.sort((a, b) => a[0] - b[0]);
  const capitals = CAPITALISED;
  capitals.lastIndex = 0;
  while (capitals.test(written)) {
    const i = capitals.lastIndex - 4;
    if (i > 0 && isBmpWordChar(written.charCodeAt(i - 1))) continue;
    let end = i + 4;
    while (end < n && isBmpWordChar(written.charCodeAt(end))) end++;
    capitals.lastIndex = end;
    if (HARD_WORDS.hasRange(lex, i, end) && besideWork(lex, i, end) && !found.some(([a, b]) => i >= a && i < b)) found.push([i, end]);
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** The longest ask (its lexical form) whose declines and mentions are read (withPlainNames). */
export const SHORT_ASK = 400;

/** Characters of a quoted mention at most ("'optimize'", «доказать», 「最適化」). */
const MENTION_CHARS = 24;

/**
 * [start, end) of each hard word in lex mentioned rather than used (exported for tests): a quoted
 * word ("is 'debug' a verb?", « optimiser », „beweisen“, a few Chinese or Japanese
 * characters in quotes: “设计”, 「最適化」, whatever they hold), and, where scan (lex's lexicon
 * scan) is given, a word after a frame that mentions one (MENTION_FRAMES: "synonyms for
 * optimize", "past tense of prove").
 */
export function mentions(lex: string, scan?: LexiconScan): Array<readonly [number, number]> {
  const found: Array<readonly [number, number]> = [];
  const n = lex.length;
  const quotes = OPENING_QUOTE;
  quotes.lastIndex = 0;
  while (quotes.test(lex)) {
    const i = quotes.lastIndex - 1;
    const c = lex.charCodeAt(i);
    const close = c === 0x201e ? 0x201c : titleClose(c);
    if (close < 0) continue;
    const straight = c === 0x27 || c === 0x22;
    // A straight quote opens only after a space, a line's start or a bracket ("what's" is no quote).
    if (straight && i > 0 && isBmpWordChar(lex.charCodeAt(i - 1))) continue;
    const j = lex.indexOf(String.fromCharCode(close), i + 1);
    if (j < 0 || j - i > MENTION_CHARS || (straight && j + 1 < n && isBmpWordChar(lex.charCodeAt(j + 1)))) continue;
    // Quotes hold the word (only « » the spaces French puts inside them).
    if (c !== 0xab && (lex.charCodeAt(i + 1) === 32 || lex.charCodeAt(j - 1) === 32)) continue;
    // One word, nothing else: a quoted phrase is a concept asked about ("explain 'eventual
    // consistency'"), whose words count.
    let words = 0;
    let cjk = 0;
    let other = false;
    for (let k = i + 1; k < j; ) {
      const d = lex.charCodeAt(k);
      if (d === 32 || d === 45) {
        k++;
        continue;
      }
      if (d >= 0x3040 && d <= 0x9fff) {
        cjk++;
        k++;
        continue;
      }
      if (!isBmpWordChar(d)) {
        other = true;
        break;
      }
      words++;
      while (k < j && isBmpWordChar(lex.charCodeAt(k))) k++;
    }
    if (other || (cjk === 0 && words !== 1) || (cjk > 0 && (words > 0 || cjk > 6))) continue;
    if (cjk > 0 || holdsHardWord(lex, i + 1, j)) {
      found.push([i, j + 1]);
      quotes.lastIndex = j + 1;
    }
  }
  // A word after a frame that mentions it (MENTION_FRAMES, found by the lexicon scan): one space, maybe a quote, then the word.
  const frames = scan !== undefined && MENTION_FRAMES.test(scan) ? MENTION_FRAMES.places(scan) : [];
  for (let k = 0; k < frames.length; k += 3) {
    let at = frames[k]! + frames[k + 2]!;
    if (lex.charCodeAt(at) !== 32) continue;
    at++;
    const q = lex.charCodeAt(at);
    if (q === 0x27 || q === 0x22 || q === 0x201c || q === 0xab || q === 0x2018) at++;
    let end = at;
    while (end < n && isBmpWordChar(lex.charCodeAt(end))) end++;
    if (end - at >= 4 && HARD_WORDS.hasRange(lex, at, end) && !found.some(([a, b]) => at >= a && at < b)) found.push([at, end]);
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** Words that may stand between a declining frame and the hard word it declines ("no need for a full design"). */
const DECLINE_FILLER = wordSet(['a', 'an', 'the', 'any', 'full', 'rigorous', 'formal', 'long', 'detailed', 'high', 'level', 'real', 'lengthy', 'complex', 'deep', 'big', 'un', 'una', 'eine', 'einen', 'une', 'de', 'la', 'lo', 'el']);
/** Words after "don't" that ask for more, not less ("don't just explain it: find out why"). */
const DECLINE_MORE = wordSet(['just', 'only', 'simply', 'merely']);
/** Chinese and Japanese hard words a declining frame may stand before (不用解释, 不用证明). */
const CJK_DECLINED = new Set(['解释', '证明', '推导', '设计', '分析', '优化', '説明', '証明', '設計', '解釋', '證明']);

/**
 * The working of an answer, which a frame may decline to ask for the answer alone ("no
 * derivation", "don't prove it, just tell me", "pas besoin de démonstration", "不用解释").
 */
const WORKING = wordSet(['explain', 'explanation', 'explanations', 'prove', 'proof', 'proofs', 'derive', 'derivation', 'derivations', 'démonstration', 'demonstration', 'rigorous', 'justification', 'justify']);
const CJK_WORKING = new Set(['解释', '证明', '推导', '説明', '証明', '解釋', '證明']);

/**
 * The hard words a frame declines (declined) in an ask of at most SHORT_ASK characters, none in a
 * longer one: found once, for both withPlainNames and declinesWorking.
 */
export function shortAskDeclines(lex: string, scan: LexiconScan): Array<readonly [number, number]> {
  return lex.length <= SHORT_ASK ? declined(lex, scan) : [];
}

/**
 * Whether one of the declined words (shortAskDeclines) is the working of the answer (WORKING): the
 * ask wants the answer alone, as "briefly" or "just the answer" says (BREVITY). Exported for
 * scoreTurn and tests.
 */
export function declinesWorking(lex: string, declines: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [from, to] of declines) if (lex.charCodeAt(from) >= 0x3040 ? CJK_WORKING.has(lex.slice(from, to)) : WORKING.hasRange(lex, from, to)) return true;
  return false;
}

/**
 * [start, end) of each hard word in lex that a frame declines (DECLINE_FRAMES, found by the lexicon
 * scan; exported for tests): "no need to explain", "without any design", "not a full design",
 * "I don't need a design", "skip the explanation", "不用解释". Up to two filler words may stand
 * between ("a full", "any"); a word after "don't just" is asked for, not declined.
 */
export function declined(lex: string, scan: LexiconScan): Array<readonly [number, number]> {
  if (!DECLINE_FRAMES.test(scan)) return [];
  const found: Array<readonly [number, number]> = [];
  const frames = DECLINE_FRAMES.places(scan);
  const n = lex.length;
  for (let k = 0; k < frames.length; k += 3) {
    let at = frames[k]! + frames[k + 2]!;
    const c = lex.charCodeAt(at);
    if (c >= 0x3040 && c <= 0x9fff) {
      // A Chinese or Japanese frame: the word follows with no space.
      if (CJK_DECLINED.has(lex.slice(at, at + 2))) found.push([at, at + 2]);
      continue;
    }
    // A space after the frame, or none after an elided one ("pas d'explication").
    if (c !== 32 && lex.charCodeAt(at - 1) !== 0x27) continue;
    for (let word = 0; word < 3; word++) {
      while (at < n && lex.charCodeAt(at) === 32) at++;
      let end = at;
      while (end < n && isBmpWordChar(lex.charCodeAt(end))) end++;
      if (end === at) break;
      const hard = HARD_WORDS.hasRange(lex, at, end);
      if (hard && !found.some(([a, b]) => at >= a && at < b)) found.push([at, end]);
      // A filler word that is hard too ("full", "rigorous") is declined with what follows it.
      if (DECLINE_MORE.hasRange(lex, at, end) || !DECLINE_FILLER.hasRange(lex, at, end)) break;
      at = end;
      // "high-level": a hyphen joins filler words.
      if (lex.charCodeAt(at) === 45) at++;
    }
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** Whether written[from, to) is in title case: its first word and most of its words of four or more letters start with a capital. */
function isTitleCase(written: string, from: number, to: number): boolean {
  let long = 0;
  let capital = 0;
  let first = true;
  for (let k = from; k < to; ) {
    if (!isBmpWordChar(written.charCodeAt(k))) {
      k++;
      continue;
    }
    const start = k;
    while (k < to && isBmpWordChar(written.charCodeAt(k))) k++;
    const up = isUpper(written.charCodeAt(start));
    if (first && !up) return false;
    first = false;
    if (k - start >= 4) {
      long++;
      if (up) capital++;
    }
  }
  return long > 0 && capital * 2 > long;
}

/** Whether the word that ends one space before `at` is one of set's ("solutions" before "architect"). */
function wordBeforeIn(set: WordMap<true>, lex: string, at: number): boolean {
  if (at < 2 || lex.charCodeAt(at - 1) !== 32) return false;
  let s = at - 1;
  while (s > 0 && isBmpWordChar(lex.charCodeAt(s - 1))) s--;
  return s < at - 1 && set.hasRange(lex, s, at - 1);
}

/** Whether the word lex[from, to) stands right after a word of WORK_BEFORE or before one of WORK_AFTER (one space between). */
function besideWork(lex: string, from: number, to: number): boolean {
  if (wordBeforeIn(WORK_BEFORE, lex, from)) return true;
  if (to + 1 < lex.length && lex.charCodeAt(to) === 32) {
    let e = to + 1;
    while (e < lex.length && isBmpWordChar(lex.charCodeAt(e))) e++;
    if (e > to + 1 && WORK_AFTER.hasRange(lex, to + 1, e)) return true;
  }
  return false;
}

/**
 * The lexical form lex with each name read as its plain words, or lex itself where it has none.
 * scan is lex's lexicon scan; written is the ask as written (lex is its lexical form), for the
 * capitals of an SQL command: read only where the two have one length (they nearly always do;
 * where lower-casing or astral characters changed it, SQL commands are read as words). declines
 * are the ask's declined words (shortAskDeclines), found here unless the caller found them.
 */
export function withPlainNames(lex: string, scan: LexiconScan, written: string, declines = shortAskDeclines(lex, scan)): string {
  const named = COMMAND_NAMES.test(scan);
  const sql = SQL_COMMAND_WORDS.test(scan) && written.length === lex.length;
  // [position, length, plain] of each name, in text order.
  const edits: Array<readonly [number, number, string]> = [];
  for (const [from, to] of hardNames(lex)) edits.push([from, to - from, 'name']);
  // Declines and mentions are short asks' ("no need to explain, just …", "past tense of 'prove'?"):
  // read in asks of at most SHORT_ASK characters. In the seeded 2 KB mixtures, "without" before a
  // hard word made one in eight rewrite their ask and read it again (~+25 us each, in turn).
  if (lex.length <= SHORT_ASK) {
    for (const [from, to] of declines) if (!edits.some(([a, len]) => from < a + len && a < to)) edits.push([from, to - from, 'that']);
    for (const [from, to] of mentions(lex, scan)) if (!edits.some(([a, len]) => from < a + len && a < to)) edits.push([from, to - from, 'name']);
  }
  // Titles, where the ask as written lines up with its lexical form (it nearly always does).
  if (written.length === lex.length) {
    for (const [from, to] of titles(lex, written, scan)) if (!edits.some(([a, len]) => from < a + len && a < to)) edits.push([from, to - from, 'name']);
  }
  // A hard word after a word that makes it a name ("solutions architect", "interior design", "memory limit").
  const after = NAMED_AFTER_WORDS.test(scan) ? NAMED_AFTER_WORDS.places(scan) : [];
  for (let k = 0; k < after.length; k += 3) {
    const at = after[k]!;
    const length = after[k + 2]!;
    const name = AFTER.get(lex.slice(at, at + length));
    if (name !== undefined && wordBeforeIn(name.before, lex, at) && !edits.some(([from, len]) => at < from + len && from < at + length)) edits.push([at, length, name.plain]);
  }
  if (!named && !sql && edits.length === 0) return lex;
  const names = named ? COMMAND_NAMES.places(scan) : [];
  for (let k = 0; k < names.length; k += 3) {
    const at = names[k]!;
    const length = names[k + 2]!;
    // At one place, the first term's (places() orders them so); a place inside an edit is not another name.
    if (edits.some(([from, len]) => at < from + len && from < at + length)) continue;
    const plain = PLAIN.get(lex.slice(at, at + length));
    if (plain !== undefined) edits.push([at, length, plain]);
  }
  if (sql) {
    const words = SQL_COMMAND_WORDS.places(scan);
    // Read once, where a word in capitals asks (most asks with these words write them in lower case).
    let database: boolean | undefined;
    let capitals: boolean | undefined;
    for (let k = 0; k < words.length; k += 3) {
      const at = words[k]!;
      const length = words[k + 2]!;
      // Most are written in lower case: one character says so, with nothing made.
      if (!isUpper(written.charCodeAt(at))) continue;
      if (edits.some(([from, len]) => at < from + len && from < at + length)) continue;
      const word = written.slice(at, at + length);
      if (word !== word.toUpperCase() || (capitals ??= !NOT_ALL_CAPITALS.test(written))) continue;
      const command = CAPITAL_WORD_AFTER.test(written.slice(at + length, at + length + 24)) || capitalWordBefore(written, at);
      if (command || (database ??= DATABASE_NAMED.test(lex))) edits.push([at, length, 'sql']);
    }
  }
  edits.sort((a, b) => a[0] - b[0]);
  if (edits.length === 0) return lex;
  let out = '';
  let from = 0;
  for (const [at, length, plain] of edits) {
    out += lex.slice(from, at) + plain;
    from = at + length;
  }
  return out + lex.slice(from);
}
