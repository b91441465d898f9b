import { capCompletion, capLimits, chatContinuation, engineBudgetField, mergeOpenAiContinuation, openAiEditing, requestStreamUsage, templatedContinuation } from './openai.js';
import type { BudgetPlan, ContinuationRequest, Dialect, RewriteResult, BackendOptions } from './types.js';
import { servedByHarmony } from './think-prompt.js';

/**
 * vLLM: `thinking_token_budget` makes the engine end the reasoning section itself (server
 * started with --reasoning-parser and a reasoning config); continuous usage stats give exact
 * running token counts. Reasoning arrives in delta.reasoning (newer) or delta.reasoning_content.
 */
export function vllmDialect(o: BackendOptions): Dialect {
  return {
    name: 'vllm',
    // thinking_token_budget (read where the server has a reasoning parser, which no config shows).
    writesEngineCap: true,
    streamFormat: 'sse',
    ...openAiEditing,
    limits: (body, plan) => capLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o);
      if (engineBudgetField(plan, o)) body.thinking_token_budget = plan.thinkingBudget;
      requestStreamUsage(body, true);
      return result;
    },
    buildContinuation: (original, thinking, answerSoFar, maxTokens, generated) =>
      servedByHarmony(original.model) && answerSoFar.trim() === ''
        ? harmonyRescue(original, thinking, maxTokens, generated)
        : templatedContinuation(original, thinking, answerSoFar, maxTokens, generated),
    mergeContinuation: mergeOpenAiContinuation,
    // vLLM renders gpt-oss chats through its harmony path (_make_request_with_harmony), which
    // reads an assistant message as a final-channel message and always opens a new assistant
    // turn: continue_final_message is not honoured, and a continuation would think again.
    // DeepSeek-R1's templates drop the thinking of a continued message, and its reasoning parser
    // then reads what the model writes as reasoning until it writes </think>.
    continuationLoses: (body) =>
      servedByHarmony(body.model)
        ? 'its answer (vLLM renders gpt-oss through its harmony path, which continues no final message)'
        : continuedThinkingDropped(body.model)
          ? "its answer (DeepSeek-R1's chat templates drop the thinking from a continued message, and vLLM's R1 parser reads what follows as reasoning)"
          : null,
  };
}

/**
 * The rescue of a gpt-oss answer (the model ended its turn inside its analysis: no cut-off runs
 * there, see continuationLoses). vLLM's harmony path reads an assistant message's `reasoning` as
 * an analysis-channel message and its content as a final-channel one, keeps an analysis message
 * that no final one follows, and always opens a new assistant turn after the last message
 * (parse_chat_input_to_harmony_message, auto_drop_analysis_messages, render_for_completion in
 * vllm/entrypoints/openai/parser/harmony_utils.py). So the thinking goes in as the analysis it
 * was, and the new turn starts after it, where the model's next message is its answer; in a
 * `<think>` block as content it would read as an answer already given. The continuation flags
 * are left out: that path reads neither.
 */
function harmonyRescue(original: Record<string, unknown>, thinking: string, maxTokens: number, generated = 0): ContinuationRequest {
  const request = chatContinuation(original, { role: 'assistant', reasoning: thinking }, maxTokens, generated);
  delete request.body.continue_final_message;
  delete request.body.add_generation_prompt;
  return request;
}

/**
 * Whether a model of this name is DeepSeek-R1 or one of its distills, whose chat templates drop
 * the thinking from an assistant message in either form a continuation sends (rendered: session
 * 35, test/fixtures/templates). Names only, as for gpt-oss.
 */
export function continuedThinkingDropped(model: unknown): boolean {
  return typeof model === 'string' && /deepseek-r1/i.test(model);
}
