import { keepAliveSeconds } from './keep-alive.js';
import { FORMAT_PROBE, continuationPrompt, probeMessages, rawContinuationLoses, thinkingFormat } from './think-prompt.js';
import { applyTokenCeiling, ceilingLimits, mergeOpenAiContinuation, openAiEditing, requestStreamUsage, withinContext } from './openai.js';
import { emptyChunk, isRecord, positiveInt, type BudgetPlan, type ChunkInfo, type ContinuationMerge, type ContinuationRequest, type Dialect, type RewriteResult, type BackendOptions, type TokenLimits } from './types.js';

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
    out.toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
  }
  if (json.done === true) {
    out.finishReason = typeof json.done_reason === 'string' ? json.done_reason : 'stop';
    out.completionTokens = positiveInt(json.eval_count);
    out.promptTokens = positiveInt(json.prompt_eval_count);
  }
  return out;
}

/**
 * Request fields that shape sampling, model choice, the context and what the answer reports,
 * carried into a continuation (/api/generate reads each as /api/chat does; logprobs since Ollama
 * 0.12.11). `shift` also decides, with the runner options, whether Ollama reloads the model.
 */
const CARRIED_FIELDS = ['model', 'keep_alive', 'format', 'logprobs', 'top_logprobs', 'shift', 'truncate'] as const;

/**
 * What the render call carries (and its keep_alive, renderKeepAlive): it schedules the model as a
 * chat does (server/routes.go), so without the client's runner options (`num_ctx`, `num_gpu`, ...)
 * and `shift` Ollama reloads the model for it and again for the generate call (needsReload in
 * server/sched.go), and without `keep_alive` it resets how long the model stays;
 * `options.num_ctx` and `truncate` also decide how much of the history the rendered prompt keeps.
 */
const RENDERED_FIELDS = ['model', 'think', 'tools', 'options', 'shift', 'truncate'] as const;

/**
 * The keep_alive a request runs with: its own, else the server's default where the config gives
 * it (backends[].serverKeepAlive; Ollama reads a null keep_alive as none).
 */
function runsWith(keepAlive: unknown, o: BackendOptions): unknown {
  return keepAlive === undefined || keepAlive === null ? o.serverKeepAliveSeconds : keepAlive;
}

/** Whether a request unloads the model as soon as it ends (a keep_alive of 0, or under a second). */
function unloadsAtOnce(keepAlive: unknown, o: BackendOptions): boolean {
  const seconds = keepAliveSeconds(runsWith(keepAlive, o));
  return seconds !== null && seconds < 1;
}

/**
 * The keep_alive of the render and generate calls: the client's, but where that would unload the
 * model at once (the client's keep_alive, or the server's default) the short hold the chat was
 * sent with, so that the model the chat loaded serves them all; thinkcap unloads it when the
 * response is over (release), once no other request through it holds the model.
 */
function followKeepAlive(v: unknown, o: BackendOptions): unknown {
  return unloadsAtOnce(v, o) ? FOLLOW_KEEP_ALIVE : v;
}

/** Whether the upstream is cut at the budget for a continuation to answer (thinking on, a continuation backend). */
function cutsOff(body: Record<string, unknown>, plan: BudgetPlan, o: BackendOptions): boolean {
  return o.continuation && plan.cutOff !== false && plan.thinkingBudget > 0 && body.think !== false;
}

/**
 * How long a chat that a continuation may follow (cut off at the budget, or a rescue where the
 * model ends inside thinking), and the render and generate calls that follow it, keep the model
 * loaded where the client's keep_alive would unload it at once: long enough for the next call,
 * milliseconds later. thinkcap unloads it when the response is over (release: Ollama's unload
 * request, /api/generate with no prompt and keep_alive 0, server/routes.go), once no other
 * request through this process holds it (an unload ends every hold on the model: HeldModels);
 * should that call fail, the model stays this long (an idle model is still evicted where another
 * needs the memory).
 */
const FOLLOW_KEEP_ALIVE = '10s';

/** The num_predict ceiling: budget + answer allowance, or under cut-off the budget itself (thinking on). */
function ollamaLimits(body: Record<string, unknown>, plan: BudgetPlan, o: BackendOptions): TokenLimits {
  const clientMax = positiveInt(isRecord(body.options) ? body.options.num_predict : undefined);
  const cutOff = cutsOff(body, plan, o);
  // Cut off at the budget plus the grace window (requests.graceRatio), as on the other dialects:
  // at the budget alone the engine stopped before the line the grace lets thinking finish.
  const ceiling = withinContext(cutOff ? plan.thinkingBudget + (plan.graceTokens ?? 0) : plan.thinkingBudget + plan.answerTokens, plan);
  return { clientMaxTokens: clientMax, upstreamMaxTokens: clientMax === null ? ceiling : Math.min(clientMax, ceiling) };
}

/**
 * The template's own way with a finished turn's thinking (Ollama's renderers for Cohere's
 * reasoning models, Gemma 4: `<|channel>thought` … `<channel|>`), rendered by the same server: a
 * render of the probe conversation, its assistant message last, as templates that keep thinking
 * only after the last user message (Gemma 4's, Qwen3.5's) then write it. Tools are left out (the
 * format does not need them). None where the backend's thinkingFormat is configured.
 */
function formatProbe(o: BackendOptions, render: Record<string, unknown>, field: 'thinking' | 'reasoning'): Record<string, unknown> | undefined {
  if (o.thinkingFormat) return undefined;
  const probe: Record<string, unknown> = { ...render, messages: probeMessages(field, FORMAT_PROBE.reasoning, false) };
  delete probe.tools;
  return probe;
}

/** The prompt Ollama's template rendered for a render-only request (`_debug_info.rendered_template`; /api/chat and /v1 alike), or null. */
function renderedOf(answer: unknown): string | null {
  const info = isRecord(answer) ? answer._debug_info : undefined;
  return isRecord(info) && typeof info.rendered_template === 'string' ? info.rendered_template : null;
}

/**
 * The raw continuation's prompt from the render's answer: the rendered prompt, the thinking so
 * far closed in the template's own format (configured, or learnt from the probe's render), and
 * the answer so far. Null where the answer holds no rendered prompt.
 */
function renderedPrompt(o: BackendOptions, thinking: string, answerSoFar: string): (rendered: unknown, probed?: unknown) => string | null {
  return (rendered, probed) => {
    const template = renderedOf(rendered);
    if (template === null) return null;
    const learnt = renderedOf(probed);
    return continuationPrompt(template, thinking, answerSoFar, o.thinkingFormat ?? (learnt === null ? null : thinkingFormat(template, learnt)));
  };
}

/**
 * Budget forcing on Ollama. Its /api/chat does not continue a prefilled assistant turn with
 * thinking closed the same way for every template, so thinkcap asks Ollama for the exact
 * prompt its template renders (/api/chat with `_debug_render_only`, answered with
 * `_debug_info.rendered_template`), appends the thinking so far and the end-of-thinking tag,
 * and has /api/generate continue that text as is (`raw`, no template; `think: false`, so the
 * output is all answer). The NDJSON `response` lines are passed on as chat lines.
 */
function ollamaContinuation(o: BackendOptions, original: Record<string, unknown>, thinking: string, answerSoFar: string, maxTokens: number): ContinuationRequest {
  const render: Record<string, unknown> = { messages: original.messages, stream: false, _debug_render_only: true };
  for (const k of RENDERED_FIELDS) if (original[k] !== undefined) render[k] = original[k];
  // A server older than render-only requests answers a chat instead: one token at most.
  render.options = { ...(isRecord(render.options) ? render.options : {}), num_predict: 1 };
  const keepAlive = followKeepAlive(original.keep_alive, o);
  if (keepAlive !== undefined) render.keep_alive = keepAlive;
  const body: Record<string, unknown> = { prompt: '', raw: true, stream: true, think: false, options: { ...(isRecord(original.options) ? original.options : {}), num_predict: maxTokens } };
  for (const k of CARRIED_FIELDS) if (original[k] !== undefined) body[k] = original[k];
  if (keepAlive !== undefined) body.keep_alive = keepAlive;
  const probe = formatProbe(o, render, 'thinking');
  return { path: '/api/generate', body, render: { path: '/api/chat', body: render, probe, prompt: renderedPrompt(o, thinking, answerSoFar) }, convert: 'ollama-generate', ndjson: true };
}

/**
 * The completion cap on Ollama's /v1 (max_tokens, its only length field): the budget where the
 * upstream is cut off for a continuation (thinking on), else budget + answer allowance.
 */
function openAiCeiling(plan: BudgetPlan, o: BackendOptions): number {
  const cutOff = o.continuation && plan.cutOff !== false && plan.thinkingBudget > 0;
  return withinContext(cutOff ? plan.thinkingBudget + (plan.graceTokens ?? 0) : plan.thinkingBudget + plan.answerTokens, plan);
}

/**
 * The sampling fields of a /v1 chat request as Ollama's /v1 hands them to the model (options, and
 * `format` from response_format; openai/openai.go FromChatRequest): temperature and top_p 1.0
 * where the request sets none, `stop` as a list.
 */
function openAiSampling(body: Record<string, unknown>): { options: Record<string, unknown>; format?: unknown } {
  const options: Record<string, unknown> = { temperature: body.temperature ?? 1.0, top_p: body.top_p ?? 1.0 };
  for (const k of ['seed', 'frequency_penalty', 'presence_penalty'] as const) if (body[k] !== undefined && body[k] !== null) options[k] = body[k];
  if (typeof body.stop === 'string') options.stop = [body.stop];
  else if (Array.isArray(body.stop)) options.stop = body.stop.filter((x) => typeof x === 'string');
  const rf = isRecord(body.response_format) ? body.response_format : null;
  const type = rf && typeof rf.type === 'string' ? rf.type.trim().toLowerCase() : '';
  const format = type === 'json_object' ? 'json' : type === 'json_schema' && isRecord(rf!.json_schema) ? rf!.json_schema.schema : undefined;
  return format === undefined ? { options } : { options, format };
}

/**
 * A follow-up on Ollama's /v1. Its chat has no raw continuation, but the server behind it has
 * Ollama's own: the request rendered as /v1 renders it (/v1/chat/completions with
 * `_debug_render_only`, which converts the messages, tools and reasoning effort as the first leg's
 * request was, and answers `_debug_info.rendered_template`), the thinking so far and the end of
 * thinking appended, and /api/generate continuing that text (`raw`, `think: false`). Its NDJSON
 * answer reaches the client as /v1 chat chunks (convert 'ollama-generate-openai').
 */
function ollamaOpenAiContinuation(o: BackendOptions, original: Record<string, unknown>, thinking: string, answerSoFar: string, maxTokens: number): ContinuationRequest {
  const { stream: _stream, stream_options: _options, ...rest } = original;
  // max_tokens 1: a server older than render-only requests answers a chat instead, one token at most.
  const render: Record<string, unknown> = { ...rest, stream: false, max_tokens: 1, _debug_render_only: true };
  const { options, format } = openAiSampling(original);
  const body: Record<string, unknown> = { model: original.model, prompt: '', raw: true, stream: true, think: false, options: { ...options, num_predict: maxTokens } };
  if (format !== undefined) body.format = format;
  // Logprobs as /v1 asks for them (FromChatRequest): the answer's tokens get theirs too.
  if (original.logprobs === true) body.logprobs = true;
  if (typeof original.top_logprobs === 'number') body.top_logprobs = original.top_logprobs;
  // /v1 calls a message's thinking `reasoning`.
  const probe = formatProbe(o, render, 'reasoning');
  return { path: '/api/generate', body, render: { path: '/v1/chat/completions', body: render, probe, prompt: renderedPrompt(o, thinking, answerSoFar) }, convert: 'ollama-generate-openai', ndjson: true };
}

/** The first whole /api/chat answer with the continuation's answer, finish, logprobs and both legs' counts. */
function mergeOllamaContinuation(firstBody: Buffer, m: ContinuationMerge): Buffer {
  let json: unknown;
  try {
    json = JSON.parse(firstBody.toString('utf8'));
  } catch {
    return firstBody;
  }
  if (!isRecord(json) || !isRecord(json.message)) return firstBody;
  json.message.content = m.content;
  if (m.finishReason) json.done_reason = m.finishReason;
  json.eval_count = m.completionTokens;
  // The first leg's list holds its tokens (the thinking); the continuation's follow.
  if (m.logprobs) json.logprobs = [...(Array.isArray(json.logprobs) ? json.logprobs : []), ...m.logprobs];
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/**
 * Ollama native /api/chat: NDJSON stream (the default when `stream` is absent), `think`
 * (false, true, or "low" | "medium" | "high" for models with levels), reasoning in
 * message.thinking, length cap options.num_predict, counts on the final (`done`) line, always
 * (part of Ollama's API, so never unasked usage). Ollama has no numeric thinking cap: past the
 * budget the stream rewrite drops reasoning, num_predict bounds the total, and under cut-off +
 * continuation num_predict stops thinking at the budget and thinkcap has Ollama answer.
 */
export function ollamaDialect(o: BackendOptions): Dialect {
  return {
    name: 'ollama',
    // think and its levels: no number.
    writesEngineCap: false,
    streamFormat: 'ndjson',
    // num_predict -1 (or -2) is Ollama's "no limit": no client limit of its own.
    clientMaxTokens: (body) => positiveInt(isRecord(body.options) ? body.options.num_predict : undefined),
    limits: (body, plan) => ollamaLimits(body, plan, o),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const limits = ollamaLimits(body, plan, o);
      // Loaded once for the chat and what may follow it, not once for each (a model load takes seconds).
      const holdsModel = unloadsAtOnce(body.keep_alive, o) && (cutsOff(body, plan, o) || plan.mayFollow === true);
      if (holdsModel) body.keep_alive = FOLLOW_KEEP_ALIVE;
      body.options = { ...(isRecord(body.options) ? body.options : {}), num_predict: limits.upstreamMaxTokens };
      if (body.think !== false && !o.rewriteOnly) {
        body.think = plan.thinkingBudget === 0 ? false : o.thinkLevels ? effortFor(plan.thinkingBudget, o) : true;
      }
      // The render call renders `think` into the prompt (gpt-oss's template: "Reasoning: low"):
      // rendered with the client's value, the continuation's prompt would not be the one the
      // first leg ran on (another reasoning level, and none of Ollama's cached prompt reused).
      const continuationFields = body.think !== undefined ? { think: body.think } : undefined;
      const release = holdsModel && typeof body.model === 'string' ? { release: { path: '/api/generate', body: { model: body.model, keep_alive: 0 } } } : {};
      return { ...limits, stream: body.stream !== false, clientWantsUsage: true, ...(continuationFields ? { continuationFields } : {}), ...release };
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
    contentEvent: (text) => ({ created_at: new Date().toISOString(), message: { role: 'assistant', content: text }, done: false }),
    // The final line is dropped instead (isFinalEvent): nothing to hide on the line itself.
    hideFinish() {},
    isUsageOnly: () => false,
    isFinalEvent: (event) => event.done === true,
    // The final line's eval_count covers both legs of a continuation, and its prompt_eval_count
    // is the client's prompt (the continuation's also holds the first leg's output).
    annotateUsage(json, _reasoningTokens, completionOffset, promptTokens) {
      if (json.done !== true) return false;
      let changed = false;
      if (completionOffset > 0 && typeof json.eval_count === 'number') {
        json.eval_count += completionOffset;
        changed = true;
      }
      if (promptTokens != null && typeof json.prompt_eval_count === 'number' && json.prompt_eval_count !== promptTokens) {
        json.prompt_eval_count = promptTokens;
        changed = true;
      }
      return changed;
    },
    setResponseText(json, reasoning, content) {
      const m = json.message;
      if (!isRecord(m)) return;
      if (reasoning !== null) m.thinking = reasoning;
      if (content !== null) m.content = content;
    },
    buildContinuation: (original, thinking, answerSoFar, maxTokens) => ollamaContinuation(o, original, thinking, answerSoFar, maxTokens),
    mergeContinuation: mergeOllamaContinuation,
    continuationLoses: rawContinuationLoses,
  };
}

/**
 * Ollama's OpenAI-compatible /v1: `reasoning_effort` none | low | medium | high (a `reasoning`
 * object, which it reads first, is removed), reasoning in delta.reasoning, usage with
 * stream_options.include_usage, the length cap in max_tokens only.
 */
export function ollamaOpenAiDialect(o: BackendOptions): Dialect {
  return {
    name: 'ollama-openai',
    writesEngineCap: false,
    streamFormat: 'sse',
    ...openAiEditing,
    limits: (body, plan) => ceilingLimits(body, openAiCeiling(plan, o)),
    rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult {
      const result = applyTokenCeiling(body, plan, openAiCeiling(plan, o));
      if (!o.rewriteOnly) {
        // Ollama reads reasoning.effort before reasoning_effort (an empty reasoning object: the
        // model's default), so a client's reasoning object would replace the effort written here.
        delete body.reasoning;
        body.reasoning_effort = effortFor(plan.thinkingBudget, o);
      }
      requestStreamUsage(body, false);
      // A follow-up's render must see the effort the first leg ran with (it renders into some
      // templates' prompts), not the client's reasoning object, which Ollama reads first.
      return o.rewriteOnly ? result : { ...result, continuationFields: { reasoning: undefined, reasoning_effort: body.reasoning_effort } };
    },
    buildContinuation: (original, thinking, answerSoFar, maxTokens) => ollamaOpenAiContinuation(o, original, thinking, answerSoFar, maxTokens),
    mergeContinuation: mergeOpenAiContinuation,
    continuationLoses: rawContinuationLoses,
  };
}
