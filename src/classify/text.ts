/** Text helpers for the classifier: pure, Unicode-aware, linear in the input. */

import { HASH_SEED, RangeSet, hashStep } from './wordset.js';

export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

/**
 * The turn a request is classified by: the last user turn, else (an assistant prefill being
 * continued) the last message; -1 for no messages. The word model is trained on the same turn.
 */
export function currentTurnIndex(messages: readonly ChatMessageLike[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return i;
  return messages.length - 1;
}

/**
 * Text of a message whose content is a string or an array of OpenAI content parts: the parts'
 * texts, a line break between them (none before the first non-empty one).
 */
export function messageText(message: ChatMessageLike): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  return Array.isArray(c) ? joinFromStart(c, Infinity).text : '';
}

/**
 * The start and end of a text, `max` characters in all, `head` of them from its start: one flat
 * string (a join), not a concatenation of two slices, which every later pass reads through
 * (textShape over 600 characters of mixed text ~5.1 -> ~4.0 us here).
 */
export function ends(text: string, max: number, head: number): string {
  return text.length <= max ? text : [text.slice(0, head), text.slice(-(max - head))].join('\n');
}

/**
 * The text of a content part, or null if it has none (an image, anything else). vLLM reads a bare
 * string part as text, an assistant's refusal part as its `refusal`, and vLLM's and SGLang's
 * thinking parts as their `thinking`: templates render them all, so they are text here too (the
 * prompt's token bound counts what this returns).
 */
function partText(part: unknown): string | null {
  if (typeof part === 'string') return part;
  if (!part || typeof part !== 'object') return null;
  const p = part as { text?: unknown; refusal?: unknown; thinking?: unknown };
  let out: string | null = typeof p.text === 'string' ? p.text : null;
  if (typeof p.refusal === 'string') out = out === null ? p.refusal : `${out}\n${p.refusal}`;
  if (typeof p.thinking === 'string') out = out === null ? p.thinking : `${out}\n${p.thinking}`;
  return out;
}

/** Content part types that carry text; a part of any other type ("image_url", "input_image", "file", "input_audio" …) is an attachment. */
const TEXT_PART_TYPES: ReadonlySet<string> = new Set(['text', 'input_text', 'output_text', 'refusal', 'thinking']);

/**
 * Whether a turn attaches something the classifier cannot read (an image, a file, a recording):
 * a content part of a type that is not text, among the parts read from each end.
 */
export function hasAttachment(message: ChatMessageLike): boolean {
  const content = message.content;
  if (!Array.isArray(content)) return false;
  for (const part of partsRead(content)) {
    if (!part || typeof part !== 'object') continue;
    const type = (part as { type?: unknown }).type;
    if (typeof type === 'string' && !TEXT_PART_TYPES.has(type)) return true;
  }
  return false;
}

/**
 * Content parts read from each end of a turn: past twice as many, the middle ones are not read,
 * as the middle of a long text is not. Clients send a few parts a turn; a string made of
 * thousands of short ones cost ~40 ns a part here (16 KB of 10-character parts ~150 us).
 */
export const MAX_PARTS_EACH_END = 256;

/** The parts of a turn that are read: all of them, or the first and last MAX_PARTS_EACH_END. */
function partsRead(c: unknown[]): unknown[] {
  return c.length <= 2 * MAX_PARTS_EACH_END ? c : [...c.slice(0, MAX_PARTS_EACH_END), ...c.slice(-MAX_PARTS_EACH_END)];
}

/**
 * The text parts of `c` from the start, joined (a line break between them, none before the first
 * non-empty one), until the text is longer than `limit` or the parts end; and the index after the
 * last part read. Pieces are joined once (a string grown part by
 * part cost ~120 ns a part here).
 */
function joinFromStart(c: readonly unknown[], limit: number): { text: string; next: number } {
  const pieces: string[] = [];
  let length = -1; // the joined length: a break before every piece but the first
  let i = 0;
  for (; i < c.length && length <= limit; i++) {
    const t = partText(c[i]);
    if (t === null || (t === '' && pieces.length === 0)) continue;
    pieces.push(t);
    length += t.length + 1;
  }
  return { text: pieces.join('\n'), next: i };
}

/**
 * ends(messageText(message), max, head) for head < max, reading only the parts that reach into
 * those ends, of the parts read (partsRead): the classifier reads a turn's two ends, and joining
 * every part of a turn sent as 100,000 short parts took ~10 ms here. Exported for a property
 * test against that expression.
 */
export function messageEnds(message: ChatMessageLike, max: number, head: number): string {
  const content = message.content;
  if (typeof content === 'string') return ends(content, max, head);
  if (!Array.isArray(content)) return '';
  const c = partsRead(content);
  const { text: start, next } = joinFromStart(c, max);
  if (start.length <= max) return start;
  // Longer than max: its tail, from the end, of the parts after the head's last one, each after
  // a line break (the first non-empty part is in the head).
  const tailLength = max - head;
  const last: string[] = [];
  let tail = 0;
  for (let k = c.length - 1; k >= next && tail < tailLength; k--) {
    const t = partText(c[k]);
    if (t === null) continue;
    last.push(t);
    tail += t.length + 1;
  }
  let end = last.length > 0 ? `\n${last.reverse().join('\n')}` : '';
  // Too short: the head's own text supplies the rest (it holds more than max characters).
  if (end.length < tailLength) end = start + end;
  return `${start.slice(0, head)}\n${end.slice(-tailLength)}`;
}

/**
 * Marks of scripts the rules do not spell out, as the ones they do: the Arabic question mark,
 * comma and semicolon ("؟", "،", "؛"), the Urdu and Devanagari full stops ("۔", "।") and the Greek
 * question mark (U+037E, and ";" after a Greek letter, as Greek writes it), since the rules find a
 * closing question by "?" and a sentence's end by "."; and Devanagari's nukta, which many writers
 * leave out ("डिज़ाइन" and "डिजाइन", design), so the rules spell Hindi without it (the letters
 * Unicode also writes with a nukta in one character, U+0958-U+095F, are left as they are: NFC
 * writes them as letter and nukta). Each is searched for alone: the seven searches cost ~0.2 us
 * over 2 KB of mixed scripts here, and up to ~1.6 us where a UTF-16 text holds many "d"s (V8
 * finds a character above U+00FF by its low byte, and the full stop's, U+0964, is "d"); one regex
 * class ~1.3 us either way. A text of Latin-1 characters is skipped at once.
 */
const COMMON_MARK: Readonly<Record<string, string>> = { '؟': '?', '،': ',', '؛': ';', '।': '.', '۔': '.', '\u037e': '?', '\u093c': '' };
const OTHER_MARK_CHARS: readonly string[] = Object.keys(COMMON_MARK);
/** COMMON_MARK's keys as one class (a literal, so that the regex audit reads it). */
const OTHER_MARKS = /[؟،؛।۔\u037e\u093c]/g;
export function withCommonMarks(text: string): string {
  let t = text;
  for (const ch of OTHER_MARK_CHARS) {
    if (t.includes(ch)) {
      t = t.replace(OTHER_MARKS, (m) => COMMON_MARK[m]!);
      break;
    }
  }
  return withGreekQuestionMarks(t);
}

/**
 * withCommonMarks on a turn's two ends: all of a turn of up to 4 KB, else its first and last 2 KB,
 * where the rules read an ask's questions and sentences (a long turn's middle is pasted material,
 * whose marks only its sampled words see). Over a turn's 16 KB (messageEnds) the searches would
 * cost up to ~12 us where the text is UTF-16 (a curly quote puts it there: ~1.6 us measured over
 * 2 KB), and a flood of Greek question marks took ~150 us a classification at 1 MB.
 */
export function withCommonMarksAtEnds(text: string): string {
  if (text.length <= 2 * COMMON_MARKS_END) return withCommonMarks(text);
  const head = text.slice(0, COMMON_MARKS_END);
  const tail = text.slice(-COMMON_MARKS_END);
  const h = withCommonMarks(head);
  const t = withCommonMarks(tail);
  return h === head && t === tail ? text : h + text.slice(COMMON_MARKS_END, -COMMON_MARKS_END) + t;
}
/** How much of each end of a long turn withCommonMarksAtEnds reads. */
const COMMON_MARKS_END = 2048;

const isGreek = (c: number) => (c >= 0x370 && c <= 0x3ff) || (c >= 0x1f00 && c <= 0x1fff);

const GREEK_LETTER = /[\u0370-\u03ff\u1f00-\u1fff]/;
/** A Greek letter, then ";" (a space between them or none): Greek's question mark. */
const GREEK_QUESTION = /([\u0370-\u03ff\u1f00-\u1fff] ?);/g;

/**
 * Each ";" after a Greek letter (a space between them or none) as "?": Greek's question mark.
 * The regex runs only where it can match: a regex over the text read 2 KB of mixed scripts in
 * ~1.3 us here wherever a ";" was (code, "tl;dr"), where the first few ";" and their neighbours
 * are a few reads. Past eight with no Greek letter before them (code holds hundreds: going on to
 * each of 512 cost ~6 us), one search for a Greek letter settles it: V8 skips a text of Latin-1
 * characters at once.
 */
function withGreekQuestionMarks(t: string): string {
  for (let at = t.indexOf(';'), seen = 1; at >= 0; at = t.indexOf(';', at + 1), seen++) {
    if (seen > 8) return GREEK_LETTER.test(t) ? t.replace(GREEK_QUESTION, '$1?') : t;
    const before = at > 0 && t.charCodeAt(at - 1) === 32 ? at - 2 : at - 1;
    if (before >= 0 && isGreek(t.charCodeAt(before))) return t.replace(GREEK_QUESTION, '$1?');
  }
  return t;
}

/** messageText(message).slice(0, n) of the parts read (see messageEnds), reading only those that reach into it. */
export function messageHead(message: ChatMessageLike, n: number): string {
  const content = message.content;
  if (typeof content === 'string') return content.length <= n ? content : content.slice(0, n);
  if (!Array.isArray(content)) return '';
  const { text } = joinFromStart(partsRead(content), n);
  return text.length <= n ? text : text.slice(0, n);
}

// Han, Hiragana, Katakana, Hangul: scripts written without spaces, where one character carries
// roughly what a short word does in a spaced script. All in the BMP: one UTF-16 unit each.
const isCjk = (c: number) =>
  (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff);
/**
 * Thai, Lao, Myanmar (Burmese) and Khmer: written without spaces between words too (a space ends
 * a phrase or a sentence), in letters joined by combining marks. Their lexicon terms match
 * anywhere, as Chinese ones do (wordlex.ts), and their letters and marks count as
 * word-equivalents, UNSPACED_CHARS_PER_WORD to a word (textShape).
 */
export const isUnspaced = (c: number): boolean => (c >= 0x0e00 && c <= 0x0eff) || (c >= 0x1000 && c <= 0x109f) || (c >= 0x1780 && c <= 0x17ff);
/**
 * A unit of a script the word model was trained on no row of: Hebrew, Arabic (and Syriac,
 * Thaana, N'Ko), the Indic scripts from Devanagari to Sinhala (U+0590-0DFF), and the scripts
 * isUnspaced takes. Of its training rows (benchmarks/datasets/README.md) one holds Arabic and
 * none the others: their probe sets are held back or rules-only. Its reading of such a text is
 * hash collisions (classifier.ts, modelHasWords).
 */
export const isUntrainedScript = (c: number): boolean => (c >= 0x0590 && c <= 0x0dff) || isUnspaced(c);
/**
 * A unit of a script whose lexicon terms match anywhere, with no word boundary: from U+2E80 on
 * (Chinese, Japanese, Korean) and the scripts isUnspaced takes. One comparison for the text
 * below U+0E00 (ASCII, Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari, ...).
 */
export const isAnywhereUnit = (c: number): boolean => c >= 0x0e00 && (c >= 0x2e80 || isUnspaced(c));
/**
 * A unit of Chinese, Japanese or Korean (U+2E80-9FFF, Hangul jamo and syllables, CJK
 * compatibility ideographs, half-width kana and Hangul) or of a script isUnspaced takes: the
 * scripts that write another script's word against their own with no space (isSpacedWordChar).
 * Narrower than isAnywhereUnit, which takes every unit from U+2E80 on (full-width Latin, the
 * letter astralToBmp writes for an astral one).
 */
export const isJoinedScriptUnit = (c: number): boolean =>
  (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff66 && c <= 0xffdc) || isUnspaced(c);
/** Characters of Thai, Lao, Khmer and Burmese text to a word: ~3.6 (Thai) and ~5 (Khmer) in two asks of probe set 137 counted against their English. */
const UNSPACED_CHARS_PER_WORD = 4;
const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;
const LETTER = /^\p{L}$/u;
const MARK = /^\p{M}$/u;
/** A word character past the BMP: a letter, number or combining mark (\p{L}, \p{N}, \p{M}). */
const ASTRAL_WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;

/**
 * Letters (1), numbers (2) and combining marks (4) of the BMP (\p{L}, \p{N}, \p{M}), one byte
 * each (64 KB: one load per character, where a bit table cost a shift and a mask more in the two
 * hottest loops), built once at load (~65k regex tests, ~15 ms) so that textShape is one pass of
 * table lookups. The word regex with Unicode properties it replaces cost ~50 ns a character on
 * mixed scripts (111 us for 2 KB).
 *
 * A combining mark is part of the word it is written in: the vowel signs of Devanagari, Bengali,
 * Tamil and the other Indic scripts are marks ("अंतरिक्ष", space, is अ ं त र ि क ् ष). Read as a
 * word's end, they cut "अंतरिक्ष" after "अंतर" (difference), which then matched as a whole word, and
 * counted a seven-word Hindi question as fifteen words (benchmarks/README.md, session 65).
 * A word character that is also a unit of a joined script has JOINED (8) added (isSpacedWordChar).
 */
const JOINED = 8;
const BMP_WORD_CHARS = (() => {
  const t = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    if (LETTER_OR_NUMBER.test(ch)) t[c] = LETTER.test(ch) ? 1 : 2;
    else if (MARK.test(ch)) t[c] = 4;
    if (t[c]! > 0 && isJoinedScriptUnit(c)) t[c]! |= JOINED;
  }
  return t;
})();

/** Is the BMP code unit c a word character: a letter, number or combining mark (a table read; false past the text's end)? */
export const isBmpWordChar = (c: number): boolean => BMP_WORD_CHARS[c]! > 0;
/**
 * Is the BMP code unit c a word character of a spaced script: a letter, number or combining mark
 * that is not a unit of a joined script (isJoinedScriptUnit)? Where such a unit is written
 * against a Latin, Cyrillic or other spaced word, the word ends there: Korean and Japanese join
 * their particles to an English word ("plan을", "listを", "React에서") and Chinese writes one
 * between its characters ("用Python写"). The lexicons' spaced terms match on these boundaries
 * (wordlex.ts); before session 66 "migration plan을 짜 주세요" held no "plan".
 */
export const isSpacedWordChar = (c: number): boolean => {
  const v = BMP_WORD_CHARS[c]!;
  return v > 0 && v < JOINED;
};
/**
 * Is the BMP code unit c a letter or number, marks aside? The word model's words only: it was
 * trained on words cut at marks, and reads them so until it is retrained.
 */
export const isBmpLetterOrNumber = (c: number): boolean => (BMP_WORD_CHARS[c]! & 3) !== 0;
/** Is the BMP code unit c a combining mark (\p{M})? */
export const isBmpMark = (c: number): boolean => (BMP_WORD_CHARS[c]! & 7) === 4;
/** Is the BMP code unit c a letter (\p{L})? */
export const isBmpLetter = (c: number): boolean => (BMP_WORD_CHARS[c]! & 7) === 1;

/**
 * The same word characters (letters, numbers, combining marks) as a regex class body of BMP
 * ranges ("a-z..."). Lexicon word boundaries use it instead of [\p{L}\p{N}\p{M}]: V8 checks the
 * property class in a lookbehind several times slower, because a /u lookbehind must also try
 * astral pairs (measured: 41 vs 11 us for one lexicon over 1.2 KB of letters and marks). Texts
 * reach the lexicons through lexicalForm, which maps astral characters into the BMP, so the
 * boundaries stay exact.
 */
export const BMP_WORD_CLASS = bmpClassBody(isBmpWordChar);
/** The spaced scripts' word characters (isSpacedWordChar) as a class body: the lexicons' word boundaries. */
export const BMP_SPACED_WORD_CLASS = bmpClassBody(isSpacedWordChar);
/**
 * The BMP letters alone as a class body: the boundary of the filler and effort word lists, which
 * is \p{L} (a number beside them is a boundary). With \p{L} in a /u lookbehind the filler's
 * replace over a 160-character clause took 6.8-8.5 us here, with this 1.9-2.5 (the stuffing check
 * runs it on up to four clauses of an ask); exact on lexical forms, as the class above.
 */
const BMP_LETTER_CLASS = bmpClassBody(isBmpLetter);
/** One BMP letter, ASCII tried first: what \p{L} matches in a lexical form. */
export const BMP_LETTER = `[a-z]|[${BMP_LETTER_CLASS}]`;

/** The BMP code units a test accepts, as a regex class body of ranges (built once at load). */
function bmpClassBody(accepts: (c: number) => boolean): string {
  const hex = (c: number) => '\\u' + c.toString(16).padStart(4, '0');
  let out = '';
  let start = -1;
  for (let c = 0; c <= 0x10000; c++) {
    const on = c < 0x10000 && accepts(c);
    if (on && start < 0) start = c;
    else if (!on && start >= 0) {
      out += start === c - 1 ? hex(start) : `${hex(start)}-${hex(c - 1)}`;
      start = -1;
    }
  }
  return out;
}

const SURROGATE = /[\ud800-\udfff]/;
const ASTRAL = /[\ud800-\udbff][\udc00-\udfff]/g;
/** A BMP letter that no lexicon term contains (Cyrillic multiocular O). */
const ASTRAL_LETTER = '\ua66e';
/** A BMP symbol, neither letter, number nor space. */
const ASTRAL_OTHER = '\u25a1';

/**
 * Space within a line other than one plain space: a run of two or more, a tab, a no-break, narrow
 * no-break or ideographic space (the rarer ones, an em space, are left as they are). The lexicons'
 * terms and the rules' regexes are written with one plain space between words ("step by step",
 * "how do i"); two spaces between every word changed the tier of 13 % of the training asks before
 * the ask was read with one.
 */
const ODD_SPACE = /[\t\u00a0\u202f\u3000][ \t\u00a0\u202f\u3000]*| [ \t\u00a0\u202f\u3000]+/g;

/**
 * What the lexicons read: the text lower-cased, space within a line made one plain space
 * (ODD_SPACE), typographic apostrophes plain and markdown emphasis out (withPlainSpaces), each astral letter or number
 * replaced by one BMP letter and each other astral character by one BMP symbol, so that a BMP-only
 * boundary class decides exactly what [\p{L}\p{N}] would. Texts with none of these (nearly all)
 * are returned as they are after lower-casing.
 */
export function lexicalForm(text: string): string {
  return astralToBmp(withPlainSpaces(text.toLowerCase()));
}

/** A typographic apostrophe (what phones and word processors write for "don't"). */
const CURLY_APOSTROPHE = /\u2019/g;

/**
 * The text with ODD_SPACE made one plain space, each typographic apostrophe (U+2019) a plain one,
 * as the rules are written ("What’s 2+2?" is "What's 2+2?"), and without markdown emphasis and
 * heading marks (withoutEmphasis). A text with none of these is returned as it is.
 */
export function withPlainSpaces(text: string): string {
  const spaced = ODD_SPACE_HERE.test(text) ? text.replace(ODD_SPACE, ' ') : text;
  const plain = spaced.includes('\u2019') ? spaced.replace(CURLY_APOSTROPHE, "'") : spaced;
  return withoutEmphasis(plain);
}

/** ASCII characters withoutEmphasis stops at: emphasis marks, backticks and line breaks. */
const EMPHASIS_STOP = asciiTable('*_`\n\r');
/** ASCII letters and digits: a mark between two of them is inside a word. */
const WORD_ASCII = asciiTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
/** ASCII characters an emphasis run may follow where it opens (besides a space or a line's start). */
const OPENS_AFTER_ASCII = asciiTable('([{"\'');
/** ASCII characters an emphasis run may precede where it closes (besides a space or a line's end). */
const CLOSES_BEFORE_ASCII = asciiTable('.,;:!?)]}"\'');

function asciiTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** Whether an emphasis run may open after c: an opening bracket or quote (“ ‘ « past ASCII). */
function opensAfter(c: number): boolean {
  return c < 128 ? OPENS_AFTER_ASCII[c] === 1 : c === 0x201c || c === 0x2018 || c === 0xab;
}

/** Whether an emphasis run may close before c: a mark or a closing bracket or quote (” ’ » … and CJK marks past ASCII). */
function closesBefore(c: number): boolean {
  if (c < 128) return CLOSES_BEFORE_ASCII[c] === 1;
  return c === 0x201d || c === 0x2019 || c === 0xbb || c === 0x2026 || c === 0x3001 || c === 0x3002 || c === 0xff01 || c === 0xff0c || c === 0xff1a || c === 0xff1b || c === 0xff1f;
}

/**
 * Marks, backtick runs and headings withoutEmphasis looks at in one text: an ask's emphasis is a few words;
 * past them the text is read as written. A text of nothing but emphasis cost ~0.1 us a mark here
 * (90 us for 1,200 characters of "*a **b** c* " with no bound).
 */
const EMPHASIS_MARKS = 64;
/** Openers looked back through for a closer's match (nested emphasis is rarely deeper). */
const EMPHASIS_DEPTH = 4;
const EMPHASIS_STACK = new Float64Array(EMPHASIS_DEPTH);

/**
 * The text without markdown emphasis marks around words ("**Formally** verify", "_why_") and
 * without heading marks at a line's start ("## What is 2+2?"): the rules read words, and before
 * this "**Formally** verify that this binary search terminates" read simple, not deep (the first
 * word of 766 training asks in bold moved 52 of them, 13 down). A mark is removed only with its
 * pair on the same line: '*' runs of one to three and single '_' that open after a space or an
 * opening mark and before a character, and close after a character and before a space, a mark or
 * the line's end. So "2 * 3", "2**10", "f(*args, **kwargs)", "snake_case" and "__init__" are left
 * as written, as are fenced code lines and inline code. Texts with no '*', '_' or '#' are returned
 * at once (three indexOf); others in one pass of table lookups, up to EMPHASIS_MARKS marks (a
 * regex that jumped from mark to mark cost ~0.3 us a mark, 205 us for 1,200 characters of
 * "_ *b* "); the text itself where nothing is removed.
 */
export function withoutEmphasis(text: string): string {
  if (text.indexOf('*') < 0 && text.indexOf('_') < 0 && text.indexOf('#') < 0) return text;
  let cuts: number[] | null = null;
  let unordered = false;
  let budget = EMPHASIS_MARKS;
  // Openers of this line, oldest first: position * 8 + run length * 2 + (1 for '_').
  const stack = EMPHASIS_STACK;
  let top = 0;
  let fenced = false;
  const n = text.length;
  let i = 0;
  let lineStart = true;
  // Where the current line ends, found once a line (an inline code span closes on its own line).
  let lineEnd = 0;
  while (i < n) {
    if (lineStart) {
      lineStart = false;
      top = 0;
      lineEnd = lineEndAt(text, i);
      let j = i;
      while (j < n && j - i < 3 && text.charCodeAt(j) === 32) j++;
      const d = j < n ? text.charCodeAt(j) : 10;
      if ((d === 0x60 || d === 0x7e) && text.startsWith(d === 0x60 ? '```' : '~~~', j)) {
        // A code fence opens or closes: its lines are code, read as written.
        fenced = !fenced;
        i = lineEnd;
        continue;
      }
      if (fenced) {
        i = lineEnd;
        continue;
      }
      if (d === 0x23) {
        if (--budget < 0) break;
        let k = j;
        while (k < n && k - j < 6 && text.charCodeAt(k) === 0x23) k++;
        if (k < n && text.charCodeAt(k) === 32) (cuts ??= []).push(j, k + 1);
        i = k;
        continue;
      }
    }
    // To the next character that matters (most are none of these).
    let c = text.charCodeAt(i);
    while (c >= 128 || EMPHASIS_STOP[c] === 0) {
      if (++i >= n) break;
      c = text.charCodeAt(i);
    }
    if (i >= n) break;
    if (c === 10 || c === 13) {
      lineStart = true;
      i++;
      continue;
    }
    // Marks looked at, at most EMPHASIS_MARKS: what a text of nothing but marks may cost is bounded.
    if (--budget < 0) break;
    if (c === 0x60) {
      // Inline code: up to the same run of backticks on this line, read as written.
      let k = i;
      while (k < n && text.charCodeAt(k) === 0x60) k++;
      const close = text.indexOf(text.slice(i, k), k);
      i = close >= 0 && close < lineEnd ? close + (k - i) : k;
      continue;
    }
    const before = i > 0 ? text.charCodeAt(i - 1) : 10;
    if (before < 128 && WORD_ASCII[before] === 1 && i + 1 < n && text.charCodeAt(i + 1) < 128 && WORD_ASCII[text.charCodeAt(i + 1)] === 1) {
      // Inside a word ("snake_case", "2*3"): neither opens nor closes.
      i++;
      continue;
    }
    let k = i;
    while (k < n && text.charCodeAt(k) === c) k++;
    const len = k - i;
    const underscore = c === 0x5f ? 1 : 0;
    if (len > (underscore ? 1 : 3)) {
      i = k;
      continue;
    }
    const after = k < n ? text.charCodeAt(k) : 10;
    const spaceBefore = before === 10 || before === 13 || isJsSpace(before);
    const spaceAfter = after === 10 || after === 13 || isJsSpace(after);
    const key = len * 2 + underscore;
    if (!spaceBefore && (spaceAfter || closesBefore(after))) {
      let m = top - 1;
      while (m >= 0 && (stack[m]! & 7) !== key) m--;
      if (m >= 0) {
        const at = stack[m]! >> 3;
        cuts ??= [];
        // A pair inside one cut before (nested emphasis) puts the cuts out of order.
        if (cuts.length > 0 && at < cuts[cuts.length - 1]!) unordered = true;
        cuts.push(at, at + len, i, k);
        top = m;
        i = k;
        continue;
      }
    }
    if ((spaceBefore || opensAfter(before)) && !spaceAfter) {
      if (top === EMPHASIS_DEPTH) {
        stack.copyWithin(0, 1);
        top--;
      }
      stack[top++] = i * 8 + key;
    }
    i = k;
  }
  if (cuts === null) return text;
  // (A typed array sorts numbers without a comparator call per pair.)
  const ordered = unordered ? Int32Array.from(cuts).sort() : cuts;
  let out = '';
  let from = 0;
  for (let m = 0; m < ordered.length; m += 2) {
    out += text.slice(from, ordered[m]);
    from = ordered[m + 1]!;
  }
  return out + text.slice(from);
}

/** Where the line that i is on ends (the index of its line break, or the text's length). */
export function lineEndAt(text: string, i: number): number {
  return nextAt(text, '\n', i);
}

/** Whether a text has ODD_SPACE, searched for first: one scan (~0.3 us over 300 characters here). */
const ODD_SPACE_HERE = /[\t\u00a0\u202f\u3000]| {2}/;

/**
 * lexicalForm without the plain-space pass: for a lower-cased text whose spaces are plain already
 * (withPlainSpaces; no second pass over it) or that is read as written (a system prompt).
 */
export function astralToBmp(lower: string): string {
  if (!SURROGATE.test(lower)) return lower;
  return lower.replace(ASTRAL, (pair) => (ASTRAL_WORD_CHAR.test(pair) ? ASTRAL_LETTER : ASTRAL_OTHER));
}

/** Length in UTF-16 units of the word character (letter, number or combining mark) at i, or 0 if there is none. */
export function wordCharAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return isBmpWordChar(c) ? 1 : 0;
  // Astral (a surrogate pair): rare enough for the regex.
  const cp = text.codePointAt(i)!;
  return cp > 0xffff && ASTRAL_WORD_CHAR.test(String.fromCodePoint(cp)) ? 2 : 0;
}

export interface TextShape {
  /** Word-equivalents: spaced-script words plus CJK characters / 1.5 and Thai, Lao, Khmer and Burmese characters / 4. */
  words: number;
  /** Distinct lower-cased words (spaced scripts) and CJK characters, capped for bounded time. */
  distinct: number;
  chars: number;
  lines: number;
  /** Question marks, a run of them (with '!') one: "Why?!?" asks one question. */
  questionMarks: number;
  cjkChars: number;
}

const DISTINCT_CAP = 4000;

// What textShape needs to know of a UTF-16 unit, one byte each (one load per character, where
// separate tests for letters, CJK, joiners and case cost ~9 us over 1.2 KB).
const WORD = 1; // a BMP word character: a letter, number or combining mark
const CJK = 2; // isCjk
const JOINER = 4; // ' ’ _ - continue a word
const CASE = 8; // lower-casing could change it (ASCII capitals, anything past ASCII)
const HALF = 16; // half of an astral character: wordCharAt decides
const UNSPACED = 32; // isUnspaced: a letter, number or mark of Thai, Lao, Myanmar or Khmer
const SHAPE_CLASS = (() => {
  const t = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    let k = c >= 0xd800 && c <= 0xdfff ? HALF : isBmpWordChar(c) ? WORD : 0;
    if (isCjk(c)) k |= CJK;
    if (isUnspaced(c)) k |= UNSPACED;
    if (c === 39 || c === 0x2019 || c === 95 || c === 45) k |= JOINER;
    if (c > 127 || (c >= 65 && c <= 90)) k |= CASE;
    t[c] = k;
  }
  return t;
})();
const SHAPE_WORDS = new RangeSet(DISTINCT_CAP);

/**
 * Distinct BMP code units of one text, up to DISTINCT_CAP: a stamp per unit (256 KB, reused by
 * every call and reset by a generation number), where a Set<number> cost ~30 ns a CJK character
 * (19 us for 600 of them on this VM).
 */
class UnitSet {
  private readonly stamps = new Int32Array(0x10000);
  private generation = 0;
  size = 0;

  reset(): void {
    this.size = 0;
    if (++this.generation > 0x3fffffff) {
      this.generation = 1;
      this.stamps.fill(0);
    }
  }

  add(unit: number): void {
    if (this.size < DISTINCT_CAP && this.stamps[unit] !== this.generation) {
      this.stamps[unit] = this.generation;
      this.size++;
    }
  }
}
const CJK_SEEN = new UnitSet();

/**
 * Words are runs that start with a letter or number and go on through letters, numbers and
 * ' ’ _ - ; a run with a CJK character in it counts through its CJK characters instead. One pass.
 * `lowerCased`: the caller passes text that is lower case already (lower-casing it again changes
 * nothing), so every word is kept as a range: a text in Cyrillic or with accents made one string
 * per word before.
 */
export function textShape(text: string, lowerCased = false): TextShape {
  // Words as ranges of the text (no string per word). A word that lower-casing could change (an
  // ASCII capital, any character past ASCII) is lower-cased and kept apart as a string, as before.
  const caseMask = lowerCased ? 0 : CASE;
  const seen = SHAPE_WORDS;
  seen.reset(text);
  let changed: Set<string> | null = null;
  const cjkSeen = CJK_SEEN;
  cjkSeen.reset();
  let words = 0;
  let cjkChars = 0;
  let unspacedChars = 0;
  let lines = 1;
  let q = 0;
  // Where the last '?' or '!' ended: a run of marks is one question ("Newton's second law??", "Why?!?").
  let markEnd = -1;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    const kind = SHAPE_CLASS[ch]!;
    const w = kind & WORD ? 1 : kind & HALF ? wordCharAt(text, i) : 0;
    if (w === 0) {
      if (ch === 10) lines++;
      else if (ch === 63 /* ? */ || ch === 0xff1f /* ？ */) {
        if (markEnd !== i) q++;
        markEnd = i + 1;
      } else if (ch === 33 /* ! */ || ch === 0xff01 /* ！ */) markEnd = i + 1;
      else if (kind & CJK) {
        // A CJK mark or symbol (・, ゛): counted with the CJK characters, as a word regex did not.
        cjkChars++;
        cjkSeen.add(ch);
      } else if (kind & UNSPACED) {
        // A unit of those blocks that is no word character (Thai ฿, Khmer ។, Burmese ၊): counted
        // with their letters and marks, as every unit of the blocks is (their marks are WORD).
        unspacedChars++;
        cjkSeen.add(ch);
      }
      i++;
      continue;
    }
    const start = i;
    let cjkInWord = false;
    let mayChangeCase = false;
    let h = HASH_SEED;
    // c and k: the unit at i and its class, read once (the test for the next unit reads them).
    let c = ch;
    let k = kind;
    for (let len = w; len > 0; ) {
      if (k & caseMask) mayChangeCase = true;
      if (k & (CJK | UNSPACED)) {
        cjkInWord = true;
        if (k & CJK) cjkChars++;
        else unspacedChars++;
        cjkSeen.add(c);
      }
      h = hashStep(h, c);
      if (len === 2) h = hashStep(h, text.charCodeAt(i + 1));
      i += len;
      if (i >= n) break;
      c = text.charCodeAt(i);
      k = SHAPE_CLASS[c]!;
      len = k & (WORD | JOINER) ? 1 : k & HALF ? wordCharAt(text, i) : 0;
    }
    if (cjkInWord) continue;
    words++;
    if (!mayChangeCase) seen.add(start, i, h);
    else if ((changed ??= new Set()).size < DISTINCT_CAP) changed.add(text.slice(start, i).toLowerCase());
  }
  // A changed word that lower-cased to one of the others (an ASCII capital, the Kelvin sign) is
  // one word, not two.
  let distinct = seen.size;
  if (changed !== null) for (const word of changed) if (!seen.hasString(word)) distinct++;
  return {
    words: words + Math.round(cjkChars / 1.5) + Math.round(unspacedChars / UNSPACED_CHARS_PER_WORD),
    // Words first, then CJK characters (and Thai, Lao, Khmer and Burmese units), up to the cap.
    distinct: Math.min(DISTINCT_CAP, distinct + cjkSeen.size),
    chars: text.length,
    lines,
    questionMarks: q,
    cjkChars,
  };
}

export interface SplitText {
  /** What the user asks: prose outside code fences and outside long pasted material. */
  ask: string;
  /** Code blocks (fenced or indented) found in the message. */
  code: string;
  /** Other pasted material (long quoted text the ask applies to, and data). */
  material: string;
  /** The rows of tables pasted with the ask (tableRows) and its given items, one per line; part of material too. */
  data: string;
  /** The options a lead gives to choose among (givenItems' choices, inlineOptions), one per line; part of data. */
  options: string;
}

const ASK_WINDOW = 600; // characters of instruction kept from each end of a long paste

/**
 * text.indexOf('```', from), by single-backtick search: V8 sets up a multi-character search on
 * every call (~50 ns), which a message of many short fences paid a few hundred times.
 */
export function indexOfFence(text: string, from: number): number {
  for (let i = text.indexOf('`', from); i >= 0; i = text.indexOf('`', i + 1)) {
    if (text.charCodeAt(i + 1) === 96 && text.charCodeAt(i + 2) === 96) return i;
  }
  return -1;
}

/** Fenced blocks read one by one; no labelled query has more than one. */
const MAX_FENCE_BLOCKS = 16;

/**
 * Where the text after the last fence begins (the line after it), if that fence is past `open`
 * and bare (``` and nothing but white space on its line, as a closing fence is); else -1. A bare
 * fence could also open a block left unclosed: the rarer case, read as a closing one.
 */
function afterLastClosingFence(text: string, open: number): number {
  const last = text.lastIndexOf('```');
  if (last <= open) return -1;
  const end = lineEnd(text, last + 3);
  if (end >= text.length) return -1;
  for (let i = last + 3; i < end; i++) if (!isJsSpace(text.charCodeAt(i))) return -1;
  return end + 1;
}

/**
 * Fenced code out of a text: from a ``` that has a line break after it (the info string between)
 * to the next ``` or the end; each fence leaves a line break in the prose. One indexOf scan, no
 * regex backtracking (nested and unclosed fences cost one pass).
 */
function takeFences(text: string): { prose: string; code: string } {
  let prose = '';
  let code = '';
  let pos = 0;
  const n = text.length;
  for (let blocks = 0; ; blocks++) {
    const open = indexOfFence(text, pos);
    const bodyStart = open < 0 ? -1 : text.indexOf('\n', open + 3) + 1;
    if (bodyStart <= 0) return { prose: prose + text.slice(pos), code };
    // Past MAX_FENCE_BLOCKS blocks, the rest is code as it stands (each block cost a few string
    // pieces and searches: a 2 KB message of nothing but fences makes ~90 blocks), except what
    // follows a last fence that closes a block: a question after many pasted files is the ask.
    if (blocks === MAX_FENCE_BLOCKS) {
      const tail = afterLastClosingFence(text, open);
      if (tail < 0) return { prose: prose + text.slice(pos, open) + '\n', code: code + text.slice(open) };
      return { prose: prose + text.slice(pos, open) + '\n' + text.slice(tail), code: code + text.slice(open, tail) };
    }
    const close = indexOfFence(text, bodyStart);
    const bodyEnd = close < 0 ? n : close;
    prose += text.slice(pos, open) + '\n';
    code += text.slice(bodyStart, bodyEnd) + '\n';
    pos = close < 0 ? n : close + 3;
  }
}

/**
 * Where the line that starts at `start` ends: its line break, or the text's end. The first 16
 * characters are read one by one, then indexOf: a message of a thousand one-character lines paid
 * a native call per line, slower than the short loop.
 */
function lineEnd(text: string, start: number): number {
  const n = text.length;
  const near = Math.min(n, start + 16);
  for (let i = start; i < near; i++) if (text.charCodeAt(i) === 10) return i;
  const nl = near === n ? -1 : text.indexOf('\n', near);
  return nl < 0 ? n : nl;
}

/**
 * Separate the ask from the material it applies to. Instructions sit at the start or the end
 * of a long message ("Summarize this: ...", "... what does this do?"), so for a long prose
 * message only its first and last few hundred characters count as the ask.
 */
export function splitAsk(text: string, isInstruction: (paragraph: string) => boolean = () => true, itemsAreData: (ask: string) => boolean = () => true): SplitText {
  let code = '';
  let prose = text;
  let data = '';
  let options = '';
  if (text.includes('```')) ({ prose, code } = takeFences(text));
  // Indented or syntax-heavy lines outside fences are code too, and the rows of a pasted table
  // are data (tableRows).
  if (prose.length > 80) {
    // Items and options are data where what is left of the ask (its lead and the lines after them)
    // asks no work of its own on them (itemsAreData): "label each tweet as spam", not "classify
    // each bug by its root cause".
    let givenAt = givenItems(prose);
    if (givenAt !== null && !itemsAreData(askAround(prose, givenAt.starts))) givenAt = null;
    const given = givenAt === null ? null : givenAt.starts;
    const rows = mergedStarts(tableRows(prose), given);
    // Runs of prose lines are kept as slices (one per run, not one per line): a message with no
    // code line or table keeps its prose as it is.
    let kept = '';
    let keptAny = false;
    let runStart = 0;
    let row = 0;
    let item = 0;
    const n = prose.length;
    for (let start = 0; start <= n; ) {
      const end = lineEnd(prose, start);
      const isRow = rows !== null && row < rows.length && rows[row] === start;
      if (isRow) row++;
      const isItem = given !== null && item < given.length && given[item] === start;
      if (isItem) item++;
      // A code line is code, a row of a table among them too ("a = 1;" twice is no table).
      const isCode = codeLineAt(prose, start, end);
      if (isCode || isRow) {
        if (isCode) code += prose.slice(start, end) + '\n';
        else {
          data += prose.slice(start, end) + '\n';
          if (isItem && givenAt!.choices) options += prose.slice(start, end) + '\n';
        }
        if (start > runStart) {
          const run = prose.slice(runStart, start - 1);
          kept = keptAny ? kept + '\n' + run : run;
          keptAny = true;
        }
        runStart = end + 1;
      }
      start = end + 1;
    }
    if (runStart <= n) {
      const run = runStart === 0 ? prose : prose.slice(runStart);
      kept = keptAny ? kept + '\n' + run : run;
    }
    prose = kept;
    // Options written out in the ask's own line ("(a) 51 (b) 57 (c) 59 (d) 91") are data too.
    let inline = inlineOptions(prose);
    if (inline !== null && !itemsAreData(prose.slice(0, inline[0]))) inline = null;
    if (inline !== null) {
      data += prose.slice(inline[0], inline[1]) + '\n';
      options += prose.slice(inline[0], inline[1]) + '\n';
      prose = prose.slice(0, inline[0]) + prose.slice(inline[1]);
    }
  }
  if (prose.length <= ASK_WINDOW * 2 + 200) return { ask: prose.trim(), code, material: data, data, options };
  // A long message: the instruction is its first or last paragraph (or both); the rest is material.
  const breaks = paragraphBreaks(prose);
  // The paragraphs, counted up to three: which of them are the ask and which the material is read at the ends only.
  const count = breaks.count + 1;
  const first = (count > 1 ? prose.slice(0, breaks.firstStart) : prose).trim();
  const last = count > 1 ? prose.slice(breaks.lastEnd).trim() : '';
  const asks: string[] = [];
  let from = 0;
  let to = count;
  if (first.length <= ASK_WINDOW && isInstruction(first)) {
    asks.push(first);
    from = 1;
  } else if (first.length > ASK_WINDOW) {
    // No paragraph break: the instruction is the first sentence if it reads like one.
    const sentence = firstSentence(first);
    if (sentence && isInstruction(sentence)) asks.push(sentence);
  }
  if (last && last.length <= ASK_WINDOW && isInstruction(last)) {
    asks.push(last);
    to = count - 1;
  }
  // The paragraphs from..to-1 joined by one blank line each: a slice of the prose, its breaks
  // rewritten only where one is not a bare "\n\n".
  let material = '';
  if (from < to) {
    material = prose.slice(from === 0 ? 0 : breaks.firstEnd, to === count ? prose.length : breaks.lastStart);
    if (!breaks.allBare) material = material.replace(PARAGRAPH_BREAK_ALL, '\n\n');
  }
  return { ask: asks.join('\n').trim(), code, material: data === '' ? material : material === '' ? data : `${material}\n\n${data}`, data, options };
}

/** The text around a run of item lines (their starts, in order): the lead before them and the lines after them. */
function askAround(text: string, starts: readonly number[]): string {
  return text.slice(0, starts[0]!) + text.slice(lineEnd(text, starts[starts.length - 1]!));
}

/** Two sorted lists of line starts as one (either may be null). */
function mergedStarts(a: number[] | null, b: number[] | null): number[] | null {
  if (a === null || b === null) return a ?? b;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

/** Letters that mark an option: Latin a-h and A-H, Cyrillic а-е and А-Е, katakana ア イ ウ エ オ. */
function isOptionLetter(c: number): boolean {
  const l = c | 0x20;
  if (l >= 97 && l <= 104) return true;
  return (c >= 0x410 && c <= 0x415) || (c >= 0x430 && c <= 0x435) || c === 0x30a2 || c === 0x30a4 || c === 0x30a6 || c === 0x30a8 || c === 0x30aa;
}

/**
 * The mark the line [start, end) opens with, after its indent, with text after it: 0 none, else
 * where that text starts times 4 plus the mark's kind, 1 an item's ("1." "12)" "3、" "- " "* " "• "
 * "· " "[ ]" "[x]") or 2 an option's letter ("a)" "(b)" "C." "ア." "б)"). Read character by
 * character: most lines of prose open with two letters and are passed after two reads.
 */
function itemMarkAt(text: string, start: number, end: number): number {
  let k = start;
  while (k < end && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
  if (end - k < 3) return 0;
  const c = text.charCodeAt(k);
  let after: number;
  let kind = 1;
  if (isDigitCode(c)) {
    let j = k + 1;
    if (isDigitCode(text.charCodeAt(j))) j++;
    const m = text.charCodeAt(j);
    if (!(m === 46 || m === 41 || m === 0x3001 || m === 0xff0e)) return 0;
    after = j + 1;
  } else if (c === 45 || c === 42 || c === 0x2022 || c === 0xb7) {
    const d = text.charCodeAt(k + 1);
    if (!(d === 32 || d === 9)) return 0;
    after = k + 2;
  } else if (c === 91) {
    let j = k + 1;
    const d = text.charCodeAt(j);
    if (d === 32 || d === 120 || d === 88) j++;
    if (text.charCodeAt(j) !== 93) return 0;
    after = j + 1;
  } else if (c === 40) {
    if (!isOptionLetter(text.charCodeAt(k + 1)) || text.charCodeAt(k + 2) !== 41) return 0;
    after = k + 3;
    kind = 2;
  } else if (isOptionLetter(c)) {
    const m = text.charCodeAt(k + 1);
    if (!(m === 41 || m === 46 || m === 0xff0e || m === 0x3001)) return 0;
    after = k + 2;
    kind = 2;
  } else return 0;
  while (after < end && (text.charCodeAt(after) === 32 || text.charCodeAt(after) === 9)) after++;
  return after < end ? after * 4 + kind : 0;
}

/**
 * What an option's text must not open with: a task of its own ("a) find the derivative b) show
 * that …" are parts of one exercise, each asked, not choices).
 */
export const TASK_OPENING = /^[ \t]*(?:find|show|prove|compute|calculate|explain|derive|write|describe|determine|solve|give|state|justify|evaluate|design|implement|compare|sketch|draw|discuss|estimate|list|what|why|how|halla|demuestra|calcula|explica|montre|calcule|explique|zeige|berechne|erkläre|найди|докажи|вычисли|объясни)(?![\p{L}\p{N}])/iu;
/**
 * A lead that gives items to work through one by one: it opens with a verb that reads each item
 * into a label or a form (classify, label, extract, translate …), or asks for each of them ("for
 * each of these …", "map each to …"), in English and the languages the lexicons read most. Not a
 * verb that weighs items against each other (rank, sort, group, score): their order, groups and
 * scores are the work (probe set 181: "Sort these 8 tasks by priority for the on-call engineer
 * during an outage" read simple with its tasks as data).
 */
export const ITEMS_LEAD = /(?:^|[.:!?]\s+|\b(?:please|now|then|and|also|just)\s+)(?:classify|categori[sz]e|label|tag|extract|redact|mask|anonymi[sz]e|translate|normali[sz]e|dedupe|deduplicate|convert|correct|proofread|detect|identify|summari[sz]e|flag|turn (?:these|this|the following)|clasifica|etiqueta|extrae|traduce|classe[zr]?|étiquette|extrais|extrayez|tradui[sz]|ordne|klassifiziere|extrahiere|übersetze|markiere|классифицируй|извлеки|переведи|определи|разметь)(?![\p{L}\p{N}_])|\bfor each\b|\beach (?:of (?:these|the following|them)|to\b)|\bhere are (?:\d+|some|a few|several|the) (?:of them|[^.:\n]{0,40}?\b(?:answers|responses|comments|reviews|tickets|messages|emails|tweets|posts|titles|headlines|requests|sentences|entries|records|complaints|replies))\b|把(?:下面|以下|这些)|^(?:将|请将)?(?:下面|以下)(?:的|这些)|次の(?:問い合わせ|レビュー|文章|文|コメント)/u;
/**
 * A lead that asks to choose among options: "which of the following", "select all that apply",
 * "true or false", "pick the best answer" and their forms in other languages.
 */
export const CHOICE_LEAD = /which (?:of|one of) (?:the following|these)|\b(?:select|choose|pick|circle|tick)\b|true or false|multiple[- ]choice|\bcorrect (?:answer|option|statement|form|word)s?\b|\bstatements? (?:is|are) (?:true|false|correct)|cuál de (?:las|los) siguientes|(?:qual|quais) (?:destas|dessas|das seguintes)|lesquel(?:le)?s?\b|quelle est la bonne|welche (?:der folgenden|aussage)|下列|以下哪|哪(?:个|些)(?:是)?正确|次のうち|次の文のうち|正しいもの|какое (?:из|утверждение)|какой из|какие из/u;
/** Whether an option's text asks something of its own: a question, or a task (TASK_OPENING). */
function isOwnAsk(option: string): boolean {
  return option.includes('?') || option.includes('？') || TASK_OPENING.test(option);
}

/** Whether the line [start, end) is white space only. */
function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isJsSpace(text.charCodeAt(i))) return false;
  return true;
}

/** The longest lead givenItems reads: an exercise's stem, an instruction's sentences. */
const ITEMS_LEAD_MAX = 800;
/** The most lines a lead of givenItems has (a stem with a short unfenced snippet). */
const ITEMS_LEAD_LINES = 24;

/**
 * Where the lines of items a lead gives start, in text order, and whether they are options to
 * choose among, or null where there are none: two or more lines with a list or option mark
 * (itemMarkAt) side by side (blank lines between runs allowed), after a lead that asks to work through them one by one (ITEMS_LEAD: "Label each of
 * these tweets", "Classify each log line", "把下面的评论…分为") or to choose among them (CHOICE_LEAD,
 * or options lettered a, b, c … after a question or a colon). Such lines are what the ask reads,
 * not what it asks: their words named no failure to diagnose and their lines listed no
 * requirements (probe sets 177 and 179: "Label each of these 10 tweets as spam or not spam" read
 * complex as a 101-word ask of eleven requirements; log lines to tag read as a measured problem).
 * Lettered options are choices only where none holds a question or opens with a task ("a) find
 * the derivative"). Lines after the items (a closing ask) stay the ask. Read in a text of at most
 * TABLE_TEXT_MAX characters, on its first TABLE_LINES lines, where the first item opens within
 * ITEMS_LEAD_MAX characters and ITEMS_LEAD_LINES lines of its start.
 */
export function givenItems(text: string): { starts: number[]; choices: boolean } | null {
  const n = text.length;
  if (n > TABLE_TEXT_MAX || text.indexOf('\n') < 0) return null;
  const unmarked = unmarkedItems(text);
  if (unmarked !== null) return { starts: unmarked, choices: false };
  let items: number[] | null = null;
  let leadEnd = -1;
  let lettered = true;
  let lines = 0;
  for (let start = 0; start <= n && lines < TABLE_LINES; lines++) {
    // The first item opens within ITEMS_LEAD_MAX characters and ITEMS_LEAD_LINES lines: a lead is
    // read no further (a walk over 400 one-character lines cost ~7 us here).
    if (items === null && (start > ITEMS_LEAD_MAX || lines >= ITEMS_LEAD_LINES)) return null;
    const end = lineEnd(text, start);
    const mark = itemMarkAt(text, start, end);
    if (mark !== 0 && !codeLineAt(text, start, end)) {
      if (items === null) {
        if (start === 0) return null;
        leadEnd = start;
      }
      (items ??= []).push(start);
      // Options are lettered a-h: past eight lines they are no choices, and are not read.
      if (lettered && ((mark & 3) !== 2 || items.length > 8 || isOwnAsk(text.slice(mark >> 2, end)))) lettered = false;
    } else if (items !== null && !isBlank(text, start, end)) break;
    start = end + 1;
  }
  if (items === null || items.length < 2) return null;
  const lead = text.slice(0, leadEnd).trim().toLowerCase();
  if (lead === '') return null;
  if (CHOICE_LEAD.test(lead)) return { starts: items, choices: true };
  if (ITEMS_LEAD.test(lead)) return { starts: items, choices: false };
  const last = lead.charCodeAt(lead.length - 1);
  return lettered && (last === 63 || last === 58 || last === 0xff1f || last === 0xff1a) ? { starts: items, choices: true } : null;
}

/** Words of a lead that point at the lines after it as the items ("each log line", "these", "the following"). */
export const POINTS_AT_ITEMS = /\b(?:each|every|these|the following|below)\b|(?:下面|以下|これら|次の)/u;

/**
 * Lines with no mark after a first line that asks to work through them one by one and points at
 * them ("Classify each log line by severity and component:" over four log lines, probe set 179;
 * "Detect the language of each line:"): the first line ends with a colon, opens with a verb of
 * ITEMS_LEAD and says each, these or the following; every line after it (two or more, code lines
 * left out) starts an item. Null otherwise.
 */
function unmarkedItems(text: string): number[] | null {
  const first = lineEnd(text, 0);
  if (first > ITEMS_LEAD_MAX) return null;
  let j = first - 1;
  while (j >= 0 && isJsSpace(text.charCodeAt(j))) j--;
  const last = j < 0 ? 0 : text.charCodeAt(j);
  if (!(last === 58 || last === 0xff1a)) return null;
  const lead = text.slice(0, j + 1).toLowerCase();
  if (!ITEMS_LEAD.test(lead) || !POINTS_AT_ITEMS.test(lead)) return null;
  const items: number[] = [];
  let lines = 0;
  for (let start = first + 1; start <= text.length && lines < TABLE_LINES; lines++) {
    const end = lineEnd(text, start);
    let k = start;
    while (k < end && isJsSpace(text.charCodeAt(k))) k++;
    if (k < end && !codeLineAt(text, start, end)) items.push(start);
    start = end + 1;
  }
  return items.length >= 2 ? items : null;
}

/** The longest line of options inlineOptions takes. */
const INLINE_OPTIONS_MAX = 300;

/**
 * Options lettered in one line after a question ("(a) 51 (b) 57 (c) 59 (d) 91", "A. GET  B. FETCH
 * C. PATCH", "A) 9/64 B) 3/28 C) 3/8"): three or more marks a, b, c … in order and in one style
 * ("(a)", "a)" or "a."; upper or lower case), each after a space, a colon or a question mark and
 * before a space, running to the line's end (at most INLINE_OPTIONS_MAX characters), none with a
 * question or a task of its own, after a lead that ends with a question or a colon or asks to
 * choose (CHOICE_LEAD). Their [start, end) in the text, or null. One pass over the marks of each
 * line: a regex with lazy runs between back-referenced marks went back over the line for every
 * "a)" it tried.
 */
export function inlineOptions(text: string): readonly [number, number] | null {
  // A "b" mark is looked for only where the text has a ')' (one search, not two, in most texts).
  if (text.length > TABLE_TEXT_MAX || !((text.indexOf(')') >= 0 && (text.includes('b)') || text.includes('B)'))) || text.includes('B.'))) return null;
  for (let start = 0; start < text.length; ) {
    const end = lineEnd(text, start);
    const found = end - start >= 11 ? optionsIn(text, start, end) : null;
    if (found !== null) return found;
    start = end + 1;
  }
  return null;
}

/** inlineOptions in the line [start, end) of text. */
function optionsIn(text: string, start: number, end: number): readonly [number, number] | null {
  // The run of marks being followed: where its "a" mark starts, its style, the next letter it needs.
  let runAt = -1;
  let runStyle = 0;
  let next = 0;
  let marks: number[] = [];
  // Options run to the line's end within INLINE_OPTIONS_MAX characters: only its last ones are read.
  const from = Math.max(start, end - INLINE_OPTIONS_MAX);
  for (let i = from; i + 2 < end; i++) {
    const before = i === start ? 32 : text.charCodeAt(i - 1);
    if (!(isJsSpace(before) || before === 58 || before === 63 || before === 0xff1a || before === 0xff1f)) continue;
    const open = text.charCodeAt(i) === 40 ? 1 : 0;
    // (No read past the line: a NaN from charCodeAt slows every later read of the loop.)
    if (i + open + 2 >= end) break;
    const c = text.charCodeAt(i + open) | 0x20;
    if (c < 97 || c > 104) continue;
    const close = text.charCodeAt(i + open + 1);
    if (!(close === 41 || (close === 46 && open === 0))) continue;
    const after = text.charCodeAt(i + open + 2);
    if (!(after === 32 || after === 9)) continue;
    const style = open * 256 + close;
    if (c === 97) {
      if (runAt >= 0 && next > 99) break;
      runAt = i;
      runStyle = style;
      next = 98;
      marks = [i];
    } else if (runAt >= 0 && style === runStyle && c === next) {
      next++;
      marks.push(i);
    }
  }
  // Three marks at least (a, b, c).
  if (runAt < 0 || next <= 99) return null;
  for (let k = 0; k < marks.length; k++) {
    const at = marks[k]!;
    const textStart = at + (text.charCodeAt(at) === 40 ? 4 : 3);
    const option = text.slice(textStart, k + 1 < marks.length ? marks[k + 1]! : end);
    if (isOwnAsk(option)) return null;
  }
  const lead = text.slice(Math.max(0, runAt - ITEMS_LEAD_MAX), runAt).trim().toLowerCase();
  if (lead === '') return null;
  const last = lead.charCodeAt(lead.length - 1);
  if (!(last === 63 || last === 58 || last === 0xff1f || last === 0xff1a || CHOICE_LEAD.test(lead))) return null;
  return [runAt, end];
}

/** A line longer than this is no table row (tableRows). */
const TABLE_ROW_MAX = 300;
/** Lines tableRows reads a text's rows in: past them, the rest is read as written. */
const TABLE_LINES = 400;
/**
 * The longest text tableRows searches: past it, its rows are read as written. A long message's
 * middle is material already (splitAsk); the searches for each delimiter cost ~10 us over the 16 KB
 * a turn is read at, in a text of Chinese and Cyrillic with none (the 1 MB mixed-scripts row).
 */
const TABLE_TEXT_MAX = 4096;

/**
 * Where a table row starts, in text order, or null where the text has none: lines that are rows
 * of a table pasted with the ask (CSV, tab- or semicolon-separated rows, markdown table rows):
 * two or more side by side (no blank line between) with the same delimiter the same number of
 * times (tableRowShape), one of them holding a digit. Such rows are data the ask is about, not the
 * ask: their commas listed no items and their numbers no quantities of it (probe set 173: "which
 * month had the highest revenue?" under four rows "Jan,120" read moderate). Read in a text of at
 * most TABLE_TEXT_MAX characters, on its first TABLE_LINES lines.
 */
export function tableRows(text: string): number[] | null {
  const n = text.length;
  // A text of one line holds no table; one longer than TABLE_TEXT_MAX is not searched (bounded time).
  if (n > TABLE_TEXT_MAX || text.indexOf('\n') < 0) return null;
  // The next delimiter of each kind at or after a line's start (n: none): a line with none is no
  // row, found without reading it (most lines of prose).
  let comma = nextAt(text, ',', 0);
  let pipe = nextAt(text, '|', 0);
  let semicolon = nextAt(text, ';', 0);
  let tab = nextAt(text, '\t', 0);
  if (comma === n && pipe === n && semicolon === n && tab === n) return null;
  let rows: number[] | null = null;
  // The current run of lines of one shape: its shape, its lines' starts, whether one holds a digit.
  let runShape = 0;
  let runDigit = false;
  let runStarts: number[] | null = null;
  let lines = 0;
  for (let start = 0; start <= n && lines < TABLE_LINES; lines++) {
    const end = lineEnd(text, start);
    let shape = 0;
    if (end - start >= 3) {
      if (comma < start) comma = nextAt(text, ',', start);
      if (pipe < start) pipe = nextAt(text, '|', start);
      if (semicolon < start) semicolon = nextAt(text, ';', start);
      if (tab < start) tab = nextAt(text, '\t', start);
      if (comma < end || pipe < end || semicolon < end || tab < end) shape = tableRowShape(text, start, end);
    }
    if (shape !== runShape) {
      if (runStarts !== null) {
        if (runStarts.length >= 2 && runDigit) (rows ??= []).push(...runStarts);
        runStarts = null;
        runDigit = false;
      }
      runShape = shape;
    }
    if (shape !== 0) {
      (runStarts ??= []).push(start);
      if (!runDigit) for (let i = start; i < end; i++) if (isDigitCode(text.charCodeAt(i))) { runDigit = true; break; }
    }
    start = end + 1;
  }
  if (runStarts !== null && runStarts.length >= 2 && runDigit) (rows ??= []).push(...runStarts);
  return rows;
}

/** Where the next ch is in text at or after from; text.length if none. */
function nextAt(text: string, ch: string, from: number): number {
  const at = text.indexOf(ch, from);
  return at < 0 ? text.length : at;
}

/**
 * A line's shape as a table row: its delimiter and how many times it stands there (delimiter
 * code * 1,000 + count), or 0 where it is no row. A markdown row opens and closes with '|'; a
 * tab-, semicolon- or comma-separated one has the delimiter and no space after a comma (", " lists
 * items in prose: "pay 2.9, manager 4.1"). A line of TABLE_ROW_MAX characters or more is none.
 */
function tableRowShape(text: string, start: number, end: number): number {
  let a = start;
  let b = end;
  while (a < b && isJsSpace(text.charCodeAt(a))) a++;
  while (b > a && isJsSpace(text.charCodeAt(b - 1))) b--;
  if (b - a < 3 || b - a >= TABLE_ROW_MAX) return 0;
  let pipes = 0;
  let tabs = 0;
  let semicolons = 0;
  let commas = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c === 124) pipes++;
    else if (c === 9) tabs++;
    else if (c === 59) semicolons++;
    else if (c === 44) {
      if (i + 1 < b && text.charCodeAt(i + 1) === 32) return 0;
      commas++;
    }
  }
  if (text.charCodeAt(a) === 124 && text.charCodeAt(b - 1) === 124) return 124 * 1000 + pipes;
  if (tabs > 0) return 9 * 1000 + tabs;
  if (semicolons > 0) return 59 * 1000 + semicolons;
  return commas > 0 ? 44 * 1000 + commas : 0;
}

/** What splits paragraphs: a line break, any white space, a line break. */
export const PARAGRAPH_BREAK = /\n\s*\n/;
const PARAGRAPH_BREAK_ALL = /\n\s*\n/g;
/** A paragraph break that is more than "\n\n" (a break is white space from a line break to a line break). */
const WIDE_PARAGRAPH_BREAK = /\n\s+\n/;

/** The paragraph breaks of a text at its ends (paragraphBreaks). */
export interface ParagraphBreaks {
  /** How many: 0, 1, or 2 for two or more. */
  count: 0 | 1 | 2;
  /** The first break's [start, end) and the last one's (-1 where there is none). */
  firstStart: number;
  firstEnd: number;
  lastStart: number;
  lastEnd: number;
  /** Whether every break is "\n\n" and nothing else. */
  allBare: boolean;
}

const NO_BREAKS: ParagraphBreaks = { count: 0, firstStart: -1, firstEnd: -1, lastStart: -1, lastEnd: -1, allBare: true };

/** Line breaks passed walking back from the end before the last break is found by a scan instead. */
const BACK_WALK_BREAKS = 32;

/**
 * The first and last of the breaks \`text.split(PARAGRAPH_BREAK)\` splits at, without the split (a
 * string per paragraph): splitting a 2 KB message of 300 short paragraphs and joining all but its
 * ends took ~16 us here, half of splitAsk's time on it. A break runs from the first line break of a
 * run of white space to the run's last line break, where the run has two. The first is found by
 * the regex; the last by walking back from the end over the runs of white space that hold a line
 * break, up to BACK_WALK_BREAKS of them (one line after another, a walk would pass every line
 * break), else by the global regex from the first break on. Whether every break is bare is then
 * asked of the text between the first and the last only. Exported for a property test against
 * the split.
 */
export function paragraphBreaks(text: string): ParagraphBreaks {
  // A native search first: most messages have no line break, and the regex reads ~5x slower.
  const first = text.indexOf('\n') < 0 ? null : PARAGRAPH_BREAK.exec(text);
  if (first === null) return NO_BREAKS;
  const firstStart = first.index;
  const firstEnd = firstStart + first[0].length;
  let lastStart = -1;
  let lastEnd = -1;
  let steps = 0;
  for (let end = text.lastIndexOf('\n'); end >= firstStart && steps < BACK_WALK_BREAKS; steps++) {
    // end is the last line break of its run of white space: walk back to the run's first.
    let start = end;
    let i = end - 1;
    for (; i >= 0; i--) {
      const c = text.charCodeAt(i);
      if (c === 10) start = i;
      else if (!isJsSpace(c)) break;
    }
    if (start < end) {
      lastStart = start;
      lastEnd = end + 1;
      break;
    }
    end = i < 0 ? -1 : text.lastIndexOf('\n', i);
  }
  if (lastStart < 0) return breaksByRegex(text, firstStart, firstEnd);
  const allBare = firstEnd - firstStart === 2 && lastEnd - lastStart === 2 && (lastStart === firstStart || !WIDE_PARAGRAPH_BREAK.test(text.slice(firstEnd, lastStart)));
  return { count: lastStart === firstStart ? 1 : 2, firstStart, firstEnd, lastStart, lastEnd, allBare };
}

/** The breaks after the first by a global regex scan (many lines after the last break): a match object per break, none per line. */
function breaksByRegex(text: string, firstStart: number, firstEnd: number): ParagraphBreaks {
  let lastStart = firstStart;
  let lastEnd = firstEnd;
  let allBare = firstEnd - firstStart === 2;
  PARAGRAPH_BREAK_ALL.lastIndex = firstEnd;
  for (let m = PARAGRAPH_BREAK_ALL.exec(text); m !== null; m = PARAGRAPH_BREAK_ALL.exec(text)) {
    lastStart = m.index;
    lastEnd = m.index + m[0].length;
    if (lastEnd - lastStart !== 2) allBare = false;
  }
  PARAGRAPH_BREAK_ALL.lastIndex = 0;
  return { count: lastStart === firstStart ? 1 : 2, firstStart, firstEnd, lastStart, lastEnd, allBare };
}

/** What ends a first sentence (. ! ? : and their full-width forms), or stops the search (a line break). */
const SENTENCE_STOP = /[.!?:\u3002\uff1f\uff1a\n]/;

/**
 * The text's first sentence, through its closing mark, if it closes within 300 code points and
 * before any line break; else undefined. What /^[^.!?:。？：\n]{1,300}[.!?:。？：]/u matches,
 * without its backtracking over 300 characters when no mark comes (~6 us on 2 KB of mixed
 * scripts here): one search for the first mark or line break in the first 601 units (300 code
 * points take at most 600), then a count of code points only where more than 300 units precede
 * it. Exported for a property test against that regex.
 */
export function firstSentence(text: string): string | undefined {
  const head = text.length > 601 ? text.slice(0, 601) : text;
  const at = head.search(SENTENCE_STOP);
  if (at <= 0 || head.charCodeAt(at) === 10) return undefined;
  if (at > 300) {
    // Code points before the mark: a surrogate pair is one under /u, a lone surrogate one too.
    let points = 0;
    for (let i = 0; i < at; i++) {
      const c = head.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < at) {
        const d = head.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      if (++points > 300) return undefined;
    }
  }
  return text.slice(0, at + 1);
}

// A list item at a line start: "- x", "* x", "• x", "1. x", "2) x" (sticky: tried at line starts only).
const LIST_ITEM = /[^\S\n]*(?:[-*•]|\d+[.)])[^\S\n]+\S/uy;

/** Lines that are list items, without splitting the text into lines. */
export function listLines(text: string): number {
  let count = 0;
  for (let start = 0; start <= text.length; ) {
    // After any spaces, only a bullet or a digit can begin an item.
    let i = start;
    let c = text.charCodeAt(i);
    while (c !== 10 && isJsSpace(c)) c = text.charCodeAt(++i);
    if (c === 45 || c === 42 || c === 0x2022 || (c >= 48 && c <= 57)) {
      LIST_ITEM.lastIndex = start;
      if (LIST_ITEM.test(text)) count++;
    }
    const nl = lineEnd(text, start);
    if (nl >= text.length) break;
    start = nl + 1;
  }
  return count;
}

// The words CODE_LINE's third branch starts with (after any indent), then a word boundary.
const CODE_KEYWORD_LIST = ['def', 'class', 'import', 'from', 'function', 'const', 'let', 'var', 'return', 'if', 'for', 'while', 'public', 'private', 'func', 'fn', 'SELECT', 'INSERT', '#include', 'package'];
const CODE_KEYWORDS = String.raw`(?:${CODE_KEYWORD_LIST.join('|')})\b`;
export const CODE_LINE = new RegExp(String.raw`^(?:\s{4,}|\t)\S|[;{}]\s*$|^\s*${CODE_KEYWORDS}.*[(:{=;]`);

/** JavaScript's \s (WhiteSpace and LineTerminator), as a char-code test. */
/** Lines with something other than whitespace on them (what split + trim + filter counted). */
export function nonBlankLines(text: string): number {
  // Each line is read up to its first character that is not a space, then the next line is found
  // by indexOf: 2 KB of pasted code took ~10-14 us read a character at a time in a classification
  // here (the one-character-per-line and nested-fence rows).
  let lines = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      i++; // a blank line ends
    } else if (isJsSpace(c)) {
      i++;
    } else {
      lines++;
      const nl = text.indexOf('\n', i + 1);
      if (nl < 0) break;
      i = nl + 1;
    }
  }
  return lines;
}

export function isJsSpace(c: number): boolean {
  return c <= 32
    ? c === 32 || (c >= 9 && c <= 13)
    : c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

// First characters of those keywords, as a table of the ASCII range (all of them are ASCII).
const KEYWORD_START = new Uint8Array(128);
for (const k of CODE_KEYWORD_LIST) KEYWORD_START[k.charCodeAt(0)] = 1;

// CODE_LINE's keywords alone, tried where the indent ends: most lines that start with one of
// their first letters ("prove ...", "please ...") start with no keyword, and the whole regex scans
// the line for its second branch (~3 us for a 2 KB line here).
export const CODE_KEYWORD = new RegExp(CODE_KEYWORDS, 'y');

function keywordAt(text: string, at: number): boolean {
  CODE_KEYWORD.lastIndex = at;
  return CODE_KEYWORD.test(text);
}

export function looksLikeCodeLine(line: string): boolean {
  return codeLineAt(line, 0, line.length);
}

/** looksLikeCodeLine of text.slice(start, end), without the slice for most lines. */
function codeLineAt(text: string, start: number, end: number): boolean {
  if (end - start < 3) return false;
  // CODE_LINE's branches by character reads: an indent of four or more white space characters, or
  // one tab, before a non-space (1); a keyword after the indent (3: the regex decides, where the
  // first non-space character could start one); the last non-space character ; { } (2). A message
  // of many short indented lines ran the regex once a line (~340 runs for 2 KB of them).
  let k = start;
  while (k < end && isJsSpace(text.charCodeAt(k))) k++;
  if (k === end) return false;
  const indent = k - start;
  if (indent >= 4 || (indent === 1 && text.charCodeAt(start) === 9)) return true;
  const first = text.charCodeAt(k);
  if (first < 128 && KEYWORD_START[first] === 1 && keywordAt(text, k) && CODE_LINE.test(text.slice(start, end))) return true;
  let j = end - 1;
  while (j > k && isJsSpace(text.charCodeAt(j))) j--;
  const last = text.charCodeAt(j);
  return last === 59 /* ; */ || last === 123 /* { */ || last === 125 /* } */;
}

// Capitals that name a unit, a currency, a time of day or a business measure, not a system: "5 GB",
// "9 AM", "the NPV of a project" (probe set 69's NPV calculation was read as a measured problem in
// a named system; the quantities it gives still read it complex).
const NOT_A_NAME = new Set(['GB', 'MB', 'KB', 'TB', 'PB', 'GIB', 'MIB', 'KIB', 'TIB', 'GHZ', 'MHZ', 'KHZ', 'HZ', 'USD', 'EUR', 'GBP', 'JPY', 'CNY', 'RUB', 'CHF', 'AM', 'PM', 'UTC', 'GMT', 'OK', 'KM', 'KG', 'CM', 'MM', 'ML', 'FAQ', 'ASAP', 'FYI', 'TL', 'DR', 'NPV', 'IRR', 'ROI', 'APR', 'APY', 'CAGR', 'GDP']);
// Two characters without which no word is a name by isSystemName.
const NAME_HINT = /[A-Z]{2}|[a-z][A-Z]|[A-Za-z]\d|[A-Za-z0-9][_.][A-Za-z0-9]/;
export const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
export const isDigitCode = (c: number) => c >= 48 && c <= 57;
export const isAsciiAlnum = (c: number) => isUpper(c) || isLower(c) || isDigitCode(c);

// A run of Latin letters, digits, _ . and - (inner only): a word as it is written in code.
export const LATIN_TOKEN = /[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]/g;
// A number with a unit of time, size, rate or share: a measurement ("400 ms", "32 GB", "1%", "10x",
// and since session 66 a share written as a word: "100 percent", "100 prozent", "100 por ciento").
// Its boundaries are letters and numbers other than Chinese and Japanese ones: those scripts put
// no space around a number ("CPUが毎日昼に100%になります").
const MEASUREMENT = /(?<!(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])[\p{L}\p{N}])\d+(?:[.,]\d+)?\s?(?:%|percent|per cent|prozent|por ciento|pour cent|por cento|per cento|procent|процент(?:ов|а)?|pp|ms|µs|us|ns|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|gi?b|mi?b|ki?b|ti?b|x|k|rps|qps|tps|iops|секунд[а-я]*|минут[а-я]*|сек|мс|[гмкт]б|segundos?|minutos?|sekunden|minuten|secondes?|毫秒|秒|分|ミリ秒)(?!(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])[\p{L}\p{N}])/giu;

export interface TechnicalMarks {
  /** Words written the way systems are named, up to 3. */
  names: number;
  /** Numbers with a unit, up to 3. */
  measurements: number;
  /** The text read, with its names and measurements blanked out (what the ask says besides them). */
  rest: string;
}

/**
 * What marks an ask as a concrete technical situation (exported for tests): `names` are words
 * written the way systems are named (an acronym, CamelCase, letters then digits, snake_case or
 * dotted identifiers; in a text written mostly in another script, any Latin word of two letters
 * and any such name, "S3"), `measurements` numbers with a unit. "GC pauses went from 20 ms to
 * 400 ms on G1" has both; so do most terse expert questions, which name no hard verb. Meant for
 * short asks: it reads at most the first 600 characters.
 */
export function technicalMarks(text: string, lowerCaseNames = false): TechnicalMarks {
  // (scoreTurn gives the ask with plain spaces, withPlainSpaces: the patterns are written with one, "16 GB".)
  // A text in capitals throughout is read as in lower case: its case tells no acronym from a word,
  // so read as written it named nothing (below), and in lower case LOWER_CASE_NAMES finds its known
  // systems (all in capitals moved 28 of 1,552 probe asks, 27 down; 4 after).
  const read = shouted(text) ? text.toLowerCase() : text;
  const t = read.length > 600 ? read.slice(0, 600) : read;
  let other = 0;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (isUpper(c)) upper++;
    else if (isLower(c)) lower++;
    // A Chinese or Japanese character says about what three letters do.
    else if (c > 0xbf && isBmpLetter(c)) other += isCjk(c) ? 3 : 1;
  }
  const latin = upper + lower;
  // Measurements first: their units ("40 MB/s") are not names.
  let measurements = 0;
  let rest = /\d/.test(t) ? t.replace(MEASUREMENT, () => (measurements++, ' ')) : t;
  let names = 0;
  const foreign = other > latin;
  // Text mostly in capitals has no acronyms to tell apart from its words (all in capitals was
  // lower-cased above). Most prose has no name-like pair of characters at all: one regex test
  // settles it.
  // An ask written all in lower case names its systems in lower case too ("grpc streams drop
  // behind the alb"): the known ones are names (LOWER_CASE_NAMES), looked for where the caller
  // knows the text holds one (lowerCaseNames: the lexicon scan found one).
  const lowerCase = lowerCaseNames && upper === 0 && lower > 0 && !foreign;
  if ((upper <= lower || foreign) && (foreign || lowerCase || NAME_HINT.test(t))) {
    const blanked = blankLatinNames(rest, foreign, lowerCase);
    rest = blanked.rest;
    names = blanked.names;
  }
  return { names: Math.min(3, names), measurements: Math.min(3, measurements), rest };
}

/** A lower-case letter (of any script with case). */
const LOWER_LETTER = /\p{Ll}/u;
/** An upper-case letter. */
const UPPER_LETTER = /\p{Lu}/u;
/** Capitals, and letters of scripts without case (Chinese, Japanese), counted in a short head. */
const UPPER_LETTERS = /\p{Lu}/gu;
const UNCASED_LETTERS = /(?!\p{Lu})\p{L}/gu;
/**
 * Whether a text is written in capitals: no lower-case letter in its first 200 characters, and
 * capitals for at least half of its letters there. A Japanese or Chinese ask naming "S3" or "AWS"
 * has no lower-case letter either, but its capitals are names, not shouting.
 */
export function shouted(text: string): boolean {
  const head = text.length > 200 ? text.slice(0, 200) : text;
  if (LOWER_LETTER.test(head) || !UPPER_LETTER.test(head)) return false;
  return countMatches(UPPER_LETTERS, head, 200) >= countMatches(UNCASED_LETTERS, head, 200);
}

/** Matches of a global regex's scan, counted up to max without a match object each. */
export function countMatches(re: RegExp, text: string, max: number): number {
  let n = 0;
  re.lastIndex = 0;
  while (n < max && re.test(text)) n++;
  re.lastIndex = 0;
  return n;
}

/**
 * Systems and formats written in capitals or CamelCase ("TCP", "CSV", "EventEmitter", "MySQL"),
 * which isSystemName finds by their case, in lower case: in an ask written all in lower case (as
 * many chat users write) they are the names the same ask, cased, would have. Names written with
 * one capital ("Kafka", "Postgres") are not names when cased either, and words that are also
 * English ("rest", "react") are not here.
 */
export const LOWER_CASE_NAMES: ReadonlySet<string> = new Set(
  (
    'tcp udp http https tls ssl dns dhcp csv tsv json yaml yml xml html css sql nosql grpc rpc alb elb nlb dag jwt oidc saml sso ldap ' +
    'cdn vpc iam rds ecs eks gke aks sqs sns kms ebs efs jvm jit ssd hdd nvme raid smtp imap sftp cors csrf xss orm crud mvcc wal lsm oom iops qps rps ' +
    'sla slo sli ttl lru fifo ipc sdk uuid api apis sku skus auc roc xgboost ' +
    'postgresql mysql mongodb dynamodb bigquery clickhouse opensearch eventemitter javascript typescript nodejs github gitlab nextjs pytorch ' +
    'tensorflow numpy rabbitmq haproxy macos powershell vscode intellij fastapi openai chatgpt graphql llm llms'
  ).split(' '),
);

/**
 * `text.replace(LATIN_TOKEN, (w) => (isName(w) ? ' ' : w))` and how many were blanked, where a
 * name is isSystemName(w) (or, with lowerCase, an ask with no capital, a LOWER_CASE_NAMES word),
 * or in a text written mostly in another script any token with two Latin letters in a row.
 * LATIN_TOKEN's matches are found by hand (a replace with a callback per token cost ~250 ns a
 * token here): from a letter or digit on through [A-Za-z0-9_.-], back to the last letter or
 * digit; a lone letter is a token, a lone digit is not (exported for tests).
 */
export function blankLatinNames(text: string, foreign: boolean, lowerCase = false): { rest: string; names: number } {
  let names = 0;
  let out = '';
  let from = 0;
  const n = text.length;
  for (let p = 0; p < n; ) {
    const c = text.charCodeAt(p);
    if (!isAsciiAlnum(c)) {
      p++;
      continue;
    }
    let lastAlnum = -1;
    for (let end = p + 1; end < n; end++) {
      const d = text.charCodeAt(end);
      if (isAsciiAlnum(d)) lastAlnum = end;
      else if (d !== 95 && d !== 46 && d !== 45) break;
    }
    const stop = lastAlnum >= 0 ? lastAlnum + 1 : isDigitCode(c) ? -1 : p + 1;
    if (stop < 0) {
      p++;
      continue;
    }
    const w = text.slice(p, stop);
    if (foreign ? hasTwoLatinLetters(w) || isSystemName(w) : isSystemName(w) || (lowerCase && LOWER_CASE_NAMES.has(w))) {
      names++;
      out += text.slice(from, p) + ' ';
      from = stop;
    }
    p = stop;
  }
  return { rest: from > 0 ? out + text.slice(from) : text, names };
}

/** /[A-Za-z]{2}/.test(w) */
function hasTwoLatinLetters(w: string): boolean {
  for (let i = 1; i < w.length; i++) {
    const a = w.charCodeAt(i - 1);
    const b = w.charCodeAt(i);
    if ((isUpper(a) || isLower(a)) && (isUpper(b) || isLower(b))) return true;
  }
  return false;
}

/**
 * Is a Latin token (LATIN_TOKEN) written the way a system is named? Character tests, not four
 * regexes per token (they were a quarter of a names-heavy ask's time); the regex each test
 * stands for is beside it, and a property test holds them to those regexes (exported for it).
 */
export function isSystemName(w: string): boolean {
  const n = w.length;
  // An acronym, /^[A-Z]{2,5}(?:s|\d+)?$/: two to five capitals, perhaps a plural s or digits
  // (GC, ALB, TCP, AZs, HTTP2); not a unit, currency or time word (NOT_A_NAME).
  let caps = 0;
  while (caps < n && isUpper(w.charCodeAt(caps))) caps++;
  if (caps >= 2 && caps <= 5) {
    let end = caps;
    if (end < n && w.charCodeAt(end) === 115 /* s */) end++;
    else while (end < n && isDigitCode(w.charCodeAt(end))) end++;
    if (end === n) return !NOT_A_NAME.has(w.slice(0, caps));
  }
  let letters = 0;
  while (letters < n && (isUpper(w.charCodeAt(letters)) || isLower(w.charCodeAt(letters)))) letters++;
  // Letters then digits, /^[A-Za-z]+\d/ (G1, BL21, EC2, H100, p99, x86, IPv6, k8s): not "1st", "32GB", "10x".
  if (letters > 0 && letters < n && isDigitCode(w.charCodeAt(letters))) return true;
  for (let i = 1; i < n; i++) {
    const c = w.charCodeAt(i);
    // CamelCase inside the word, /[a-z][A-Z]/ (CrashLoopBackOff, OutOfMemory, PostgreSQL).
    if (isUpper(c) && isLower(w.charCodeAt(i - 1))) return true;
    // snake_case and dotted identifiers, /[A-Za-z0-9]{2}[_.][A-Za-z0-9]{2}/ (test_export,
    // os.path, config.yaml), not "e.g".
    if ((c === 95 || c === 46) && i >= 2 && i + 2 < n && isAsciiAlnum(w.charCodeAt(i - 2)) && isAsciiAlnum(w.charCodeAt(i - 1)) && isAsciiAlnum(w.charCodeAt(i + 1)) && isAsciiAlnum(w.charCodeAt(i + 2))) return true;
  }
  return false;
}

/** A word as the classifier's rules count words: a run of letters, numbers and apostrophes. */
export const WORD_RE = /[\p{L}\p{N}'’]+/gu;

/** Word count by whitespace runs (CJK characters count as words): linear, no allocation. */
export function approxWords(text: string): number {
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

/** A letter or a digit: what a sentence has and a run of marks has not. */
export const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** WORD_RE's matches in a text, counted up to max (text.match(WORD_RE).length where that is below max). */
export function wordsUpTo(text: string, max: number): number {
  return countMatches(WORD_RE, text, max);
}
