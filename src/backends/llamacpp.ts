import { capCompletion, capLimits, engineBudgetField, mergeOpenAiContinuation, openAiClientMax, openAiEditing, requestStreamUsage } from './openai.js';
import { FORMAT_PROBE, continuationPrompt, probeMessages, rawContinuationLoses, thinkingFormat } from './think-prompt.js';
import { isRecord, positiveInt, type BudgetPlan, type Dialect, type RewriteResult, type BackendOptions } from './types.js';

/**
 * Request fields the continuation does not carry as they are: the chat's own (messages and what
 * renders them, tools, streaming), the limits and choice counts thinkcap sets, thinking's, and
 * the output options it maps (response_format, logprobs). Every other field goes with it, as
 * the chat would have read it (sampling, penalties, logit_bias, grammar, lora, slots): llama-server
 * reads its sampling fields alike on both endpoints.
 */
const NOT_CARRIED = new Set([
  'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'chat_template', 'chat_template_kwargs', 'add_generation_prompt', 'continue_final_message',
  'stream', 'stream_options', 'prompt', 'echo',
  'max_tokens', 'max_completion_tokens', 'n_predict', 'n', 'n_cmpl',
  'reasoning_format', 'reasoning_budget_tokens', 'thinking_budget_tokens', 'reasoning_effort', 'thinking_budget',
  'response_format', 'logprobs', 'top_logprobs',
]);

/** Request fields llama-server's chat template reads beside the messages (/apply-template takes them alike). */
const RENDERED_FIELDS = ['chat_template_kwargs', 'tools', 'tool_choice', 'parallel_tool_calls'] as const;

/** llama-server's per-request thinking budget, under both the names it reads. */
const LLAMA_BUDGET_FIELDS = ['reasoning_budget_tokens', 'thinking_budget_tokens'] as const;

/**
 * The client's limit on llama-server: its own n_predict is read before max_completion_tokens and
 * max_tokens (its request schema lists those two as n_predict's aliases), -1 meaning no limit;
 * measured on a running llama-server: max_tokens 5 with n_predict 40 generated 40 tokens. The
 * smallest limit the client set is kept; the rewrite writes the cap as max_tokens (and
 * max_completion_tokens where the client set it) and drops n_predict.
 */
export function llamacppClientMax(body: Record<string, unknown>): number | null {
  const openAi = openAiClientMax(body);
  const own = positiveInt(body.n_predict);
  return openAi !== null && own !== null ? Math.min(openAi, own) : (openAi ?? own);
}

/**
 * llama.cpp server: reasoning in delta.reasoning_content (--reasoning-format deepseek), or
 * `<think>` in content (--reasoning-format none). The engine cap is the per-request
 * `reasoning_budget_tokens` (budgetField; the server forces the end-of-thinking tag at the
 * budget and the model answers); a zero budget also turns thinking off through the chat template.
 */
export function llamacppDialect(o: BackendOptions): Dialect {
  return {
    name: 'llamacpp',
    writesEngineCap: o.budgetField !== undefined,
    streamFormat: 'sse',
    ...openAiEditing,
    clientMaxTokens: llamacppClientMax,
    limits: (body, plan) => capLimits(body, plan, o, llamacppClientMax(body)),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = capCompletion(body, plan, o, llamacppClientMax(body));
      // n_predict would override the cap just written to max_tokens.
      delete body.n_predict;
      if (o.budgetField && engineBudgetField(plan, o)) {
        // llama-server reads reasoning_budget_tokens before thinking_budget_tokens (server-common.cpp):
        // a client's copy of either could stand in for the one thinkcap writes.
        for (const f of LLAMA_BUDGET_FIELDS) delete body[f];
        body[o.budgetField] = plan.thinkingBudget;
      }
      requestStreamUsage(body, false);
      return result;
    },
    // llama-server streams one token per SSE event (checked against a running server).
    tokenPerEvent: true,
    // Measured: n_cmpl 3 at max_tokens 20 gave three choices of 20 tokens and usage 20 (streamed: three usage chunks of 20).
    usageCountsOneChoice: true,
    buildContinuation(original, thinking, answerSoFar, maxTokens) {
      // llama-server's chat continuation (continue_final_message) renders extra think blocks
      // around a prefilled assistant turn, and small models then think again. Budget forcing
      // on the raw prompt is exact: the engine renders the conversation with its own template
      // (/apply-template, generation prompt included), thinkcap appends the thinking so far and
      // the end-of-thinking tag, and /v1/completions answers from there.
      // What the chat template read for the first leg (tools are rendered into the prompt): the
      // same prompt again, so the answer follows what the thinking saw (and the slot's cache hits).
      const render: Record<string, unknown> = { messages: original.messages };
      for (const k of RENDERED_FIELDS) if (original[k] !== undefined) render[k] = original[k];
      const body: Record<string, unknown> = {};
      for (const k of Object.keys(original)) if (!NOT_CARRIED.has(k)) body[k] = original[k];
      Object.assign(body, { prompt: '', max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } });
      // Output constraints: llama-server's completions reads json_schema and grammar but not
      // response_format, which its chat turns into a json_schema (the schema given, or {} for
      // json_object); without them the continued answer was free text (measured on the server).
      const schema = responseSchema(original.response_format);
      if (schema !== undefined && body.json_schema === undefined) body.json_schema = schema;
      // Logprobs: llama-server's chat reads logprobs true as n_probs = top_logprobs (20 where
      // unset; 0 gives none), its completions endpoint n_probs itself (measured on the server).
      if (original.logprobs === true) body.n_probs = typeof original.top_logprobs === 'number' ? original.top_logprobs : 20;
      // The template's own way with a finished turn's thinking, where it is not a `<think>` block
      // (Cohere's `<|START_THINKING|>`, Seed-OSS's `<seed:think>`): rendered by the same server.
      const probe = o.thinkingFormat ? undefined : llamacppFormatProbe(original);
      const prompt = (rendered: unknown, probed?: unknown) => {
        if (!isRecord(rendered) || typeof rendered.prompt !== 'string') return null;
        const format = o.thinkingFormat ?? (isRecord(probed) && typeof probed.prompt === 'string' ? thinkingFormat(rendered.prompt, probed.prompt) : null);
        return continuationPrompt(rendered.prompt, thinking, answerSoFar, format);
      };
      return { path: '/v1/completions', body, render: { path: '/apply-template', body: render, probe, prompt }, convert: 'text-completion', closeConnection: true };
    },
    mergeContinuation: mergeOpenAiContinuation,
    continuationLoses: rawContinuationLoses,
  };
}

/**
 * The /apply-template body that shows how the server's template writes a finished turn's
 * thinking (think-prompt.ts thinkingFormat), rendered with the request's template switches.
 */
export function llamacppFormatProbe(original: Record<string, unknown>): Record<string, unknown> {
  const probe: Record<string, unknown> = { messages: probeMessages('reasoning_content', FORMAT_PROBE.reasoning, true), add_generation_prompt: false };
  if (original.chat_template_kwargs !== undefined) probe.chat_template_kwargs = original.chat_template_kwargs;
  return probe;
}

/** The JSON schema llama-server's chat reads from response_format (undefined: none). */
function responseSchema(format: unknown): unknown {
  if (!isRecord(format)) return undefined;
  if (format.type === 'json_object') return format.schema ?? {};
  if (format.type === 'json_schema') return isRecord(format.json_schema) ? (format.json_schema.schema ?? {}) : {};
  return undefined;
}
