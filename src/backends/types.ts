import type { DialectName, TierName } from '../config/schema.js';

/** How a configured backend enforces budgets, handed to its dialect. */
export interface BackendOptions {
  /** Write the engine's own budget fields (enforcement `native`). */
  native: boolean;
  /** Cut-off + continuation: the upstream is capped at the budget (enforcement `continuation`). */
  continuation: boolean;
  /** Stream rewrite only (enforcement `rewrite`): no engine field at all, only the length ceiling. */
  rewriteOnly: boolean;
  disableThinkingAtZero: boolean;
  logitProcessor?: string;
  /** SGLang --enable-strict-thinking: custom_params.thinking_budget alone caps thinking. */
  strictThinking: boolean;
  /** The engine's per-request thinking-budget field (llama.cpp), if it has one. */
  budgetField?: string;
  /** Ollama models with think levels ("low" | "medium" | "high") rather than true/false. */
  thinkLevels: boolean;
  /** The chat template's generation prompt opens `<think>` (backends[].thinkPrefilled): `always`, or unless enable_thinking is false. */
  thinkPrefilled: boolean | 'always';
  /** backends[].thinkingFormat: the template's own markers around a finished turn's thinking, where configured. */
  thinkingFormat?: { readonly open: string; readonly close: string };
  /** Ollama: the server's default keep_alive in seconds (backends[].serverKeepAlive), where configured. */
  serverKeepAliveSeconds?: number;
  tierBudgets: Record<TierName, number>;
}

/** What thinkcap decided for one request, handed to the dialect that rewrites it. */
export interface BudgetPlan {
  /** Thinking tokens allowed. */
  thinkingBudget: number;
  /** Answer tokens allowed when the client set no limit of its own. */
  answerTokens: number;
  /** Cut-off + continuation: tokens the upstream may think past the budget to finish its line. */
  graceTokens?: number;
  /**
   * false: no cut-off on a continuation backend (no continuation can follow and answer as asked:
   * several choices, no full-duplex Envoy, a request its continuation would not carry whole):
   * capped as native, with the engine's budget field; the stream rewrite enforces.
   */
  cutOff?: boolean;
  /**
   * Completion tokens the engine's context leaves after the prompt (backends[].contextTokens),
   * where known: no limit is written above it.
   */
  contextRoom?: number;
  /**
   * thinkcap may follow the upstream call with a call of its own to the backend (a continuation,
   * or the rescue of a model that ends inside thinking; plan.ts followUps).
   */
  mayFollow?: boolean;
}

/** Completion-token limits of a request: the client's own and the one sent upstream. */
export interface TokenLimits {
  /** The client's own completion-token limit, if it set one (never raised). */
  clientMaxTokens: number | null;
  /** The completion-token limit sent upstream. */
  upstreamMaxTokens: number;
}

export interface RewriteResult extends TokenLimits {
  /** The client asked for a streamed response. */
  stream: boolean;
  /** The client itself asked for usage in the stream (else usage chunks thinkcap added are removed). */
  clientWantsUsage: boolean;
  /**
   * Fields the first leg was sent with other values than the client's that a continuation must
   * be built with too (Ollama: the `think` level written, which its template renders into the
   * prompt). The continuation is otherwise built from the client's request.
   */
  continuationFields?: Readonly<Record<string, unknown>>;
  /**
   * A call to the backend once the response is over, continued or not, made by the last request
   * through this process that holds the model (Ollama: unload the model whose keep_alive the
   * rewrite and the continuation lengthened, as the client's keep_alive asked; HeldModels).
   */
  release?: { readonly path: string; readonly body: Readonly<Record<string, unknown>> };
}

/** One parsed stream event or non-streaming body, in dialect-neutral terms. */
export interface ChunkInfo {
  reasoning: string;
  content: string;
  /** Completion tokens so far (running, from continuous usage) or in total (final usage). */
  completionTokens: number | null;
  promptTokens: number | null;
  /** Reasoning tokens reported by the backend, when it reports them. */
  reasoningTokens: number | null;
  finishReason: string | null;
  /** A usage-only chunk (no choices). */
  usageOnly: boolean;
  /** An error payload from the backend. */
  error: string | null;
  /** The event carries tool calls: the model's answer is a call, not text (Ollama ends it with done_reason "stop"). */
  toolCalls: boolean;
}

/** What a whole JSON answer takes from its continuation. */
export interface ContinuationMerge {
  content: string;
  finishReason: string | null;
  completionTokens: number;
  reasoningTokens: number;
  /** The continuation's token logprobs in the dialect's own entries (OpenAI chat's, Ollama's), where the client asked for them. */
  logprobs?: unknown[] | null;
}

export interface ContinuationRequest {
  /** Path on the same backend. */
  path: string;
  body: Record<string, unknown>;
  /**
   * Render the conversation with the engine's own chat template first (POST path with body),
   * then send `prompt(answer)` as body.prompt: budget forcing on the exact prompt the engine
   * would have used, with the thinking so far and the end-of-thinking tag. `prompt` returns null
   * when the answer holds no rendered prompt. `probe`: a second body rendered alongside (the
   * template's way with a finished turn's thinking, think-prompt.ts thinkingFormat), its answer
   * given to `prompt` too (undefined where that call failed: the default format then).
   */
  render?: { path: string; body: Record<string, unknown>; probe?: Record<string, unknown>; prompt(rendered: unknown, probed?: unknown): string | null };
  /**
   * The backend answers in another shape than the client's chat stream: a text completion
   * (`choices[].text` SSE) or Ollama's /api/generate NDJSON (`response`); thinkcap passes it on
   * as chat events of the client's format (/api/chat lines, or /v1 chat chunks).
   */
  convert?: 'text-completion' | 'ollama-generate' | 'ollama-generate-openai';
  /** The body is streamed as NDJSON (Ollama) rather than SSE. */
  ndjson?: boolean;
  /**
   * Ask for each connection to be closed after its answer. llama-server closes a connection
   * after every streamed answer although it advertises keep-alive; a request sent on it before
   * the close arrives fails.
   */
  closeConnection?: boolean;
  /**
   * Sent instead where the backend refuses `body` with 400 before answering: vLLM refuses a
   * continued message that its chat template does not render back as it was sent (HF's
   * continue_final_message check), which some templates do to a think block in content.
   */
  fallback?: Record<string, unknown>;
  /**
   * Which of `body` and `fallback` goes first: two bodies POSTed to `path` before the
   * continuation, and where `fallbackFirst` reads their answers so, the fallback is sent first and
   * `body` after a 400 (vLLM: /tokenize of a short conversation whose continued message carries
   * reasoning, and of the same without; a template that renders that reasoning writes the thinking
   * in its own format, where a `<think>` block in content is text to it). Either call failing
   * leaves the order as it is.
   */
  order?: { path: string; bodies: readonly [Record<string, unknown>, Record<string, unknown>]; fallbackFirst(a: unknown, b: unknown): boolean };
}

export interface Dialect {
  readonly name: DialectName;
  /**
   * The engine reads a thinking cap this dialect writes under native enforcement; false: past
   * the budget only the stream rewrite and thinkcap's follow-ups hold the line.
   */
  readonly writesEngineCap: boolean;
  /** How the streamed response is framed. */
  readonly streamFormat: 'sse' | 'ndjson';
  /** The client's own completion-token limit in a request body, or null when it set none. */
  clientMaxTokens(body: Record<string, unknown>): number | null;
  /** The limits `rewriteRequest` would write, computed without touching the body (for the reservation). */
  limits(body: Record<string, unknown>, plan: BudgetPlan): TokenLimits;
  /** Write the budget into the request body in place; the body is the parsed client JSON. */
  rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult;
  /** Parse one stream event's JSON (SSE data or NDJSON line). */
  parseStreamEvent(json: unknown): ChunkInfo;
  /** Parse a whole non-streaming response body (its choice `index`, 0 by default, where it has several). */
  parseResponse(json: unknown, index?: number): ChunkInfo;
  /**
   * The choice a stream event carries, where the format has several (n > 1: engines send each
   * choice's deltas as events of their own); absent: one choice. Several choices in one event
   * read as their first.
   */
  choiceIndex?(event: Record<string, unknown>): number;
  /** How many choices a whole non-streaming response holds (absent: one). */
  responseChoices?(json: Record<string, unknown>): number;
  /** Remove the reasoning text from a stream event (in place). */
  stripReasoning(event: Record<string, unknown>): void;
  /** Replace the answer text of a stream event (in place). */
  setContent(event: Record<string, unknown>, text: string): void;
  /** Remove usage the client did not ask for; true if the event carried nothing else and should be dropped. */
  stripUsage(event: Record<string, unknown>): boolean;
  /** True when, after edits, the event carries nothing the client needs. */
  isEmpty(event: Record<string, unknown>): boolean;
  /** A stream event carrying only `text` as answer content, in this dialect's format (a think block closed by thinkcap). */
  contentEvent(text: string, index?: number): Record<string, unknown>;
  /** Hide the finish of a stream event (in place): a continuation will finish the stream. */
  hideFinish(event: Record<string, unknown>): void;
  /** An event with usage and nothing else (OpenAI's usage chunk). */
  isUsageOnly(event: Record<string, unknown>): boolean;
  /** The last event of a stream in formats that mark it (Ollama's `done: true`); SSE ends with [DONE] instead. */
  isFinalEvent(event: Record<string, unknown>): boolean;
  /**
   * Write thinkcap's figures into a usage object the client will see (in place): the reasoning
   * token count where the engine gave none, and earlier legs' completion tokens (a
   * continuation). `promptTokens`, where given, is the prompt of the client's own request (the
   * first leg's): a continuation's prompt also holds the first leg's thinking and answer, which
   * its completion already counts. Returns true when it changed something.
   */
  annotateUsage?(json: Record<string, unknown>, reasoningTokens: number, completionOffset: number, promptTokens?: number | null): boolean;
  /**
   * A stream event carrying only usage, in this dialect's format (OpenAI's usage chunk): for a
   * client that asked for usage, where thinkcap ends the stream before the engine sent its own.
   */
  usageEvent?(usage: { promptTokens: number; completionTokens: number; reasoningTokens: number }): Record<string, unknown>;
  /**
   * Request fields only thinkcap may set on this backend: a client's own (not null) is refused
   * with 400 before any upstream call, whatever the enforcement mode.
   */
  readonly reservedFields?: readonly string[];
  /** The engine streams one token per event, so reasoning events count reasoning tokens exactly. */
  readonly tokenPerEvent?: boolean;
  /**
   * The engine's usage counts one choice however many it generated (llama-server: with n or
   * n_cmpl 3, completion_tokens was one choice's), so a request of several is charged its
   * reservation, which covers them all.
   */
  readonly usageCountsOneChoice?: boolean;
  /** Set reasoning / answer of a whole non-streaming response (in place). */
  setResponseText(json: Record<string, unknown>, reasoning: string | null, content: string | null, index?: number): void;
  /**
   * A whole (non-streaming) answer finished by a continuation: the first response's JSON with
   * the full answer, the continuation's finish reason and both legs' completion tokens.
   */
  mergeContinuation?(firstBody: Buffer, merged: ContinuationMerge): Buffer;
  /**
   * Budget forcing: a request that continues from prompt + thinking so far + end of thinking,
   * so the backend answers without thinking further (`generated`: the tokens the first leg
   * generated). Absent where the dialect cannot.
   */
  buildContinuation?(original: Record<string, unknown>, thinking: string, answerSoFar: string, maxTokens: number, generated?: number): ContinuationRequest;
  /**
   * What this dialect's continuation could not give back of a request (null: nothing), for a
   * request that then gets no cut-off: its answer would not be what the client asked for.
   */
  continuationLoses?(body: Record<string, unknown>): string | null;
}

export function emptyChunk(): ChunkInfo {
  return {
    reasoning: '',
    content: '',
    completionTokens: null,
    promptTokens: null,
    reasoningTokens: null,
    finishReason: null,
    usageOnly: false,
    error: null,
    toolCalls: false,
  };
}

export function positiveInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
