import { capCompletion, capLimits, chatContinuation, engineBudgetField, mergeOpenAiContinuation, openAiEditing, openedThinkPrefill, requestStreamUsage, thinkBlockPrefill } from './openai.js';
import { harmonyAnswerPrefill, servedByHarmony, startsInsideThink, thinkingPrefill } from './think-prompt.js';
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
    writesEngineCap: o.strictThinking || o.logitProcessor !== undefined,
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
    // SGLang renders the conversation with its generation prompt and appends the final assistant
    // message's text to it as it is (serving_chat.py, _handle_last_assistant_message and
    // _apply_jinja_template). gpt-oss's template ends that prompt at `<|start|>assistant`, so the
    // text goes on in harmony: a `<think>` block there is no channel the model knows, and it would
    // open its analysis again. Its gpt-oss reasoning parser reads text outside an analysis message
    // as the answer (parser/harmony_parser.py). A template whose thinking is no `<think>` block
    // (Seed-OSS's, Cohere's) gets its own markers where configured (thinkingFormat: SGLang shows no
    // rendering to learn them from); where the generation prompt opens `<think>` itself
    // (thinkPrefilled), a `<think>` in the text would be a second one.
    buildContinuation(original, thinking, answerSoFar, maxTokens, generated) {
      const prefill = servedByHarmony(original.model)
        ? harmonyAnswerPrefill(thinking, answerSoFar)
        : o.thinkingFormat
          ? thinkingPrefill(o.thinkingFormat, thinking, answerSoFar)
          : startsInsideThink(o.thinkPrefilled, original)
            ? openedThinkPrefill(thinking, answerSoFar)
            : thinkBlockPrefill(thinking, answerSoFar);
      return chatContinuation(original, { role: 'assistant', content: prefill }, maxTokens, generated);
    },
    mergeContinuation: mergeOpenAiContinuation,
    // A gpt-oss continuation goes on in the final channel, where no tool is called (harmony calls
    // tools from the commentary channel).
    continuationLoses: (body) => (servedByHarmony(body.model) && Array.isArray(body.tools) && body.tools.length > 0 ? 'tool calls (a gpt-oss continuation goes on in the final channel, where harmony calls no tool)' : null),
  };
}
