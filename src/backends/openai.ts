import { emptyChunk, isRecord, positiveInt, type BudgetPlan, type ChunkInfo, type RewriteResult } from './types.js';

/**
 * Shared pieces of the OpenAI-compatible dialects (vLLM, SGLang, llama.cpp, Ollama /v1).
 * Each dialect file adds its own budget fields on top.
 */

/** Cap max_tokens / max_completion_tokens at thinking budget + answer allowance, never above the client's own. */
export function applyTokenCeiling(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
  const a = positiveInt(body.max_completion_tokens);
  const b = positiveInt(body.max_tokens);
  const clientMax = a !== null && b !== null ? Math.min(a, b) : (a ?? b);
  const ours = plan.thinkingBudget + plan.answerTokens;
  const upstream = clientMax === null ? ours : Math.min(clientMax, ours);
  // Write the field the client used; max_tokens when it used none (every engine reads it).
  if (a !== null) body.max_completion_tokens = upstream;
  if (b !== null || a === null) body.max_tokens = upstream;
  const stream = body.stream === true;
  const so = isRecord(body.stream_options) ? body.stream_options : null;
  const clientWantsUsage = !!so && so.include_usage === true;
  return { clientMaxTokens: clientMax, upstreamMaxTokens: upstream, stream, clientWantsUsage };
}

/** Ask for usage in the stream (exact token counts); thinkcap strips it again if the client did not ask. */
export function requestStreamUsage(body: Record<string, unknown>, continuous: boolean): void {
  if (body.stream !== true) return;
  const so = isRecord(body.stream_options) ? { ...body.stream_options } : {};
  so.include_usage = true;
  if (continuous) so.continuous_usage_stats = true;
  body.stream_options = so;
}

function readUsage(out: ChunkInfo, usage: unknown): void {
  if (!isRecord(usage)) return;
  out.completionTokens = positiveInt(usage.completion_tokens);
  out.promptTokens = positiveInt(usage.prompt_tokens);
  const details = usage.completion_tokens_details;
  if (isRecord(details)) out.reasoningTokens = positiveInt(details.reasoning_tokens);
}

function readError(out: ChunkInfo, json: Record<string, unknown>): void {
  const err = json.error;
  if (err === undefined) return;
  out.error = isRecord(err) && typeof err.message === 'string' ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
}

/** A chat.completion.chunk: reasoning from delta.reasoning or delta.reasoning_content. */
export function parseOpenAiStreamEvent(json: unknown): ChunkInfo {
  const out = emptyChunk();
  if (!isRecord(json)) return out;
  readError(out, json);
  const choices = json.choices;
  if (Array.isArray(choices)) {
    if (choices.length === 0 && json.usage) out.usageOnly = true;
    const c = choices[0];
    if (isRecord(c)) {
      const d = c.delta;
      if (isRecord(d)) {
        if (typeof d.reasoning === 'string') out.reasoning = d.reasoning;
        else if (typeof d.reasoning_content === 'string') out.reasoning = d.reasoning_content;
        if (typeof d.content === 'string') out.content = d.content;
      }
      if (typeof c.finish_reason === 'string') out.finishReason = c.finish_reason;
    }
  }
  readUsage(out, json.usage);
  return out;
}

/** A chat.completion: reasoning from message.reasoning or message.reasoning_content. */
export function parseOpenAiResponse(json: unknown): ChunkInfo {
  const out = emptyChunk();
  if (!isRecord(json)) return out;
  readError(out, json);
  const choices = json.choices;
  if (Array.isArray(choices) && isRecord(choices[0])) {
    const c = choices[0];
    const m = c.message;
    if (isRecord(m)) {
      if (typeof m.reasoning === 'string') out.reasoning = m.reasoning;
      else if (typeof m.reasoning_content === 'string') out.reasoning = m.reasoning_content;
      if (typeof m.content === 'string') out.content = m.content;
    }
    if (typeof c.finish_reason === 'string') out.finishReason = c.finish_reason;
  }
  readUsage(out, json.usage);
  return out;
}
