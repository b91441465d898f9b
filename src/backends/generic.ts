import { applyTokenCeiling, openAiContinuation, openAiEditing } from './openai.js';
import type { BudgetPlan, Dialect, RewriteResult } from './types.js';
import type { BackendOptions } from './registry.js';
import { disableThinking } from './vllm.js';

/**
 * Models served without a reasoning parser: `<think>…</think>` arrives inside the answer text
 * (the template may pre-fill `<think>`). No engine field caps thinking, so enforcement is the
 * stream rewrite, or cut-off + continuation where configured.
 */
export function genericDialect(o: BackendOptions): Dialect {
  return {
    name: 'generic',
    streamFormat: 'sse',
    thinkInContent: true,
    ...openAiEditing,
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = applyTokenCeiling(body, plan, o.continuation ? plan.thinkingBudget : undefined);
      if (plan.thinkingBudget === 0 && o.disableThinkingAtZero) disableThinking(body);
      return result;
    },
    buildContinuation: openAiContinuation,
  };
}
