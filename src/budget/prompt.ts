import { messageText } from '../classify/text.js';
import { countTokens } from '../stream/tokens.js';

/** What the prompt-side bound assumes about the engine (spend.promptBound, per backend overhead). */
export interface PromptBoundOptions {
  /** The engine's tokenizer counts at most this many times the o200k count (non-English, code). */
  safetyFactor: number;
  /** Tokens the chat template adds (role markers, a default system prompt, generation prompt). */
  overheadTokens: number;
}

/** Tokens of a text by o200k: exact up to 64 KB, an upper bound past it (two characters a token at least). */
function textTokens(text: string): number {
  return text.length <= 65_536 ? countTokens(text) : Math.ceil(text.length / 2);
}

/** The o200k count of the prompt: message texts plus 4 per message for the role framing. */
export function estimatePromptTokens(messages: Array<{ content?: unknown }>): number {
  let text = '';
  let chars = 0;
  for (const m of messages) {
    const t = messageText(m);
    chars += t.length;
    if (text.length < 65_536) text += t;
  }
  if (chars <= 65_536) return countTokens(text) + 4 * messages.length;
  return Math.ceil(chars / 2) + 4 * messages.length;
}

/**
 * An upper bound on the prompt tokens an engine will bill for this chat request: the o200k
 * estimate of the messages and of what templates serialise into the prompt (tools, functions, a
 * JSON schema), times the tokenizer safety factor, plus the template overhead. Pure.
 */
export function promptTokenBound(body: Record<string, unknown>, o: PromptBoundOptions): { estimate: number; bound: number } {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  let estimate = estimatePromptTokens(messages);
  for (const k of ['tools', 'functions', 'response_format'] as const) {
    if (body[k] !== undefined && body[k] !== null) estimate += textTokens(JSON.stringify(body[k]));
  }
  return { estimate, bound: Math.ceil(estimate * o.safetyFactor) + o.overheadTokens };
}
