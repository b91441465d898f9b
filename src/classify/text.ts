/** Text helpers for the classifier: pure, Unicode-aware, linear in the input. */

export interface ChatMessageLike {
  role?: unknown;
  content?: unknown;
}

/** Text of a message whose content is a string or an array of OpenAI content parts. */
export function messageText(message: ChatMessageLike): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    let out = '';
    for (const part of c) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        out += (out ? '\n' : '') + (part as { text: string }).text;
      }
    }
    return out;
  }
  return '';
}

// Han, Hiragana, Katakana, Hangul: scripts written without spaces, where one character carries
// roughly what a short word does in a spaced script. All in the BMP: one UTF-16 unit each.
const isCjk = (c: number) =>
  (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff);
const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;

/**
 * Letters and numbers of the BMP (\p{L}, \p{N}), one bit each, built once at load (~65k regex
 * tests, ~15 ms) so that textShape is one pass of table lookups. The word regex with Unicode
 * properties it replaces cost ~50 ns a character on mixed scripts (111 us for 2 KB).
 */
const BMP_WORD_CHARS = (() => {
  const t = new Uint8Array(0x10000 >> 3);
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (LETTER_OR_NUMBER.test(String.fromCharCode(c))) t[c >> 3]! |= 1 << (c & 7);
  }
  return t;
})();

/** Length in UTF-16 units of the letter or number at i, or 0 if there is none. */
function letterOrNumberAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return (BMP_WORD_CHARS[c >> 3]! >> (c & 7)) & 1;
  // Astral (a surrogate pair): rare enough for the regex.
  const cp = text.codePointAt(i)!;
  return cp > 0xffff && LETTER_OR_NUMBER.test(String.fromCodePoint(cp)) ? 2 : 0;
}

export interface TextShape {
  /** Word-equivalents: spaced-script words plus CJK characters / 1.5. */
  words: number;
  /** Distinct lower-cased words (spaced scripts) and CJK characters, capped for bounded time. */
  distinct: number;
  chars: number;
  lines: number;
  questionMarks: number;
  cjkChars: number;
}

const DISTINCT_CAP = 4000;

/**
 * Words are runs that start with a letter or number and go on through letters, numbers and
 * ' ’ _ - ; a run with a CJK character in it counts through its CJK characters instead. One pass.
 */
export function textShape(text: string): TextShape {
  const seen = new Set<string>();
  const cjkSeen = new Set<number>();
  let words = 0;
  let cjkChars = 0;
  let lines = 1;
  let q = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const w = letterOrNumberAt(text, i);
    if (w === 0) {
      const ch = text.charCodeAt(i);
      if (ch === 10) lines++;
      else if (ch === 63 /* ? */ || ch === 0xff1f /* ？ */ || ch === 0xbf /* ¿ */) q++;
      else if (isCjk(ch)) {
        // A CJK mark or symbol (・, ゛): counted with the CJK characters, as a word regex did not.
        cjkChars++;
        if (cjkSeen.size < DISTINCT_CAP) cjkSeen.add(ch);
      }
      i++;
      continue;
    }
    const start = i;
    let cjkInWord = false;
    for (let len = w; len > 0; ) {
      const c = text.charCodeAt(i);
      if (isCjk(c)) {
        cjkInWord = true;
        cjkChars++;
        if (cjkSeen.size < DISTINCT_CAP) cjkSeen.add(c);
      }
      i += len;
      if (i >= n) break;
      const next = text.charCodeAt(i);
      len = next === 39 /* ' */ || next === 0x2019 /* ’ */ || next === 95 /* _ */ || next === 45 /* - */ ? 1 : letterOrNumberAt(text, i);
    }
    if (cjkInWord) continue;
    words++;
    if (seen.size < DISTINCT_CAP) seen.add(text.slice(start, i).toLowerCase());
  }
  return {
    words: words + Math.round(cjkChars / 1.5),
    // Words first, then CJK characters, up to the cap.
    distinct: Math.min(DISTINCT_CAP, seen.size + cjkSeen.size),
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
  /** Other pasted material (long quoted text the ask applies to). */
  material: string;
}

const FENCE = /```[^\n]*\n([\s\S]*?)(?:```|$)/g;
const ASK_WINDOW = 600; // characters of instruction kept from each end of a long paste

/**
 * Separate the ask from the material it applies to. Instructions sit at the start or the end
 * of a long message ("Summarize this: ...", "... what does this do?"), so for a long prose
 * message only its first and last few hundred characters count as the ask.
 */
export function splitAsk(text: string, isInstruction: (paragraph: string) => boolean = () => true): SplitText {
  let code = '';
  let prose = text;
  if (text.includes('```')) {
    prose = text.replace(FENCE, (_m, body: string) => {
      code += body + '\n';
      return '\n';
    });
  }
  // Indented or syntax-heavy lines outside fences are code too.
  if (prose.length > 80) {
    const kept: string[] = [];
    for (const line of prose.split('\n')) {
      if (looksLikeCodeLine(line)) code += line + '\n';
      else kept.push(line);
    }
    prose = kept.join('\n');
  }
  if (prose.length <= ASK_WINDOW * 2 + 200) return { ask: prose.trim(), code, material: '' };
  // A long message: the instruction is its first or last paragraph (or both); the rest is material.
  const paras = prose.split(/\n\s*\n/);
  const first = paras[0]!.trim();
  const last = paras.length > 1 ? paras[paras.length - 1]!.trim() : '';
  const asks: string[] = [];
  let from = 0;
  let to = paras.length;
  if (first.length <= ASK_WINDOW && isInstruction(first)) {
    asks.push(first);
    from = 1;
  } else if (first.length > ASK_WINDOW) {
    // No paragraph break: the instruction is the first sentence if it reads like one.
    const sentence = /^[^.!?:。？：\n]{1,300}[.!?:。？：]/u.exec(first)?.[0];
    if (sentence && isInstruction(sentence)) asks.push(sentence);
  }
  if (last && last.length <= ASK_WINDOW && isInstruction(last)) {
    asks.push(last);
    to = paras.length - 1;
  }
  return { ask: asks.join('\n').trim(), code, material: paras.slice(from, to).join('\n\n') };
}

const CODE_LINE =
  /^(?:\s{4,}|\t)\S|[;{}]\s*$|^\s*(?:def|class|import|from|function|const|let|var|return|if|for|while|public|private|func|fn|SELECT|INSERT|#include|package)\b.*[(:{=;]/;

export function looksLikeCodeLine(line: string): boolean {
  if (line.length < 3) return false;
  return CODE_LINE.test(line);
}
