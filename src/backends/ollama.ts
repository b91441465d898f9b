import { applyTokenCeiling, openAiEditing, requestStreamUsage } from './openai.js';
import { emptyChunk, isRecord, positiveInt, type BudgetPlan, type ChunkInfo, type Dialect, type RewriteResult, type BackendOptions } from './types.js';

/** reasoning_effort / think level for a budget, by the configured tier budgets. */
export function effortFor(budget: number, o: BackendOptions): 'none' | 'low' | 'medium' | 'high' {
  if (budget === 0) return 'none';
  if (budget <= o.tierBudgets.simple) return 'low';
  if (budget <= o.tierBudgets.moderate) return 'medium';
  return 'high';
}

function parseOllamaObject(json: unknown): ChunkInfo {
  const out = emptyChunk();
  if (!isRecord(json)) return out;
  if (typeof json.error === 'string') out.error = json.error;
  const m = json.message;
  if (isRecord(m)) {
    if (typeof m.thinking === 'string') out.reasoning = m.thinking;
    if (typeof m.content === 'string') out.content = m.content;
  }
  if (json.done === true) {
    out.finishReason = typeof json.done_reason === 'string' ? json.done_reason : 'stop';
    out.completionTokens = positiveInt(json.eval_count);
    out.promptTokens = positiveInt(json.prompt_eval_count);
  }
  return out;
}

/**
 * Ollama native /api/chat: NDJSON stream (the default when `stream` is absent), `think`
 * (false, true, or "low" | "medium" | "high" for models with levels), reasoning in
 * message.thinking, length cap options.num_predict. Ollama has no numeric thinking cap: past
 * the budget the stream rewrite drops reasoning, and num_predict bounds the total.
 */
export function ollamaDialect(o: BackendOptions): Dialect {
  return {
    name: 'ollama',
    streamFormat: 'ndjson',
    // num_predict -1 (or -2) is Ollama's "no limit": no client limit of its own.
    clientMaxTokens: (body) => positiveInt(isRecord(body.options) ? body.options.num_predict : undefined),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const options = isRecord(body.options) ? { ...body.options } : {};
      const clientMax = positiveInt(options.num_predict);
      const ceiling = plan.thinkingBudget + plan.answerTokens;
      const upstream = clientMax === null ? ceiling : Math.min(clientMax, ceiling);
      options.num_predict = upstream;
      body.options = options;
      if (body.think !== false && !o.rewriteOnly) {
        body.think = plan.thinkingBudget === 0 ? false : o.thinkLevels ? effortFor(plan.thinkingBudget, o) : true;
      }
      return { clientMaxTokens: clientMax, upstreamMaxTokens: upstream, stream: body.stream !== false, clientWantsUsage: true };
    },
    parseStreamEvent: parseOllamaObject,
    parseResponse: parseOllamaObject,
    stripReasoning(event) {
      if (isRecord(event.message)) delete event.message.thinking;
    },
    setContent(event, text) {
      if (isRecord(event.message)) event.message.content = text;
    },
    stripUsage() {
      return false;
    },
    isEmpty(event) {
      if (event.done === true) return false;
      const m = event.message;
      if (!isRecord(m)) return false;
      return (m.content === '' || m.content === undefined) && m.thinking === undefined && m.tool_calls === undefined;
    },
    setResponseText(json, reasoning, content) {
      const m = json.message;
      if (!isRecord(m)) return;
      if (reasoning !== null) m.thinking = reasoning;
      if (content !== null) m.content = content;
    },
  };
}

/**
 * Ollama's OpenAI-compatible /v1: `reasoning_effort` none | low | medium | high, reasoning in
 * delta.reasoning, usage with stream_options.include_usage.
 */
export function ollamaOpenAiDialect(o: BackendOptions): Dialect {
  return {
    name: 'ollama-openai',
    streamFormat: 'sse',
    ...openAiEditing,
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = applyTokenCeiling(body, plan);
      if (!o.rewriteOnly) body.reasoning_effort = effortFor(plan.thinkingBudget, o);
      requestStreamUsage(body, false);
      return result;
    },
  };
}
