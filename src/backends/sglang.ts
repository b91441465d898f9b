import { capCompletion, capLimits, engineBudgetField, mergeOpenAiContinuation, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
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
    // A server that runs thinkcap's processor was started with --enable-custom-logit-processor,
    // and it unpickles (dill) whatever processor a request carries: code run on the engine, or
    // a processor that thinks past the budget. Only thinkcap's may reach it.
    reservedFields: o.logitProcessor ? ['custom_logit_processor'] : undefined,
    limits: (body, plan) => capLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if ((o.strictThinking || o.logitProcessor) && engineBudgetField(plan, o)) {
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
