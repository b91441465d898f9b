import { applyTokenCeiling, parseOpenAiResponse, parseOpenAiStreamEvent, requestStreamUsage } from './openai.js';
import { isRecord, type BudgetPlan, type Dialect, type RewriteResult } from './types.js';

export interface VllmOptions {
  /** Send chat_template_kwargs.enable_thinking=false for a zero budget (Qwen3-style templates). */
  disableThinkingAtZero: boolean;
}

/**
 * vLLM: `thinking_token_budget` makes the engine end the reasoning section itself (server
 * started with --reasoning-parser and a reasoning config); continuous usage stats give exact
 * running token counts.
 */
export function vllmDialect(options: VllmOptions = { disableThinkingAtZero: true }): Dialect {
  return {
    name: 'vllm',
    streamFormat: 'sse',
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = applyTokenCeiling(body, plan);
      body.thinking_token_budget = plan.thinkingBudget;
      if (plan.thinkingBudget === 0 && options.disableThinkingAtZero) {
        const kw = isRecord(body.chat_template_kwargs) ? { ...body.chat_template_kwargs } : {};
        kw.enable_thinking = false;
        body.chat_template_kwargs = kw;
      }
      requestStreamUsage(body, true);
      return result;
    },
    parseStreamEvent: parseOpenAiStreamEvent,
    parseResponse: parseOpenAiResponse,
  };
}
