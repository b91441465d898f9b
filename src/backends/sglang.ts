import { capCompletion, mergeOpenAiContinuation, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
import { isRecord, type BudgetPlan, type Dialect, type RewriteResult } from './types.js';
import type { BackendOptions } from './registry.js';

/**
 * SGLang: a custom logit processor (server flag --enable-custom-logit-processor; the serialized
 * processor comes from config) reads custom_params.thinking_budget and forces the end of
 * thinking. Reasoning arrives in delta.reasoning_content. Without a configured processor only
 * the stream rewrite (and max_tokens) applies.
 */
export function sglangDialect(o: BackendOptions): Dialect {
  return {
    name: 'sglang',
    streamFormat: 'sse',
    thinkInContent: false,
    ...openAiEditing,
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if (o.logitProcessor && o.native) {
        body.custom_logit_processor = o.logitProcessor;
        const params = isRecord(body.custom_params) ? { ...body.custom_params } : {};
        params.thinking_budget = plan.thinkingBudget;
        body.custom_params = params;
      }
      requestStreamUsage(body, false);
      return result;
    },
    buildContinuation: openAiContinuation,
    mergeContinuation: mergeOpenAiContinuation,
  };
}
