import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';

/**
 * Token counts for text whose backend reports none (no continuous usage, `<think>` inside
 * content). o200k_base is not the served model's tokenizer, so counts from it are estimates;
 * backend usage always wins where present.
 */
let encoder: Tiktoken | null = null;

function enc(): Tiktoken {
  encoder ??= new Tiktoken(o200k);
  return encoder;
}

/**
 * Tokenizer work per call is bounded: text longer than this is counted on its first
 * TOKENIZE_MAX_CHARS characters and scaled by length (an estimate, like every count here), so a
 * megabyte of reasoning in one body costs what 32 KiB does.
 */
export const TOKENIZE_MAX_CHARS = 32_768;

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length <= TOKENIZE_MAX_CHARS) return enc().encode(text).length;
  const head = enc().encode(text.slice(0, TOKENIZE_MAX_CHARS)).length;
  return Math.ceil((head * text.length) / TOKENIZE_MAX_CHARS);
}

/** Warm the encoder at start so the first request does not pay for loading it. */
export function warmTokenizer(): void {
  enc();
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
    const ids = enc().encode(whole ? text : text.slice(0, chars));
    // A margin past maxTokens keeps the cut away from the prefix's last (possibly split) word.
    if (whole ? ids.length <= maxTokens : ids.length <= maxTokens + 16) {
      if (whole) return text;
      continue;
    }
    // A cut inside a multi-byte character decodes to U+FFFD: drop it.
    return enc().decode(ids.slice(0, maxTokens)).replace(/\uFFFD+$/u, '');
  }
}
