import { performance } from 'node:perf_hooks';
import type { BackendConfig, Config, TierName } from '../config/schema.js';
import { classifyMessages, type Classification } from '../classify/classifier.js';
import { messageHead } from '../classify/text.js';
import { budgetWithAnswerRoom, resolveThinkingBudget, type Identity } from '../budget/thinking.js';
import { capTier, type Reservation, type SpendController, type SpendIdentity } from '../budget/spend.js';
import type { CountingMeter } from '../budget/counting.js';
import { promptTokenBound } from '../budget/prompt.js';
import { tokenCost } from '../accounting/cost.js';
import { dialectFor, selectBackend } from '../backends/registry.js';
import { startsInsideThink } from '../backends/think-prompt.js';
import { isRecord, type Dialect, type RewriteResult, type TokenLimits } from '../backends/types.js';
import type { EnergyMonitor } from '../energy/monitor.js';
import type { RouteDecision, Router } from '../routing/router.js';
import type { BodySendMode, StructValue } from './proto.js';
import { fromStruct } from './wire.js';
import { thinkTagsOf, type ThinkTags } from '../stream/think.js';

type Message = { role?: unknown; content?: unknown };

/** What the request headers say, read once. */
export interface RequestHead {
  readonly path: string;
  readonly identity: Identity;
  /** Envoy route name (xds.route_name attribute), when Envoy sends it. */
  readonly routeName: string | undefined;
  /** The configured backend by route name, path or authority (before tier routing). */
  readonly backend: BackendConfig | undefined;
  /** Its dialect; null for a request thinkcap does not act on. */
  readonly dialect: Dialect | null;
  /** A request thinkcap acts on: method and path match `match`. */
  readonly isChat: boolean;
  /** The gateway's id of the request (x-request-id, which Envoy sets), for joining its records and logs; null if absent or unusable. */
  readonly requestId: string | null;
}

/** Longest x-request-id kept: Envoy's are UUIDs (36 characters); longer ones come from elsewhere. */
export const MAX_REQUEST_ID = 128;

/**
 * The gateway's request id as thinkcap records it: visible ASCII only, at most MAX_REQUEST_ID
 * characters, else null. Envoy passes a client's own x-request-id on where it trusts the client
 * (preserve_external_request_id, internal requests), so it is never trusted beyond a label.
 */
export function gatewayRequestId(value: string | undefined): string | null {
  if (value === undefined || value.length === 0 || value.length > MAX_REQUEST_ID) return null;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return null;
  }
  return value;
}

/**
 * A request path as the engines route it: percent-escapes decoded (uvicorn, cpp-httplib and Go's
 * net/http all decode before routing, and Envoy passes them on as sent), so
 * /v1/chat/complet%69ons is the chat endpoint; a path that does not decode stays as sent.
 */
export function routedPath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Endpoints that generate text from a body thinkcap does not read, so it cannot cap their thinking:
 * OpenAI completions and Responses, Anthropic Messages (llama-server and vLLM serve it),
 * llama-server's /completion(s) and /infill, SGLang's and vLLM's /generate, Ollama's /api/generate;
 * SageMaker's /invocations, which vLLM and SGLang always serve (a chat body there is a chat
 * completion: read in their http servers), SGLang's /vertex_generate and /generate_from_file, and
 * the Cohere v2 chat vLLM can serve (/cohere/v2/chat). Matched at the end of the path (a gateway
 * may prefix it), trailing slashes aside.
 */
const UNCAPPED_GENERATION = ['/completions', '/completion', '/responses', '/v1/messages', '/infill', '/generate', '/invocations', '/vertex_generate', '/generate_from_file', '/v2/chat'];

/** Whether a (routed) path that is not a chat path names an endpoint that generates text (UNCAPPED_GENERATION). */
export function generatesUncapped(path: string): boolean {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  const p = end === path.length ? path : path.slice(0, end);
  return UNCAPPED_GENERATION.some((g) => p.endsWith(g));
}

/** Read the request headers (and Envoy's attributes) into a RequestHead. Pure. */
export function readRequestHead(headers: Map<string, string>, attributes: Record<string, StructValue> | undefined, config: Config): RequestHead {
  const method = headers.get(':method') ?? '';
  const rawPath = headers.get(':path') ?? '';
  const q = rawPath.indexOf('?');
  const path = routedPath(q < 0 ? rawPath : rawPath.slice(0, q));
  const identity: Identity = {
    tenant: headers.get(config.identity.tenantHeader) || undefined,
    user: headers.get(config.identity.userHeader) || undefined,
    session: headers.get(config.identity.sessionHeader) || undefined,
  };
  // The content type does not decide: llama-server reads any body as JSON, and vLLM and SGLang
  // (FastAPI) read one sent without a content type, so a chat sent as text/plain is a chat.
  const isChat = config.match.methods.includes(method) && config.match.paths.some((p) => path === p || path.endsWith(p));
  let routeName: string | undefined;
  const attrs = attributes?.['envoy.filters.http.ext_proc'];
  if (isChat && attrs) {
    const v = fromStruct(attrs)['xds.route_name'];
    if (typeof v === 'string' && v) routeName = v;
  }
  const backend = isChat ? selectBackend(config, { path, authority: headers.get(':authority') ?? '', routeName }) : undefined;
  return { path, identity, routeName, backend, dialect: isChat ? dialectFor(config, backend) : null, isChat, requestId: gatewayRequestId(headers.get('x-request-id')) };
}

/**
 * Deepest nesting of arrays and objects in a JSON text, counted up to `stopAbove` + 1 (strings
 * skipped; the text need not be valid JSON). A string is crossed by indexOf to its closing quote,
 * not character by character: the message text is nearly all of a chat body, and a per-character
 * loop over it cost more than JSON.parse (7.6 ms for a 1 MB body here; benchmarks/classifier.js
 * prints the body parse beside the classifier). After an escaped quote the rest of that string is
 * read character by character, so a string of escapes costs what the plain scan did.
 */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let close = text.indexOf('"', i + 1);
      if (close < 0) return max; // an unterminated string runs to the end
      let k = close - 1;
      while (text.charCodeAt(k) === 92) k--; // stops at the opening quote at the latest
      if ((close - 1 - k) % 2 === 1) {
        // That quote is escaped: on from it, a backslash skips the next character.
        close++;
        for (;;) {
          if (close >= n) return max;
          const d = text.charCodeAt(close);
          if (d === 34) break;
          close += d === 92 ? 2 : 1;
        }
      }
      i = close;
    } else if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/**
 * The name of a completion limit the client set to something the engines do not read as a
 * limit: max_tokens and max_completion_tokens must be non-negative integers; llama-server's own
 * n_predict (which it reads before either, and where -1 means no limit) an integer from -1.
 */
function invalidTokenLimit(body: Record<string, unknown>): string | null {
  for (const k of ['max_tokens', 'max_completion_tokens', 'n_predict'] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'n_predict' ? -1 : 0)) return k;
  }
  return null;
}

/** The fields that set how many sequences an engine generates for one request. */
const CHOICE_FIELDS = ['n', 'best_of', 'n_cmpl'] as const;

/**
 * The sequences an engine generates for one request: `n` choices (vLLM, SGLang and the OpenAI
 * API; vLLM's beam search is `n` wide), `best_of` where an engine still reads it (older vLLM),
 * or llama-server's `n_cmpl` (which it reads before `n`), each up to max_tokens. The largest is
 * reserved for whichever the engine reads. parseChatBody has checked each is a whole number
 * from 1 to maxChoices.
 */
export function generatedChoices(body: Record<string, unknown>): number {
  let choices = 1;
  for (const k of CHOICE_FIELDS) if (typeof body[k] === 'number') choices = Math.max(choices, body[k]);
  return choices;
}

/** The name of a choice count the client set to something other than a whole number from 1 to max. */
function invalidChoices(body: Record<string, unknown>, max: number): string | null {
  for (const k of CHOICE_FIELDS) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) return k;
  }
  return null;
}

/**
 * Fields thinkcap reads or writes, at the top of a chat body and in a message. Ollama decodes
 * its requests with Go's encoding/json, which matches a key to a field ignoring case (with
 * Unicode folding: "ſ" is "s", the Kelvin sign "k") and lets the last of several such keys
 * win: `"Options"` after `"options"` replaces the num_predict thinkcap wrote, and a message's
 * `"Content"` is a prompt thinkcap never counted. A key that is one of these but for case is
 * refused (exported for tests).
 */
export const READ_TOP_FIELDS: ReadonlySet<string> = new Set([
  'messages', 'model', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'n_predict', ...CHOICE_FIELDS,
  'options', 'think', 'reasoning', 'reasoning_effort', 'thinking_budget', 'thinking_token_budget', 'reasoning_budget_tokens',
  'thinking_budget_tokens', 'chat_template_kwargs', 'custom_params', 'custom_logit_processor', 'tools', 'functions',
  'response_format', 'input_ids', 'continue_final_message', 'add_generation_prompt', 'keep_alive', 'format',
]);
export const READ_MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content', 'images', 'thinking', 'reasoning', 'reasoning_content', 'tool_calls']);

/** A key as Go's encoding/json compares it with a field name (ASCII-only names: lower case, ſ as s). */
function goFolded(key: string): string {
  return key.toLowerCase().replace(/\u017f/g, 's');
}

/** A key of `obj` that names one of `fields` but for case, or null. */
function caseVariant(obj: Record<string, unknown>, fields: ReadonlySet<string>): string | null {
  for (const k in obj) {
    if (fields.has(k) || !/[^a-z0-9_]/.test(k)) continue;
    if (fields.has(goFolded(k))) return k;
  }
  return null;
}

/** The first key in the body or its messages that an engine could read as a field thinkcap reads under another spelling. */
function caseVariantKey(body: Record<string, unknown>, messages: readonly Record<string, unknown>[]): string | null {
  const top = caseVariant(body, READ_TOP_FIELDS);
  if (top !== null) return top;
  for (const m of messages) {
    const k = caseVariant(m, READ_MESSAGE_FIELDS);
    if (k !== null) return `messages[].${k}`;
  }
  return null;
}

/** Why a request body cannot be planned for: answered with `status` (or passed through, per onInvalid). */
export interface BodyProblem {
  status: number;
  message: string;
  code: string;
  /**
   * An engine would read a field of the body as one thinkcap read under another spelling:
   * refused even where requests.onInvalid passes unreadable bodies through.
   */
  misread?: boolean;
}

export type ParsedBody = { ok: true; json: Record<string, unknown>; messages: Message[] } | ({ ok: false } & BodyProblem);

/** One decoder for every body: a decode call without `stream` keeps no state between calls. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decode, bound and parse a whole chat request body. Pure. */
export function parseChatBody(body: Buffer, maxJsonDepth: number, maxChoices: number | null = 16): ParsedBody {
  const bad = (message: string, code = 'invalid_request_body'): ParsedBody => ({ ok: false, status: 400, message, code });
  if (body.length === 0) return bad('request body is empty');
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    return bad('request body is not valid UTF-8');
  }
  // Deep nesting would overflow the stack in JSON.stringify and the classifier: checked on the
  // raw text before parsing, in one pass.
  if (jsonDepth(text, maxJsonDepth) > maxJsonDepth) return bad(`request body nests deeper than ${maxJsonDepth} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return bad(`request body is not valid JSON: ${(err as Error).message}`, 'invalid_json');
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.messages) || parsed.messages.length === 0) return bad('request body has no messages array');
  if (!parsed.messages.every((m) => isRecord(m) && typeof m.role === 'string')) return bad('every entry of messages must be an object with a role');
  const variant = caseVariantKey(parsed, parsed.messages as Record<string, unknown>[]);
  if (variant) {
    const message = `request body field "${variant}" differs only in case from a field thinkcap reads (Ollama would read it as that field)`;
    return { ok: false, status: 400, message, code: 'ambiguous_field', misread: true };
  }
  // vLLM and SGLang read "true" or 1 as true (pydantic, lax): a stream thinkcap would not ask usage of.
  if (parsed.stream !== undefined && parsed.stream !== null && typeof parsed.stream !== 'boolean') return bad('stream must be true or false');
  const badLimit = invalidTokenLimit(parsed);
  if (badLimit) return bad(badLimit === 'n_predict' ? 'n_predict must be an integer from -1' : `${badLimit} must be a non-negative integer`);
  // Checked where a reservation depends on them (spend on): elsewhere the engine judges them, and
  // a body passed through as invalid would lose its thinking cap.
  const badChoices = maxChoices === null ? null : invalidChoices(parsed, maxChoices);
  if (badChoices) return bad(`${badChoices} must be a whole number from 1 to ${maxChoices}`);
  return { ok: true, json: parsed, messages: parsed.messages as Message[] };
}

/** The first `n` characters of the last user turn (the parts read of it: a turn of many parts is not joined whole). */
function lastUserHead(messages: Message[], n: number): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messageHead(messages[i]!, n);
  return '';
}

/** What was decided before admission: enough for the record of a refused request too. */
export interface Decision {
  readonly classification: Classification;
  readonly tier: TierName;
  /** The tier's budget after overrides and client hints, before the answer reserve. */
  readonly tierBudget: number;
  /** Thinking tokens allowed for this request. */
  readonly budget: number;
  /** Budget forcing's graceful end: thinking may run this far past the budget to a line break. */
  readonly graceTokens: number;
  /**
   * Sequences the engine generates (n, best_of, n_cmpl). A continuation continues one, so with
   * several there is no cut-off, continuation or rescue: the stream rewrite enforces each.
   */
  readonly choices: number;
  /**
   * Cut-off + continuation: a continuation backend's upstream stops at the budget and a
   * continuation answers. Only where one can follow and answer as the client asked: one choice,
   * a full-duplex Envoy, and a request the dialect's continuation carries whole. Otherwise the
   * request is capped as native (the engine's budget field, budget + answer allowance).
   */
  readonly cutOff: boolean;
  /** Completion tokens the backend's context leaves after the prompt (backends[].contextTokens), where known. */
  readonly contextRoom: number | undefined;
  /** The prompt's token count, where planning needed it already (the context room); spend reuses it. */
  readonly prompt: PromptCount | undefined;
  readonly pressure: boolean;
  readonly route: RouteDecision | null;
  readonly backend: BackendConfig | undefined;
  readonly dialect: Dialect;
  readonly limits: TokenLimits;
  /** Why the tier or budget differ from the classifier's and the tier's own. */
  readonly notes: readonly string[];
  readonly preview: string | null;
}

/** Everything thinkcap does to one admitted request, decided before it acts. */
export interface RequestPlan extends Decision {
  readonly rewrite: RewriteResult;
  /** The body forwarded upstream. */
  readonly body: Buffer;
  /** Request headers thinkcap sets (tier, budget, the routing header). */
  readonly headers: Readonly<Record<string, string | number>>;
  readonly reservation: Reservation | null;
  readonly budgetWarnings: readonly string[];
  /** Prompt tokens by thinkcap's estimate (priced when the engine reports none). */
  readonly promptEstimate: number;
  /** The response starts inside a think block the chat template opened (backends[].thinkPrefilled, as the body sent reads). */
  readonly thinkOpen: boolean;
  /** The markers of a think block in the response's content (backends[].thinkingFormat, else `<think>`). */
  readonly thinkTags: ThinkTags;
  /** Cut-off + continuation applies: the upstream stops at the budget, and thinkcap continues. */
  readonly continuation: boolean;
  /** A model that ends its turn inside thinking gets a continuation that answers. */
  readonly rescue: boolean;
  /**
   * The rescue also follows a stream that thinkcap's own length cap ended inside thinking, with
   * no answer: the engine did not end the thinking at the budget (no budget field it reads).
   */
  readonly rescueAtLength: boolean;
  /**
   * The rescue also answers a turn that ended with nothing at all (no thinking, no answer, no
   * tool call): where a chat template opened the thinking and a reasoning parser takes it out,
   * a model that ended its turn at once, or a client stop string the engine matched at the start
   * of the thinking, shows the client nothing else. Not where thinkcap turned thinking off (a
   * zero budget) nor after the client's own assistant prefill, which an empty turn completes.
   */
  readonly rescueEmpty: boolean;
  /** The client's request (before rewriting), kept for a continuation; null where none can run. */
  readonly original: Readonly<Record<string, unknown>> | null;
  /** Sequences the engine generates (generatedChoices). */
  readonly choices: number;
}

export interface Refusal {
  status: number;
  message: string;
  type: string;
  code: string;
  retryAfter: number | null;
  /** Why, for the request record only (a ledger's own error). */
  cause?: string;
}

export type PlanOutcome = { kind: 'forward'; plan: RequestPlan } | { kind: 'refuse'; refusal: Refusal; decision: Decision | null; classification: Classification };

export interface PlanDeps {
  config: Config;
  /** Spend budgets, when on. */
  spend: SpendController | null;
  /** Tier routing, when on. */
  router: Router | null;
  energy?: EnergyMonitor;
  /** Seconds spent classifying. */
  onClassified?(seconds: number): void;
  /** The time budget for counting prompt tokens (spend on); none: every prompt is counted in full. */
  counting?: CountingMeter;
  /** Seconds spent counting a prompt's tokens, and whether only a short head was counted exactly. */
  onPromptCounted?(seconds: number, shortHead: boolean): void;
}

/** What differs per request: Envoy's response body mode (follow-ups need to add to the response) and the deadline (ms since epoch). */
export interface PlanTiming {
  responseBodyMode: BodySendMode;
  deadline: number;
}

/**
 * Whether Envoy lets thinkcap add a follow-up's answer to the response: full duplex (thinkcap
 * sends what it likes), or STREAMED where the config says how long Envoy lets it hold the last
 * message (requests.streamedFollowUpMs, within Envoy's max_message_timeout).
 */
export function followUpsFit(mode: BodySendMode, config: Config): boolean {
  return mode === 'FULL_DUPLEX_STREAMED' || (mode === 'STREAMED' && config.requests.streamedFollowUpMs > 0);
}

/**
 * The request side, as one function: classify, then (with spend on) the identity and budget
 * pressure, the route, the budget and limits, the reservation of the worst case, and only
 * once admitted the rewrite. Synchronous unless a policy waits on I/O.
 */
export function planRequest(head: RequestHead, json: Record<string, unknown>, messages: Message[], deps: PlanDeps, timing: PlanTiming): PlanOutcome | Promise<PlanOutcome> {
  const t0 = performance.now();
  const classification = classifyMessages(messages, deps.config.classifier.underTierCost);
  deps.onClassified?.((performance.now() - t0) / 1000);
  const preview = deps.config.dashboard.promptPreview ? lastUserHead(messages, 160) : null;
  if (!deps.spend && !deps.router) {
    const decision = decide(head, json, deps, timing, classification, classification.tier, false, null, [], preview);
    const reserved = reservedFieldRefusal(decision, json);
    if (reserved) return { kind: 'refuse', decision, classification, refusal: reserved };
    return { kind: 'forward', plan: admit(decision, json, deps, timing, null, [], 0) };
  }
  return withPolicies(head, json, deps, timing, classification, preview);
}

async function withPolicies(head: RequestHead, json: Record<string, unknown>, deps: PlanDeps, timing: PlanTiming, classification: Classification, preview: string | null): Promise<PlanOutcome> {
  const { spend, router, config } = deps;
  const notes: string[] = [];
  let tier = classification.tier;
  let pressure = false;
  let who: SpendIdentity | null = null;
  if (spend) {
    who = spend.resolveIdentity({ ...head.identity, route: head.routeName ?? head.backend?.name ?? undefined });
    if (!who) {
      return { kind: 'refuse', decision: null, classification, refusal: { status: 401, message: 'thinkcap: this request carries no tenant identity and anonymous requests are refused', type: 'invalid_request_error', code: 'missing_identity', retryAfter: null } };
    }
    // Near a cap: lower tiers' budgets apply, and the budget routing rule may downgrade.
    const cap = await spend.pressureCap(who, timing.deadline);
    pressure = cap !== null;
    tier = capTier(classification.tier, cap);
    if (tier !== classification.tier) notes.push(`budget pressure: ${classification.tier} lowered to ${tier}`);
  }
  const route = router ? await router.decide(tier, { tenant: who?.tenant ?? head.identity.tenant, budgetPressure: pressure }) : null;
  const decision = decide(head, json, deps, timing, classification, tier, pressure, route, notes, preview);
  const reserved = reservedFieldRefusal(decision, json);
  if (reserved) return { kind: 'refuse', decision, classification, refusal: reserved };
  if (!spend || !who) return { kind: 'forward', plan: admit(decision, json, deps, timing, null, [], 0) };
  // What the engine may bill for the prompt, bounded from above (its template and tokenizer
  // count more than ours): the reservation is the worst case, so the cap holds.
  // Exact on a short head only once counting has used its time budget (a flood of large prompts).
  // And one prompt is counted for at most promptMs: text never seen before costs the most.
  const prompt = decision.prompt ?? countPrompt(json, deps, decision.backend);
  // Each generated choice may think its budget and answer up to the cap, and a continuation may
  // add an answer after it; the prompt is billed once.
  const choices = decision.choices;
  const follow = followUps(decision, followUpsFit(timing.responseBodyMode, config));
  // A limit of 0 still gets one token from llama-server (measured), so at least one is reserved.
  const completionCap = choices * (Math.max(1, decision.limits.upstreamMaxTokens) + (follow.continuation || follow.rescue ? config.requests.answerTokens : 0));
  // Priced by the measured GPU cost per token where there is one, never below the token price.
  const gpuPerToken = deps.energy?.costPerToken() ?? null;
  const worst = Math.max(tokenCost(config.spend.pricing, prompt.bound, completionCap), gpuPerToken === null ? 0 : gpuPerToken * completionCap);
  const r = await spend.preflight(who, worst, choices * decision.budget, timing.deadline);
  if (!r.ok) return { kind: 'refuse', decision, classification, refusal: { status: r.status, message: r.message, type: r.type, code: r.code, retryAfter: r.retryAfterSeconds, cause: r.cause } };
  return { kind: 'forward', plan: admit(decision, json, deps, timing, r.reservation, r.warnings, prompt.estimate) };
}

/** The prompt's token bound (promptTokenBound), counted on the time budget and metered. */
function countPrompt(json: Record<string, unknown>, deps: PlanDeps, backend: BackendConfig | undefined): PromptCount {
  const { config } = deps;
  const exactChars = deps.counting?.exactChars();
  const t0 = performance.now();
  const prompt = promptTokenBound(json, {
    safetyFactor: config.spend.promptBound.safetyFactor,
    ...templateCosts(backend, config),
    exactChars,
    deadline: t0 + config.spend.promptBound.counting.promptMs,
  });
  const countedMs = performance.now() - t0;
  deps.counting?.spent(countedMs);
  deps.onPromptCounted?.(countedMs / 1000, exactChars !== undefined || prompt.cut);
  return prompt;
}

type PromptCount = ReturnType<typeof promptTokenBound>;

/** What a backend's template and media parts add to a prompt: its own figures, else spend.promptBound's. */
function templateCosts(backend: BackendConfig | undefined, config: Config): { overheadTokens: number; mediaPartTokens: number } {
  return {
    overheadTokens: backend?.promptOverheadTokens ?? config.spend.promptBound.overheadTokens,
    mediaPartTokens: backend?.mediaPartTokens ?? config.spend.promptBound.mediaPartTokens,
  };
}

/**
 * Completion tokens the backend's context leaves after this prompt (backends[].contextTokens):
 * its estimate (o200k count, template overhead, media parts at mediaPartTokens), not the
 * worst-case bound, which would hold long prompts to far less than the engine allows. Undefined: no
 * context length configured, or the prompt alone fills it by the estimate (the engine answers
 * that itself, as it would without thinkcap).
 */
function contextRoom(backend: BackendConfig | undefined, prompt: PromptCount, config: Config): number | undefined {
  if (backend?.contextTokens === undefined) return undefined;
  const { overheadTokens, mediaPartTokens } = templateCosts(backend, config);
  const used = prompt.estimate + overheadTokens + prompt.media * mediaPartTokens;
  const room = backend.contextTokens - used;
  return room > 0 ? room : undefined;
}

/** The tier's backend, budget and limits: what the request will be allowed. */
function decide(
  head: RequestHead,
  json: Record<string, unknown>,
  deps: PlanDeps,
  timing: PlanTiming,
  classification: Classification,
  tier: TierName,
  pressure: boolean,
  route: RouteDecision | null,
  notes: string[],
  preview: string | null,
): Decision {
  const { config } = deps;
  const routed = route?.backend ? config.backends.find((b) => b.name === route.backend) : undefined;
  const backend = routed ?? head.backend;
  const dialect = routed ? dialectFor(config, routed) : (head.dialect ?? dialectFor(config, backend));
  const decision = resolveThinkingBudget(config, tier, head.identity, { reasoningEffort: json.reasoning_effort, thinkingBudget: json.thinking_budget });
  // Why the budget differs from the tier's (overrides, client hints, floor, ceiling), for the record.
  for (const a of decision.adjustments) notes.push(`budget: ${a}`);
  // vLLM and SGLang refuse a prompt + completion limit past their context: where the backend's
  // is known, the limit stays inside what this prompt leaves, like a client max_tokens would.
  const prompt = backend?.contextTokens !== undefined ? countPrompt(json, deps, backend) : undefined;
  const room = prompt ? contextRoom(backend, prompt, config) : undefined;
  const clientMax = dialect.clientMaxTokens(json);
  const completionMax = room === undefined ? clientMax : Math.min(clientMax ?? Infinity, room);
  if (room !== undefined && (clientMax === null || room < clientMax)) notes.push(`context: ${backend!.contextTokens} tokens, prompt ~${backend!.contextTokens! - room}: completion held to ${room}`);
  // An answer must fit inside the client's own max_tokens: thinking stops short of it.
  const budget = budgetWithAnswerRoom(decision.budget, completionMax, config.requests.answerReserveTokens);
  if (budget < decision.budget) notes.push(`answer reserve: thinking ${decision.budget} lowered to ${budget} to fit ${completionMax === clientMax ? 'max_tokens' : 'the context'}`);
  const choices = generatedChoices(json);
  const addable = followUpsFit(timing.responseBodyMode, config);
  // Only a continuation backend cuts off (the check reads every message: not on other requests).
  // The body as it will be sent, as far as the check reads it: with the routed model.
  const lost = choices === 1 && addable && backend?.enforcement === 'continuation' ? (dialect.continuationLoses?.(route?.model ? { ...json, model: route.model } : json) ?? null) : null;
  // A dialect with no continuation cannot cut off: the cut would leave no answer (ollama-openai,
  // before it had one, failed such a request with a 500: the continuation could not be built).
  const continuable = backend?.enforcement !== 'continuation' || dialect.buildContinuation !== undefined;
  const cutOff = choices === 1 && addable && lost === null && continuable;
  if (!cutOff && backend?.enforcement === 'continuation') {
    const why = choices > 1 ? `${choices} choices (a continuation continues one)` : !addable ? `response_body_mode ${timing.responseBodyMode} (a continuation needs FULL_DUPLEX_STREAMED, or STREAMED with requests.streamedFollowUpMs)` : !continuable ? `the ${dialect.name} dialect has no continuation` : `its continuation would lose ${lost}`;
    notes.push(`no cut-off + continuation: ${why}; capped as native, the stream rewrite enforces`);
  }
  const graceTokens = backend?.enforcement === 'continuation' && cutOff ? Math.ceil(budget * config.requests.graceRatio) : 0;
  const limits = dialect.limits(json, { thinkingBudget: budget, answerTokens: config.requests.answerTokens, graceTokens, cutOff, contextRoom: room });
  return { classification, tier, tierBudget: decision.budget, budget, graceTokens, choices, cutOff, contextRoom: room, prompt, pressure, route, backend, dialect, limits, notes, preview };
}

/** A field of the body that only thinkcap may set on the chosen backend (Dialect.reservedFields), as a refusal. */
function reservedFieldRefusal(d: Decision, json: Record<string, unknown>): Refusal | null {
  const field = d.dialect.reservedFields?.find((k) => json[k] !== undefined && json[k] !== null);
  if (field === undefined) return null;
  const message = `thinkcap: ${field} is set by the gateway on this backend; a request may not carry its own`;
  return { status: 400, message, type: 'invalid_request_error', code: 'reserved_field', retryAfter: null };
}

/**
 * Whether thinkcap may follow the upstream call with a continuation (up to requests.answerTokens
 * more, never past the client's own limit): budget forcing, or the rescue of a model that ends
 * its turn inside thinking or thinks into thinkcap's length cap. The reservation covers it where
 * either may run.
 */
function followUps(d: Decision, addable: boolean): { continuation: boolean; rescue: boolean; rescueAtLength: boolean } {
  // Envoy must let thinkcap add to the response (followUpsFit); a continuation continues one
  // choice, so none follows where the engine generates several.
  const canFollow = addable && d.choices === 1;
  // Continue only when the length cap that stops the upstream is ours, not the client's.
  const capIsOurs = d.limits.clientMaxTokens === null || d.limits.clientMaxTokens > d.limits.upstreamMaxTokens;
  const continuation = d.backend?.enforcement === 'continuation' && d.cutOff && capIsOurs;
  // A model that ends its turn inside thinking leaves no answer; where thinkcap can reach the
  // backend (url) and Envoy lets it add to the response, a continuation answers.
  const rescue = d.backend?.enforcement !== 'rewrite' && d.backend?.url !== undefined && canFollow && d.dialect.buildContinuation !== undefined;
  // So does one that thinks on past the budget into thinkcap's length cap (budget + answer
  // allowance), where the engine has no budget field it reads; at the client's own limit, no.
  return { continuation, rescue, rescueAtLength: rescue && !continuation && capIsOurs };
}

/** Whether a chat request's last message is the assistant's (a prefill the model continues). */
function endsWithAssistant(json: Record<string, unknown>): boolean {
  const messages = json.messages;
  if (!Array.isArray(messages)) return false;
  const last: unknown = messages.at(-1);
  return typeof last === 'object' && last !== null && (last as { role?: unknown }).role === 'assistant';
}

/** The admitted request: rewritten for its backend and serialized. */
function admit(d: Decision, json: Record<string, unknown>, deps: PlanDeps, timing: PlanTiming, reservation: Reservation | null, budgetWarnings: string[], promptEstimate: number): RequestPlan {
  const { config } = deps;
  const { continuation, rescue, rescueAtLength } = followUps(d, followUpsFit(timing.responseBodyMode, config));
  // The client hint field is ours, not the backend's.
  delete json.thinking_budget;
  if (d.route?.model) json.model = d.route.model;
  const original = continuation || rescue ? structuredClone(json) : null;
  const rescueEmpty = rescue && d.budget > 0 && !endsWithAssistant(json);
  const choices = d.choices;
  const rewrite = d.dialect.rewriteRequest(json, { thinkingBudget: d.budget, answerTokens: config.requests.answerTokens, graceTokens: d.graceTokens, cutOff: d.cutOff, contextRoom: d.contextRoom, mayFollow: continuation || rescue });
  const body = Buffer.from(JSON.stringify(json), 'utf8');
  const thinkOpen = startsInsideThink(d.backend?.thinkPrefilled, json);
  const headers: Record<string, string | number> = { 'x-thinkcap-tier': d.tier, 'x-thinkcap-budget': d.budget };
  if (d.route) headers[config.routing.header] = d.route.target;
  // Immutable by type (readonly everywhere); an explicit literal keeps the object's shape fast.
  return {
    classification: d.classification,
    tier: d.tier,
    tierBudget: d.tierBudget,
    budget: d.budget,
    graceTokens: d.graceTokens,
    pressure: d.pressure,
    route: d.route,
    backend: d.backend,
    dialect: d.dialect,
    limits: d.limits,
    notes: d.notes,
    preview: d.preview,
    rewrite,
    body,
    headers,
    reservation,
    budgetWarnings,
    promptEstimate,
    continuation,
    rescue,
    rescueAtLength,
    rescueEmpty,
    original,
    choices,
    cutOff: d.cutOff,
    contextRoom: d.contextRoom,
    prompt: d.prompt,
    thinkOpen,
    thinkTags: thinkTagsOf(d.backend?.thinkingFormat),
  };
}
