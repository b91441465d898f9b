import { capCompletion, capLimits, engineBudgetField, mergeOpenAiContinuation, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
import type { BudgetPlan, Dialect, RewriteResult, BackendOptions } from './types.js';

/**
 * vLLM: `thinking_token_budget` makes the engine end the reasoning section itself (server
 * started with --reasoning-parser and a reasoning config); continuous usage stats give exact
 * running token counts. Reasoning arrives in delta.reasoning (newer) or delta.reasoning_content.
 */
export function vllmDialect(o: BackendOptions): Dialect {
  return {
    name: 'vllm',
    streamFormat: 'sse',
    ...openAiEditing,
    limits: (body, plan) => capLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if (engineBudgetField(plan, o)) body.thinking_token_budget = plan.thinkingBudget;
      requestStreamUsage(body, true);
      return result;
    },
    buildContinuation: openAiContinuation,
    mergeContinuation: mergeOpenAiContinuation,
    // vLLM renders gpt-oss chats through its harmony path (_make_request_with_harmony), which
    // reads an assistant message as a final-channel message and always opens a new assistant
    // turn: continue_final_message is not honoured, and a continuation would think again.
    continuationLoses: (body) => (typeof body.model === 'string' && servedByHarmony(body.model) ? 'its answer (vLLM renders gpt-oss through its harmony path, which continues no final message)' : null),
  };
}

/** Whether vLLM serves a model of this name through its harmony path (gpt-oss, under its usual names). */
export function servedByHarmony(model: string): boolean {
  return /gpt-oss/i.test(model);
}
