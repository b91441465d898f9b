import { capCompletion, capLimits, mergeOpenAiContinuation, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
import { isRecord, type BudgetPlan, type Dialect, type RewriteResult, type BackendOptions } from './types.js';

/**
 * SGLang: custom_params.thinking_budget, enforced exactly by strict thinking (server flag
 * --enable-strict-thinking, SGLang's recommended route: strictThinking) or by a custom logit
 * processor (--enable-custom-logit-processor; the serialized processor comes from config).
 * Reasoning arrives in delta.reasoning_content. Without either only the stream rewrite (and
 * max_tokens) applies.
 */
export function sglangDialect(o: BackendOptions): Dialect {
  return {
    name: 'sglang',
    streamFormat: 'sse',
    ...openAiEditing,
    limits: (body, plan) => capLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if ((o.strictThinking || o.logitProcessor) && o.native) {
        if (o.logitProcessor) body.custom_logit_processor = o.logitProcessor;
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
