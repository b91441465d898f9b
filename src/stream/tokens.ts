import { createRequire } from 'node:module';

/**
 * Token counts for text whose backend reports none (prompts before they are sent, `<think>`
 * inside content, responses without usage). o200k_base is not the served model's tokenizer, so
 * counts from it are estimates; backend usage always wins where present.
 *
 * Any text, from a client or a model, is counted in time linear in its length. Byte-pair
 * encoding costs the square of a pre-tokenizer piece's length (or worse), and one piece can be
 * as long as the text: 32 KiB of one letter took js-tiktoken, used before, over three minutes,
 * on the request path, with the event loop blocked. Runs of one kind of character (whitespace, or
 * anything else) are therefore cut every MAX_RUN characters and the stretches encoded apart.
 * Ordinary text has no run that long and is encoded whole, exactly as before; a cut run counts a
 * token or two more per cut than whole (more, never fewer, on the runs the tests try: a bound
 * built on it stays a bound).
 */
export const MAX_RUN = 64;

type Encoding = typeof import('gpt-tokenizer/encoding/o200k_base');
let encoding: Encoding | null = null;

/**
 * The encoder, loaded on first use (its ranks take ~0.4 s and ~70 MB here): CLI commands that
 * count nothing do not pay for it; the server loads it at start (warmTokenizer).
 */
function o200k(): Encoding {
  if (encoding === null) {
    encoding = createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as Encoding;
    // It keeps the pieces it has merged (least recently used dropped first); a client can fill
    // that cache with words never seen before, so it holds 20,000, not its default 100,000.
    encoding.setMergeCacheSize(20_000);
  }
  return encoding;
}

/** Special-token strings in a text ("<|endoftext|>") are text like any other: counted, never refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/**
 * The cut points of a text: after MAX_RUN characters of a run of whitespace or of anything else
 * (never between the two halves of a surrogate pair); ascending, empty for ordinary text.
 * Exported for tests.
 */
export function runCuts(text: string): number[] {
  const cuts: number[] = [];
  const n = text.length;
  let runStart = 0;
  let runSpace = n > 0 && isSpace(text.charCodeAt(0));
  for (let i = 1; i < n; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (space !== runSpace) {
      runSpace = space;
      runStart = i;
    } else if (i - runStart >= MAX_RUN) {
      const low = text.charCodeAt(i);
      const cut = low >= 0xdc00 && low <= 0xdfff ? i + 1 : i;
      // A pair that ends the text is not cut after: nothing follows it.
      if (cut >= n) break;
      cuts.push(cut);
      // A new run starts at the cut, of the kind of its first character.
      runStart = cut;
      runSpace = isSpace(text.charCodeAt(cut));
      i = cut;
    }
  }
  return cuts;
}

/** The token ids of a text, encoded stretch by stretch between its run cuts. */
function encodeBounded(text: string): number[] {
  const cuts = runCuts(text);
  const { encode } = o200k();
  if (cuts.length === 0) return encode(text, AS_TEXT);
  const ids: number[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    for (const id of encode(text.slice(from, cut), AS_TEXT)) ids.push(id);
    from = cut;
  }
  return ids;
}

/** The fewest characters between two checkpoints where countTokensBefore looks at the clock. */
export const CHECKPOINT_CHARS = 1024;

/** Whitespace as the pre-tokenizer's \s sees it (one UTF-16 unit). */
const WHITESPACE = /\s/u;
const isWhitespaceAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c < 128 ? c === 32 || (c >= 9 && c <= 13) : WHITESPACE.test(text[i]!);
};

/**
 * Where a text may be cut without changing its tokens (exported for tests): a single space
 * between two characters that are not whitespace, at least CHECKPOINT_CHARS after the last
 * checkpoint. No piece of o200k's pre-tokenizer runs across such a space (a piece holds a space
 * only as its first character, or in a run of whitespace), and pieces are encoded apart, so the
 * stretches between checkpoints count what the whole does.
 */
export function wordCheckpoints(text: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf(' ', CHECKPOINT_CHARS); at > 0 && at < text.length - 1; at = text.indexOf(' ', at + 1)) {
    if (isWhitespaceAt(text, at - 1) || isWhitespaceAt(text, at + 1)) continue;
    out.push(at);
    at += CHECKPOINT_CHARS - 1;
  }
  return out;
}

/**
 * The token count of a text, stretch by stretch (between run cuts and word checkpoints), until
 * the clock passes `deadline` (performance.now() ms): then the count so far and how many
 * characters it covers (`chars < text.length`). A text counted to its end gives countTokens'
 * count. Bounds one prompt's counting time whatever the text holds: text never seen before costs
 * far more than the median of repeats (32 KiB of random Chinese characters: ~190 ms on first
 * sight, benchmarks/tokenizer.ts), and a stretch is at most ~1 KiB of words or 64 characters of a run.
 */
export function countTokensBefore(text: string, deadline: number, now: () => number = () => performance.now()): { tokens: number; chars: number } {
  if (text.length === 0) return { tokens: 0, chars: 0 };
  const cuts = [...new Set([...runCuts(text), ...wordCheckpoints(text)])].sort((a, b) => a - b);
  const { encode } = o200k();
  let tokens = 0;
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    if (from > 0 && now() >= deadline) return { tokens, chars: from };
    tokens += encode(text.slice(from, cut), AS_TEXT).length;
    from = cut;
  }
  return { tokens, chars: text.length };
}

/**
 * Tokenizer work per call is bounded: text longer than this is counted on its first
 * TOKENIZE_MAX_CHARS characters and scaled by length (an estimate, like every count here), so a
 * megabyte of reasoning in one body costs what 32 KiB does.
 */
export const TOKENIZE_MAX_CHARS = 32_768;

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length <= TOKENIZE_MAX_CHARS) return encodeBounded(text).length;
  const head = encodeBounded(text.slice(0, TOKENIZE_MAX_CHARS)).length;
  return Math.ceil((head * text.length) / TOKENIZE_MAX_CHARS);
}

/** Warm the encoder at start (its first call builds caches) so that the first request does not pay for it. */
export function warmTokenizer(): void {
  o200k().encode('warm up', AS_TEXT);
}

/**
 * The longest prefix of text holding at most maxTokens tokens (cut on a token boundary). Only a
 * prefix is tokenized, grown until it holds more than maxTokens tokens: the work follows the
 * budget, not the length of the text.
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  for (let chars = Math.max(64, maxTokens * 8); ; chars *= 2) {
    const whole = chars >= text.length;
    const ids = encodeBounded(whole ? text : text.slice(0, chars));
    // A margin past maxTokens keeps the cut away from the prefix's last (possibly split) word.
    if (whole ? ids.length <= maxTokens : ids.length <= maxTokens + 16) {
      if (whole) return text;
      continue;
    }
    return sharedStart(text, o200k().decode(ids.slice(0, maxTokens)));
  }
}

/**
 * The start of `text` that `decoded`, a decoding of its first tokens, spells. A token that holds
 * part of a character decodes to U+FFFD, at the end of the cut or, as js-tiktoken decodes, before
 * a character whose bytes span tokens ("ﱾᴆꓚ喳≊…" cut at 14 tokens decoded as "\uFFFDﱾᴆꓚ喳≊"):
 * such a U+FFFD, where the text has another character, is passed over, and the cut ends at the
 * first other difference, never between the halves of a surrogate pair. One forward pass (a regex
 * on a run of U+FFFD read each start of the run to its end: 1.6 s on 32,000 of them before text).
 */
function sharedStart(text: string, decoded: string): string {
  let i = 0;
  for (let j = 0; i < text.length && j < decoded.length; j++) {
    const c = decoded.charCodeAt(j);
    if (text.charCodeAt(i) === c) i++;
    else if (c !== 0xfffd) break;
  }
  if (i > 0 && i < text.length && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800) i--;
  return i === text.length ? text : text.slice(0, i);
}
