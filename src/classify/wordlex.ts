import { BMP_SPACED_WORD_CLASS, isAnywhereUnit, isBmpWordChar, isSpacedWordChar } from './text.js';
import { HASH_SEED, WordMap, hashStep, sameRange } from './wordset.js';

/**
 * Lexicons matched by word lookup instead of one regex scan each.
 *
 * A lexicon is a list of terms written as small regexes ("optimi[sz]e", "race conditions?") that
 * match on whole words: not preceded and not followed by a letter, number or combining mark of a
 * spaced script (isSpacedWordChar: a Chinese, Japanese, Korean or Thai unit against a word ends
 * it, as in "plan을" and "用Python写"). Run as regexes, each lexicon scanned the whole ask with a
 * lookbehind at every position (1-14 us per lexicon over 1.2 KB; twenty of them made a 2 KB ask
 * cost 60-120 us). Here a term with a finite language is
 * expanded once, at load, into its literal strings, and each literal is filed under its first
 * word. A request's text is cut into words once (readLexicons), each word is looked up once in
 * the one index of all lexicons, and a lexicon's answer is then a read of the hits it got.
 *
 * The answers are the regex's, exactly: `test` is whether the regex matches, `count` the number
 * of distinct strings a global regex scan returns (leftmost match first, earlier terms first at
 * the same place, as a backtracking regex picks). Terms the expander cannot make finite (".{0,40}",
 * "\p{L}+", anchors) stay in a small regex of their own, which the lexicon runs when its words
 * found nothing. Chinese, Japanese, Thai, Lao, Khmer and Burmese terms match anywhere (no spaces
 * between words in those scripts) and are found with indexOf, only where the text may hold their
 * first character (LexiconScan's filter).
 */

/** The most literals one term may expand into (the largest now is 180). */
const MAX_EXPANSION = 4096;

/**
 * The literal strings a regex term matches, in the order a backtracking regex tries them, or null
 * if the term uses syntax whose language is not a small finite set (., \p, \d, *, +, {n,m},
 * anchors, lookarounds). Understood: literals, escaped punctuation, (?:a|b), [abc] and [a-c], and
 * a greedy ? after any of them.
 */
export function expandTerm(term: string): string[] | null {
  let pos = 0;
  const fail = Symbol('fail');
  function alternation(): string[] {
    const out: string[] = [];
    for (;;) {
      out.push(...sequence());
      if (out.length > MAX_EXPANSION) throw fail;
      if (term[pos] !== '|') return out;
      pos++;
    }
  }
  function sequence(): string[] {
    let acc = [''];
    while (pos < term.length && term[pos] !== '|' && term[pos] !== ')') {
      let atom: string[];
      const c = term[pos]!;
      if (c === '(') {
        if (!term.startsWith('(?:', pos)) throw fail;
        pos += 3;
        atom = alternation();
        if (term[pos] !== ')') throw fail;
        pos++;
      } else if (c === '[') {
        const close = term.indexOf(']', pos + 1);
        const body = term.slice(pos + 1, close);
        if (close < 0 || body.length === 0 || body[0] === '^' || body.includes('\\') || body.includes('[')) throw fail;
        atom = [];
        for (let i = 0; i < body.length; i++) {
          if (body[i + 1] === '-' && i + 2 < body.length) {
            for (let code = body.charCodeAt(i); code <= body.charCodeAt(i + 2); code++) atom.push(String.fromCharCode(code));
            i += 2;
          } else atom.push(body[i]!);
        }
        pos = close + 1;
      } else if (c === '\\') {
        const next = term[pos + 1];
        if (next === undefined || /[\p{L}\p{N}]/u.test(next)) throw fail; // \d, \p{..}, \b, \u....
        atom = [next];
        pos += 2;
      } else if ('.*+?{}^$]'.includes(c)) {
        throw fail;
      } else {
        // One UTF-16 unit: the terms are all in the BMP.
        if (c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff) throw fail;
        atom = [c];
        pos++;
      }
      if (term[pos] === '?') {
        pos++;
        if (term[pos] === '?') throw fail; // lazy: a different order
        atom = [...atom, ''];
      } else if (term[pos] === '*' || term[pos] === '+' || term[pos] === '{') throw fail;
      const next: string[] = [];
      for (const a of acc) for (const b of atom) next.push(a + b);
      if (next.length > MAX_EXPANSION) throw fail;
      acc = next;
    }
    return acc;
  }
  try {
    const all = alternation();
    if (pos !== term.length) return null;
    // Keep each literal's first place: that is the try the regex makes first.
    const unique = [...new Set(all)];
    return unique.includes('') ? null : unique;
  } catch (e) {
    if (e === fail) return null;
    throw e;
  }
}

/**
 * The regex form of a lexicon: whole words for spaced terms, anywhere for CJK ones. The boundary
 * class is BMP-only (lexical forms have no astral characters), ASCII tried first; no 'i' flag
 * (lexical forms are lower case, and Unicode case-insensitive matching is several times slower).
 */
const WORD_CHAR = `[a-z0-9]|[${BMP_SPACED_WORD_CLASS}]`;
function lexiconRegex(spaced: readonly string[], cjk: readonly string[], flags: string): RegExp {
  const parts: string[] = [];
  if (spaced.length) parts.push(`(?<!${WORD_CHAR})(?:${spaced.join('|')})(?!${WORD_CHAR})`);
  if (cjk.length) parts.push(`(?:${cjk.join('|')})`);
  return new RegExp(parts.join('|'), flags);
}

const isWordAt = (text: string, i: number) => i >= 0 && i < text.length && isSpacedWordChar(text.charCodeAt(i));

interface Literal {
  lexicon: number;
  text: string;
  /** Try order within its lexicon (term order, then expansion order). */
  order: number;
  /** The literal is one whole word: a word equal to it is a match with no further check. */
  wholeWord: boolean;
  /** Its last UTF-16 unit: compared before the whole literal (most candidates fail on it). */
  last: number;
  /** Place among the literals of the same first word, in the order they were added. */
  seq: number;
}

/**
 * The literals that start with one word. Where there are many ("does" starts 494, "how" 380, "what" 127),
 * the rest of each after that word is also kept as a trie of UTF-16 units: the text after the
 * word is walked along it once, so a place costs the length of its longest match and not a try of
 * every literal. (Looked up by the next word instead, a "how" still tried ~40 literals: 1.2 KB of
 * "LGTM? error ok how many" cost ~85-95 us to scan here, with the trie ~19-21.)
 */
interface FirstWordEntry {
  /** Every literal, in the order added. */
  all: Literal[];
  /** The first word's length (every literal of the entry starts with it). */
  firstLength: number;
  /** From BY_TRIE_FROM literals on: the trie of their rests, built at the first scan that meets the word (null until then, and after a literal is added). */
  trie: TrieNode | null;
}

/** A node of a first word's trie: the literals whose rest ends here (in the order added), and the next units. */
interface TrieNode {
  ends: Literal[];
  units: number[];
  kids: TrieNode[];
}

/** From this many literals on, a first word's literals are walked as a trie (a few are cheaper to try in turn). */
const BY_TRIE_FROM = 16;

/** Literals by their first word: one map for every lexicon, so a request looks each word up once. */
const BY_FIRST_WORD = new WordMap<FirstWordEntry>();

function addLiteral(first: string, lexicon: number, text: string, order: number): void {
  let entry = BY_FIRST_WORD.get(first);
  if (entry === undefined) BY_FIRST_WORD.set(first, (entry = { all: [], firstLength: first.length, trie: null }));
  const wholeWord = first.length === text.length;
  entry.all.push({ lexicon, text, order, wholeWord, last: text.charCodeAt(text.length - 1), seq: entry.all.length });
  entry.trie = null;
}

/** The trie of an entry's literals' rests after the first word (seq order kept at each node). */
function buildTrie(entry: FirstWordEntry): TrieNode {
  const root: TrieNode = { ends: [], units: [], kids: [] };
  for (const lit of entry.all) {
    let node = root;
    for (let k = entry.firstLength; k < lit.text.length; k++) {
      const c = lit.text.charCodeAt(k);
      let at = node.units.indexOf(c);
      if (at < 0) {
        at = node.units.push(c) - 1;
        node.kids.push({ ends: [], units: [], kids: [] });
      }
      node = node.kids[at]!;
    }
    node.ends.push(lit);
  }
  return root;
}

/** The literals a trie walk matched at one place (reused: a scan runs to its end before the next). */
const MATCHED: Literal[] = [];

let lexiconCount = 0;

/** Characters with a meaning of their own in a term's regex source. */
const REGEX_SYNTAX = new Set('\\()[]{}?*+|.^$');

/**
 * Where a term's regex source splits into alternatives at its own top level (escapes, classes
 * and groups skipped), and where its group opening at 0 closes: one pass, either answer.
 */
function topLevel(term: string, closeOf0: boolean): number[] {
  const cuts: number[] = [];
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < term.length; i++) {
    const ch = term[i]!;
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      if (--depth === 0 && closeOf0) return [i];
    } else if (ch === '|' && depth === 0 && !closeOf0) cuts.push(i);
  }
  return cuts;
}

/**
 * Literals one of which every match of a term starts with (exported for tests); none where the
 * term gives none. A term's characters up to its first regex syntax, less the last one where a
 * quantifier that allows none follows it ("pr #?\\d+" gives "pr "); a leading ^ is passed over
 * (a text that starts with the literal holds it); a leading non-capturing group that must match
 * gives one literal per alternative ("(?:after|since) ..."); alternatives at the top level each
 * give theirs. The lexicons' regexes are case-sensitive (u only), so a text that holds none of
 * the literals cannot match.
 */
export function residualNeeds(term: string): string[] {
  const cuts = topLevel(term, false);
  if (cuts.length > 0) {
    const alternatives: string[][] = [];
    let from = 0;
    for (const cut of [...cuts, term.length]) {
      alternatives.push(residualNeeds(term.slice(from, cut)));
      from = cut + 1;
    }
    return alternatives.some((a) => a.length === 0) ? [] : alternatives.flat();
  }
  const t = term.startsWith('^') ? term.slice(1) : term;
  if (t.startsWith('(?:')) {
    const close = topLevel(t, true)[0];
    if (close === undefined) return [];
    const after = t[close + 1];
    return after === '?' || after === '*' || after === '{' ? [] : residualNeeds(t.slice(3, close));
  }
  let end = 0;
  while (end < t.length && !REGEX_SYNTAX.has(t[end]!)) end++;
  const next = t[end];
  if (next === '?' || next === '*' || next === '{') end--;
  return end > 0 ? [t.slice(0, end)] : [];
}

/** A text cut into words, and the lexicon hits its words found. */
export class LexiconScan {
  /** Per lexicon id: flat [position, order, length] triples, in text order; undefined if none. */
  readonly hits: (number[] | undefined)[];
  /** Per lexicon id: its places (WordLexicon.places), once found (count and the stuffing check both read them). */
  readonly places: (readonly number[] | undefined)[] = [];
  /**
   * Units in the text of the scripts whose terms match anywhere (isAnywhereUnit: from U+2E80 on,
   * Thai, Lao, Myanmar, Khmer), as a 4,096-bit filter (unit mod 4096), then the pairs of such
   * units side by side, as 4,096 more (pairBit); null if none. Such a term whose first unit's bit
   * or first pair's bit is clear is not in the text, and is not searched for. Searching for every
   * term cost ~20 us on 600 Chinese characters here; with the units alone, 2 KB of Thai, Lao,
   * Khmer and Burmese (whose few letters set most of their units' bits) read 18.5 us a call at the
   * median, with the pairs 16.9 (benchmarks/README.md, session 64).
   */
  private readonly cjkUnits: Uint32Array | null;

  constructor(readonly text: string) {
    const hits: (number[] | undefined)[] = new Array(lexiconCount);
    let cjkUnits: Uint32Array | null = null;
    // Where the last such unit was: a pair is two side by side (a unit the loop reads twice, the
    // one a word ends at, makes no pair with itself).
    let lastAt = -2;
    const n = text.length;
    let i = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (isAnywhereUnit(c)) {
        noteAnywhere((cjkUnits ??= new Uint32Array(256)), text, i, c, lastAt);
        lastAt = i;
      }
      if (!isSpacedWordChar(c)) {
        i++;
        continue;
      }
      const start = i;
      let h = hashStep(HASH_SEED, c);
      for (i++; i < n; i++) {
        c = text.charCodeAt(i);
        if (isAnywhereUnit(c)) {
          noteAnywhere((cjkUnits ??= new Uint32Array(256)), text, i, c, lastAt);
          lastAt = i;
        }
        if (!isSpacedWordChar(c)) break;
        h = hashStep(h, c);
      }
      const entry = BY_FIRST_WORD.getRange(text, start, i, h);
      if (entry === undefined) continue;
      if (entry.all.length < BY_TRIE_FROM) {
        // The common case, written out (this is the hottest loop of a classification).
        for (const lit of entry.all) {
          if (!lit.wholeWord) {
            const end = start + lit.text.length;
            if (end > n || text.charCodeAt(end - 1) !== lit.last || !text.startsWith(lit.text, start) || isWordAt(text, end)) continue;
          }
          (hits[lit.lexicon] ??= []).push(start, lit.order, lit.text.length);
        }
        continue;
      }
      // The text after the word, walked along the trie of the literals' rests: whole-word literals
      // end at its root; another matches where its rest ends at a word boundary.
      let node = (entry.trie ??= buildTrie(entry));
      let m = 0;
      for (const lit of node.ends) MATCHED[m++] = lit;
      for (let k = i; k < n; ) {
        const at = node.units.indexOf(text.charCodeAt(k));
        if (at < 0) break;
        node = node.kids[at]!;
        k++;
        if (node.ends.length > 0 && !isWordAt(text, k)) for (const lit of node.ends) MATCHED[m++] = lit;
      }
      // Hits at one place go in the order the literals were added (term order within a lexicon).
      for (let x = 1; x < m; x++) {
        const lit = MATCHED[x]!;
        let y = x - 1;
        for (; y >= 0 && MATCHED[y]!.seq > lit.seq; y--) MATCHED[y + 1] = MATCHED[y]!;
        MATCHED[y + 1] = lit;
      }
      for (let x = 0; x < m; x++) {
        const lit = MATCHED[x]!;
        (hits[lit.lexicon] ??= []).push(start, lit.order, lit.text.length);
      }
    }
    this.hits = hits;
    this.cjkUnits = cjkUnits;
  }

  /** Does the text have a unit of a script whose terms match anywhere (where every such term starts)? */
  get hasCjk(): boolean {
    return this.cjkUnits !== null;
  }

  /**
   * Could the text hold a term that starts with the unit c (isAnywhereUnit) and, where pair is
   * not -1, the pair pairBit gave for its first two units? False means it does not.
   */
  mayStart(c: number, pair: number): boolean {
    const bits = this.cjkUnits;
    return bits !== null && (bits[(c >> 5) & 127]! & (1 << (c & 31))) !== 0 && (pair < 0 || (bits[128 + (pair >> 5)]! & (1 << (pair & 31))) !== 0);
  }
}

/** A pair of units' bit in LexiconScan's pair filter (0-4095): the top 12 bits of both, multiplied by a large odd constant. */
const pairBit = (a: number, b: number): number => Math.imul((b << 16) | a, 0x9e3779b1) >>> 20;

/** Sets the filter bits of the unit c at i (isAnywhereUnit): its own, and its pair's with the unit before it where that one is such a unit too (at lastAt). */
function noteAnywhere(bits: Uint32Array, text: string, i: number, c: number, lastAt: number): void {
  bits[(c >> 5) & 127]! |= 1 << (c & 31);
  if (lastAt === i - 1) {
    const p = pairBit(text.charCodeAt(i - 1), c);
    bits[128 + (p >> 5)]! |= 1 << (p & 31);
  }
}

/** Cut a lexical form (see text.ts lexicalForm) into words and look every lexicon up in it. */
export function readLexicons(lexicalText: string): LexiconScan {
  return new LexiconScan(lexicalText);
}

export class WordLexicon {
  private readonly id: number;
  /** Literals that start with a character that is not a letter or number ("∫"): found by indexOf. */
  private readonly symbolLiterals: { text: string; order: number }[] = [];
  /** Chinese, Japanese, Korean, Thai, Lao, Khmer and Burmese literals: found anywhere, by indexOf. */
  private readonly cjkLiterals: { text: string; order: number; first: number; pair: number }[] = [];
  /** The words of every spaced literal (see vocabulary()). */
  private readonly vocabulary: string[] = [];
  /** The terms the expander could not make finite, as a regex of their own (null if none). */
  private readonly residual: RegExp | null;
  /**
   * A literal each residual term's match starts with (residualNeeds), deduplicated: a text that
   * holds none of them cannot match the residual regex, and is not run through it (a plain
   * substring search, where the regex's boundary classes cost ~1-2 us over 1,200 characters).
   * Null where some term has no such literal.
   */
  private readonly residualNeeds: readonly string[] | null;
  /** The whole lexicon as one regex, for texts not read with readLexicons (short ones). */
  readonly regex: RegExp;
  /** The same, global (replace, matchAll). */
  readonly regexAll: RegExp;

  constructor(
    readonly spaced: readonly string[],
    readonly cjk: readonly string[] = [],
  ) {
    this.id = lexiconCount++;
    this.regex = lexiconRegex(spaced, cjk, 'u');
    this.regexAll = lexiconRegex(spaced, cjk, 'gu');
    const rest: string[] = [];
    let order = 0;
    for (const term of spaced) {
      const literals = expandTerm(term);
      if (literals === null) {
        rest.push(term);
        // A residual term sits among the others in the regex: counting (which needs the regex's
        // order across all terms) falls back to the regex for this lexicon.
        order++;
        continue;
      }
      for (const text of literals) {
        const o = order++;
        if (!isSpacedWordChar(text.charCodeAt(0))) {
          this.symbolLiterals.push({ text, order: o });
          continue;
        }
        let end = 1;
        while (end < text.length && isSpacedWordChar(text.charCodeAt(end))) end++;
        addLiteral(text.slice(0, end), this.id, text, o);
        this.vocabulary.push(...words(text));
      }
    }
    for (const term of cjk) {
      const literals = expandTerm(term);
      if (literals === null) throw new Error(`lexicon: CJK term ${term} must be a finite pattern`);
      for (const text of literals) {
        const first = text.charCodeAt(0);
        // The scan's filter holds only the units of these scripts.
        if (!isAnywhereUnit(first)) throw new Error(`lexicon: CJK term ${term} must start with a Chinese, Japanese, Korean, Thai, Lao, Myanmar or Khmer unit`);
        // Its first pair, where both units are ones the scan's filter notes (else -1: not checked).
        const second = text.length > 1 ? text.charCodeAt(1) : -1;
        this.cjkLiterals.push({ text, order: order++, first, pair: second >= 0 && isAnywhereUnit(second) ? pairBit(first, second) : -1 });
      }
    }
    this.residual = rest.length ? lexiconRegex(rest, [], 'u') : null;
    const needs = rest.map(residualNeeds);
    this.residualNeeds = rest.length && needs.every((n) => n.length > 0) ? [...new Set(needs.flat())] : null;
  }

  /** Whether the residual regex matches somewhere in the text (false without one). */
  private residualMatches(text: string): boolean {
    if (this.residual === null) return false;
    const needs = this.residualNeeds;
    if (needs !== null && !needs.some((n) => text.includes(n))) return false;
    return this.residual.test(text);
  }

  /**
   * Every word (run of letters and numbers) a match of a spaced term can contain; a word of a
   * text not in it is never inside a spaced match. Throws if a term was not expanded.
   */
  words(): string[] {
    if (this.residual !== null) throw new Error('lexicon: words() of a lexicon with unexpanded terms');
    return this.expandedWords();
  }

  /** The words of the expanded spaced terms alone (words() without the unexpanded terms' check): words the lexicon spells. */
  expandedWords(): string[] {
    return [...new Set(this.vocabulary)];
  }

  /**
   * Whole-word places of the literals that start with a symbol, as [position, order, length]
   * triples appended to found; stops at the first if first is set.
   */
  private symbolMatches(text: string, found: number[], first: boolean): void {
    for (const lit of this.symbolLiterals) {
      for (let at = text.indexOf(lit.text); at >= 0; at = text.indexOf(lit.text, at + 1)) {
        if (isWordAt(text, at - 1) || isWordAt(text, at + lit.text.length)) continue;
        found.push(at, lit.order, lit.text.length);
        if (first) return;
      }
    }
  }

  /** Does the lexicon match anywhere in the scanned text (regex.test)? */
  test(scan: LexiconScan): boolean {
    if (scan.hits[this.id] !== undefined) return true;
    const text = scan.text;
    if (this.symbolLiterals.length > 0) {
      const found: number[] = [];
      this.symbolMatches(text, found, true);
      if (found.length > 0) return true;
    }
    if (scan.hasCjk) {
      for (const lit of this.cjkLiterals) if (scan.mayStart(lit.first, lit.pair) && text.includes(lit.text)) return true;
    }
    return this.residualMatches(text);
  }

  /**
   * Distinct strings a global scan of the regex returns, stopping at cap: the leftmost match,
   * the earliest term at that place, then on from its end.
   */
  count(scan: LexiconScan, cap: number): number {
    // Where no unexpanded term matches anywhere, the regex's matches are the literals' (a number
    // word repeated 100 times cost ~20 us through the whole regex here).
    if (this.residualMatches(scan.text)) return countRegex(this.regexAll, scan.text, cap);
    return sweep(scan.text, this.literalPlaces(scan), cap);
  }

  /**
   * Every place a literal of the lexicon matches in the scanned text, as flat [position, order,
   * length] triples by place, then term order (what a global regex scan picks its matches from).
   * Throws for a lexicon with unexpanded terms (their places are the regex's).
   */
  places(scan: LexiconScan): readonly number[] {
    if (this.residual !== null) throw new Error('lexicon: places() of a lexicon with unexpanded terms');
    return this.literalPlaces(scan);
  }

  /** places() of the expanded terms alone. */
  private literalPlaces(scan: LexiconScan): readonly number[] {
    return (scan.places[this.id] ??= this.findLiteralPlaces(scan));
  }

  private findLiteralPlaces(scan: LexiconScan): readonly number[] {
    const text = scan.text;
    const hits = scan.hits[this.id] ?? [];
    // Word hits are in text order already (term order at one place): taken as they are, unless a
    // symbol or CJK literal is in the text too.
    const extra: number[] = [];
    this.symbolMatches(text, extra, false);
    if (scan.hasCjk) {
      for (const lit of this.cjkLiterals) {
        if (!scan.mayStart(lit.first, lit.pair)) continue;
        for (let at = text.indexOf(lit.text); at >= 0; at = text.indexOf(lit.text, at + 1)) extra.push(at, lit.order, lit.text.length);
      }
    }
    if (extra.length === 0) return hits;
    // Every candidate by place, then term order: the symbol and CJK places sorted (sorting offsets,
    // not copies of triples), then merged with the word hits, which are in that order already.
    const offsets: number[] = [];
    for (let k = 0; k < extra.length; k += 3) offsets.push(k);
    if (offsets.length > 1) offsets.sort((a, b) => extra[a]! - extra[b]! || extra[a + 1]! - extra[b + 1]!);
    const sorted: number[] = [];
    let h = 0;
    for (const k of offsets) {
      while (h < hits.length && (hits[h]! < extra[k]! || (hits[h] === extra[k] && hits[h + 1]! < extra[k + 1]!))) {
        sorted.push(hits[h]!, hits[h + 1]!, hits[h + 2]!);
        h += 3;
      }
      sorted.push(extra[k]!, extra[k + 1]!, extra[k + 2]!);
    }
    for (; h < hits.length; h += 3) sorted.push(hits[h]!, hits[h + 1]!, hits[h + 2]!);
    return sorted;
  }
}

/**
 * Whether one of places (WordLexicon.places) lies wholly inside [from, to) of its text: what
 * regex.test says of text.slice(from, to) when the characters either side of the range are not
 * letters or numbers (the lexicon's word boundaries then fall the same way). Binary search to the
 * first place at or after from.
 */
export function hasPlaceWithin(places: readonly number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = places.length / 3;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (places[mid * 3]! < from) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo * 3; k < places.length && places[k]! < to; k += 3) if (places[k]! + places[k + 2]! <= to) return true;
  return false;
}

/** The distinct matches' ranges (reused: one sweep runs to its end before the next; grown for a larger cap). */
let sweepStarts = new Int32Array(8);
let sweepLengths = new Int32Array(8);

/**
 * The distinct strings of the matches a global regex scan takes from candidates (flat
 * [position, order, length] triples in text order, term order at one place): the first candidate
 * at or after the end of the previous match wins.
 */
function sweep(text: string, found: readonly number[], cap: number): number {
  if (cap > sweepStarts.length) {
    sweepStarts = new Int32Array(cap);
    sweepLengths = new Int32Array(cap);
  }
  // The distinct matches so far as ranges of the text, compared in place (no string or Set entry per match).
  let distinct = 0;
  let end = 0;
  for (let k = 0; k < found.length; k += 3) {
    const at = found[k]!;
    if (at < end) continue; // inside the previous match, or a later term at the same place
    const length = found[k + 2]!;
    end = at + length;
    let seen = false;
    for (let j = 0; j < distinct && !seen; j++) seen = sweepLengths[j] === length && sameRange(text, sweepStarts[j]!, at, length);
    if (seen) continue;
    sweepStarts[distinct] = at;
    sweepLengths[distinct] = length;
    if (++distinct >= cap) break;
  }
  return distinct;
}

/** The runs of letters, numbers and marks in a text, any script (BMP: lexical forms have no astral characters). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    if (!isBmpWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isBmpWordChar(text.charCodeAt(i))) i++;
    out.push(text.slice(start, i));
  }
  return out;
}

/** A set of words that texts can be checked against without a string per word. */
export function wordSet(list: Iterable<string>): WordMap<true> {
  const set = new WordMap<true>();
  for (const word of list) set.set(word, true);
  return set;
}

/** Distinct matches of a global regex, up to cap (what count() does without the index). */
export function countRegex(re: RegExp, text: string, cap: number): number {
  re.lastIndex = 0;
  const seen = new Set<string>();
  for (let m = re.exec(text); m && seen.size < cap; m = re.exec(text)) seen.add(m[0].toLowerCase());
  re.lastIndex = 0;
  return seen.size;
}
