import type { Logger } from 'pino';
import type { Config, TierName } from '../config/schema.js';
import { classifyMessages, type Classification } from '../classify/classifier.js';
import { budgetWithAnswerRoom, resolveThinkingBudget, type Identity } from '../budget/thinking.js';
import { dialectFor, selectBackend } from '../backends/registry.js';
import type { ContinuationRequest, Dialect, RewriteResult } from '../backends/types.js';
import { isRecord } from '../backends/types.js';
import type { BackendConfig } from '../config/schema.js';
import { ResponseRewriter } from '../stream/rewriter.js';
import { capTier, tokenCost, type Reservation, type SpendController } from '../budget/spend.js';
import { countTokens } from '../stream/tokens.js';
import { promptTokenBound } from '../budget/prompt.js';
import { messageText } from '../classify/text.js';
import { performance } from 'node:perf_hooks';
import type { EnergyFigure, EnergyMonitor } from '../energy/monitor.js';
import type { RouteDecision, Router } from '../routing/router.js';

import { runContinuation } from './continuation.js';
import type {
  BodySendMode,
  HeaderMutation,
  HttpBody,
  HttpHeaders,
  ProcessingRequest,
  ProcessingResponse,
  ProtocolConfiguration,
  StructValue,
} from './proto.js';
import { fromStruct, headerMutation, openAiError, readHeaders, streamedBody, toStruct } from './wire.js';

/** onInvalid as configured, else reject when spend budgets are on (an unread request cannot be reserved for). */
function invalidMode(config: Config): 'passthrough' | 'reject' {
  return config.requests.onInvalid ?? (config.spend.enabled ? 'reject' : 'passthrough');
}

/**
 * Deepest nesting of arrays and objects in a JSON text, counted up to `stopAbove` + 1 (one
 * pass, strings skipped; the text need not be valid JSON).
 */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** The name of a completion limit the client set to something other than a non-negative integer. */
function invalidTokenLimit(body: Record<string, unknown>): string | null {
  for (const k of ['max_tokens', 'max_completion_tokens'] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return k;
  }
  return null;
}

function lastUserText(messages: Array<{ role?: unknown; content?: unknown }>): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messageText(messages[i]!);
  return '';
}

/** What one finished request looked like; fed to logs, metrics and the dashboard. */
export interface RequestRecord {
  id: string;
  startedAt: number;
  durationMs: number;
  path: string;
  tier: TierName | null;
  budget: number | null;
  score: number | null;
  signals: string[];
  dialect: string | null;
  backend: string | null;
  identity: Identity;
  thinkingTokens: number | null;
  completionTokens: number | null;
  promptTokens: number | null;
  costUsd: number | null;
  /** How cost was priced: per-token prices, or the GPU's share of time (energy module). */
  costBasis: 'tokens' | 'gpu' | 'estimated';
  energyJ: number | null;
  energySource: string | null;
  /** Thinking the backend would have done without the cap, where known. */
  naturalThinkingTokens: number | null;
  /** Envoy route name (xds.route_name), when Envoy sends it. */
  route: string | null;
  /** First characters of the last user message; only when dashboard.promptPreview is on. */
  preview: string | null;
  /** Budget pressure lowered the tier. */
  pressure: boolean;
  notes: string[];
  status: number | null;
  outcome: 'ok' | 'passthrough' | 'rejected' | 'upstream_error' | 'aborted' | 'error';
  reason: string | null;
  stream: boolean;
}

export interface ProcessorContext {
  config: Config;
  log: Logger;
  onFinish(record: RequestRecord): void;
  /** Send a message outside the one-answer-per-message rhythm (full-duplex continuations). */
  emit?(res: ProcessingResponse): void;
  spend?: SpendController;
  metrics?: ProcessorMetrics;
  energy?: EnergyMonitor;
  router?: Router;
}

export interface ProcessorMetrics {
  chunk(seconds: number): void;
  classify(seconds: number): void;
}

type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body' | 'done';

let nextId = 0;

/**
 * One HTTP request's ext_proc conversation. Envoy sends its phases in order on one gRPC
 * stream; each method answers one phase. A request thinkcap cannot or should not act on is
 * passed through untouched from then on.
 */
export class RequestProcessor {
  readonly id: string;
  private phase: Phase = 'request_headers';
  private passthrough = false;
  private requestBodyMode: BodySendMode;
  private responseBodyMode: BodySendMode;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private readonly startedAt = Date.now();
  private path = '';
  private identity: Identity = {};
  private dialect: Dialect | null = null;
  private backendName: string | null = null;
  private backend: BackendConfig | undefined;
  private requestJson: Record<string, unknown> | null = null;
  private responseBuffered = false;
  private continuing = false;
  private routeName: string | undefined;
  private tier: TierName | null = null;
  private notes: string[] = [];
  private pressure = false;
  private reservation: Reservation | null = null;
  private budgetWarnings: string[] = [];
  private promptEstimate = 0;
  private costUsd: number | null = null;
  private route: RouteDecision | null = null;
  private bodyForwardedAt = 0;
  private costBasis: RequestRecord['costBasis'] = 'tokens';
  private energyFigure: EnergyFigure | null = null;
  private tokensReported = 0;
  private completionTotal: number | null = null;
  private preview: string | null = null;
  private natural: number | null = null;
  private classification: Classification | null = null;
  /** Thinking tokens allowed for this request (after the answer reserve). */
  private budget: number | null = null;
  /** The tier's budget before the answer reserve. */
  private tierBudget: number | null = null;
  private rewrite: RewriteResult | null = null;
  private observer: ResponseRewriter | null = null;
  private status: number | null = null;
  private outcome: RequestRecord['outcome'] = 'ok';
  private reason: string | null = null;
  private finished = false;

  constructor(private readonly ctx: ProcessorContext) {
    this.id = `${process.pid.toString(36)}-${(nextId++).toString(36)}`;
    this.requestBodyMode = ctx.config.envoyBodyModes.request;
    this.responseBodyMode = ctx.config.envoyBodyModes.response;
  }

  /** Dispatch one ProcessingRequest; returns the responses to send (usually one). */
  handle(req: ProcessingRequest): ProcessingResponse[] | Promise<ProcessingResponse[]> {
    if (req.protocol_config) this.applyProtocolConfig(req.protocol_config);
    switch (req.request) {
      case 'request_headers':
        return [this.onRequestHeaders(req.request_headers!, req.attributes)];
      case 'request_body':
        return this.onRequestBody(req.request_body!);
      case 'response_headers':
        return this.onResponseHeaders(req.response_headers!);
      case 'response_body':
        return this.onResponseBody(req.response_body!);
      case 'request_trailers':
        return [{ request_trailers: {} }];
      case 'response_trailers':
        return [this.onResponseTrailers()];
      default:
        return [];
    }
  }

  private applyProtocolConfig(pc: ProtocolConfiguration): void {
    // Recent Envoy tells us its configured body modes; for older ones config.envoyBodyModes says.
    if (pc.request_body_mode) this.requestBodyMode = pc.request_body_mode;
    if (pc.response_body_mode) this.responseBodyMode = pc.response_body_mode;
  }

  // --- request path ---

  private onRequestHeaders(h: HttpHeaders, attributes?: Record<string, StructValue>): ProcessingResponse {
    if (this.headersSeen) {
      // Envoy sends request headers once per stream: a second set is not Envoy (or a broken
      // one) and must not turn a chat request into one whose body passes unread.
      if (this.ctx.spend?.enabled) return this.refuse(400, 'thinkcap: request headers out of order', 'invalid_request_error', 'invalid_request', null);
      return { request_headers: {} };
    }
    this.headersSeen = true;
    this.phase = 'request_headers';
    const headers = readHeaders(h.headers?.headers);
    const { config } = this.ctx;
    const method = headers.get(':method') ?? '';
    const rawPath = headers.get(':path') ?? '';
    const q = rawPath.indexOf('?');
    this.path = q < 0 ? rawPath : rawPath.slice(0, q);
    const contentType = (headers.get('content-type') ?? '').toLowerCase();
    this.identity = {
      tenant: headers.get(config.identity.tenantHeader) || undefined,
      user: headers.get(config.identity.userHeader) || undefined,
      session: headers.get(config.identity.sessionHeader) || undefined,
    };

    const isChat =
      config.match.methods.includes(method) &&
      config.match.paths.some((p) => this.path === p || this.path.endsWith(p)) &&
      config.match.contentTypes.some((ct) => contentType.startsWith(ct));
    if (!isChat) {
      this.bodyMayPass = true;
      return this.passThroughFromHeaders('not a chat request');
    }
    if (h.end_of_stream) {
      // A chat POST with no body at all.
      const res = this.invalid(400, 'request body is empty', 'invalid_request_body', { end_of_stream: true });
      return res.immediate_response ? res : this.passThroughFromHeaders('chat request without a body');
    }

    let routeName: string | undefined;
    const attrs = attributes?.['envoy.filters.http.ext_proc'];
    if (attrs) {
      const v = fromStruct(attrs)['xds.route_name'];
      if (typeof v === 'string' && v) routeName = v;
    }
    this.routeName = routeName;
    const backend = selectBackend(config, { path: this.path, authority: headers.get(':authority') ?? '', routeName });
    this.backend = backend;
    this.backendName = backend?.name ?? null;
    this.dialect = dialectFor(config, backend);
    if (this.requestBodyMode !== 'BUFFERED') {
      // Rewriting needs the whole body at once; a streamed request body is left alone.
      if (this.ctx.spend?.enabled) {
        // Unread, a chat request cannot be reserved for: refused, not forwarded.
        return this.refuse(500, `thinkcap: spend budgets need the request body BUFFERED (Envoy sends it ${this.requestBodyMode})`, 'server_error', 'thinkcap_misconfigured', null);
      }
      return this.passThroughFromHeaders(`request body mode ${this.requestBodyMode} is not BUFFERED`);
    }
    this.phase = 'request_body';
    // thinkcap reads the response text: ask the backend for it uncompressed.
    return { request_headers: { response: { header_mutation: headerMutation({ 'accept-encoding': 'identity' }) } } };
  }

  private passThroughFromHeaders(reason: string): ProcessingResponse {
    this.passthrough = true;
    this.outcome = 'passthrough';
    this.reason = reason;
    const res: ProcessingResponse = { request_headers: {} };
    // Ask Envoy not to send us the rest of this request at all. Full-duplex modes cannot be
    // overridden reliably, so there the remaining phases are answered unchanged instead.
    if (this.requestBodyMode !== 'FULL_DUPLEX_STREAMED' && this.responseBodyMode !== 'FULL_DUPLEX_STREAMED') {
      res.mode_override = { request_body_mode: 'NONE', response_header_mode: 'SKIP', response_body_mode: 'NONE' };
    }
    return res;
  }

  private onRequestBody(b: HttpBody): ProcessingResponse[] | Promise<ProcessingResponse[]> {
    if (this.passthrough) {
      // With spend on, only the body of a request known not to be a chat goes on unread; a body
      // out of order (no chat headers, after a response) is never forwarded unreserved.
      if (this.ctx.spend?.enabled && !this.bodyMayPass) {
        return [this.refuse(400, 'thinkcap: request body out of order', 'invalid_request_error', 'invalid_request_body', null)];
      }
      return [this.unchangedRequestBody(b)];
    }
    if (this.phase !== 'request_body') {
      // A body before the request headers (or after the response began): never forwarded unread.
      return [this.invalid(400, 'request body out of order', 'invalid_request_body', b)];
    }
    const chunk = b.body ?? Buffer.alloc(0);
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.ctx.config.requests.maxBodyBytes) {
      return [this.invalid(413, `request body is larger than ${this.ctx.config.requests.maxBodyBytes} bytes`, 'request_too_large', b)];
    }
    this.bodyChunks.push(chunk);
    // BUFFERED sends the whole body in one message; anything else (a partial buffer) is not
    // rewritten, and every message gets its answer so the stream never waits on thinkcap.
    if (!b.end_of_stream) return [this.invalid(400, 'request body arrived in parts', 'invalid_request_body', b)];
    const body = this.bodyChunks.length === 1 ? this.bodyChunks[0]! : Buffer.concat(this.bodyChunks);
    this.bodyChunks = [];
    if (body.length === 0) return [this.invalid(400, 'request body is empty', 'invalid_request_body', b)];

    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return [this.invalid(400, 'request body is not valid UTF-8', 'invalid_request_body', b)];
    }
    // Deep nesting would overflow the stack in JSON.stringify and the classifier: checked on the
    // raw text before parsing, in one pass.
    const depth = jsonDepth(text, this.ctx.config.requests.maxJsonDepth);
    if (depth > this.ctx.config.requests.maxJsonDepth) {
      return [this.invalid(400, `request body nests deeper than ${this.ctx.config.requests.maxJsonDepth} levels`, 'invalid_request_body', b)];
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return [this.invalid(400, `request body is not valid JSON: ${(err as Error).message}`, 'invalid_json', b)];
    }
    if (!isRecord(parsed) || !Array.isArray(parsed.messages) || parsed.messages.length === 0) {
      return [this.invalid(400, 'request body has no messages array', 'invalid_request_body', b)];
    }
    if (!parsed.messages.every((m) => isRecord(m) && typeof m.role === 'string')) {
      return [this.invalid(400, 'every entry of messages must be an object with a role', 'invalid_request_body', b)];
    }
    const badLimit = invalidTokenLimit(parsed);
    if (badLimit) return [this.invalid(400, `${badLimit} must be a non-negative integer`, 'invalid_request_body', b)];

    // Everything up to the answer to this message must fit inside Envoy's message_timeout.
    this.deadline = Date.now() + this.ctx.config.requests.deadlineMs;
    const t0 = performance.now();
    const classification = classifyMessages(parsed.messages as Array<{ role?: unknown; content?: unknown }>);
    this.ctx.metrics?.classify((performance.now() - t0) / 1000);
    this.classification = classification;
    if (this.ctx.config.dashboard.promptPreview) this.preview = lastUserText(parsed.messages as Array<{ role?: unknown; content?: unknown }>).slice(0, 160);
    const spend = this.ctx.spend;
    const router = this.ctx.router;
    if (spend?.enabled || router?.enabled) return this.withPolicies(spend?.enabled ? spend : null, router?.enabled ? router : null, parsed, classification);
    return [this.rewriteBody(parsed, classification.tier, [], null)];
  }

  /**
   * Spend budgets and tier routing: identity, budget pressure, the route and its downgrade
   * rules, then an atomic reservation of the worst case.
   */
  private async withPolicies(spend: SpendController | null, router: Router | null, parsed: Record<string, unknown>, classification: Classification): Promise<ProcessingResponse[]> {
    let tier = classification.tier;
    const notes: string[] = [];
    let who: Identity | null = null;
    if (spend) {
      who = spend.resolveIdentity({ ...this.identity, route: this.routeName ?? this.backendName ?? undefined });
      if (!who) {
        return [this.refuse(401, 'thinkcap: this request carries no tenant identity and anonymous requests are refused', 'invalid_request_error', 'missing_identity', null)];
      }
      const cap = await spend.pressureCap(who, this.deadline);
      // Near a cap: lower tiers' budgets apply, and the budget routing rule may downgrade.
      if (cap) this.pressure = true;
      tier = capTier(classification.tier, cap);
      if (tier !== classification.tier) notes.push(`budget pressure: ${classification.tier} lowered to ${tier}`);
    }
    const route = router ? await router.decide(tier, { tenant: who?.tenant ?? this.identity.tenant, budgetPressure: this.pressure }) : null;
    this.route = route;
    const response = this.rewriteBody(parsed, tier, notes, route);
    if (!spend || !who) return [response];
    // What the engine may bill for the prompt, bounded from above (its template and tokenizer
    // count more than ours): the reservation is the worst case, so the cap holds.
    const prompt = promptTokenBound(parsed, {
      safetyFactor: this.ctx.config.spend.promptBound.safetyFactor,
      overheadTokens: this.backend?.promptOverheadTokens ?? this.ctx.config.spend.promptBound.overheadTokens,
    });
    const promptTokens = prompt.bound;
    const completionCap = (this.rewrite?.upstreamMaxTokens ?? 0) + (this.backend?.enforcement === 'continuation' ? this.ctx.config.requests.answerTokens : 0);
    // Priced by the measured GPU cost per token where there is one, never below the token price.
    const gpuPerToken = this.ctx.energy?.costPerToken() ?? null;
    const worst = Math.max(tokenCost(this.ctx.config.spend.pricing, promptTokens, completionCap), gpuPerToken === null ? 0 : gpuPerToken * completionCap);
    // Priced by when the engine reports no prompt tokens: the estimate, not the bound.
    this.promptEstimate = prompt.estimate;
    const r = await spend.preflight(who, worst, this.budget ?? 0, this.deadline);
    if (!r.ok) return [this.refuse(r.status, r.message, r.type, r.code, r.retryAfterSeconds)];
    this.reservation = r.reservation;
    this.budgetWarnings = r.warnings;
    return [response];
  }

  private refuse(status: number, message: string, type: string, code: string, retryAfter: number | null): ProcessingResponse {
    this.outcome = 'rejected';
    this.status = status;
    this.reason = message;
    this.phase = 'done';
    this.finish();
    const extra: Record<string, string> = {};
    if (retryAfter !== null) extra['retry-after'] = String(retryAfter);
    return { immediate_response: openAiError(status, message, type, code, extra) };
  }

  private rewriteBody(parsed: Record<string, unknown>, tier: TierName, notes: string[], route: RouteDecision | null): ProcessingResponse {
    const decision = resolveThinkingBudget(this.ctx.config, tier, this.identity, {
      reasoningEffort: parsed.reasoning_effort,
      thinkingBudget: parsed.thinking_budget,
    });
    this.tier = tier;
    // Why the budget differs from the tier's (overrides, client hints, floor, ceiling), for the record.
    for (const a of decision.adjustments) notes.push(`budget: ${a}`);
    // An answer must fit inside the client's own max_tokens: thinking stops short of it.
    const budget = budgetWithAnswerRoom(decision.budget, this.dialect!.clientMaxTokens(parsed), this.ctx.config.requests.answerReserveTokens);
    if (budget < decision.budget) notes.push(`answer reserve: thinking ${decision.budget} lowered to ${budget} to fit max_tokens`);
    this.tierBudget = decision.budget;
    this.budget = budget;
    this.notes = notes;
    // The client hint field is ours, not the backend's.
    delete parsed.thinking_budget;
    if (route) {
      if (route.model) parsed.model = route.model;
      const target = route.backend ? this.ctx.config.backends.find((b) => b.name === route.backend) : undefined;
      if (target) {
        this.backend = target;
        this.backendName = target.name;
        this.dialect = dialectFor(this.ctx.config, target);
      }
    }
    // Kept for a continuation (budget forcing, or an answer rescued after the model stopped inside thinking).
    if (this.continuationPossible() || this.rescuePossible()) this.requestJson = structuredClone(parsed);
    this.rewrite = this.dialect!.rewriteRequest(parsed, {
      thinkingBudget: budget,
      answerTokens: this.ctx.config.requests.answerTokens,
    });
    const out = Buffer.from(JSON.stringify(parsed), 'utf8');
    this.phase = 'response_headers';
    this.bodyForwardedAt = performance.now();
    return {
      request_body: {
        response: {
          // BUFFERED body with headers already answered: Envoy keeps content-length, so the
          // new length must be set here or Envoy rejects the mutation.
          header_mutation: headerMutation({
            'content-length': out.length,
            'x-thinkcap-tier': tier,
            'x-thinkcap-budget': budget,
            ...(route ? { [this.ctx.config.routing.header]: route.target } : {}),
          }),
          body_mutation: { body: out },
          // The route header only picks a cluster if Envoy matches routes again.
          clear_route_cache: route !== null,
        },
      },
    };
  }

  private unchangedRequestBody(b: HttpBody): ProcessingResponse {
    return this.requestBodyMode === 'FULL_DUPLEX_STREAMED' ? streamedBody('request_body', b.body, !!b.end_of_stream) : { request_body: {} };
  }

  private invalid(status: number, message: string, code: string, b: HttpBody): ProcessingResponse {
    this.reason = message;
    if (invalidMode(this.ctx.config) === 'reject') {
      this.outcome = 'rejected';
      this.status = status;
      this.phase = 'done';
      this.finish();
      return { immediate_response: openAiError(status, `thinkcap: ${message}`, 'invalid_request_error', code) };
    }
    this.ctx.log.info({ req: this.id, reason: message }, 'chat request passed through unchanged');
    this.passthrough = true;
    this.outcome = 'passthrough';
    this.bodyChunks = [];
    return this.unchangedRequestBody(b);
  }

  // --- response path ---

  private onResponseHeaders(h: HttpHeaders): ProcessingResponse[] {
    if (this.passthrough) return [{ response_headers: {} }];
    const headers = readHeaders(h.headers?.headers);
    this.status = Number(headers.get(':status') ?? 0) || null;
    if (!this.dialect || this.phase !== 'response_headers') {
      // Envoy answered by itself before thinkcap saw the request body (a local reply: body over
      // its buffer limit, no healthy upstream): nothing to rewrite; finish the record.
      this.passthrough = true;
      this.outcome = 'upstream_error';
      this.reason = `local reply ${this.status ?? ''} before the request body`.trim();
      this.finish();
      return [{ response_headers: {} }];
    }
    const contentType = (headers.get('content-type') ?? '').toLowerCase();
    const encoding = (headers.get('content-encoding') ?? 'identity').toLowerCase();
    const naturalHeader = this.ctx.config.dashboard.naturalThinkingHeader;
    const natural = naturalHeader ? Number(headers.get(naturalHeader) ?? NaN) : NaN;
    if (Number.isFinite(natural)) this.natural = natural;
    const streaming = contentType.includes('event-stream') || contentType.includes('ndjson');
    const tierHeaders = headerMutation({
      'x-thinkcap-tier': this.tier ?? undefined,
      'x-thinkcap-budget': this.budget ?? undefined,
      // The tier's own budget, when the answer reserve lowered it for this request.
      'x-thinkcap-tier-budget': this.tierBudget !== null && this.tierBudget !== this.budget ? this.tierBudget : undefined,
      'x-thinkcap-budget-warning': this.budgetWarnings.length ? this.budgetWarnings.join('; ') : undefined,
      'x-thinkcap-route': this.route?.target,
      'x-thinkcap-route-reason': this.route ? this.route.reasons.join('; ') || 'tier route' : undefined,
    });
    if (this.route && this.ctx.router) this.ctx.router.observe(this.route.target, performance.now() - this.bodyForwardedAt);
    if (encoding !== 'identity') {
      // The backend compressed anyway: thinkcap cannot read it safely, so it passes untouched.
      this.ctx.log.warn({ req: this.id, encoding }, 'compressed response passed through without enforcement');
      this.passthrough = true;
      this.reason = `response content-encoding ${encoding}`;
      return [{ response_headers: { response: { header_mutation: tierHeaders } } }];
    }
    const format = streaming ? this.dialect!.streamFormat : 'json';
    this.observer = new ResponseRewriter({
      dialect: this.dialect!,
      format,
      budget: this.budget ?? 0,
      clientWantsUsage: this.rewrite?.clientWantsUsage ?? true,
      thinkPrefilled: this.backend?.thinkPrefilled ?? false,
      continuation: this.continuationPossible(),
      rescue: this.rescuePossible(),
      tier: this.tier ?? 'unknown',
      reportExtra: () => this.reportExtra(),
    });
    this.ctx.energy?.begin(this.id);
    if (this.backend?.enforcement === 'continuation' && this.responseBodyMode !== 'FULL_DUPLEX_STREAMED' && streaming) {
      this.ctx.log.warn({ req: this.id }, 'continuation needs response_body_mode FULL_DUPLEX_STREAMED; the stream rewrite enforces instead');
    }
    this.phase = 'response_body';
    if (!streaming && this.responseBodyMode === 'FULL_DUPLEX_STREAMED' && !h.end_of_stream) {
      // Full duplex sends the body without waiting for this answer: hold it until the whole
      // JSON is read (and a continuation has answered), so the figures go into the headers.
      this.heldHeaders = tierHeaders;
      this.responseBuffered = true;
      return [];
    }
    const res: ProcessingResponse = { response_headers: { response: { header_mutation: tierHeaders } } };
    if (!streaming && this.responseBodyMode === 'STREAMED' && !h.end_of_stream) {
      // A whole JSON answer: have Envoy buffer it so thinkcap can rewrite it and add
      // x-thinkcap-thinking-tokens (headers wait for the body in BUFFERED mode).
      res.mode_override = { response_body_mode: 'BUFFERED' };
      this.responseBuffered = true;
    }
    if (h.end_of_stream) {
      this.finish();
      res.dynamic_metadata = this.metadata();
    }
    return [res];
  }

  /** Continue only when the length cap that stops the upstream is ours, not the client's. */
  private continuationPossible(): boolean {
    return (
      this.backend?.enforcement === 'continuation' &&
      this.responseBodyMode === 'FULL_DUPLEX_STREAMED' &&
      (this.rewrite?.clientMaxTokens == null || this.rewrite.clientMaxTokens > this.rewrite.upstreamMaxTokens)
    );
  }

  /**
   * A model that ends its turn inside thinking leaves no answer; where thinkcap can reach the
   * backend (url) and Envoy lets it add to the response (full duplex), a continuation answers.
   */
  private rescuePossible(): boolean {
    return (
      this.backend?.enforcement !== 'rewrite' &&
      this.backend?.url !== undefined &&
      this.responseBodyMode === 'FULL_DUPLEX_STREAMED' &&
      this.dialect?.buildContinuation !== undefined
    );
  }

  /** The figures a whole (non-streaming) response carries in its headers. */
  private figureHeaders(obs: ResponseRewriter, bodyLength: number | undefined, base?: HeaderMutation): HeaderMutation {
    const m = headerMutation({
      'x-thinkcap-thinking-tokens': obs.thinkingTokens,
      'x-thinkcap-cost-usd': this.costUsd === null ? undefined : this.costUsd.toFixed(8),
      'x-thinkcap-cost-basis': this.costUsd === null ? undefined : this.costBasis,
      'x-thinkcap-energy-j': this.energyFigure ? this.energyFigure.joules.toFixed(3) : undefined,
      'x-thinkcap-energy-source': this.energyFigure ? (this.energyFigure.source === 'estimated' ? 'estimated' : `measured-${this.energyFigure.source}`) : undefined,
      'x-thinkcap-enforced': this.continuing ? 'continuation' : obs.enforced ? 'stream' : undefined,
      'content-length': bodyLength,
    });
    if (base?.set_headers) m.set_headers = [...base.set_headers, ...(m.set_headers ?? [])];
    return m;
  }

  private onResponseBody(b: HttpBody): ProcessingResponse[] {
    const chunk = b.body ?? Buffer.alloc(0);
    const eos = !!b.end_of_stream;
    if (this.passthrough || !this.observer) return [this.responseBodyOut(chunk, null, eos)];
    const obs = this.observer;
    const t0 = performance.now();
    const out = obs.push(chunk, eos);
    this.ctx.metrics?.chunk((performance.now() - t0) / 1000);
    if (this.ctx.energy && obs.tokenEvents > this.tokensReported) {
      this.ctx.energy.tokens(this.id, obs.tokenEvents - this.tokensReported);
      this.tokensReported = obs.tokenEvents;
    }
    if (this.heldHeaders) {
      // Full duplex, whole JSON: nothing goes out until the end; then headers and body.
      if (!eos) return [];
      const body = out ?? chunk;
      if (obs.continuationWanted && this.requestJson && this.ctx.emit) {
        this.continuing = true;
        this.startJsonContinuation(obs, body);
        // Envoy waits on the held header answer: extend its timer (capped by max_message_timeout).
        return [{ override_message_timeout: { seconds: Math.ceil(this.ctx.config.requests.continuationTimeoutMs / 1000) } }];
      }
      return this.wholeResponse(obs, body);
    }
    if (this.responseBuffered && eos) {
      // BUFFERED (mode override): the whole body at once; headers can still change here.
      this.finish();
      const body = out ?? chunk;
      return [
        {
          response_body: {
            response: {
              header_mutation: this.figureHeaders(obs, obs.rewrittenBody ? body.length : undefined),
              body_mutation: obs.rewrittenBody ? { body } : undefined,
            },
          },
          dynamic_metadata: this.metadata(),
        },
      ];
    }
    if (eos && obs.continuationWanted && this.responseBodyMode === 'FULL_DUPLEX_STREAMED' && this.requestJson && this.ctx.emit) {
      this.continuing = true;
      this.startContinuation(obs);
      return [this.responseBodyOut(chunk, out, false)];
    }
    const res = this.responseBodyOut(chunk, out, eos);
    if (eos) {
      this.finish();
      res.dynamic_metadata = this.metadata();
    }
    return [res];
  }

  /** The held header answer and the whole body, in full-duplex mode. */
  private wholeResponse(obs: ResponseRewriter, body: Buffer): ProcessingResponse[] {
    this.finish();
    const headers: ProcessingResponse = { response_headers: { response: { header_mutation: this.figureHeaders(obs, body.length, this.heldHeaders ?? undefined) } } };
    this.heldHeaders = null;
    const res = streamedBody('response_body', body, true);
    res.dynamic_metadata = this.metadata();
    return [headers, res];
  }

  /**
   * Budget forcing for a whole JSON answer: the upstream stopped inside thinking; ask the
   * backend to answer from prompt + thinking so far + end of thinking, and merge its answer
   * into the same JSON response.
   */
  private startJsonContinuation(first: ResponseRewriter, firstBody: Buffer): void {
    const emit = this.ctx.emit!;
    // The continuation itself streams: engines echo the prefill in a whole answer (llama.cpp
    // does), while a stream carries only the new tokens.
    const { second, done } = this.launchContinuation(first, true, (chunk, observer) => void observer.push(chunk, false));
    this.pending = done.then(
      () => {
        second.push(Buffer.alloc(0), true);
        const merged =
          this.dialect!.mergeContinuation?.(firstBody, {
            content: first.visibleContent + second.answer,
            finishReason: second.finishReason,
            completionTokens: (first.completionTokens ?? 0) + (second.completionTokens ?? 0),
            reasoningTokens: second.thinkingTokens,
          }) ?? firstBody;
        if (!this.finished) for (const r of this.wholeResponse(second, merged)) emit(r);
      },
      (err: unknown) => {
        this.ctx.log.error({ err, req: this.id }, 'continuation request failed');
        this.reason = `continuation failed: ${(err as Error).message}`;
        this.continuationObserver = null;
        if (!this.finished) for (const r of this.wholeResponse(first, firstBody)) emit(r);
      },
    );
  }

  /** The continuation request: the answer gets the usual allowance, never more than the client's limit leaves. */
  private continuationRequest(first: ResponseRewriter): ContinuationRequest {
    const clientMax = this.rewrite?.clientMaxTokens ?? null;
    const allowance = this.ctx.config.requests.answerTokens;
    const maxTokens = Math.max(1, clientMax === null ? allowance : Math.min(allowance, clientMax - (first.completionTokens ?? 0)));
    return this.dialect!.buildContinuation!(this.requestJson!, first.keptReasoning, first.answer, maxTokens);
  }

  /** The continuation leg's observer: it streams (SSE) whatever the client asked for. */
  private continuationObserverFor(first: ResponseRewriter, wholeAnswer: boolean): ResponseRewriter {
    return new ResponseRewriter({
      dialect: this.dialect!,
      format: 'sse',
      budget: 0,
      reportBudget: this.budget ?? 0,
      clientWantsUsage: wholeAnswer || (this.rewrite?.clientWantsUsage ?? false),
      thinkPrefilled: false,
      thinkingClosed: true,
      continuation: false,
      tier: this.tier ?? 'unknown',
      thinkingOffset: first.thinkingTokens,
      completionOffset: first.completionTokens ?? 0,
      reportExtra: () => this.reportExtra(),
    });
  }

  /** Start the continuation request; `onChunk` gets each chunk of it with the second leg's observer. */
  private launchContinuation(first: ResponseRewriter, wholeAnswer: boolean, onChunk: (chunk: Buffer, second: ResponseRewriter) => void): { second: ResponseRewriter; done: Promise<void> } {
    const second = this.continuationObserverFor(first, wholeAnswer);
    this.continuationObserver = second;
    this.continuationAbort = new AbortController();
    const done = runContinuation({
      url: this.backend!.url!,
      request: this.continuationRequest(first),
      signal: this.continuationAbort.signal,
      idleTimeoutMs: this.ctx.config.requests.continuationTimeoutMs,
      onChunk: (chunk) => onChunk(chunk, second),
    });
    return { second, done };
  }

  private startContinuation(first: ResponseRewriter): void {
    const emit = this.ctx.emit!;
    const { second, done } = this.launchContinuation(first, false, (chunk, observer) => {
      const bytes = observer.push(chunk, false) ?? chunk;
      if (bytes.length > 0) emit(streamedBody('response_body', bytes, false));
    });
    this.pending = done.then(
      () => {
        const tail = second.push(Buffer.alloc(0), true) ?? Buffer.alloc(0);
        this.finishContinuation(tail);
      },
      (err: unknown) => {
        this.ctx.log.error({ err, req: this.id }, 'continuation request failed');
        this.reason = `continuation failed: ${(err as Error).message}`;
        this.finishContinuation(Buffer.from(`${second.reportComment({ error: 'continuation_failed' })}data: [DONE]\n\n`));
      },
    );
  }

  private pending: Promise<void> | null = null;

  /** Resolves when no asynchronous work (a continuation) is left on this stream. */
  settled(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }

  private continuationObserver: ResponseRewriter | null = null;
  /** Full duplex, whole JSON: the response-header answer waits for the body (figures in headers). */
  private heldHeaders: HeaderMutation | null = null;
  private headersSeen = false;
  /** The request is not a chat request: its body may pass unread. */
  private bodyMayPass = false;
  /** When the request-body answer is due (ms since epoch): requests.deadlineMs after it arrived. */
  private deadline = 0;
  private continuationAbort: AbortController | null = null;

  private finishContinuation(tail: Buffer): void {
    if (this.finished) return;
    this.finish();
    const res = streamedBody('response_body', tail, true);
    res.dynamic_metadata = this.metadata();
    this.ctx.emit!(res);
  }

  private responseBodyOut(chunk: Buffer, out: Buffer | null, eos: boolean): ProcessingResponse {
    if (this.responseBodyMode === 'FULL_DUPLEX_STREAMED') {
      // In full-duplex mode nothing is forwarded except what we send back.
      return streamedBody('response_body', out ?? chunk, eos);
    }
    if (out === null) return { response_body: {} };
    return { response_body: { response: { body_mutation: out.length > 0 ? { body: out } : { clear_body: true } } } };
  }

  private onResponseTrailers(): ProcessingResponse {
    if (!this.passthrough && !this.finished && !this.continuing) {
      this.finish();
      return { response_trailers: {}, dynamic_metadata: this.metadata() };
    }
    return { response_trailers: {} };
  }

  /** thinkcap's figures for Envoy's access log (dynamic metadata namespace `thinkcap`). */
  private metadata(): StructValue {
    return toStruct({
      thinkcap: {
        request_id: this.id,
        tier: this.tier,
        budget: this.budget,
        route: this.route?.target ?? null,
        cost_usd: this.costUsd,
        cost_basis: this.costUsd === null ? null : this.costBasis,
        energy_j: this.energyFigure?.joules ?? null,
        energy_source: this.energyFigure?.source ?? null,
        thinking_tokens: (this.continuationObserver ?? this.observer)?.thinkingTokens ?? null,
        completion_tokens: this.observer?.completionTokens ?? null,
        enforced: this.observer?.enforced ?? false,
        continued: this.continuing,
        dialect: this.dialect?.name ?? null,
        outcome: this.outcome,
      },
    });
  }

  /** The gRPC stream ended: finish the record if the response did not. */
  close(aborted: boolean): void {
    // A stream that ends before the response's end of stream was cut (client gone, upstream
    // reset): Envoy may end it cleanly or cancel it, so the phase decides, not the flag.
    const cut = aborted || (!this.finished && this.phase !== 'done');
    // Client gone: stop the continuation's generation on the backend too.
    if (cut && !this.finished) this.continuationAbort?.abort();
    if (this.finished) return;
    if (cut && !this.passthrough) {
      this.outcome = 'aborted';
      this.reason ??= `stream ended during ${this.phase}`;
    }
    this.finish();
  }

  /** Mark the processor as failed inside thinkcap: the rest of the request passes through. */
  fail(err: unknown): void {
    this.passthrough = true;
    this.outcome = 'error';
    this.reason = err instanceof Error ? err.message : String(err);
  }

  get currentResponseBodyMode(): BodySendMode {
    return this.responseBodyMode;
  }

  get currentRequestBodyMode(): BodySendMode {
    return this.requestBodyMode;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.phase = 'done';
    const obs = this.continuationObserver ?? this.observer;
    if (this.outcome === 'ok' && this.status !== null && this.status >= 400) this.outcome = 'upstream_error';
    if (this.outcome === 'ok' && obs?.error) {
      this.outcome = 'upstream_error';
      this.reason = obs.error;
    }
    const completion = this.generatedTokens();
    this.completionTotal = this.observer ? completion : null;
    // An error status with nothing generated was not served by an engine (an Envoy local reply
    // such as "no healthy upstream", or a validation error): nothing is charged.
    const unserved = this.status !== null && this.status >= 400 && completion === 0;
    this.costUsd = this.observer && !unserved ? this.tokenPricedCost(completion) : this.observer ? 0 : null;
    const energy = this.observer ? this.ctx.energy?.end(this.id) : null;
    if (energy) {
      this.energyFigure = energy.now;
      if (energy.now.costUsd !== null) {
        this.costUsd = energy.now.costUsd;
        this.costBasis = energy.now.source === 'estimated' ? 'estimated' : 'gpu';
      }
    }
    if (this.reservation && this.ctx.spend) {
      const spend = this.ctx.spend;
      const reservation = this.reservation;
      this.reservation = null;
      spend.settle(reservation, this.costUsd ?? 0, obs?.thinkingTokens ?? 0).catch((err: unknown) => this.ctx.log.error({ err, req: this.id }, 'settling spend failed'));
    }
    const record: RequestRecord = {
      id: this.id,
      startedAt: this.startedAt,
      durationMs: Date.now() - this.startedAt,
      path: this.path,
      tier: this.tier,
      budget: this.budget,
      score: this.classification?.score ?? null,
      signals: this.classification?.signals ?? [],
      dialect: this.dialect?.name ?? null,
      backend: this.backendName,
      identity: this.identity,
      thinkingTokens: obs ? obs.thinkingTokens : null,
      completionTokens: this.completionTotal,
      promptTokens: obs ? (this.observer?.promptTokens ?? this.promptEstimate) : null,
      costUsd: this.costUsd,
      costBasis: this.costBasis,
      energyJ: this.energyFigure?.joules ?? null,
      energySource: this.energyFigure ? (this.energyFigure.source === 'estimated' ? 'estimated' : this.energyFigure.source) : null,
      naturalThinkingTokens: this.natural ?? (obs && obs.enforced && obs.finishReason === 'stop' && !this.continuing ? obs.thinkingTokens : null),
      route: this.route?.target ?? this.routeName ?? null,
      preview: this.preview,
      pressure: this.pressure,
      notes: this.notes,
      status: this.status,
      outcome: this.outcome,
      reason: this.reason,
      stream: this.rewrite?.stream ?? false,
    };
    if (!energy) {
      this.ctx.onFinish(record);
      return;
    }
    // The record goes out once the interval the request ended in has closed (final energy).
    void energy.final.then((f) => {
      record.energyJ = f.joules;
      if (f.costUsd !== null) record.costUsd = f.costUsd;
      this.ctx.energy?.observeCost(f.costUsd, completion);
      this.ctx.onFinish(record);
    });
  }

  /** Completion tokens the backend generated, both legs: usage where reported, else counted. */
  private generatedTokens(): number {
    const first = this.observer;
    const second = this.continuationObserver;
    let n = first ? (first.completionTokens ?? first.thinkingTokens + countTokens(first.answer)) : 0;
    // The continuation does not think: its completion is its answer.
    if (second) n += second.completionTokens ?? countTokens(second.answer);
    return n;
  }

  private tokenPricedCost(completion: number): number {
    return tokenCost(this.ctx.config.spend.pricing, this.observer?.promptTokens ?? this.promptEstimate, completion);
  }

  /** Cost and energy so far, for the end-of-stream report. */
  private reportExtra(): Record<string, string | number | null> {
    const e = this.ctx.energy?.peek(this.id) ?? null;
    const obs = this.observer;
    let cost: number | null = e?.costUsd ?? null;
    if (cost === null && obs) cost = this.tokenPricedCost(this.generatedTokens());
    return {
      cost_usd: cost === null ? null : cost.toFixed(8),
      cost_basis: cost === null ? null : e?.costUsd != null ? (e.source === 'estimated' ? 'estimated' : 'gpu') : 'tokens',
      energy_j: e ? e.joules.toFixed(3) : null,
      energy_source: e ? (e.source === 'estimated' ? 'estimated' : `measured-${e.source}`) : null,
    };
  }
}
