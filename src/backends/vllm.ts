import { applyTokenCeiling, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
import { isRecord, type BudgetPlan, type Dialect, type RewriteResult } from './types.js';
import type { BackendOptions } from './registry.js';

/** Qwen3-style templates: enable_thinking=false turns thinking off entirely (zero budget). */
export function disableThinking(body: Record<string, unknown>): void {
  const kw = isRecord(body.chat_template_kwargs) ? { ...body.chat_template_kwargs } : {};
  kw.enable_thinking = false;
  body.chat_template_kwargs = kw;
}

/**
 * vLLM: `thinking_token_budget` makes the engine end the reasoning section itself (server
 * started with --reasoning-parser and a reasoning config); continuous usage stats give exact
 * running token counts. Reasoning arrives in delta.reasoning (newer) or delta.reasoning_content.
 */
export function vllmDialect(o: BackendOptions): Dialect {
  return {
    name: 'vllm',
    streamFormat: 'sse',
    thinkInContent: false,
    ...openAiEditing,
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = applyTokenCeiling(body, plan, o.continuation ? plan.thinkingBudget : undefined);
      if (!o.continuation) body.thinking_token_budget = plan.thinkingBudget;
      if (plan.thinkingBudget === 0 && o.disableThinkingAtZero) disableThinking(body);
      requestStreamUsage(body, true);
      return result;
    },
    buildContinuation: openAiContinuation,
  };
}
