import { capCompletion, openAiContinuation, openAiEditing, requestStreamUsage } from './openai.js';
import type { BudgetPlan, Dialect, RewriteResult } from './types.js';
import type { BackendOptions } from './registry.js';

/**
 * llama.cpp server: reasoning in delta.reasoning_content (--reasoning-format deepseek). The
 * server-wide --reasoning-budget flag is the engine cap; a per-request budget field is sent only
 * where configured (budgetField) for server versions that read one. A zero budget turns
 * thinking off through the chat template.
 */
export function llamacppDialect(o: BackendOptions): Dialect {
  return {
    name: 'llamacpp',
    streamFormat: 'sse',
    thinkInContent: false,
    ...openAiEditing,
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if (o.budgetField && !o.continuation) body[o.budgetField] = plan.thinkingBudget;
      requestStreamUsage(body, false);
      return result;
    },
    buildContinuation: openAiContinuation,
  };
}
