import { capCompletion, capLimits, mergeOpenAiContinuation, openAiEditing, templatedContinuation } from './openai.js';
import type { BudgetPlan, Dialect, RewriteResult, BackendOptions } from './types.js';

/**
 * Models served without a reasoning parser: `<think>…</think>` arrives inside the answer text
 * (the template may pre-fill `<think>`). No engine field caps thinking, so enforcement is the
 * stream rewrite, or cut-off + continuation where configured.
 */
export function genericDialect(o: BackendOptions): Dialect {
  return {
    name: 'generic',
    writesEngineCap: false,
    streamFormat: 'sse',
    ...openAiEditing,
    limits: (body, plan) => capLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      return capCompletion(body, plan, o);
    },
    // Often vLLM without a reasoning parser: its chat template renders the continued message.
    buildContinuation: templatedContinuation,
    mergeContinuation: mergeOpenAiContinuation,
  };
}
