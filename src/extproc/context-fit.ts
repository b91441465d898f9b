import type { FollowUp } from '../stream/rewriter.js';
import { countTokens, truncateToTokens } from '../stream/tokens.js';

/**
 * A first leg that filled the engine's context inside thinking: what its continuation may carry.
 *
 * llama-server generates to the end of one slot's context and stops there with a length finish
 * (and refuses a prompt as long as that context with 400), so a model that thinks to the end of
 * its context leaves no answer, and a continuation carrying all of that thinking does not fit
 * either. The continuation then carries the thinking's start, cut to leave the answer room.
 */

/** Engine tokens a continuation adds to close the thinking (the end tag, a template's marks), with margin. */
const CLOSING_TOKENS = 16;

/** What a finished first leg says of itself (ResponseRewriter). */
export interface FirstLeg {
  readonly followUp: FollowUp | null;
  readonly completionTokens: number | null;
  readonly answer: string;
}

/**
 * Whether the first leg stopped at a limit of the engine's own, inside thinking with no answer:
 * the rewriter read a length stop inside the budget (rescue_at_context), or, under budget forcing
 * (whose upstream limit is the budget, in the engine's tokens), the engine generated fewer tokens
 * than the limit thinkcap wrote.
 */
export function stoppedAtEngineLimit(first: FirstLeg, upstreamMaxTokens: number): boolean {
  if (first.followUp === 'rescue_at_context') return true;
  return first.followUp === 'continuation' && first.answer.trim() === '' && first.completionTokens !== null && first.completionTokens < upstreamMaxTokens;
}

/**
 * The start of `thinking` that leaves room for an answer of `reserveTokens` in the context the
 * first leg filled, and that room: its `generated` tokens (the engine's count, nearly all
 * thinking) less the reserve and the closing tokens, at most half of them dropped, cut in the same
 * proportion on thinkcap's count of the text (the engine's tokenizer is not thinkcap's). Unknown
 * `generated`: the thinking as it is, and no room known.
 */
export function thinkingThatFits(thinking: string, generated: number | null, reserveTokens: number): { thinking: string; answerRoom: number | null } {
  if (generated === null || generated <= 0 || thinking === '') return { thinking, answerRoom: null };
  const free = Math.min(reserveTokens + CLOSING_TOKENS, Math.floor(generated / 2));
  const keep = (generated - free) / generated;
  return { thinking: truncateToTokens(thinking, Math.floor(countTokens(thinking) * keep)), answerRoom: Math.max(1, free - CLOSING_TOKENS) };
}
