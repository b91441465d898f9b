/**
 * Backend emulator (test infrastructure, not the product). Speaks the wire format of each
 * reasoning-model server thinkcap supports and obeys, or ignores, its thinking-budget fields
 * the way the real engine does, so tests can count exactly how many thinking tokens were
 * generated. One token is one SSE event / NDJSON line, as the engines stream them.
 *
 * - vllm: /v1/chat/completions; reasoning in delta.reasoning (or reasoning_content, older
 *   vLLM); `thinking_token_budget` ends thinking; include_usage + continuous_usage_stats.
 * - sglang: reasoning_content; `custom_logit_processor` + `custom_params.thinking_budget` cap
 *   thinking (only when the server has the processor: option sglangProcessor); final usage only.
 * - llamacpp: shaped like the recorded real llama-server (test/fixtures/llamacpp/recorded):
 *   reasoning_content (or `<think>` in content with reasoningFormat none, the opening tag glued
 *   to the first token and the closing tag in three token events); `reasoning_budget_tokens` /
 *   `thinking_budget_tokens` end thinking (the forced closing tag costs 3 tokens); timings on the
 *   finish chunk; with include_usage a usage-only chunk follows it.
 * - ollama: native /api/chat NDJSON (stream defaults to true), `think` false | true | level,
 *   `message.thinking`, `options.num_predict`, final object with done_reason and counts;
 *   `_debug_render_only` answers `_debug_info.rendered_template` (a Qwen3-style ChatML
 *   template that leaves `<think>` to the model), and /api/generate with `raw` continues a
 *   prompt as is (`response` lines), as Ollama's server/routes.go does (option harmony: a
 *   gpt-oss model, its template's shape and channels); `logprobs` /
 *   `top_logprobs` (0-20, else 400) give each line the top-level `logprobs` of its token, and a
 *   whole answer all of them in one list (api.Logprob); a model load is counted where the
 *   runner options change or keep_alive 0 unloaded it, and the unload request (keep_alive 0 with
 *   no prompt or no messages) expires the runner and answers done_reason "unload"; a keep-alive
 *   of 0 (a request's, which sets the runner's, or an unload's) takes the model away once no
 *   request runs on it, as Ollama's scheduler does (server/sched.go).
 * - ollama-openai: Ollama /v1, `reasoning_effort` none | low | medium | high, delta.reasoning.
 * - generic: `<think>…</think>` inside content; no budget field; the template may pre-fill
 *   `<think>` (option thinkPrefilled) so the stream starts inside the block.
 * Common: max_tokens (max_completion_tokens, num_predict) caps thinking + answer together and
 * ends with finish_reason "length"; `continue_final_message` with a closed think block in the
 * last assistant message continues the answer without thinking (budget-forcing continuation).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from '../../src/stream/tokens.js';

export type EmulatedDialect = 'vllm' | 'sglang' | 'llamacpp' | 'ollama' | 'ollama-openai' | 'generic';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  body: unknown;
  at: number;
}

export interface GenerationPlan {
  /** Reasoning tokens the model would produce if nothing stopped it. */
  thinkingTokens: number;
  /** Answer tokens it produces after thinking. */
  answerTokens: number;
  /** The engine dies after this many stream writes: its connection is destroyed (a whole answer: before any byte). */
  dropAfter?: number;
  /** The model ends its turn with a tool call after its answer text (OpenAI: finish_reason tool_calls; Ollama: done_reason stop). */
  toolCall?: boolean;
  /** Delay between tokens for this request, in ms (over tokenDelayMs and the delay header). */
  tokenDelayMs?: number;
  /** Nothing is sent for this long first, headers included (a busy engine that queues the request). */
  firstByteDelayMs?: number;
  /** A stream's response stays open this long after its `[DONE]` (Ollama's /api/generate: its done line) before it ends (OpenAI-style, llama.cpp and /api/generate streams). */
  endDelayMs?: number;
}

/** Ollama's shape of it (api.ToolCall: arguments as an object). */
const OLLAMA_TOOL_CALL = { function: { name: 'lookup', arguments: { q: 'x' } } };

/** The tool call the emulated model makes (GenerationPlan.toolCall). */
export const EMULATED_TOOL_CALL = { id: 'call_emu', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } } as const;

export interface EmulatorOptions {
  dialect?: EmulatedDialect;
  /** Natural lengths for a request (default: 200 thinking, 20 answer). */
  plan?: (body: Record<string, unknown>) => GenerationPlan;
  /** Delay between tokens in ms (0 = as fast as possible). */
  tokenDelayMs?: number;
  /** Ignore every budget field (a server started without a reasoning config). */
  ignoreBudget?: boolean;
  /** vLLM: reasoning field name in deltas (older vLLM: reasoning_content). */
  reasoningField?: 'reasoning' | 'reasoning_content';
  /** SGLang started with --enable-strict-thinking: custom_params.thinking_budget is enforced. */
  sglangStrictThinking?: boolean;
  /**
   * SGLang: the server runs with --enable-custom-logit-processor and this is the processor that
   * enforces the budget (others change nothing here). Unset: a request with any processor is
   * refused with 400, as a server without the flag does.
   */
  sglangProcessor?: string;
  /** llama.cpp: the per-request budget fields this server version honours (default: both names the 0.3.36 tree reads; [] for none). */
  llamacppBudgetFields?: string[];
  /** llama.cpp: --reasoning-format (none: thinking stays in content with its tags). */
  reasoningFormat?: 'deepseek' | 'none';
  /**
   * The markers the model writes around its thinking where they reach content (no reasoning
   * parser): default `<think>`/`</think>`; Seed-OSS's are `<seed:think>`/`</seed:think>`.
   */
  thinkTags?: { open: string; close: string };
  /** Any OpenAI-compatible engine started without a reasoning parser: `<think>…</think>` in content (budget fields that need a parser are ignored). */
  noReasoningParser?: boolean;
  /**
   * generic: the template's generation prompt opens `<think>`. `true`: as Qwen3.5's and the other
   * templates with a switch do, it closes the block instead where chat_template_kwargs.enable_thinking
   * is false, and the model writes the answer alone, no tag; `always`: whatever the request says
   * (DeepSeek-R1 distills' templates). test/fixtures/templates/generation-prompts.json holds both.
   */
  thinkPrefilled?: boolean | 'always';
  /**
   * Ollama: a gpt-oss model (OpenAI's harmony format). The render answers with the shape of
   * Ollama's gpt-oss template (a system message whose "Reasoning:" line is the `think` level,
   * "medium" for true or unset, none for false; `<|start|>user<|message|>…<|end|>` turns; the
   * generation prompt `<|start|>assistant`), and a raw generate answers only where the prompt
   * ends an analysis message and opens the final channel (`<|end|><|start|>assistant<|channel|>
   * final<|message|>`); anything else it goes on thinking, as text.
   * SGLang: a gpt-oss model, rendered by its template. SGLang appends the final assistant
   * message's text to the prompt its template renders with the generation prompt
   * (`<|start|>assistant`; serving_chat.py), so `continue_final_message` continues the answer only
   * where that text ends an analysis message and opens the final channel; other text (a `<think>`
   * block) opens no channel, and the model analyses again.
   */
  harmony?: boolean;
  /**
   * vLLM: the chat template's way with the assistant message a continuation prefills, which vLLM
   * renders through HF's apply_chat_template (continue_final_message: the message must appear in
   * the rendering as it was sent, else 400). `qwen3` (Qwen3's template) writes a think block
   * back as `<think>\n{thinking}\n</think>\n\n{answer}` with the line breaks around the
   * thinking and before the answer trimmed; `glm` (GLM-4.7's) as `<think>{thinking}</think>
   * {answer}`, trimmed. Both take the thinking from the message's `reasoning` (vLLM passes it
   * as reasoning_content) before a think block in its content. `markers`: a template whose
   * thinking is no `<think>` block (Cohere's reasoning models: `<|START_THINKING|>{thinking}
   * <|END_THINKING|><|START_TEXT|>{answer}`), content as it is: a `<think>` block there passes
   * HF's check, and the model, meeting no end of thinking it knows, thinks again. `verbatim`:
   * content is rendered as it is, reasoning dropped. Default `qwen3`, the family most served with
   * a reasoning parser. vLLM's /tokenize renders chats the same way (a token a word). SGLang
   * (which appends the prefill as it is): `markers` ends thinking at that template's markers only.
   * Ollama: `markers` renders as its Cohere renderer does (markersPrompt), and a raw generate
   * answers only after those markers.
   */
  chatTemplate?: 'qwen3' | 'glm' | 'markers' | 'verbatim';
  /** vLLM: answer /tokenize with 404, as a server (or a proxy before it) without the endpoint. */
  noTokenize?: boolean;
  /** Events written per network write (>1 puts several events in one read). */
  eventsPerWrite?: number;
  /** Split every write at this byte offset too (events split across reads). */
  splitWritesAt?: number;
  model?: string;
  /** Stamp every SSE event with `emu_ts` (CLOCK_MONOTONIC ns when written), for latency benchmarks. */
  stampEvents?: boolean;
  /** Answer with gzip when the client accepts it (to check thinkcap asks for identity). */
  gzipWhenAccepted?: boolean;
  /** Wait this long before the response headers (queueing / prefill on a busy server). */
  firstByteDelayMs?: number;
  /**
   * Prompt tokens as a real engine bills them: its own tokenizer (`factor` × the o200k count of
   * the message texts) plus its chat template (`overhead`). Default: words + 4 per message.
   */
  promptBilling?: { factor: number; overhead: number };
  /**
   * A keep-alive that expires as a request arrives: a request on a connection that has been idle
   * at least this long is met by a close, not an answer. vLLM and SGLang (uvicorn) close a
   * connection idle 5 s; a request Envoy sends on it as that close crosses it fails with a 503.
   * Deterministic here, rare and timing-dependent on a real engine.
   */
  closeIdleAfterMs?: number;
  /**
   * vLLM's --max-model-len (SGLang's --context-length): a chat request whose prompt (as billed,
   * promptBilling) plus the completion limit it asks for passes it is refused with 400, in vLLM's
   * own words (serving_engine.py _validate_input); one that asks for no limit gets what is left.
   */
  maxModelLen?: number;
  /**
   * Started with --api-key: a request without `authorization: Bearer <key>` gets 401, as the
   * engines answer it (llama-server: every path but /health, its error object as a running
   * server sends it; vLLM and the others: every /v1 path).
   */
  apiKey?: string;
  /**
   * Ollama: the server's default keep_alive (its OLLAMA_KEEP_ALIVE) for requests that carry none
   * or null; default 5m. Only whether it unloads at once (0) is modelled.
   */
  ollamaKeepAlive?: string | number;
  /**
   * Ollama before render-only requests (0.11.5 for /api/chat, 0.12.0 for /v1): `_debug_render_only`
   * is not a field it reads, so such a request is answered as a chat.
   */
  ollamaNoRender?: boolean;
  /**
   * Ollama: the models the server has and their capabilities (what its /api/show answers, from
   * 0.6.4), listed in this order by /api/tags and /v1/models. A chat, render-only or not, on one
   * without "completion" (an embedding model) is refused with 400 as Ollama's ChatHandler refuses
   * it ("… does not support chat"). Default: `model` alone, which completes.
   */
  ollamaModels?: Array<{ name: string; capabilities: string[] }>;
  /** Listen address (default 127.0.0.1, a free port). */
  host?: string;
  port?: number;
}

export interface Emulator {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Chat requests served (the requests that reached the backend). */
  chatCalls(): number;
  /** Reasoning tokens generated, per chat request. */
  generatedThinking: number[];
  /** Answer text generated, per chat request (continuations included). */
  generatedAnswers: string[];
  /**
   * Ollama: times the model was loaded. Each /api/chat (a render-only one too) and /api/generate
   * schedules the model, and Ollama reloads it where the runner options or the context shift
   * differ from the loaded ones (needsReload in its server/sched.go), or where a request with
   * keep_alive 0 unloaded it.
   */
  ollamaLoads(): number;
  /** Ollama: whether a model is loaded now (keep_alive durations other than 0 are not timed). */
  ollamaLoaded(): boolean;
  options: EmulatorOptions;
  close(): Promise<void>;
}

/** What Ollama's scheduler compares to decide on a reload: the runner options (api.Runner) and the context shift. */
function ollamaRunnerKey(body: Record<string, unknown>): string {
  const o = rec(body.options);
  const runner = ['num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'use_mmap', 'num_thread', 'draft_num_predict'].map((k) => o[k] ?? null);
  return JSON.stringify([...runner, body.shift ?? true]);
}

const THINK_WORDS = ['Let', 'me', 'think', 'about', 'this', 'carefully', 'step', 'by', 'step', 'first', 'consider', 'the', 'problem', 'then', 'check', 'each', 'case', 'and', 'verify', 'it'];
const ANSWER_WORDS = ['The', 'answer', 'is', 'that', 'it', 'depends', 'on', 'the', 'details', 'given', 'here', 'so', 'we', 'conclude', 'with', 'a', 'clear', 'result', 'as', 'follows'];

/** Token i of the reasoning: a word with a leading space, as BPE tokenizers cut English. */
export function thinkingToken(i: number): string {
  return (i === 0 ? '' : ' ') + THINK_WORDS[i % THINK_WORDS.length]!;
}
export function answerToken(i: number): string {
  return (i === 0 ? '' : ' ') + ANSWER_WORDS[i % ANSWER_WORDS.length]! + (i % 10 === 9 ? '.' : '');
}
export function expectedAnswer(n: number, from = 0): string {
  let s = '';
  for (let i = from; i < n; i++) s += answerToken(i);
  return s;
}

function promptTokens(body: Record<string, unknown>, billing?: { factor: number; overhead: number }): number {
  if (billing) {
    const text = (Array.isArray(body.messages) ? body.messages : []).map((m) => String((m as { content?: unknown }).content ?? '')).join('');
    return Math.ceil(countTokens(text) * billing.factor) + billing.overhead;
  }
  let n = 0;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    const c = (m as { content?: unknown }).content;
    if (typeof c === 'string') n += c.split(/\s+/).filter(Boolean).length + 4;
  }
  return n;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

const EFFORT_SHARE: Record<string, number> = { none: 0, low: 0.25, medium: 0.5, high: 1 };

export interface Outcome {
  thinking: number;
  answer: number;
  /** Answer tokens already written before (a continuation starts there). */
  answerFrom: number;
  finish: 'stop' | 'length';
  continuation: boolean;
  /** The template closed the think block in the prompt (thinkPrefilled true, thinking off): the answer alone, no tag. */
  thinkClosedByTemplate?: boolean;
  /** GenerationPlan.dropAfter. */
  dropAfter?: number;
  /** GenerationPlan.toolCall. */
  toolCall?: boolean;
  /** GenerationPlan.tokenDelayMs. */
  tokenDelayMs?: number;
  /** GenerationPlan.firstByteDelayMs. */
  firstByteDelayMs?: number;
  /** GenerationPlan.endDelayMs. */
  endDelayMs?: number;
}

/** What the engine generates for this request: its budget fields obeyed as the real one does. */
export function engineOutcome(dialect: EmulatedDialect, body: Record<string, unknown>, opts: EmulatorOptions): Outcome {
  const plan = opts.plan ? opts.plan(body) : { thinkingTokens: 200, answerTokens: 20 };
  let thinking = plan.thinkingTokens;
  let answerFrom = 0;
  let continuation = false;
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const last = messages[messages.length - 1];
  const template = dialect === 'vllm' ? (opts.chatTemplate ?? 'qwen3') : 'verbatim';
  const prefill = body.continue_final_message === true && last?.role === 'assistant' && typeof last.content === 'string' ? (template !== 'verbatim' ? renderedAssistant(template, last) : last.content) : null;
  // SGLang serving gpt-oss: the prefill goes on after the template's `<|start|>assistant`.
  const harmonyFinal = prefill !== null && dialect === 'sglang' && opts.harmony ? HARMONY_FINAL_OPEN.exec(`<|start|>assistant${prefill}`) : null;
  // Where thinking ends in this template: its own marker, or `</think>`.
  const end = opts.chatTemplate === 'markers' ? MARKERS_ANSWER : '</think>';
  if (prefill !== null && (dialect === 'sglang' && opts.harmony ? harmonyFinal !== null : prefill.includes(end))) {
    // Budget forcing: thinking is closed in the prefill, the model only answers.
    continuation = true;
    thinking = 0;
    const after = (harmonyFinal ? harmonyFinal[1]! : prefill.slice(prefill.lastIndexOf(end) + end.length)).trim();
    answerFrom = after ? after.split(/\s+/).length : 0;
  }
  const kwargs = rec(body.chat_template_kwargs);
  if (kwargs.enable_thinking === false) thinking = 0;
  const thinkClosedByTemplate = opts.thinkPrefilled === true && kwargs.enable_thinking === false;
  if (!opts.ignoreBudget && !opts.noReasoningParser) {
    if (dialect === 'vllm') {
      const b = num(body.thinking_token_budget);
      if (b !== null && b >= 0) thinking = Math.min(thinking, b);
    } else if (dialect === 'sglang') {
      const b = num(rec(body.custom_params).thinking_budget);
      const processor = opts.sglangProcessor && body.custom_logit_processor === opts.sglangProcessor;
      if (b !== null && (processor || opts.sglangStrictThinking)) thinking = Math.min(thinking, b);
    } else if (dialect === 'llamacpp') {
      for (const f of opts.llamacppBudgetFields ?? ['reasoning_budget_tokens', 'thinking_budget_tokens']) {
        const b = num(body[f]);
        if (b !== null && b >= 0) {
          thinking = Math.min(thinking, b);
          break;
        }
      }
    } else if (dialect === 'ollama') {
      const t = body.think;
      if (t === false) thinking = 0;
      else if (typeof t === 'string' && t in EFFORT_SHARE) thinking = Math.round(thinking * EFFORT_SHARE[t]!);
    } else if (dialect === 'ollama-openai') {
      // Ollama's /v1 takes reasoning.effort where a reasoning object is given (an empty one:
      // the model's default), else reasoning_effort (openai/openai.go).
      const r = body.reasoning;
      const e = r && typeof r === 'object' ? rec(r).effort : body.reasoning_effort;
      if (typeof e === 'string' && e in EFFORT_SHARE) thinking = Math.round(thinking * EFFORT_SHARE[e]!);
    }
  }
  // Each engine's own order: llama-server reads n_predict first (max_completion_tokens and
  // max_tokens are its aliases); Ollama's /v1 reads max_tokens only (into num_predict).
  const maxTokens =
    dialect === 'ollama'
      ? (num(rec(body.options).num_predict) ?? Infinity)
      : dialect === 'ollama-openai'
        ? (num(body.max_tokens) ?? Infinity)
        : dialect === 'llamacpp'
          ? (num(body.n_predict) ?? num(body.max_completion_tokens) ?? num(body.max_tokens) ?? Infinity)
          : (num(body.max_completion_tokens) ?? num(body.max_tokens) ?? Infinity);
  const limit = maxTokens < 0 ? Infinity : maxTokens;
  let answer = Math.max(0, plan.answerTokens - answerFrom);
  let finish: 'stop' | 'length' = 'stop';
  if (thinking >= limit) {
    thinking = limit;
    answer = 0;
    finish = 'length';
  } else if (thinking + answer > limit) {
    answer = limit - thinking;
    finish = 'length';
  }
  return { thinking, answer, answerFrom, finish, continuation, thinkClosedByTemplate, ...(plan.dropAfter !== undefined ? { dropAfter: plan.dropAfter } : {}), ...(plan.toolCall && !continuation ? { toolCall: true } : {}), ...(plan.tokenDelayMs !== undefined ? { tokenDelayMs: plan.tokenDelayMs } : {}), ...(plan.firstByteDelayMs ? { firstByteDelayMs: plan.firstByteDelayMs } : {}), ...(plan.endDelayMs ? { endDelayMs: plan.endDelayMs } : {}) };
}

/** The JSON names of the Go structs Ollama decodes a chat request into (api.ChatRequest, openai.ChatCompletionRequest) and their messages. */
const OLLAMA_FIELDS = {
  ollama: ['model', 'messages', 'stream', 'format', 'keep_alive', 'tools', 'options', 'think', 'truncate', 'shift', '_debug_render_only', 'logprobs', 'top_logprobs'],
  'ollama-openai': ['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'seed', 'stop', 'temperature', 'frequency_penalty', 'presence_penalty', 'top_p', 'response_format', 'tools', 'reasoning', 'reasoning_effort', 'logprobs', 'top_logprobs', '_debug_render_only'],
} as const;
const OLLAMA_MESSAGE_FIELDS = {
  ollama: ['role', 'content', 'thinking', 'images', 'tool_calls', 'tool_name', 'tool_call_id'],
  'ollama-openai': ['role', 'content', 'reasoning', 'tool_calls', 'name', 'tool_call_id'],
} as const;

/**
 * An object as Go's encoding/json decodes it into a struct with these JSON names: a key matches
 * a name ignoring case (ſ folds to s, the Kelvin sign to k), keys are applied in order so the
 * last wins, a map field (Ollama's options) takes the keys of each object in turn, and keys
 * naming no field are dropped.
 */
function goDecode(obj: Record<string, unknown>, names: readonly string[], mapFields: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = names.includes(k) ? k : names.find((n) => n === k.toLowerCase().replace(/\u017f/g, 's'));
    if (name === undefined) continue;
    out[name] = mapFields.includes(name) && v && typeof v === 'object' && !Array.isArray(v) ? { ...rec(out[name]), ...(v as Record<string, unknown>) } : v;
  }
  return out;
}

/** What Ollama's handler reads of a chat request body (JSON.parse has already kept the last of exact duplicates, as Go does). */
export function ollamaDecode(dialect: 'ollama' | 'ollama-openai', body: Record<string, unknown>): Record<string, unknown> {
  const out = goDecode(body, OLLAMA_FIELDS[dialect], ['options']);
  if (Array.isArray(out.messages)) out.messages = out.messages.map((m) => (m && typeof m === 'object' && !Array.isArray(m) ? goDecode(m as Record<string, unknown>, OLLAMA_MESSAGE_FIELDS[dialect]) : m));
  return out;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const requests: ReceivedRequest[] = [];
  const generatedThinking: number[] = [];
  const generatedAnswers: string[] = [];
  const opts = options;
  const dialect: EmulatedDialect = opts.dialect ?? 'vllm';
  // The prompt an Ollama server's template renders for a render-only request (either API).
  const renderOllama = (b: Record<string, unknown>) => (opts.harmony ? harmonyPrompt(b) : opts.chatTemplate === 'markers' ? markersPrompt(b) : chatMlPrompt(b));
  let chatCalls = 0;
  let ollamaLoads = 0;
  let ollamaLoaded: string | null = null;
  const keepAliveZero = (k: unknown) => k === 0 || (typeof k === 'string' && /^0(?:\.0*)?(?:ns|us|µs|ms|s|m|h)?$/.test(k));
  // Ollama's scheduler (server/sched.go): requests running on the runner, and whether its
  // keep-alive is 0, so that it goes as soon as they have all ended.
  let ollamaRunning = 0;
  let ollamaExpiresWhenIdle = false;
  const scheduleOllama = (body: Record<string, unknown>, res: ServerResponse) => {
    const key = ollamaRunnerKey(body);
    const keepAlive = body.keep_alive ?? undefined;
    if (key !== ollamaLoaded) {
      ollamaLoads++;
      ollamaLoaded = key;
      // A runner loaded for a request with no keep_alive takes the server's (envconfig.KeepAlive).
      ollamaExpiresWhenIdle = keepAliveZero(keepAlive ?? opts.ollamaKeepAlive ?? '5m');
    } else if (keepAlive !== undefined) {
      // A request that carries one sets the loaded runner's (useLoadedRunner); one with none leaves it.
      ollamaExpiresWhenIdle = keepAliveZero(keepAlive);
    }
    ollamaRunning++;
    res.once('close', () => {
      if (--ollamaRunning === 0 && ollamaExpiresWhenIdle) ollamaLoaded = null;
    });
  };

  // When each connection last finished a response (closeIdleAfterMs).
  const idleSince = new WeakMap<object, number>();
  const server: Server = createServer((req, res) => {
    if (opts.closeIdleAfterMs !== undefined) {
      const since = idleSince.get(req.socket);
      if (since !== undefined && Date.now() - since >= opts.closeIdleAfterMs) {
        req.socket.destroy();
        return;
      }
      res.on('finish', () => idleSince.set(req.socket, Date.now()));
    }
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    // Engines route on the decoded path (uvicorn, cpp-httplib, Go's net/http).
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // Not decodable: routed as sent.
    }
    let body: unknown = null;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    requests.push({ method: req.method ?? '', path, headers: req.headers, rawBody, body, at: Date.now() });
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}` && (dialect === 'llamacpp' ? path !== '/health' : path.startsWith('/v1'))) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(dialect === 'llamacpp' ? { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } } : { error: 'Unauthorized' }));
      return;
    }
    // Ollama reads its requests through Go structs: what it generates for is what it decoded.
    if ((dialect === 'ollama' || dialect === 'ollama-openai') && path !== '/api/generate' && body && typeof body === 'object' && !Array.isArray(body)) {
      body = ollamaDecode(dialect, body as Record<string, unknown>);
    }

    if (dialect === 'ollama' && (path === '/api/chat' || path === '/api/generate')) {
      const top = rec(body).top_logprobs;
      if (typeof top === 'number' && (top < 0 || top > 20)) {
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'top_logprobs must be between 0 and 20' }));
        return;
      }
    }
    const ollamaServer = dialect === 'ollama' || dialect === 'ollama-openai';
    const served = opts.ollamaModels ?? [{ name: opts.model ?? 'emulated-reasoner', capabilities: ['completion'] }];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/api/tags')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      // vLLM's model card states the context length it serves (max_model_len).
      const card = (id: string) => ({ id, object: 'model', owned_by: 'emulator', ...(opts.maxModelLen !== undefined ? { max_model_len: opts.maxModelLen } : {}) });
      // Ollama's own list (server/routes.go ListHandler): models by name.
      const tag = (name: string) => ({ name, model: name, modified_at: new Date(0).toISOString(), size: 0, digest: '', details: {} });
      res.end(JSON.stringify(path === '/api/tags' ? { models: served.map((m) => tag(m.name)) } : { object: 'list', data: served.map((m) => card(m.name)) }));
      return;
    }
    if (ollamaServer && req.method === 'POST' && path === '/api/show') {
      // ShowHandler: `model` (or the older `name`); its capabilities, or 404 for a model it does not have.
      const b = rec(body);
      const name = typeof b.model === 'string' && b.model ? b.model : b.name;
      const m = served.find((x) => x.name === name);
      res.writeHead(m ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(m ? { modelfile: '', parameters: '', template: '', details: {}, model_info: {}, capabilities: m.capabilities, modified_at: new Date(0).toISOString() } : { error: `model '${String(name)}' not found` }));
      return;
    }
    if (ollamaServer && req.method === 'POST' && (path === '/api/chat' || path === '/v1/chat/completions')) {
      // scheduleRunner checks the model's capabilities before a render-only request is answered.
      const name = rec(body).model;
      const m = served.find((x) => x.name === name);
      if (m && !m.capabilities.includes('completion')) {
        const message = `${JSON.stringify(name)} does not support chat`;
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(path === '/api/chat' ? { error: message } : { error: { message, type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
    }
    // An Ollama server answers both APIs: a client of its /v1 gets follow-ups through /api/generate.
    if (ollamaServer && req.method === 'POST' && (path === '/api/chat' || path === '/api/generate')) {
      // Ollama's unload request (server/routes.go): keep_alive 0 and no prompt (generate) or no
      // messages (chat) expires the model's runner and answers at once, running nothing.
      const b = rec(body);
      const empty = path === '/api/generate' ? b.prompt === undefined || b.prompt === '' : !Array.isArray(b.messages) || b.messages.length === 0;
      if (empty && keepAliveZero(b.keep_alive)) {
        // expireRunner: at once where nothing runs on the model, else when its requests end.
        ollamaExpiresWhenIdle = true;
        if (ollamaRunning === 0) ollamaLoaded = null;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        const done = { model: b.model ?? '', created_at: new Date().toISOString(), done: true, done_reason: 'unload' };
        res.end(JSON.stringify(path === '/api/generate' ? { ...done, response: '' } : { ...done, message: { role: 'assistant', content: '' } }));
        return;
      }
      scheduleOllama(b, res);
    }
    if (dialect === 'ollama' && req.method === 'POST' && rec(body)._debug_render_only === true && path === '/api/chat' && !opts.ollamaNoRender) {
      // Ollama answers a render-only chat request with the prompt its template renders, not calling the model.
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      const b = rec(body);
      const rendered = renderOllama(b);
      res.end(JSON.stringify({ model: b.model ?? '', created_at: new Date().toISOString(), message: { role: '', content: '' }, done: false, _debug_info: { rendered_template: rendered } }));
      return;
    }
    if (dialect === 'ollama-openai' && req.method === 'POST' && rec(body)._debug_render_only === true && path === '/v1/chat/completions' && !opts.ollamaNoRender) {
      // The same through /v1 (openai/openai.go passes _debug_render_only on): the render-only
      // ChatResponse as its ChatCompletion, _debug_info included, every other field empty.
      res.writeHead(200, { 'content-type': 'application/json' });
      const b = rec(body);
      const rendered = renderOllama(b);
      res.end(
        JSON.stringify({
          id: 'chatcmpl-render',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: b.model ?? '',
          system_fingerprint: 'fp_ollama',
          choices: [{ index: 0, message: { role: '', content: '' }, finish_reason: null }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          _debug_info: { rendered_template: rendered, image_count: 0 },
        }),
      );
      return;
    }
    if (ollamaServer && req.method === 'POST' && path === '/api/generate') {
      chatCalls++;
      const delayHeader = req.headers['x-emulator-token-delay-ms'];
      await ollamaGenerate(rec(body), res, typeof delayHeader === 'string' ? Number(delayHeader) : (opts.tokenDelayMs ?? 0));
      return;
    }
    if (dialect === 'vllm' && req.method === 'POST' && path === '/tokenize' && Array.isArray(rec(body).messages) && !opts.noTokenize) {
      // vLLM's chat tokenize: the chat rendered with the template and flags a chat would use
      // (HF's continue_final_message check included), a token a word here.
      const b = rec(body);
      const template = opts.chatTemplate ?? 'qwen3';
      const messages = b.messages as unknown[];
      const lastMessage = rec(messages.at(-1));
      if (template !== 'verbatim' && b.continue_final_message === true && lastMessage.role === 'assistant' && !rendersBack(template, lastMessage)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: 'continue_final_message is set but the final message does not appear in the chat after applying the chat template!', type: 'BadRequestError', param: null, code: 400 }));
        return;
      }
      let count = 0;
      for (const m of messages.map(rec)) {
        const text = m.role === 'assistant' && template !== 'verbatim' ? renderedAssistant(template, m) : typeof m.content === 'string' ? m.content : '';
        count += 4 + text.split(/\s+/).filter(Boolean).length;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count, max_model_len: opts.maxModelLen ?? 32768, tokens: Array.from({ length: count }, (_, i) => i), token_strs: null }));
      return;
    }
    const chatPath = dialect === 'ollama' ? '/api/chat' : '/v1/chat/completions';
    if (req.method === 'POST' && path === chatPath) {
      chatCalls++;
      if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          dialect === 'ollama'
            ? JSON.stringify({ error: 'invalid JSON body' })
            : JSON.stringify({ object: 'error', message: 'Invalid JSON body', type: 'BadRequestError', param: null, code: 400 }),
        );
        return;
      }
      const delayHeader = req.headers['x-emulator-token-delay-ms'];
      const delay = typeof delayHeader === 'string' ? Number(delayHeader) : (opts.tokenDelayMs ?? 0);
      let b = body as Record<string, unknown>;
      if (dialect === 'sglang' && b.custom_logit_processor !== undefined && b.custom_logit_processor !== null && !opts.sglangProcessor) {
        // A server started without --enable-custom-logit-processor refuses any request that
        // carries one (SGLang's tokenizer manager validates it before scheduling).
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: 'The server is not configured to enable custom logit processor. Please set `--enable-custom-logit-processor` to enable this feature.', type: 'BadRequestError', param: null, code: 400 }));
        return;
      }
      const lastMessage = Array.isArray(b.messages) ? rec(b.messages.at(-1)) : {};
      const template = opts.chatTemplate ?? 'qwen3';
      if (dialect === 'vllm' && template !== 'verbatim' && b.continue_final_message === true && lastMessage.role === 'assistant' && !rendersBack(template, lastMessage)) {
        // HF's apply_chat_template (continue_final_message) raises, and vLLM answers 400.
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: 'continue_final_message is set but the final message does not appear in the chat after applying the chat template! This can happen if the chat template deletes portions of the final message.', type: 'BadRequestError', param: null, code: 400 }));
        return;
      }
      if (dialect === 'vllm' && b.stream === true && typeof b.prompt_logprobs === 'number' && (b.prompt_logprobs > 0 || b.prompt_logprobs === -1)) {
        // vLLM's request validator (check_logprobs) refuses prompt logprobs on a stream.
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: '`prompt_logprobs` are not available when `stream=True`.', type: 'BadRequestError', param: 'prompt_logprobs', code: 400 }));
        return;
      }
      // The completion limit asked (vLLM and SGLang read max_completion_tokens first).
      const asked = typeof b.max_completion_tokens === 'number' ? b.max_completion_tokens : typeof b.max_tokens === 'number' ? b.max_tokens : null;
      if ((dialect === 'vllm' || dialect === 'sglang') && typeof b.min_tokens === 'number') {
        // A floor above the limit asked is refused before anything runs (vLLM's SamplingParams,
        // SGLang's sampling params, where its min_tokens becomes min_new_tokens).
        if (asked !== null && b.min_tokens > asked) {
          res.writeHead(400, { 'content-type': 'application/json' });
          const message = dialect === 'vllm' ? `min_tokens must be less than or equal to max_tokens=${asked}, got ${b.min_tokens}.` : `min_new_tokens must be in [0, max_new_tokens(${asked})], got ${b.min_tokens}.`;
          res.end(JSON.stringify({ object: 'error', message, type: 'BadRequestError', param: null, code: 400 }));
          return;
        }
      }
      if (opts.maxModelLen !== undefined && (dialect === 'vllm' || dialect === 'sglang')) {
        const prompt = promptTokens(b, opts.promptBilling);
        if (asked !== null && prompt + asked > opts.maxModelLen) {
          res.writeHead(400, { 'content-type': 'application/json' });
          const message = `This model's maximum context length is ${opts.maxModelLen} tokens. However, you requested ${prompt + asked} tokens (${prompt} in the messages, ${asked} in the completion). Please reduce the length of the messages or completion.`;
          res.end(JSON.stringify({ object: 'error', message, type: 'BadRequestError', param: null, code: 400 }));
          return;
        }
        // What the engine takes as the limit where none was asked (the recorded request unchanged).
        if (asked === null) b = { ...b, max_tokens: opts.maxModelLen - prompt };
      }
      if (opts.firstByteDelayMs) await sleep(opts.firstByteDelayMs);
      const outcome = engineOutcome(dialect, b, opts);
      if (outcome.firstByteDelayMs) await sleep(outcome.firstByteDelayMs);
      generatedThinking.push(outcome.thinking);
      generatedAnswers.push(expectedAnswer(outcome.answerFrom + outcome.answer, outcome.answerFrom));
      const gzip = !!opts.gzipWhenAccepted && /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      // What the model would have thought with no cap at all (for the tokens-saved metric).
      const natural = engineOutcome(dialect, { ...b, thinking_token_budget: undefined, custom_params: undefined, reasoning_effort: undefined, think: undefined, max_tokens: undefined, max_completion_tokens: undefined }, opts).thinking;
      res.setHeader('x-emulator-natural-thinking-tokens', String(outcome.continuation ? 0 : natural));
      if (dialect === 'ollama') await ollamaChat(b, outcome, res, outcome.tokenDelayMs ?? delay);
      else await openAiChat(b, outcome, res, outcome.tokenDelayMs ?? delay, gzip);
      return;
    }
    if (req.method === 'POST' && path === '/echo') {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      res.end(rawBody);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'not_found' } }));
  }

  /** Writes events with the configured coalescing and splitting; stops when the client leaves, or dies after `dropAfter` events. */
  function writer(res: ServerResponse, delay: number, dropAfter?: number) {
    const perWrite = Math.max(1, opts.eventsPerWrite ?? 1);
    let pending = '';
    let queued = 0;
    let events = 0;
    const state = { closed: false };
    res.on('close', () => {
      state.closed = true;
    });
    const write = async (ev: string, force = false) => {
      if (state.closed) return;
      if (dropAfter !== undefined && events++ >= dropAfter) {
        // The engine dies: what was written goes out first, then the connection, without an end.
        state.closed = true;
        await new Promise<void>((flushed) => res.write(pending, () => flushed()));
        res.socket?.destroy();
        return;
      }
      pending += ev;
      queued++;
      if (queued < perWrite && !force) return;
      const buf = Buffer.from(pending, 'utf8');
      pending = '';
      queued = 0;
      const split = opts.splitWritesAt;
      if (split && split > 0 && buf.length > split) {
        res.write(buf.subarray(0, split));
        await sleep(1);
        res.write(buf.subarray(split));
      } else res.write(buf);
      if (delay > 0) await sleep(delay);
    };
    return { write, state };
  }

  /** Pieces of text the model emits, one token each, in order. */
  function pieces(o: Outcome): Array<{ kind: 'reasoning' | 'content'; text: string }> {
    const out: Array<{ kind: 'reasoning' | 'content'; text: string }> = [];
    const inContent = dialect === 'generic' || !!opts.noReasoningParser || (dialect === 'llamacpp' && opts.reasoningFormat === 'none');
    const open = opts.thinkTags?.open ?? '<think>';
    const close = opts.thinkTags?.close ?? '</think>';
    if (dialect === 'llamacpp' && inContent && !o.continuation && o.thinking > 0) {
      // llama-server --reasoning-format none: the template's opening tag glued to the first token,
      // the closing tag as three tokens (`</think>` so; another split in two).
      for (let i = 0; i < o.thinking; i++) out.push({ kind: 'content', text: (i === 0 ? open : '') + thinkingToken(i) });
      const closing = close === '</think>' ? ['</', 'think', '>'] : [close.slice(0, close.length >> 1), close.slice(close.length >> 1)];
      if (o.finish === 'stop' || o.answer > 0) for (const t of [...closing, '\n', '\n']) out.push({ kind: 'content', text: t });
    } else if (inContent && !o.continuation && !o.thinkClosedByTemplate) {
      if (!opts.thinkPrefilled) out.push({ kind: 'content', text: open });
      for (let i = 0; i < o.thinking; i++) out.push({ kind: 'content', text: thinkingToken(i) });
      if (o.finish === 'stop' || o.answer > 0) out.push({ kind: 'content', text: close }, { kind: 'content', text: '\n\n' });
    } else if (!inContent) {
      for (let i = 0; i < o.thinking; i++) out.push({ kind: 'reasoning', text: thinkingToken(i) });
    }
    for (let i = 0; i < o.answer; i++) out.push({ kind: 'content', text: answerToken(o.answerFrom + i) });
    return out;
  }

  async function openAiChat(body: Record<string, unknown>, o: Outcome, res: ServerResponse, delay: number, gzip: boolean): Promise<void> {
    const id = `chatcmpl-emu${chatCalls}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' ? body.model : (opts.model ?? 'emulated-reasoner');
    const field = dialect === 'vllm' || dialect === 'ollama-openai' ? (opts.reasoningField ?? 'reasoning') : 'reasoning_content';
    const prompt = promptTokens(body, opts.promptBilling);
    const ps = pieces(o);
    const completionTotal = ps.length;

    if (body.stream !== true) {
      if (o.dropAfter !== undefined) {
        res.socket?.destroy(); // the engine dies before its answer
        return;
      }
      let reasoning = '';
      let content = '';
      for (const p of ps) {
        if (p.kind === 'reasoning') reasoning += p.text;
        else content += p.text;
      }
      if (delay > 0) await sleep(delay * ps.length);
      const payload = dialect === 'llamacpp' ? JSON.stringify(llamaWhole(reasoning, content, o, model, prompt, completionTotal + hiddenTokens(o))) : JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, [field]: reasoning.length > 0 ? reasoning : null, tool_calls: o.toolCall ? [EMULATED_TOOL_CALL] : [] },
            logprobs: null,
            finish_reason: o.toolCall ? 'tool_calls' : o.finish,
          },
        ],
        usage: { prompt_tokens: prompt, total_tokens: prompt + completionTotal, completion_tokens: completionTotal },
      });
      if (gzip) {
        const { gzipSync } = await import('node:zlib');
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(payload));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(payload);
      }
      return;
    }

    const so = rec(body.stream_options);
    const includeUsage = so.include_usage === true;
    if (dialect === 'llamacpp') {
      await llamaStream(res, ps, o, id, created, model, prompt, includeUsage, delay);
      return;
    }
    const continuous = dialect === 'vllm' && includeUsage && so.continuous_usage_stats === true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let completion = 0;
    const usage = () => ({ prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) => {
      const obj: Record<string, unknown> = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...extra,
      };
      if (continuous) obj.usage = usage();
      if (opts.stampEvents) obj.emu_ts = process.hrtime.bigint().toString();
      return `data: ${JSON.stringify(obj)}\n\n`;
    };
    const { write, state } = writer(res, delay, o.dropAfter);
    await write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < ps.length && !state.closed; i++) {
      completion++;
      const p = ps[i]!;
      const last = i === ps.length - 1;
      await write(chunk(p.kind === 'reasoning' ? { [field]: p.text } : { content: p.text }, last && !o.toolCall ? o.finish : null));
    }
    if (o.toolCall && !state.closed) await write(chunk({ tool_calls: [{ index: 0, ...EMULATED_TOOL_CALL }] }, 'tool_calls'));
    else if (ps.length === 0 && !state.closed) await write(chunk({ content: '' }, o.finish));
    if (includeUsage && !state.closed) {
      await write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage() })}\n\n`);
    }
    if (!state.closed) await write('data: [DONE]\n\n', true);
    if (o.endDelayMs) await sleep(o.endDelayMs);
    res.end();
  }

  /** llama-server's stream: no logprobs field, role chunk with content null, timings on the finish chunk, usage in its own chunk. */
  async function llamaStream(res: ServerResponse, ps: ReturnType<typeof pieces>, o: Outcome, id: string, created: number, model: string, prompt: number, includeUsage: boolean, delay: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const { write, state } = writer(res, delay, o.dropAfter);
    const top = { created, id, model, system_fingerprint: 'b1-emulator', object: 'chat.completion.chunk' };
    const ev = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ choices: [{ finish_reason: finish, index: 0, delta }], ...top, ...extra })}\n\n`;
    await write(ev({ role: 'assistant', content: null }, null));
    for (const p of ps) {
      if (state.closed) break;
      await write(ev(p.kind === 'reasoning' ? { reasoning_content: p.text } : { content: p.text }, null));
    }
    if (o.toolCall && !state.closed) await write(ev({ tool_calls: [{ index: 0, ...EMULATED_TOOL_CALL }] }, null));
    const completion = ps.length + hiddenTokens(o);
    if (state.closed) {
      res.end();
      return;
    }
    // timings ride on the finish chunk, or on the usage chunk when the client asked for usage.
    await write(ev({}, o.toolCall ? 'tool_calls' : o.finish, includeUsage ? {} : { timings: llamaTimings(completion, delay) }));
    if (includeUsage) {
      await write(`data: ${JSON.stringify({ choices: [], ...top, usage: llamaUsage(prompt, completion), timings: llamaTimings(completion, delay) })}\n\n`);
    }
    await write('data: [DONE]\n\n', true);
    if (o.endDelayMs) await sleep(o.endDelayMs);
    res.end();
  }

  /** Tokens the engine generates that reach neither field: the closing tag it forces or the model writes (3 in SmolLM2's vocabulary). */
  function hiddenTokens(o: Outcome): number {
    return dialect === 'llamacpp' && opts.reasoningFormat !== 'none' && !o.continuation && o.thinking > 0 && (o.finish === 'stop' || o.answer > 0) ? 3 : 0;
  }

  async function ollamaChat(body: Record<string, unknown>, o: Outcome, res: ServerResponse, delay: number): Promise<void> {
    const model = typeof body.model === 'string' ? body.model : (opts.model ?? 'emulated-reasoner');
    const prompt = promptTokens(body, opts.promptBilling);
    const ps = pieces(o);
    const createdAt = () => new Date().toISOString();
    const final = (extra: Record<string, unknown>) => ({
      model,
      created_at: createdAt(),
      done: true,
      done_reason: o.finish,
      total_duration: 1_000_000 * (ps.length + 1),
      load_duration: 1_000_000,
      prompt_eval_count: prompt,
      prompt_eval_duration: 500_000,
      eval_count: ps.length,
      eval_duration: 1_000_000 * ps.length,
      ...extra,
    });
    if (body.stream === false) {
      if (o.dropAfter !== undefined) {
        res.socket?.destroy(); // the engine dies before its answer
        return;
      }
      let thinking = '';
      let content = '';
      for (const p of ps) {
        if (p.kind === 'reasoning') thinking += p.text;
        else content += p.text;
      }
      if (delay > 0) await sleep(delay * ps.length);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      const message: Record<string, unknown> = { role: 'assistant', content };
      if (thinking) message.thinking = thinking;
      if (o.toolCall) message.tool_calls = [OLLAMA_TOOL_CALL];
      // A whole answer carries every token's logprobs in one list, thinking's included.
      const logprobs = ps.flatMap((p) => ollamaLogprobs(body, p.text) ?? []);
      res.end(JSON.stringify(final(logprobs.length > 0 ? { message, logprobs } : { message })));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const { write, state } = writer(res, delay, o.dropAfter);
    for (const p of ps) {
      if (state.closed) break;
      const message: Record<string, unknown> = { role: 'assistant', content: p.kind === 'content' ? p.text : '' };
      if (p.kind === 'reasoning') message.thinking = p.text;
      const logprobs = ollamaLogprobs(body, p.text);
      await write(JSON.stringify({ model, created_at: createdAt(), message, done: false, ...(logprobs ? { logprobs } : {}) }) + '\n');
    }
    // Ollama sends a call in a message line of its own, and ends the turn with done_reason "stop".
    if (o.toolCall && !state.closed) await write(JSON.stringify({ model, created_at: createdAt(), message: { role: 'assistant', content: '', tool_calls: [OLLAMA_TOOL_CALL] }, done: false }) + '\n');
    if (!state.closed) await write(JSON.stringify(final({ message: { role: 'assistant', content: '' } })) + '\n', true);
    res.end();
  }

  /**
   * /api/generate. Only `raw` is emulated (thinkcap's continuation): the prompt is continued as
   * is; past a closed think block in the last assistant turn the model only answers.
   */
  async function ollamaGenerate(body: Record<string, unknown>, res: ServerResponse, delay: number): Promise<void> {
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    if (body.raw !== true) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'emulator: only raw generate is emulated' }));
      return;
    }
    const plan = opts.plan ? opts.plan(body) : { thinkingTokens: 200, answerTokens: 20 };
    let closed: boolean;
    let after: string;
    if (opts.harmony) {
      const final = HARMONY_FINAL_OPEN.exec(prompt);
      closed = final !== null;
      after = final ? final[1]!.trim() : '';
    } else if (opts.chatTemplate === 'markers') {
      const turn = prompt.slice(prompt.lastIndexOf('<|CHATBOT_TOKEN|>'));
      closed = turn.includes(MARKERS_ANSWER);
      after = closed ? turn.slice(turn.lastIndexOf(MARKERS_ANSWER) + MARKERS_ANSWER.length).trim() : '';
    } else {
      const turn = prompt.slice(prompt.lastIndexOf('<|im_start|>assistant\n'));
      closed = turn.includes('</think>');
      after = closed ? turn.slice(turn.lastIndexOf('</think>') + 8).trim() : '';
    }
    const answerFrom = after ? after.split(/\s+/).length : 0;
    const limitRaw = num(rec(body.options).num_predict) ?? Infinity;
    const limit = limitRaw < 0 ? Infinity : limitRaw;
    const thinking = closed ? 0 : Math.min(plan.thinkingTokens, limit);
    const answer = Math.max(0, Math.min(plan.answerTokens - answerFrom, limit - thinking));
    // What the model wanted to write past the limit decides the finish, as num_predict does.
    const finish = (closed ? 0 : plan.thinkingTokens) + Math.max(0, plan.answerTokens - answerFrom) > limit ? 'length' : 'stop';
    const texts: string[] = [];
    for (let i = 0; i < thinking; i++) texts.push(thinkingToken(i));
    for (let i = 0; i < answer; i++) texts.push(answerToken(answerFrom + i));
    generatedThinking.push(thinking);
    generatedAnswers.push(expectedAnswer(answerFrom + answer, answerFrom));
    const model = typeof body.model === 'string' ? body.model : (opts.model ?? 'emulated-reasoner');
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const { write, state } = writer(res, plan.tokenDelayMs ?? delay, plan.dropAfter);
    for (const t of texts) {
      if (state.closed) break;
      const logprobs = ollamaLogprobs(body, t);
      await write(JSON.stringify({ model, created_at: new Date().toISOString(), response: t, done: false, ...(logprobs ? { logprobs } : {}) }) + '\n');
    }
    if (!state.closed) {
      const final = { model, created_at: new Date().toISOString(), response: '', done: true, done_reason: finish, context: [1, 2, 3], total_duration: 1_000_000 * (texts.length + 1), load_duration: 1_000_000, prompt_eval_count: Math.ceil(prompt.length / 4), prompt_eval_duration: 500_000, eval_count: texts.length, eval_duration: 1_000_000 * texts.length };
      await write(JSON.stringify(final) + '\n', true);
      if (plan.endDelayMs) await sleep(plan.endDelayMs);
    }
    res.end();
  }

  // Only the crossing closes a connection, never Node's own 5 s keep-alive timer, so that a
  // test's pause decides and a slow machine does not.
  if (opts.closeIdleAfterMs !== undefined) server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    port,
    requests,
    chatCalls: () => chatCalls,
    ollamaLoads: () => ollamaLoads,
    ollamaLoaded: () => ollamaLoaded !== null,
    generatedThinking,
    generatedAnswers,
    options: opts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Ollama's logprobs of one generated token where the request asked (\`logprobs: true\`): a list of
 * one {token, logprob} (api.Logprob), with \`top_logprobs\` alternatives where more than 0 were
 * asked (omitted at 0, as its omitempty does). Undefined where none were asked.
 */
function ollamaLogprobs(body: Record<string, unknown>, token: string): Array<Record<string, unknown>> | undefined {
  if (body.logprobs !== true) return undefined;
  const top = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const entry: Record<string, unknown> = { token, logprob: -0.25 };
  if (top > 0) entry.top_logprobs = Array.from({ length: top }, (_, k) => ({ token: k === 0 ? token : `${token}~${k}`, logprob: -0.25 - k }));
  return [entry];
}

/** Where the `markers` template's thinking ends and its answer begins. */
const MARKERS_ANSWER = '<|END_THINKING|><|START_TEXT|>';

/** How a chat template writes an assistant message back (EmulatorOptions.chatTemplate). */
export function renderedAssistant(template: 'qwen3' | 'glm' | 'markers', message: Record<string, unknown>): string {
  let content = typeof message.content === 'string' ? message.content : '';
  let thinking = typeof message.reasoning === 'string' ? message.reasoning : null;
  if (template === 'markers') return thinking === null ? content : `<|START_THINKING|>${thinking.trim()}${MARKERS_ANSWER}${content}`;
  if (content.includes('</think>')) {
    // The templates split a think block out of content, where no reasoning field came.
    if (thinking === null) thinking = content.split('</think>')[0]!.replace(/\n+$/, '').split('<think>').at(-1)!.replace(/^\n+/, '');
    content = content.split('</think>').at(-1)!.replace(/^\n+/, '');
  }
  if (thinking === null) return content;
  return template === 'qwen3' ? `<think>\n${thinking.replace(/^\n+|\n+$/g, '')}\n</think>\n\n${content}` : `<think>${thinking.trim()}</think>${content}`;
}

/** HF's continue_final_message check: the final message, stripped, must appear in the rendering. */
export function rendersBack(template: 'qwen3' | 'glm' | 'markers', message: Record<string, unknown>): boolean {
  const content = typeof message.content === 'string' ? message.content : '';
  return renderedAssistant(template, message).includes(content.trim());
}

/** An analysis message ended and the final channel opened, at the prompt's end (what follows: the answer so far). */
const HARMONY_FINAL_OPEN = /<\|start\|>assistant<\|channel\|>analysis<\|message\|>[^]*?<\|end\|><\|start\|>assistant<\|channel\|>final<\|message\|>((?:(?!<\|)[^])*)$/;

/** The shape of Ollama's gpt-oss template (harmony): the think level in the system message, the generation prompt `<|start|>assistant`. */
function harmonyPrompt(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const level = typeof body.think === 'string' ? body.think : body.think === false ? null : 'medium';
  let out = `<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.${level ? `\n\nReasoning: ${level}` : ''}\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>`;
  // The system messages go in a developer message, under "# Instructions".
  const system = messages.filter((m) => m.role === 'system' && typeof m.content === 'string').map((m) => m.content as string);
  if (system.length > 0) out += `<|start|>developer<|message|># Instructions\n\n${system.join('\n')}<|end|>`;
  for (const m of messages) {
    const content = typeof m.content === 'string' ? m.content : '';
    if (m.role === 'user') out += `<|start|>user<|message|>${content}<|end|>`;
    else if (m.role === 'assistant') out += `<|start|>assistant<|channel|>final<|message|>${content}<|end|>`;
  }
  return `${out}<|start|>assistant`;
}

/**
 * The shape of Ollama's renderer for Cohere's reasoning models (model/renderers/cohere.go):
 * thinking between `<|START_THINKING|>` and `<|END_THINKING|>` before the text, an assistant
 * message last left open (a prefill), and a generation prompt that opens the thinking where
 * `think` is on. EmulatorOptions.chatTemplate `markers`.
 */
function markersPrompt(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  let out = '';
  messages.forEach((m, i) => {
    const content = typeof m.content === 'string' ? m.content : '';
    if (m.role === 'assistant') {
      out += '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>';
      // As the vLLM `markers` template writes a turn (renderedAssistant), the thinking as sent.
      out += typeof m.thinking === 'string' && m.thinking !== '' ? `<|START_THINKING|>${m.thinking}${MARKERS_ANSWER}${content}` : `<|START_TEXT|>${content}`;
      if (i < messages.length - 1) out += '<|END_TEXT|><|END_OF_TURN_TOKEN|>';
    } else out += `<|START_OF_TURN_TOKEN|><|${m.role === 'system' ? 'SYSTEM' : 'USER'}_TOKEN|><|START_TEXT|>${content}<|END_TEXT|><|END_OF_TURN_TOKEN|>`;
  });
  if (messages.at(-1)?.role === 'assistant') return out;
  return `${out}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>${body.think === false ? '<|START_THINKING|><|END_THINKING|>' : '<|START_THINKING|>'}`;
}

/** A Qwen3-style ChatML rendering, as Ollama's template for such models writes it: the generation prompt leaves `<think>` to the model. */
function chatMlPrompt(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  let out = '';
  for (const m of messages) out += `<|im_start|>${String(m.role)}\n${typeof m.content === 'string' ? m.content : ''}<|im_end|>\n`;
  return `${out}<|im_start|>assistant\n`;
}

function llamaUsage(prompt: number, completion: number) {
  return { completion_tokens: completion, prompt_tokens: prompt, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: 0 } };
}

function llamaTimings(completion: number, delay: number) {
  const ms = Math.max(1, completion * delay);
  return { cache_n: 0, prompt_n: 1, prompt_ms: 1, prompt_per_token_ms: 1, prompt_per_second: 1000, predicted_n: completion, predicted_ms: ms, predicted_per_token_ms: ms / Math.max(1, completion), predicted_per_second: (1000 * completion) / ms };
}

/** llama-server's whole chat.completion: reasoning_content only when there was reasoning, usage with cached tokens, timings. */
function llamaWhole(reasoning: string, content: string, o: Outcome, model: string, prompt: number, completion: number) {
  const message: Record<string, unknown> = { role: 'assistant', content };
  if (reasoning) message.reasoning_content = reasoning;
  if (o.toolCall) message.tool_calls = [EMULATED_TOOL_CALL];
  return {
    choices: [{ finish_reason: o.toolCall ? 'tool_calls' : o.finish, index: 0, message }],
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'b1-emulator',
    object: 'chat.completion',
    usage: llamaUsage(prompt, completion),
    id: `chatcmpl-emu${Date.now()}`,
    timings: llamaTimings(completion, 0),
  };
}
