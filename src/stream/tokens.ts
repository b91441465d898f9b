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

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return enc().encode(text).length;
}

/** Warm the encoder at start so the first request does not pay for loading it. */
export function warmTokenizer(): void {
  enc();
}

/** The longest prefix of text holding at most maxTokens tokens (cut on a token boundary). */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  const ids = enc().encode(text);
  if (ids.length <= maxTokens) return text;
  // A cut inside a multi-byte character decodes to U+FFFD: drop it.
  return enc().decode(ids.slice(0, maxTokens)).replace(/\uFFFD+$/u, '');
}
