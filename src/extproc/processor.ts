import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { BackendConfig, Config } from '../config/schema.js';
import type { Classification } from '../classify/classifier.js';
import type { ContinuationRequest, RewriteResult } from '../backends/types.js';
import { ResponseRewriter, type FollowUp } from '../stream/rewriter.js';
import { ContinuationLogprobs } from '../stream/logprobs.js';
import type { SpendController } from '../budget/spend.js';
import type { EnergyMonitor } from '../energy/monitor.js';
import type { Router } from '../routing/router.js';
import { RequestAccount, figureHeaders, metadataFigures, reportFields, type ClosedFigures } from '../accounting/account.js';
import type { Outcome, RequestRecord } from '../accounting/record.js';
import { postToBackend, runContinuation } from './continuation.js';
import { stoppedAtEngineLimit, thinkingThatFits } from './context-fit.js';
import { HeldModels, PROCESS_HELD_MODELS } from './held-models.js';
import { backendCallHeaders } from '../backends/registry.js';
import { PassThroughProcessor } from './passthrough.js';
import { CountingMeter } from '../budget/counting.js';
import { followUpsFit, generatesUncapped, parseChatBody, planRequest, readRequestHead, type Decision, type PlanDeps, type PlanOutcome, type RequestHead, type RequestPlan } from './plan.js';
import type { BodySendMode, HeaderMutation, HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse, StructValue } from './proto.js';
import { headerMutation, openAiError, readHeaders, streamedBody, toStruct } from './wire.js';

export type { RequestRecord } from '../accounting/record.js';

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
  /** The planner's dependencies; the server builds them once (planDepsFor), else the first request does. */
  planDeps?: PlanDeps;
  /** Models held for what may follow a request (PROCESS_HELD_MODELS, the process's, unless given). */
  heldModels?: HeldModels;
}

/** The planner's dependencies from a processor context: the same for every request of a server. */
export function planDepsFor(ctx: Omit<ProcessorContext, 'planDeps'>): PlanDeps {
  const metrics = ctx.metrics;
  return {
    config: ctx.config,
    spend: ctx.spend?.enabled ? ctx.spend : null,
    router: ctx.router?.enabled ? ctx.router : null,
    energy: ctx.energy,
    onClassified: metrics ? (s) => metrics.classify(s) : undefined,
    counting: ctx.spend?.enabled ? new CountingMeter(ctx.config.spend.promptBound.counting) : undefined,
    onPromptCounted: metrics ? (s, shortHead) => metrics.promptCounted(s, shortHead) : undefined,
  };
}

export interface ProcessorMetrics {
  chunk(seconds: number): void;
  classify(seconds: number): void;
  promptCounted(seconds: number, shortHead: boolean): void;
  /** A response passed on unread (longer than requests.maxResponseHoldBytes), by what was too long. */
  responseUnread?(format: 'json' | 'sse' | 'ndjson'): void;
  /** The call a rewrite asked for after the response (RewriteResult.release), by outcome. */
  release?(outcome: 'ok' | 'failed'): void;
}

/** How long the call after a response (RewriteResult.release) may take. */
const RELEASE_TIMEOUT_MS = 5_000;

type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body' | 'done';
type Answer = ProcessingResponse[] | Promise<ProcessingResponse[]>;

let nextId = 0;

/**
 * One HTTP request's ext_proc conversation: Envoy sends its phases in order on one gRPC
 * stream, and each method answers one phase. The request side is planned in one step
 * (plan.ts) and then applied; the response side is rewritten by a ResponseRewriter and counted
 * by a RequestAccount. A request thinkcap does not act on is handed to a PassThroughProcessor.
 */
export class RequestProcessor {
  readonly id: string;
  private readonly startedAt = Date.now();
  private requestBodyMode: BodySendMode;
  private responseBodyMode: BodySendMode;
  private phase: Phase = 'request_headers';
  private headersSeen = false;
  /** Set once thinkcap stops acting on this request: later phases pass unchanged. */
  private passThrough: PassThroughProcessor | null = null;
  /** The request is not a chat request: its body may pass unread (with spend on, no other may). */
  private bodyMayPass = false;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  /** When the request-body answer is due (ms since epoch): requests.deadlineMs after it arrived. */
  private deadline = 0;
  private head: RequestHead | null = null;
  private classification: Classification | null = null;
  /** What was decided, admitted or not (for the record). */
  private decision: Decision | null = null;
  private plan: RequestPlan | null = null;
  private account: RequestAccount | null = null;
  private observer: ResponseRewriter | null = null;
  private continuationObserver: ResponseRewriter | null = null;
  private continuing = false;
  /** The continuation made, and why (the record's followUp). */
  private followUp: { kind: FollowUp; failed: boolean; cut?: true } | null = null;
  private continuationAbort: AbortController | null = null;
  /** STREAMED: when a follow-up is cut so that its answer reaches Envoy in time (holdLastMessage). */
  private followUpDeadline: ReturnType<typeof setTimeout> | null = null;
  /** Why thinkcap cut the follow-up short (cutFollowUp), if it did. */
  private followUpCut: string | null = null;
  /** STREAMED: when thinkcap began holding the last message for a follow-up (performance.now()). */
  private heldSince: number | null = null;
  /** The model this request holds on its backend (HeldModels), until it finishes. */
  private heldKey: string | null = null;
  private get heldModels(): HeldModels {
    return this.ctx.heldModels ?? PROCESS_HELD_MODELS;
  }
  private pending: Promise<void> | null = null;
  /** STREAMED mode, whole JSON: Envoy buffers the body for us (mode override). */
  private responseBuffered = false;
  /** Full duplex, whole JSON: the response-header answer waits for the body (figures in headers). */
  private heldHeaders: HeaderMutation | null = null;
  private bodyForwardedAt = 0;
  private natural: number | null = null;
  private closedFigures: ClosedFigures | null = null;
  private status: number | null = null;
  private outcome: Outcome = 'ok';
  private reason: string | null = null;
  private finished = false;
  /** The gRPC stream ended (close()): nothing sent from now on reaches Envoy. */
  private streamClosed = false;

  /**
   * This request's logger: thinkcap's id and the gateway's (x-request-id) on each line. Made when
   * a line is written (few requests write one), so a line written before the headers has no
   * gateway id.
   */
  private get log(): Logger {
    const requestId = this.head?.requestId;
    return this.ctx.log.child(requestId ? { req: this.id, requestId } : { req: this.id });
  }

  constructor(private readonly ctx: ProcessorContext) {
    this.id = `${process.pid.toString(36)}-${(nextId++).toString(36)}`;
    this.requestBodyMode = ctx.config.envoyBodyModes.request;
    this.responseBodyMode = ctx.config.envoyBodyModes.response;
  }

  /** Dispatch one ProcessingRequest; returns the responses to send (usually one). */
  handle(req: ProcessingRequest): Answer {
    if (req.protocol_config) {
      // Recent Envoy tells us its configured body modes; for older ones config.envoyBodyModes says.
      if (req.protocol_config.request_body_mode) this.requestBodyMode = req.protocol_config.request_body_mode;
      if (req.protocol_config.response_body_mode) this.responseBodyMode = req.protocol_config.response_body_mode;
    }
    if (this.passThrough) return this.passingThrough(req);
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

  /**
   * thinkcap failed inside this request. One request's failure never touches another: it passes
   * through (fail-open) or, before the request went upstream, is answered 500 (fail-closed).
   */
  onError(req: ProcessingRequest, err: unknown): ProcessingResponse[] {
    this.log.error({ err, phase: req.request }, 'thinkcap failed on a request');
    this.outcome = 'error';
    this.reason = err instanceof Error ? err.message : String(err);
    const pass = this.startPassThrough();
    const { config } = this.ctx;
    const failClosed = (config.requests.onInternalError ?? (config.spend.enabled ? 'closed' : 'open')) === 'closed';
    if (failClosed && (req.request === 'request_headers' || req.request === 'request_body')) {
      return [this.refuse(500, 'thinkcap: internal error', 'server_error', 'thinkcap_internal_error', null, 'error')];
    }
    return pass.handle(req);
  }

  private startPassThrough(): PassThroughProcessor {
    this.passThrough ??= new PassThroughProcessor(() => ({ request: this.requestBodyMode, response: this.responseBodyMode }));
    return this.passThrough;
  }

  private passingThrough(req: ProcessingRequest): ProcessingResponse[] {
    // With spend on, only the body of a request known not to be a chat goes on unread; a body
    // out of order (no chat headers, after a response) is never forwarded unreserved.
    if (req.request === 'request_body' && this.ctx.spend?.enabled && !this.bodyMayPass) {
      return [this.refuse(400, 'thinkcap: request body out of order', 'invalid_request_error', 'invalid_request_body', null)];
    }
    if (req.request === 'request_headers' && this.headersSeen && this.ctx.spend?.enabled) {
      return [this.refuse(400, 'thinkcap: request headers out of order', 'invalid_request_error', 'invalid_request', null)];
    }
    return this.passThrough!.handle(req);
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
    const head = readRequestHead(readHeaders(h.headers?.headers), attributes, this.ctx.config);
    this.head = head;
    if (!head.isChat) {
      const listed = this.ctx.config.match.unbudgetedPaths.includes(head.path);
      if (this.ctx.spend?.enabled && !h.end_of_stream && !listed) {
        // A body thinkcap does not read could ask an engine for tokens (/v1/completions,
        // /api/generate) with nothing reserved: not forwarded.
        return this.refuse(403, `thinkcap: spend budgets are on and ${head.path} is not a chat request thinkcap reads, so it cannot be reserved for (match.unbudgetedPaths lets a path through)`, 'invalid_request_error', 'path_not_budgeted', null);
      }
      if (!h.end_of_stream && !listed && generatesUncapped(head.path)) {
        // Spend off: the thinking cap still holds. Another generation API (the Responses API an
        // OpenAI SDK may call, Anthropic Messages) would let the model think with no cap at all.
        return this.refuse(403, `thinkcap: ${head.path} generates text from a request thinkcap does not read, so its thinking cannot be capped; send chat completions (${this.ctx.config.match.paths[0] ?? '/v1/chat/completions'}), or list the path in match.unbudgetedPaths to let it through uncapped`, 'invalid_request_error', 'path_not_capped', null);
      }
      this.bodyMayPass = true;
      return this.passThroughFromHeaders('not a chat request');
    }
    if (h.end_of_stream) {
      // A chat POST with no body at all.
      const res = this.invalid(400, 'request body is empty', 'invalid_request_body', { end_of_stream: true });
      return res.immediate_response ? res : this.passThroughFromHeaders('chat request without a body');
    }
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
    this.startPassThrough();
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

  private onRequestBody(b: HttpBody): Answer {
    if (this.phase !== 'request_body') {
      // A body before the request headers (or after the response began): never forwarded unread.
      return [this.invalid(400, 'request body out of order', 'invalid_request_body', b)];
    }
    const chunk = b.body ?? Buffer.alloc(0);
    this.bodyBytes += chunk.length;
    const { requests } = this.ctx.config;
    if (this.bodyBytes > requests.maxBodyBytes) return [this.invalid(413, `request body is larger than ${requests.maxBodyBytes} bytes`, 'request_too_large', b)];
    this.bodyChunks.push(chunk);
    // BUFFERED sends the whole body in one message; anything else (a partial buffer) is not
    // rewritten, and every message gets its answer so the stream never waits on thinkcap.
    if (!b.end_of_stream) return [this.invalid(400, 'request body arrived in parts', 'invalid_request_body', b)];
    const body = this.bodyChunks.length === 1 ? this.bodyChunks[0]! : Buffer.concat(this.bodyChunks);
    this.bodyChunks = [];
    const parsed = parseChatBody(body, requests.maxJsonDepth, this.ctx.spend?.enabled ? requests.maxChoices : null);
    if (!parsed.ok) return [this.invalid(parsed.status, parsed.message, parsed.code, b, parsed.misread)];
    // Everything up to the answer to this message must fit inside Envoy's message_timeout.
    this.deadline = Date.now() + requests.deadlineMs;
    const outcome = planRequest(this.head!, parsed.json, parsed.messages, (this.ctx.planDeps ??= planDepsFor(this.ctx)), { responseBodyMode: this.responseBodyMode, deadline: this.deadline });
    return outcome instanceof Promise ? outcome.then((o) => (this.streamClosed ? this.releaseLatePlan(o) : [this.applyPlan(o)])) : [this.applyPlan(outcome)];
  }

  /**
   * The stream ended while the ledger was answering (Envoy's message_timeout passed, or the
   * client left): nothing would settle this reservation, so it is released now instead of
   * holding budget until it expires. Nothing is sent: the stream is gone.
   */
  private releaseLatePlan(o: PlanOutcome): ProcessingResponse[] {
    if (o.kind === 'forward' && o.plan.reservation && this.ctx.spend) {
      this.ctx.spend.settle(o.plan.reservation, 0, 0).catch((err: unknown) => this.log.error({ err }, 'releasing a late reservation failed'));
    }
    return [];
  }

  /** Act on the plan: forward the rewritten request, or refuse it. */
  private applyPlan(o: PlanOutcome): ProcessingResponse {
    this.classification = o.kind === 'forward' ? o.plan.classification : o.classification;
    if (o.kind === 'refuse') {
      this.decision = o.decision;
      const r = o.refusal;
      return this.refuse(r.status, r.message, r.type, r.code, r.retryAfter, 'rejected', r.cause);
    }
    const plan = o.plan;
    this.plan = plan;
    this.decision = plan;
    this.phase = 'response_headers';
    this.bodyForwardedAt = performance.now();
    const release = plan.rewrite.release;
    if (release && plan.backend?.url !== undefined) {
      this.heldKey = HeldModels.key(plan.backend.url, release.body.model);
      this.heldModels.hold(this.heldKey);
    }
    return {
      request_body: {
        response: {
          // BUFFERED body with headers already answered: Envoy keeps content-length, so the
          // new length must be set here or Envoy rejects the mutation.
          header_mutation: headerMutation({ 'content-length': plan.body.length, ...plan.headers }),
          body_mutation: { body: plan.body },
          // The route header only picks a cluster if Envoy matches routes again.
          clear_route_cache: plan.route !== null,
        },
      },
    };
  }

  /** `cause`: why, for the record only (the dashboard and history say it; the client gets `message`). */
  private refuse(status: number, message: string, type: string, code: string, retryAfter: number | null, outcome: Outcome = 'rejected', cause?: string): ProcessingResponse {
    this.outcome = outcome;
    this.status = status;
    if (outcome === 'rejected') this.reason = cause ? `${message} (${cause})` : message;
    this.finish();
    const extra: Record<string, string> = {};
    if (retryAfter !== null) extra['retry-after'] = String(retryAfter);
    return { immediate_response: openAiError(status, message, type, code, extra) };
  }

  /**
   * A request body thinkcap will not plan for: refused unless onInvalid is passthrough, since
   * some engine reads nearly any of them (Python's json reads NaN and UTF-16, Go's replaces bad
   * UTF-8, pydantic takes "100" for 100, every parser nests deeper) and forwarded it would run
   * uncapped. One an engine would read as another request (`misread`) is refused whatever
   * onInvalid says: passing it through is what it was made for.
   */
  private invalid(status: number, message: string, code: string, b: HttpBody, misread = false): ProcessingResponse {
    this.reason = message;
    const mode = misread ? 'reject' : this.ctx.config.requests.onInvalid;
    if (mode === 'reject') return this.refuse(status, `thinkcap: ${message}`, 'invalid_request_error', code, null);
    this.log.info({ reason: message }, 'chat request passed through unchanged');
    this.outcome = 'passthrough';
    this.bodyChunks = [];
    return this.startPassThrough().answer({ request: 'request_body', request_body: b });
  }

  // --- response path ---

  private onResponseHeaders(h: HttpHeaders): ProcessingResponse[] {
    const headers = readHeaders(h.headers?.headers);
    this.status = Number(headers.get(':status') ?? 0) || null;
    const plan = this.plan;
    if (!plan || this.phase !== 'response_headers') {
      // Envoy answered by itself before thinkcap saw the request body (a local reply: body over
      // its buffer limit, no healthy upstream): nothing to rewrite; finish the record.
      this.startPassThrough();
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
      'x-thinkcap-tier': plan.tier,
      'x-thinkcap-budget': plan.budget,
      // The tier's own budget, when the answer reserve lowered it for this request.
      'x-thinkcap-tier-budget': plan.tierBudget !== plan.budget ? plan.tierBudget : undefined,
      'x-thinkcap-budget-warning': plan.budgetWarnings.length ? plan.budgetWarnings.join('; ') : undefined,
      'x-thinkcap-route': plan.route?.target,
      'x-thinkcap-route-reason': plan.route ? plan.route.reasons.join('; ') || 'tier route' : undefined,
    });
    if (plan.route && this.ctx.router) this.ctx.router.observe(plan.route.target, performance.now() - this.bodyForwardedAt);
    if (encoding !== 'identity') {
      // The backend compressed anyway: thinkcap cannot read it safely, so it passes untouched.
      this.log.warn({ encoding }, 'compressed response passed through without enforcement');
      this.startPassThrough();
      this.reason = `response content-encoding ${encoding}`;
      return [{ response_headers: { response: { header_mutation: tierHeaders } } }];
    }
    this.account = new RequestAccount(this.id, this.ctx.config.spend.pricing, this.ctx.energy, plan.promptEstimate);
    this.observer = new ResponseRewriter({
      dialect: plan.dialect,
      format: streaming ? plan.dialect.streamFormat : 'json',
      budget: plan.budget,
      graceTokens: plan.continuation ? plan.graceTokens : 0,
      clientWantsUsage: plan.rewrite.clientWantsUsage,
      thinkPrefilled: plan.thinkOpen,
      thinkTags: plan.thinkTags,
      continuation: plan.continuation,
      rescue: plan.rescue,
      rescueAtLength: plan.rescueAtLength,
      rescueEmpty: plan.rescueEmpty,
      // The answer's end reaches the client with the message that ends the response (holdEnd).
      holdEnd: true,
      tier: plan.tier,
      reportExtra: () => reportFields(this.account!.soFar()),
      maxHeldBytes: this.ctx.config.requests.maxResponseHoldBytes,
    });
    this.account.open(this.observer);
    if (plan.backend?.enforcement === 'continuation' && !followUpsFit(this.responseBodyMode, this.ctx.config) && streaming) {
      this.log.warn('continuation needs response_body_mode FULL_DUPLEX_STREAMED, or STREAMED with requests.streamedFollowUpMs; capped as native instead (the engine budget field, the stream rewrite)');
    }
    this.phase = 'response_body';
    if (!streaming && this.responseBodyMode === 'FULL_DUPLEX_STREAMED' && !h.end_of_stream) {
      // Full duplex sends the body without waiting for this answer: hold it until the whole
      // JSON is read (and a continuation has answered), so the figures go into the headers.
      this.heldHeaders = tierHeaders;
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

  private onResponseBody(b: HttpBody): ProcessingResponse[] {
    const chunk = b.body ?? Buffer.alloc(0);
    const eos = !!b.end_of_stream;
    const obs = this.observer;
    if (!obs) return [this.responseBodyOut(chunk, null, eos)];
    const t0 = performance.now();
    const out = obs.push(chunk, eos);
    this.ctx.metrics?.chunk((performance.now() - t0) / 1000);
    this.account!.tick();
    const plan = this.plan!;
    const canContinue = obs.continuationWanted && plan.original !== null && this.ctx.emit !== undefined && followUpsFit(this.responseBodyMode, this.ctx.config);
    if (this.heldHeaders) {
      // Full duplex, whole JSON: nothing goes out until the end; then headers and body.
      if (obs.unread !== null) return this.releaseUnread(out ?? chunk, eos);
      if (!eos) return [];
      const body = out ?? chunk;
      if (canContinue) {
        this.startJsonContinuation(obs, body, (merged) => this.wholeResponse(merged));
        return [this.holdLastMessage()];
      }
      return this.wholeResponse(body);
    }
    if (this.responseBuffered && eos) {
      // BUFFERED (mode override): the whole body at once; headers can still change here.
      const body = out ?? chunk;
      if (canContinue) {
        // STREAMED: Envoy waits for this answer, which carries the merged JSON.
        this.startJsonContinuation(obs, body, (merged) => this.bufferedBody(merged, true));
        return [this.holdLastMessage()];
      }
      return this.bufferedBody(body, !!obs.rewrittenBody);
    }
    if (eos && canContinue) {
      if (this.responseBodyMode === 'STREAMED') {
        // One answer per message: the follow-up's events go out with this, the last one.
        const held = this.heldAnswer(out ?? chunk);
        this.startStreamContinuation(obs, held.add, held.send);
        return [this.holdLastMessage()];
      }
      const emit = this.ctx.emit!;
      this.startStreamContinuation(
        obs,
        (bytes) => {
          if (bytes.length > 0) emit(streamedBody('response_body', bytes, false));
        },
        (tail) => this.finishContinuation(tail),
      );
      return [this.responseBodyOut(chunk, out, false)];
    }
    const res = this.responseBodyOut(chunk, out, eos);
    if (eos) {
      this.finish();
      res.dynamic_metadata = this.metadata();
    }
    return [res];
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
    if (!this.finished && !this.continuing) {
      this.finish();
      return { response_trailers: {}, dynamic_metadata: this.metadata() };
    }
    return { response_trailers: {} };
  }

  /** The figures a whole (non-streaming) response carries in its headers. */
  private figureHeaders(bodyLength: number | undefined, base?: HeaderMutation): HeaderMutation {
    // An answer passed unread has no figures to give (its tokens were not counted).
    const figures = this.closedFigures && !this.observer?.unread ? figureHeaders(this.closedFigures) : {};
    const m = headerMutation({
      ...figures,
      'x-thinkcap-enforced': this.continuing ? 'continuation' : this.observer?.enforced ? 'stream' : undefined,
      'x-thinkcap-unread': this.observer?.unread ? this.unreadNote() : undefined,
      'content-length': bodyLength,
    });
    if (base?.set_headers) m.set_headers = [...base.set_headers, ...(m.set_headers ?? [])];
    return m;
  }

  /**
   * Full duplex, a whole JSON answer past requests.maxResponseHoldBytes: the held headers go now
   * (no figures: the body is not read), with what was held, and the rest passes as it comes.
   */
  private releaseUnread(body: Buffer, eos: boolean): ProcessingResponse[] {
    const headers: ProcessingResponse = { response_headers: { response: { header_mutation: this.figureHeaders(undefined, this.heldHeaders ?? undefined) } } };
    this.heldHeaders = null;
    const res = streamedBody('response_body', body, eos);
    if (eos) {
      this.finish();
      res.dynamic_metadata = this.metadata();
    }
    return [headers, res];
  }

  private unreadNote(): string {
    const charged = this.plan?.reservation ? '; charged its reservation' : '';
    return `response longer than ${this.ctx.config.requests.maxResponseHoldBytes} bytes passed unread${charged}`;
  }

  /** STREAMED, a whole JSON answer Envoy buffered: figures in its headers, the body as rewritten. */
  private bufferedBody(body: Buffer, rewritten: boolean): ProcessingResponse[] {
    this.finish();
    const response = { header_mutation: this.figureHeaders(rewritten ? body.length : undefined), body_mutation: rewritten ? { body } : undefined };
    return [{ response_body: { response }, dynamic_metadata: this.metadata() }];
  }

  /**
   * STREAMED: Envoy waits for the answer to the response's last message while a follow-up
   * runs. Asks Envoy for requests.streamedFollowUpMs (override_message_timeout, honoured up to
   * its max_message_timeout) and cuts the follow-up short of that, so that the answer always
   * comes before Envoy gives up on it.
   */
  private holdLastMessage(): ProcessingResponse {
    const ms = this.ctx.config.requests.streamedFollowUpMs;
    if (this.responseBodyMode === 'FULL_DUPLEX_STREAMED') {
      // Envoy waits on the held header answer (a whole JSON answer): extend its timer (capped by
      // max_message_timeout; Envoy 1.40 ignores it in full duplex and times no held answer there).
      return { override_message_timeout: { seconds: Math.ceil(this.ctx.config.requests.continuationTimeoutMs / 1000) } };
    }
    this.heldSince = performance.now();
    // The margin covers the last events' way back to Envoy on a busy machine.
    const cutAfter = ms - Math.min(2_000, Math.ceil(ms / 5));
    this.followUpDeadline = setTimeout(() => this.cutFollowUp(`it ran past ${cutAfter} ms, short of requests.streamedFollowUpMs (${ms} ms)`), cutAfter);
    return { override_message_timeout: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 } };
  }

  /** The held header answer and the whole body, in full-duplex mode. */
  private wholeResponse(body: Buffer): ProcessingResponse[] {
    this.finish();
    const headers: ProcessingResponse = { response_headers: { response: { header_mutation: this.figureHeaders(body.length, this.heldHeaders ?? undefined) } } };
    this.heldHeaders = null;
    const res = streamedBody('response_body', body, true);
    res.dynamic_metadata = this.metadata();
    return [headers, res];
  }

  // --- continuation (budget forcing, or an answer rescued) ---

  /**
   * Budget forcing for a whole JSON answer: the upstream stopped inside thinking; ask the
   * backend to answer from prompt + thinking so far + end of thinking, and merge its answer
   * into the same JSON response.
   */
  private startJsonContinuation(first: ResponseRewriter, firstBody: Buffer, deliver: (body: Buffer) => ProcessingResponse[]): void {
    const emit = this.ctx.emit!;
    const dialect = this.plan!.dialect;
    // The continuation itself streams: engines echo the prefill in a whole answer (llama.cpp
    // does), while a stream carries only the new tokens.
    // A client that asked for logprobs gets the continuation's too.
    const logprobs = this.plan!.original?.logprobs === true ? new ContinuationLogprobs(this.ctx.config.requests.maxResponseHoldBytes, dialect.streamFormat) : null;
    const { second, done } = this.launchContinuation(first, true, (chunk, observer) => {
      logprobs?.push(chunk);
      void observer.push(chunk, false);
    });
    const merge = (finishReason: string | null) => {
      second.push(Buffer.alloc(0), true);
      return (
        dialect.mergeContinuation?.(firstBody, {
          content: first.visibleContent + second.answer,
          finishReason,
          completionTokens: (first.completionTokens ?? 0) + (second.completionTokens ?? 0),
          reasoningTokens: second.thinkingTokens,
          logprobs: logprobs?.entries,
        }) ?? firstBody
      );
    };
    this.pending = done.then(
      () => {
        const merged = merge(second.finishReason);
        if (!this.finished) for (const r of deliver(merged)) emit(r);
      },
      (err: unknown) => {
        this.continuationFailed(err);
        // Cut by thinkcap (out of Envoy's time): the answer so far, ended as a length stop.
        const body = this.followUpCut !== null ? merge('length') : firstBody;
        if (!this.finished) for (const r of deliver(body)) emit(r);
      },
    );
  }

  /**
   * A streamed follow-up: each piece of its answer, rewritten, goes to `forward`, and its end (the
   * rewriter's tail, or the end of a follow-up cut or failed) to `end`. Full duplex forwards the
   * pieces as they come; STREAMED gathers them for the last message (heldAnswer).
   */
  private startStreamContinuation(first: ResponseRewriter, forward: (bytes: Buffer) => void, end: (tail: Buffer) => void): void {
    const { second, done } = this.launchContinuation(first, false, (chunk, observer) => {
      if (this.followUpCut !== null) return;
      const bytes = observer.push(chunk, false) ?? chunk;
      this.account!.tick();
      forward(bytes);
    });
    this.pending = done.then(
      () => end(second.push(Buffer.alloc(0), true) ?? Buffer.alloc(0)),
      (err: unknown) => {
        this.continuationFailed(err);
        end(this.followUpCut !== null ? second.cutEnd() : second.failedEnd('continuation_failed', first.finishReason));
      },
    );
  }

  /**
   * STREAMED: the follow-up's events, gathered (up to requests.maxResponseHoldBytes) behind the
   * first answer's last output, and sent as the one answer to its last message (holdLastMessage).
   */
  private heldAnswer(firstOut: Buffer): { add: (bytes: Buffer) => void; send: (tail: Buffer) => void } {
    const parts: Buffer[] = [firstOut];
    let held = firstOut.length;
    const limit = this.ctx.config.requests.maxResponseHoldBytes;
    // Whole events only: the output is in the dialect's framing (launchContinuation).
    const eventEnd = this.plan!.dialect.streamFormat === 'ndjson' ? '\n' : '\n\n';
    const add = (bytes: Buffer) => {
      if (held + bytes.length > limit) {
        // The events that fit, then no more.
        const room = limit - held - eventEnd.length;
        const end = room >= 0 ? bytes.lastIndexOf(eventEnd, room) : -1;
        if (end >= 0) parts.push(bytes.subarray(0, end + eventEnd.length));
        this.cutFollowUp(`its answer passed requests.maxResponseHoldBytes (${limit})`);
        return;
      }
      parts.push(bytes);
      held += bytes.length;
    };
    const send = (tail: Buffer) => {
      if (this.finished) return;
      this.finish();
      parts.push(tail);
      this.ctx.emit!({ response_body: { response: { body_mutation: { body: Buffer.concat(parts) } } }, dynamic_metadata: this.metadata() });
    };
    return { add, send };
  }

  /** thinkcap ends a follow-up itself (STREAMED: Envoy's time for it runs out, or its answer is too large to hold). */
  private cutFollowUp(why: string): void {
    if (this.followUpCut !== null || this.continuationAbort === null) return;
    this.followUpCut = why;
    this.continuationAbort.abort(new Error(`follow-up cut: ${why}`));
  }

  private continuationFailed(err: unknown): void {
    if (this.followUpCut !== null) {
      this.log.warn({ why: this.followUpCut }, 'follow-up cut short; the answer so far was sent');
      this.reason = `follow-up cut: ${this.followUpCut}`;
      if (this.followUp) this.followUp.cut = true;
    } else {
      this.log.error({ err }, 'continuation request failed');
      this.reason = `continuation failed: ${(err as Error).message}`;
    }
    if (this.followUp) this.followUp.failed = true;
  }

  /** Start the continuation request; `onChunk` gets each chunk of it with the second leg's observer. */
  private launchContinuation(first: ResponseRewriter, wholeAnswer: boolean, onChunk: (chunk: Buffer, second: ResponseRewriter) => void): { second: ResponseRewriter; done: Promise<void> } {
    const plan = this.plan!;
    this.continuing = true;
    const atContext = stoppedAtEngineLimit(first, plan.rewrite.upstreamMaxTokens);
    this.followUp = { kind: atContext ? 'rescue_at_context' : (first.followUp ?? 'continuation'), failed: false };
    const second = new ResponseRewriter({
      dialect: plan.dialect,
      // The continuation streams in the dialect's own framing, whatever the client asked for.
      format: plan.dialect.streamFormat,
      budget: 0,
      reportBudget: plan.budget,
      clientWantsUsage: wholeAnswer || plan.rewrite.clientWantsUsage,
      thinkPrefilled: false,
      thinkTags: plan.thinkTags,
      thinkingClosed: true,
      continuation: false,
      holdEnd: true,
      tier: plan.tier,
      thinkingOffset: first.thinkingTokens,
      completionOffset: first.completionTokens ?? 0,
      promptTokens: first.promptTokens,
      usageSoFar: () => this.account!.usage(),
      reportExtra: () => reportFields(this.account!.soFar()),
      maxHeldBytes: this.ctx.config.requests.maxResponseHoldBytes,
    });
    this.continuationObserver = second;
    this.account!.continueWith(second);
    this.continuationAbort = new AbortController();
    const done = runContinuation({
      url: plan.backend!.url!,
      request: this.continuationRequest(first, atContext),
      signal: this.continuationAbort.signal,
      idleTimeoutMs: this.ctx.config.requests.continuationTimeoutMs,
      queueTimeoutMs: this.ctx.config.requests.continuationQueueTimeoutMs,
      headers: this.followUpHeaders(plan.backend, this.followUp.kind),
      onChunk: (chunk) => onChunk(chunk, second),
      ended: () => second.answerEnded,
    });
    return { second, done };
  }

  /**
   * Headers of thinkcap's own call to the engine for this request: the engine's key, and the
   * gateway's request id with the follow-up's kind after it, so that the engine's logs (vLLM
   * names a request by it with --enable-request-id-headers) tie the call to the request. Never the
   * id itself: the first leg may still be running there under it.
   */
  private followUpHeaders(backend: BackendConfig | undefined, kind: FollowUp): Record<string, string> {
    const headers = backendCallHeaders(backend);
    const requestId = this.head?.requestId;
    return requestId ? { ...headers, 'x-request-id': `${requestId}-${kind}` } : headers;
  }

  /**
   * The continuation request: the answer gets the usual allowance, never more than the client's
   * limit leaves. After a first leg that filled the engine's context, it carries the thinking cut
   * to leave the answer room (thinkingThatFits).
   */
  private continuationRequest(first: ResponseRewriter, atContext: boolean): ContinuationRequest {
    const plan = this.plan!;
    const clientMax = plan.rewrite.clientMaxTokens;
    const allowance = this.ctx.config.requests.answerTokens;
    const generated = first.completionTokens ?? 0;
    // The continuation's prompt holds the first leg's tokens: what the context leaves shrinks by them.
    // After a first leg that filled the context, the room is what the cut thinking leaves.
    const fit = atContext ? thinkingThatFits(first.keptReasoning, first.completionTokens, this.ctx.config.requests.answerReserveTokens) : null;
    const room = fit?.answerRoom ?? (plan.contextRoom === undefined ? Infinity : plan.contextRoom - generated);
    const maxTokens = Math.max(1, Math.min(room, clientMax === null ? allowance : Math.min(allowance, clientMax - generated)));
    const original = { ...(structuredClone(plan.original!) as Record<string, unknown>), ...plan.rewrite.continuationFields };
    return plan.dialect.buildContinuation!(original, fit?.thinking ?? first.keptReasoning, first.answer, maxTokens, generated);
  }

  private finishContinuation(tail: Buffer): void {
    if (this.finished) return;
    this.finish();
    const res = streamedBody('response_body', tail, true);
    res.dynamic_metadata = this.metadata();
    this.ctx.emit!(res);
  }

  /** The request's record is finished (its response ended, or it was refused): nothing is left to do but answer. */
  get done(): boolean {
    return this.finished;
  }

  /** Resolves when no asynchronous work (a continuation) is left on this stream. */
  settled(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }

  // --- end of the request ---

  /** The gRPC stream ended: finish the record if the response did not. */
  close(aborted: boolean): void {
    this.streamClosed = true;
    // A stream that ends before the response's end of stream was cut (client gone, upstream
    // reset): Envoy may end it cleanly or cancel it, so the phase decides, not the flag.
    const cut = aborted || (!this.finished && this.phase !== 'done');
    // Client gone: stop the continuation's generation on the backend too (it ends unanswered).
    if (cut && !this.finished && this.continuationAbort) {
      this.continuationAbort.abort();
      if (this.followUp) this.followUp.failed = true;
      if (this.heldSince !== null) {
        // STREAMED, the last message held: the client left, or Envoy stopped waiting for the
        // answer: after message_timeout where its max_message_timeout is shorter than the hold
        // asked for (it then ignores the override), or at its stream idle timeout (no byte moves
        // while held). thinkcap check --envoy refuses either pair.
        const heldMs = Math.round(performance.now() - this.heldSince);
        this.reason ??= `stream ended ${heldMs} ms into a follow-up's hold of the last message (the client left, or Envoy stopped waiting: its max_message_timeout, and the stream's idle timeout, must be at least requests.streamedFollowUpMs)`;
        this.log.warn({ heldMs }, 'stream ended while the last message was held for a follow-up');
      }
    }
    if (this.finished) return;
    if (cut && !this.passThrough) {
      this.outcome = 'aborted';
      this.reason ??= `stream ended during ${this.phase}`;
    }
    this.finish();
  }

  /** thinkcap's figures for Envoy's access log (dynamic metadata namespace `thinkcap`). */
  private metadata(): StructValue {
    const f = this.closedFigures;
    const plan = this.plan;
    return toStruct({
      thinkcap: {
        request_id: this.id,
        tier: plan?.tier ?? null,
        budget: plan?.budget ?? null,
        route: plan?.route?.target ?? null,
        ...metadataFigures(f),
        enforced: this.observer?.enforced ?? false,
        continued: this.continuing,
        dialect: plan?.dialect.name ?? null,
        outcome: this.outcome,
      },
    });
  }

  /** The backend call a rewrite asked for once the response is over: not awaited; a failure is logged and counted. */
  private release(backend: BackendConfig, url: string, call: NonNullable<RewriteResult['release']>): void {
    postToBackend(url, call.path, call.body, backendCallHeaders(backend), RELEASE_TIMEOUT_MS).then(
      () => this.ctx.metrics?.release?.('ok'),
      (err: unknown) => {
        this.ctx.metrics?.release?.('failed');
        this.log.warn({ err, path: call.path }, 'call to the backend after the response failed');
      },
    );
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.followUpDeadline !== null) clearTimeout(this.followUpDeadline);
    this.phase = 'done';
    // First, so that nothing below can leave the hold counted.
    const lastHolder = this.heldKey !== null && this.heldModels.end(this.heldKey);
    this.heldKey = null;
    const obs = this.continuationObserver ?? this.observer;
    if (this.outcome === 'ok' && this.status !== null && this.status >= 400) this.outcome = 'upstream_error';
    if (this.outcome === 'ok' && obs?.error) {
      this.outcome = 'upstream_error';
      this.reason = obs.error;
    }
    const figures = this.account?.close(this.status) ?? null;
    this.closedFigures = figures;
    const plan = this.plan;
    const unread = this.observer?.unread || this.continuationObserver?.unread || null;
    if (unread !== null) {
      this.ctx.metrics?.responseUnread?.(unread);
      this.log.warn({ format: unread, limit: this.ctx.config.requests.maxResponseHoldBytes }, 'response passed unread');
      this.reason ??= this.unreadNote();
    }
    // The engine's usage counts one of the choices it generated (llama-server with n > 1).
    const oneChoiceCounted = plan !== null && plan.choices > 1 && plan.dialect.usageCountsOneChoice === true;
    if (oneChoiceCounted && plan.reservation) this.reason ??= `the engine's usage counts one of ${plan.choices} choices; charged its reservation`;
    if (plan?.reservation && this.ctx.spend) {
      // Unread bytes or uncounted choices: the request is charged the most it could cost.
      const r = plan.reservation;
      const whole = unread !== null || oneChoiceCounted;
      const costUsd = figures?.costUsd ?? 0;
      const thinking = figures?.thinkingTokens ?? 0;
      this.ctx.spend
        .settle(r, whole ? Math.max(costUsd, r.reservedUsd) : costUsd, whole ? Math.max(thinking, r.reservedThinking) : thinking)
        .catch((err: unknown) => this.log.error({ err }, 'settling spend failed'));
    }
    // What the rewrite and the continuation held is released now, unless another request
    // through this process still holds the model (an unload would end its hold too: the last one
    // out sends it).
    const backend = plan?.backend;
    if (plan?.rewrite.release && backend?.url !== undefined && lastHolder) this.release(backend, backend.url, plan.rewrite.release);
    const d = this.decision;
    const c = this.classification;
    const record: RequestRecord = {
      id: this.id,
      requestId: this.head?.requestId ?? null,
      startedAt: this.startedAt,
      durationMs: Date.now() - this.startedAt,
      path: this.head?.path ?? '',
      tier: d?.tier ?? null,
      budget: d?.budget ?? null,
      score: c?.score ?? null,
      signals: c?.signals ?? [],
      dialect: (d?.dialect ?? this.head?.dialect)?.name ?? null,
      backend: d?.backend?.name ?? this.head?.backend?.name ?? null,
      identity: this.head?.identity ?? {},
      thinkingTokens: figures?.thinkingTokens ?? null,
      completionTokens: figures?.completionTokens ?? null,
      promptTokens: figures?.promptTokens ?? null,
      costUsd: figures?.costUsd ?? null,
      costBasis: figures?.costBasis ?? 'tokens',
      energyJ: figures?.energyJ ?? null,
      energySource: figures?.energySource ?? null,
      naturalThinkingTokens: this.natural ?? (obs && obs.enforced && obs.finishReason === 'stop' && !this.continuing ? obs.thinkingTokens : null),
      route: d?.route?.target ?? this.head?.routeName ?? null,
      preview: d?.preview ?? null,
      pressure: d?.pressure ?? false,
      notes: d ? (d.notes as string[]) : [],
      status: this.status,
      outcome: this.outcome,
      reason: this.reason,
      // A copy: the record is what was known when the request ended.
      followUp: this.followUp ? { ...this.followUp } : null,
      stream: plan?.rewrite.stream ?? false,
    };
    if (!figures?.final) {
      this.ctx.onFinish(record);
      return;
    }
    // The record goes out once the interval the request ended in has closed (final energy).
    void figures.final.then((f) => {
      record.energyJ = f.energyJ;
      record.costUsd = f.costUsd;
      this.ctx.onFinish(record);
    });
  }
}
