import { emptyChunk, isRecord, positiveInt, type BackendOptions, type BudgetPlan, type ChunkInfo, type ContinuationMerge, type ContinuationRequest, type Dialect, type RewriteResult, type TokenLimits } from './types.js';
import { probeMessages, trimLineBreaks } from './think-prompt.js';

/**
 * Shared pieces of the OpenAI-compatible dialects (vLLM, SGLang, llama.cpp, Ollama /v1,
 * generic `<think>` models). Each dialect file adds its own budget fields on top.
 */

/** The client's limit: the smaller of max_completion_tokens and max_tokens, where set. */
export function openAiClientMax(body: Record<string, unknown>): number | null {
  const a = positiveInt(body.max_completion_tokens);
  const b = positiveInt(body.max_tokens);
  return a !== null && b !== null ? Math.min(a, b) : (a ?? b);
}

/** The limits under a completion-token ceiling: the client's own (`clientMax`), never raised. */
export function ceilingLimits(body: Record<string, unknown>, ceiling: number, clientMax: number | null = openAiClientMax(body)): TokenLimits {
  return { clientMaxTokens: clientMax, upstreamMaxTokens: clientMax === null ? ceiling : Math.min(clientMax, ceiling) };
}

/**
 * Cap max_tokens (and max_completion_tokens where the client set it) at `ceiling`, never above
 * the client's own. max_tokens is written always: it is the field every engine reads (Ollama's
 * /v1 reads no other, so a cap written only as max_completion_tokens capped nothing there).
 */
export function applyTokenCeiling(
  body: Record<string, unknown>,
  plan: BudgetPlan,
  ceiling = withinContext(plan.thinkingBudget + plan.answerTokens, plan),
  clientMax: number | null = openAiClientMax(body),
): RewriteResult {
  const { clientMaxTokens, upstreamMaxTokens: upstream } = ceilingLimits(body, ceiling, clientMax);
  if (body.max_completion_tokens !== undefined && body.max_completion_tokens !== null) body.max_completion_tokens = upstream;
  body.max_tokens = upstream;
  // A floor above the ceiling (vLLM's and SGLang's min_tokens) is refused by those engines with
  // 400 ("min_tokens must be less than or equal to max_tokens"): held to the ceiling.
  if (typeof body.min_tokens === 'number' && body.min_tokens > upstream) body.min_tokens = upstream;
  const stream = body.stream === true;
  const so = isRecord(body.stream_options) ? body.stream_options : null;
  const clientWantsUsage = !!so && so.include_usage === true;
  return { clientMaxTokens, upstreamMaxTokens: upstream, stream, clientWantsUsage };
}

/**
 * Thinking off through the chat template (zero budget), under every name the recorded templates
 * read (test/fixtures/templates/generation-prompts.json): enable_thinking (Qwen3, Qwen3.5, GLM,
 * Nemotron 3), thinking (DeepSeek-V3.1, Kimi; SGLang's protocol.py sets the two for the same
 * reason), reasoning (Cohere's reasoning models: the generation prompt then closes
 * `<|START_THINKING|>` at once) and thinking_budget 0 (Seed-OSS: a closed think block that says
 * the budget is 0). A template reads its own and ignores the others; a client's `thinking: true`
 * would otherwise turn a DeepSeek-style model's thinking on at a zero budget.
 */
export function disableThinking(body: Record<string, unknown>): void {
  const kw = isRecord(body.chat_template_kwargs) ? { ...body.chat_template_kwargs } : {};
  Object.assign(kw, THINKING_OFF);
  body.chat_template_kwargs = kw;
}

/** The chat template switches disableThinking writes. */
export const THINKING_OFF = { enable_thinking: false, thinking: false, reasoning: false, thinking_budget: 0 } as const;

/**
 * The steps every OpenAI-compatible dialect shares: the completion-token ceiling (the thinking
 * budget itself under cut-off + continuation) and thinking off at a zero budget. Each dialect
 * then writes its own engine fields.
 */
export function capCompletion(body: Record<string, unknown>, plan: BudgetPlan, o: BackendOptions, clientMax: number | null = openAiClientMax(body)): RewriteResult {
  const result = applyTokenCeiling(body, plan, completionCeiling(plan, o), clientMax);
  if (thinkingOff(plan, o)) disableThinking(body);
  return result;
}

/**
 * Whether the request carries the engine's own budget field: with `native`, and on a
 * continuation backend where there is no cut-off (no continuation can follow: several choices,
 * no full-duplex Envoy, a request its continuation would not carry whole), so that the engine
 * still ends thinking and an answer follows; capped at the budget + answer allowance alone, a
 * model that does not stop thinking by itself spends it all on thinking the rewrite then drops.
 */
export function engineBudgetField(plan: BudgetPlan, o: BackendOptions): boolean {
  return o.native || (o.continuation && plan.cutOff === false);
}

/** Thinking off at a zero budget is the engine acting: not in stream-rewrite-only mode. */
function thinkingOff(plan: BudgetPlan, o: BackendOptions): boolean {
  return plan.thinkingBudget === 0 && o.disableThinkingAtZero && !o.rewriteOnly;
}

/**
 * The completion-token ceiling: thinking budget + answer allowance, or under cut-off the budget
 * itself (never 0, which engines read as "no limit"), unless thinking is off altogether and the
 * answer needs the usual room.
 */
export function completionCeiling(plan: BudgetPlan, o: BackendOptions): number {
  const ceiling = o.continuation && plan.cutOff !== false && !thinkingOff(plan, o) ? Math.max(1, plan.thinkingBudget + (plan.graceTokens ?? 0)) : plan.thinkingBudget + plan.answerTokens;
  return withinContext(ceiling, plan);
}

/** A completion ceiling held under the room the engine's context leaves (never below 1). */
export function withinContext(ceiling: number, plan: BudgetPlan): number {
  return plan.contextRoom === undefined ? ceiling : Math.max(1, Math.min(ceiling, plan.contextRoom));
}

/** What `capCompletion` writes, without writing it. */
export function capLimits(body: Record<string, unknown>, plan: BudgetPlan, o: BackendOptions, clientMax: number | null = openAiClientMax(body)): TokenLimits {
  return ceilingLimits(body, completionCeiling(plan, o), clientMax);
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
  if (err === undefined) {
    // vLLM's error object is top-level: {"object":"error","message":...}
    if (json.object === 'error' && typeof json.message === 'string') out.error = json.message;
    return;
  }
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
        out.toolCalls = carriesToolCalls(d);
      }
      if (typeof c.finish_reason === 'string') out.finishReason = c.finish_reason;
    }
  }
  readUsage(out, json.usage);
  return out;
}

/** A message or delta with tool calls (or the older function_call). */
export function carriesToolCalls(m: Record<string, unknown>): boolean {
  return (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || isRecord(m.function_call);
}

/** A chat.completion (its choice `index`): reasoning from message.reasoning or message.reasoning_content. */
export function parseOpenAiResponse(json: unknown, index = 0): ChunkInfo {
  const out = emptyChunk();
  if (!isRecord(json)) return out;
  readError(out, json);
  const choices = json.choices;
  if (Array.isArray(choices) && isRecord(choices[index])) {
    const c = choices[index];
    const m = c.message;
    if (isRecord(m)) {
      if (typeof m.reasoning === 'string') out.reasoning = m.reasoning;
      else if (typeof m.reasoning_content === 'string') out.reasoning = m.reasoning_content;
      if (typeof m.content === 'string') out.content = m.content;
      out.toolCalls = carriesToolCalls(m);
    }
    if (typeof c.finish_reason === 'string') out.finishReason = c.finish_reason;
  }
  // Usage covers the whole answer: read with its first choice only.
  if (index === 0) readUsage(out, json.usage);
  return out;
}

function firstDelta(event: Record<string, unknown>): Record<string, unknown> | null {
  const choices = event.choices;
  if (!Array.isArray(choices) || !isRecord(choices[0])) return null;
  const d = choices[0].delta;
  return isRecord(d) ? d : null;
}

/** Stream-event editing shared by the OpenAI-compatible dialects. */
export const openAiEditing: Pick<
  Dialect,
  | 'annotateUsage'
  | 'clientMaxTokens'
  | 'stripReasoning'
  | 'setContent'
  | 'stripUsage'
  | 'isEmpty'
  | 'setResponseText'
  | 'parseStreamEvent'
  | 'parseResponse'
  | 'contentEvent'
  | 'usageEvent'
  | 'hideFinish'
  | 'isUsageOnly'
  | 'isFinalEvent'
  | 'choiceIndex'
  | 'responseChoices'
> = {
  clientMaxTokens: openAiClientMax,
  contentEvent: (text, index = 0) => ({ object: 'chat.completion.chunk', choices: [{ index, delta: { content: text }, finish_reason: null }] }),
  usageEvent: (u) => ({
    object: 'chat.completion.chunk',
    choices: [],
    usage: { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens, completion_tokens_details: { reasoning_tokens: u.reasoningTokens } },
  }),
  choiceIndex(event) {
    const c = Array.isArray(event.choices) ? event.choices[0] : undefined;
    return isRecord(c) && typeof c.index === 'number' && Number.isInteger(c.index) && c.index > 0 ? c.index : 0;
  },
  responseChoices: (json) => (Array.isArray(json.choices) ? json.choices.length : 0),
  hideFinish(event) {
    const c = Array.isArray(event.choices) ? event.choices[0] : undefined;
    if (isRecord(c)) c.finish_reason = null;
  },
  isUsageOnly: (event) => Array.isArray(event.choices) && event.choices.length === 0,
  isFinalEvent: () => false,
  parseStreamEvent: parseOpenAiStreamEvent,
  parseResponse: parseOpenAiResponse,
  stripReasoning(event) {
    const d = firstDelta(event);
    if (!d) return;
    delete d.reasoning;
    delete d.reasoning_content;
  },
  setContent(event, text) {
    const d = firstDelta(event);
    if (d) d.content = text;
  },
  stripUsage(event) {
    if (!('usage' in event)) return false;
    delete event.usage;
    return Array.isArray(event.choices) && event.choices.length === 0;
  },
  isEmpty(event) {
    const choices = event.choices;
    if (!Array.isArray(choices) || !isRecord(choices[0])) return false;
    const c = choices[0];
    if (c.finish_reason != null) return false;
    const d = firstDelta(event);
    if (!d) return false;
    for (const [k, v] of Object.entries(d)) {
      if (v === null || v === undefined) continue;
      if (k === 'content' && v === '') continue;
      return false;
    }
    return !('usage' in event);
  },
  annotateUsage(json, reasoningTokens, completionOffset, promptTokens) {
    const u = json.usage;
    if (!isRecord(u)) return false;
    let changed = false;
    if (completionOffset > 0) {
      if (typeof u.completion_tokens === 'number') u.completion_tokens += completionOffset;
      if (typeof u.total_tokens === 'number') u.total_tokens += completionOffset;
      changed = true;
    }
    if (promptTokens != null && typeof u.prompt_tokens === 'number' && u.prompt_tokens !== promptTokens) {
      if (typeof u.total_tokens === 'number') u.total_tokens += promptTokens - u.prompt_tokens;
      u.prompt_tokens = promptTokens;
      changed = true;
    }
    // Where the SDKs look for it: usage.completion_tokens_details.reasoning_tokens.
    const details = isRecord(u.completion_tokens_details) ? u.completion_tokens_details : null;
    if (!details || typeof details.reasoning_tokens !== 'number' || completionOffset > 0) {
      u.completion_tokens_details = { ...(details ?? {}), reasoning_tokens: reasoningTokens };
      changed = true;
    }
    return changed;
  },
  setResponseText(json, reasoning, content, index = 0) {
    const choices = json.choices;
    if (!Array.isArray(choices) || !isRecord(choices[index])) return;
    const m = choices[index].message;
    if (!isRecord(m)) return;
    if (reasoning !== null) {
      if ('reasoning_content' in m && !('reasoning' in m)) m.reasoning_content = reasoning;
      else m.reasoning = reasoning;
    }
    if (content !== null) m.content = content;
  },
};

/** The first leg's chat.completion with the continuation's answer, finish reason and token counts. */
export function mergeOpenAiContinuation(firstBody: Buffer, m: ContinuationMerge): Buffer {
  let json: unknown;
  try {
    json = JSON.parse(firstBody.toString('utf8'));
  } catch {
    return firstBody;
  }
  if (!isRecord(json) || !Array.isArray(json.choices) || !isRecord(json.choices[0])) return firstBody;
  const c = json.choices[0];
  if (isRecord(c.message)) c.message.content = m.content;
  if (m.finishReason) c.finish_reason = m.finishReason;
  if (m.logprobs) {
    // The first leg's tokens, then the continuation's.
    const before = isRecord(c.logprobs) && Array.isArray(c.logprobs.content) ? c.logprobs.content : [];
    c.logprobs = { ...(isRecord(c.logprobs) ? c.logprobs : {}), content: [...before, ...m.logprobs] };
  }
  const u = isRecord(json.usage) ? json.usage : (json.usage = {});
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  u.completion_tokens = m.completionTokens;
  u.total_tokens = prompt + m.completionTokens;
  u.completion_tokens_details = { ...(isRecord(u.completion_tokens_details) ? u.completion_tokens_details : {}), reasoning_tokens: m.reasoningTokens };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/**
 * Continuation for OpenAI-compatible servers: the conversation plus an assistant message holding
 * the thinking so far, closed, and the answer so far; the server continues that message
 * (vLLM / SGLang `continue_final_message`, llama.cpp assistant prefill) with thinking off.
 */
export function openAiContinuation(original: Record<string, unknown>, thinking: string, answerSoFar: string, maxTokens: number, generated = 0): ContinuationRequest {
  return chatContinuation(original, { role: 'assistant', content: thinkBlockPrefill(thinking, answerSoFar) }, maxTokens, generated);
}

/**
 * The thinking so far in a closed think block, then the answer so far. The line breaks around
 * the thinking and before the answer are the template's: Qwen3's, Qwen3.5's and MiniMax-M2's
 * write an assistant's think block back as `<think>\n{thinking}\n</think>\n\n{answer}` with
 * those trimmed, and vLLM (HF's continue_final_message) refuses with 400 a final message that the
 * rendering does not hold as it was sent; a reasoning parser may hand the thinking back with the
 * line break the model wrote after `<think>` (rendered with the templates, session 35).
 */
export function thinkBlockPrefill(thinking: string, answerSoFar: string): string {
  return `<think>\n${openedThinkPrefill(thinking, answerSoFar)}`;
}

/**
 * The same for a server that appends the prefill to its rendering with the generation prompt
 * (SGLang), where the template's generation prompt opened the block (`<think>\n`: Qwen3.5's,
 * MiniMax-M2's, DeepSeek-R1's; backends[].thinkPrefilled): the thinking goes on inside it.
 */
export function openedThinkPrefill(thinking: string, answerSoFar: string): string {
  return `${trimLineBreaks(thinking, true)}\n</think>\n\n${trimLineBreaks(answerSoFar, false)}`;
}

/**
 * openAiContinuation for a server that renders the continued message with the model's chat
 * template (vLLM, through HF's continue_final_message), and, where it refuses that with 400 (the
 * template does not write the think block back as sent: GLM-4.5 to 4.7 write it without line
 * breaks, DeepSeek-R1's distills and V3.1 drop it), the same with the thinking as the message's
 * `reasoning`, which vLLM hands the template as `reasoning_content` too (chat_utils.py,
 * _parse_chat_message_content), and the answer so far as its content. Templates that read
 * reasoning_content write the thinking back (GLM's, Qwen3's); the others leave it out, and the
 * model answers without it (real templates rendered, session 35: test/fixtures/templates).
 */
export function templatedContinuation(original: Record<string, unknown>, thinking: string, answerSoFar: string, maxTokens: number, generated = 0): ContinuationRequest {
  const fallback = chatContinuation(original, { role: 'assistant', reasoning: thinking, content: answerSoFar }, maxTokens, generated).body;
  return { ...openAiContinuation(original, thinking, answerSoFar, maxTokens, generated), fallback, order: reasoningRenderedFirst(original) };
}

/** Filler reasoning for the probe below: at least 32 tokens in any tokenizer. */
const PROBE_REASONING = Array.from({ length: 16 }, () => 'thinkcap probe').join(' ');

/**
 * Whether the server's chat template writes a continued assistant message's reasoning back
 * (vLLM /tokenize, which renders a chat with the same template and flags: the token count with
 * the reasoning against without it). Where it does, the reasoning form goes first: the template
 * then writes the thinking its own way. Rendered with HF transformers, 24 of the 70 templates
 * llama.cpp keeps do, and for every one of them that form reads as the template writes a finished
 * turn; a `<think>` block in content did for 6, was refused for 7 (the 400 the fallback answers)
 * and was taken as text for 11 (Cohere's, Seed-OSS's, MiniMax-M3's, Kimi-K3's templates: no 400,
 * and the model met no end of thinking it knows). The other templates drop a message's
 * reasoning; the block carries the thinking there, and stays first.
 */
function reasoningRenderedFirst(original: Record<string, unknown>): NonNullable<ContinuationRequest['order']> {
  const probe = (reasoning: string | undefined) => {
    const body: Record<string, unknown> = { messages: probeMessages('reasoning', reasoning, false), add_generation_prompt: false, continue_final_message: true };
    if (typeof original.model === 'string') body.model = original.model;
    if (original.chat_template_kwargs !== undefined) body.chat_template_kwargs = original.chat_template_kwargs;
    return body;
  };
  const count = (answer: unknown) => (isRecord(answer) && typeof answer.count === 'number' ? answer.count : null);
  return {
    path: '/tokenize',
    bodies: [probe(PROBE_REASONING), probe(undefined)],
    fallbackFirst: (a, b) => {
      const withReasoning = count(a);
      const without = count(b);
      return withReasoning !== null && without !== null && withReasoning - without >= 16;
    },
  };
}

/** The same with the assistant message given: it closes the thinking in the model's own format. */
export function chatContinuation(original: Record<string, unknown>, assistant: Record<string, unknown>, maxTokens: number, generated = 0): ContinuationRequest {
  const messages = Array.isArray(original.messages) ? [...(original.messages as unknown[])] : [];
  messages.push(assistant);
  const body: Record<string, unknown> = {
    ...original,
    messages,
    continue_final_message: true,
    add_generation_prompt: false,
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  delete body.max_completion_tokens;
  delete body.thinking_token_budget;
  delete body.n;
  // vLLM's echo prepends the last message when it has the new one's role: the prefill (the
  // thinking so far), which would reach the client as answer text.
  delete body.echo;
  // vLLM refuses prompt_logprobs on a stream (400), and this call streams; they would be of
  // another prompt anyway (the client's own are in the first leg's answer).
  delete body.prompt_logprobs;
  // The client's floor was for the whole completion: what is left of it after the first leg, and
  // never above this call's ceiling (vLLM and SGLang refuse that with 400).
  if (typeof original.min_tokens === 'number') body.min_tokens = Math.max(0, Math.min(original.min_tokens - generated, maxTokens));
  return { path: '/v1/chat/completions', body };
}
