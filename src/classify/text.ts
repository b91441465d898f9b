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
// roughly what a short word does in a spaced script.
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/gu;
const CJK_ONE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu;

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

export function textShape(text: string): TextShape {
  const cjk = CJK_ONE.test(text) ? text.match(CJK) : null;
  const cjkChars = cjk ? cjk.length : 0;
  const seen = new Set<string>();
  let words = 0;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    // CJK runs match \p{L} too; count them through cjkChars instead.
    const w = m[0];
    if (CJK_ONE.test(w)) continue;
    words++;
    if (seen.size < DISTINCT_CAP) seen.add(w.toLowerCase());
  }
  if (cjk) for (let i = 0; i < cjk.length && seen.size < DISTINCT_CAP; i++) seen.add(cjk[i]!);
  let lines = 1;
  let q = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) lines++;
    else if (ch === 63 /* ? */ || ch === 0xff1f /* ？ */ || ch === 0xbf /* ¿ */) q++;
  }
  return {
    words: words + Math.round(cjkChars / 1.5),
    distinct: seen.size,
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
