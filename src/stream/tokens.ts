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
