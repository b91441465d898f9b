import { z } from 'zod';
import { DEFAULT_UNDER_TIER_COST } from '../classify/calibration.js';
import { serverKeepAliveSeconds } from '../backends/keep-alive.js';

export const TIER_NAMES = ['trivial', 'simple', 'moderate', 'complex', 'deep'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export const DIALECTS = ['vllm', 'sglang', 'ollama', 'ollama-openai', 'llamacpp', 'generic'] as const;
export type DialectName = (typeof DIALECTS)[number];

const port = z.number().int().min(0).max(65535);
/** TLS to a Redis node: caFile, a PEM file of the CA that signed its certificate (the system's CAs otherwise); servername, the name that certificate must carry (the host's otherwise). */
const redisTls = z.object({ caFile: z.string().min(1).optional(), servername: z.string().min(1).optional() }).strict();

const tierSchema = z
  .object({
    /** Thinking-token budget for this tier. */
    budget: z.number().int().min(0),
  })
  .strict();

const limitsOverride = z
  .object({
    /** Multiply every tier budget (e.g. 0.5 halves thinking for a cost-sensitive tenant). */
    scale: z.number().positive().optional(),
    /** Per-tier budgets replacing the global ones. */
    budgets: z.partialRecord(z.enum(TIER_NAMES), z.number().int().min(0)).optional(),
    /** No request in this scope thinks less than this (unless the client asks for less). */
    floor: z.number().int().min(0).optional(),
    /** No request in this scope thinks more than this, whatever it asks for. */
    ceiling: z.number().int().min(0).optional(),
  })
  .strict();

const backendSchema = z
  .object({
    name: z.string().min(1),
    dialect: z.enum(DIALECTS),
    /** Envoy route names (sent as the `xds.route_name` request attribute) served by this backend. */
    routeNames: z.array(z.string()).default([]),
    /** Request path prefixes served by this backend. */
    pathPrefixes: z.array(z.string()).default([]),
    /** :authority values served by this backend. */
    authorities: z.array(z.string()).default([]),
    /** Upstream model name, used when thinkcap rewrites `model` for tier routing. */
    model: z.string().optional(),
    /**
     * How the thinking budget is enforced: `native` writes the engine's own budget fields (the
     * stream rewrite stays as a safety net); `continuation` caps the upstream at the budget and,
     * when it stops inside thinking, asks the same backend (url) to answer from prompt +
     * thinking so far + end of thinking (needs Envoy response_body_mode FULL_DUPLEX_STREAMED);
     * `rewrite` sends no engine budget field and only trims what the client sees (the engine
     * keeps thinking: no GPU saved, and a model that overruns may leave no room for an answer).
     */
    enforcement: z.enum(['native', 'continuation', 'rewrite']).default('native'),
    /** Base URL thinkcap calls for continuations (e.g. http://vllm:8000). */
    url: z.string().url().optional(),
    /**
     * The environment variable that holds the engine's API key (vLLM, SGLang and llama-server
     * `--api-key`): thinkcap's own calls to `url` (continuations, rescues, `thinkcap check`) send
     * it as `authorization: Bearer …`. Envoy forwards the client's request as it came; thinkcap's
     * calls carry no client header, so without it such an engine refuses them with 401.
     */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** Send chat_template_kwargs.enable_thinking=false and thinking=false for a zero budget (Qwen3- and DeepSeek-style templates). */
    disableThinkingAtZero: z.boolean().default(true),
    /**
     * SGLang started with --enable-strict-thinking (recommended by SGLang's docs): the engine
     * enforces custom_params.thinking_budget exactly. A server without the flag answers 400, so
     * this is opt-in.
     */
    strictThinking: z.boolean().default(false),
    /** SGLang: the serialized custom logit processor that enforces custom_params.thinking_budget (older route). */
    logitProcessor: z.string().optional(),
    /**
     * Name of the engine's per-request thinking-budget field. llama.cpp defaults to
     * `reasoning_budget_tokens` (read by llama-server since 2025; older builds read
     * `thinking_budget_tokens`); `false` sends none (a server-wide --reasoning-budget caps instead).
     */
    budgetField: z.union([z.string().min(1), z.literal(false)]).optional(),
    /**
     * The engine's context length in tokens (vLLM --max-model-len, SGLang --context-length).
     * vLLM and SGLang refuse with 400 a request whose prompt plus completion limit passes it,
     * where one with no limit gets what is left: so where the client set none, the limit thinkcap
     * writes (budget + answer allowance) is held under this minus the prompt's estimate (its
     * o200k count, the template overhead and mediaPartTokens per media part), and the thinking
     * budget lowered to leave the answer room, as for a small client max_tokens. Unset: no such
     * bound (llama-server and Ollama fit a long limit to their context themselves, but thinking
     * that reaches the end of it leaves only the rescue's short answer: on llama-server set one
     * slot's context, --ctx-size over --parallel). An engine tokenizer that counts more than o200k
     * can still meet the limit: set it lower by that margin.
     */
    contextTokens: z.number().int().positive().optional(),
    /** Prompt tokens this backend's chat template adds (spend.promptBound.overheadTokens otherwise). */
    promptOverheadTokens: z.number().int().min(0).optional(),
    /**
     * Prompt tokens one image, audio or video part may cost on this backend's model and settings
     * (spend.promptBound.mediaPartTokens otherwise): models and engines' image settings differ
     * by tens of thousands of tokens a part.
     */
    mediaPartTokens: z.number().int().min(0).optional(),
    /**
     * The chat template's generation prompt opens `<think>` (generic `<think>` models: the stream
     * starts inside the block; SGLang: its continuation goes on inside it, as SGLang appends the
     * prefill to that prompt). `true`: unless the request turns thinking off with
     * chat_template_kwargs.enable_thinking=false (as thinkcap does at a zero budget), where such
     * templates close the block in the prompt and the model writes the answer alone (Qwen3.5,
     * Nemotron 3 Nano, GLM-4.7-Flash, Ling 3.0, Laguna S 2.1, Spark 2.5); `always`: whatever the
     * request says, for templates that open it without a switch (DeepSeek-R1 distills, MiniMax-M2,
     * StepFun 3.5, Nemotron Nano v2). Both read from the real templates' renderings
     * (test/fixtures/templates/generation-prompts.json).
     */
    thinkPrefilled: z.union([z.boolean(), z.literal('always')]).default(false),
    /**
     * How the model's chat template writes a finished turn's thinking, where it is no `<think>`
     * block: what a continuation puts after the generation prompt before the thinking (`open`,
     * empty where that prompt opens it) and between the thinking and the answer (`close`).
     * Seed-OSS: `{ open: "<seed:think>", close: "</seed:think>\n" }`; Cohere's reasoning models:
     * `{ open: "", close: "<|END_THINKING|><|START_TEXT|>" }`. SGLang continues with it (it appends
     * the text to its rendering and shows thinkcap none); llama.cpp and Ollama take it before
     * what they would learn or assume. vLLM's templates write the thinking themselves.
     */
    thinkingFormat: z.object({ open: z.string().max(256), close: z.string().min(1).max(256) }).strict().optional(),
    /** Ollama: the model takes think levels ("low" | "medium" | "high") rather than true / false. */
    thinkLevels: z.boolean().default(false),
    /**
     * Ollama: the server's default keep_alive (its OLLAMA_KEEP_ALIVE: a Go duration or whole
     * seconds; Ollama's own default is 5m), for requests that carry none. thinkcap cannot see the
     * server's environment: where it unloads models at once ("0"), say so here, and a chat that
     * thinkcap may follow with a continuation holds the model for it (as one whose client sent
     * keep_alive 0), so it is loaded once, not once for each of the chat, render and generate calls.
     */
    serverKeepAlive: z.union([z.string(), z.number()]).optional(),
  })
  .strict()
  .refine((b) => b.serverKeepAlive === undefined || b.dialect === 'ollama', {
    message: 'serverKeepAlive is read on the ollama dialect only (Ollama /api/chat)',
    path: ['serverKeepAlive'],
  })
  .refine((b) => b.serverKeepAlive === undefined || serverKeepAliveSeconds(b.serverKeepAlive) !== null, {
    message: 'serverKeepAlive: a Go duration ("5m", "0", "-1") or whole seconds, as OLLAMA_KEEP_ALIVE takes',
    path: ['serverKeepAlive'],
  })
  .refine((b) => b.enforcement !== 'continuation' || b.url !== undefined, {
    message: 'enforcement "continuation" needs the backend url',
    path: ['url'],
  });

export const SCOPES = ['tenant', 'user', 'session', 'route'] as const;
export type ScopeKind = (typeof SCOPES)[number];
export const WINDOWS = ['hour', 'day', 'month', 'total'] as const;
export type WindowKind = (typeof WINDOWS)[number];

export const limitSchema = z
  .object({
    scope: z.enum(SCOPES),
    /** The tenant / user / session / route id, or '*' for every id separately. */
    id: z.string().min(1),
    window: z.enum(WINDOWS),
    /** Hard cap in USD. */
    usd: z.number().positive().optional(),
    /** Hard cap in thinking tokens. */
    thinkingTokens: z.number().int().positive().optional(),
    /** Fraction of the cap at which the warning header, metric and log appear. */
    softFraction: z.number().gt(0).max(1).default(0.8),
  })
  .strict()
  .refine((l) => l.usd !== undefined || l.thinkingTokens !== undefined, { message: 'a limit needs usd or thinkingTokens' });
export type LimitConfig = z.infer<typeof limitSchema>;

export const configSchema = z
  .object({
    server: z
      .object({
        /** Loopback unless configured: set 0.0.0.0 (with grpcToken) where Envoy runs on another host. */
        grpcHost: z.string().default('127.0.0.1'),
        grpcPort: port.default(50051),
        /**
         * Bearer token every ext_proc stream must carry (`authorization: Bearer <token>`, set in
         * Envoy's grpc_service.initial_metadata). Without it any client that reaches the port
         * could open streams as any tenant.
         */
        grpcToken: z.coerce.string().min(16).optional(),
        adminHost: z.string().default('127.0.0.1'),
        adminPort: port.default(9100),
        /** How long in-flight ext_proc streams may run after SIGTERM before they are cut. */
        shutdownGraceMs: z.number().int().min(0).default(10_000),
        /**
         * How many streams the peer may reset on one gRPC connection before Node's HTTP/2 server
         * closes it: a burst, then so many a second (nghttp2's token bucket; Node's own 1000 and
         * 33 guard ports that untrusted clients reach against rapid-reset floods). Envoy resets
         * every ext_proc stream when its request ends, so one busy connection from Envoy spends
         * Node's allowance in a second or two and loses every stream on it. Read by Node 22 and
         * later; Node 20 keeps its own.
         */
        grpcStreamResets: z
          .object({
            burst: z.number().int().min(1).default(10_000),
            perSecond: z.number().int().min(1).default(10_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    /** Which requests thinkcap acts on; everything else passes through untouched. */
    match: z
      .object({
        paths: z.array(z.string()).default(['/v1/chat/completions', '/chat/completions', '/api/chat']),
        methods: z.array(z.string()).default(['POST']),
        /**
         * With spend budgets on, a request with a body that thinkcap does not read (another path
         * or method: /v1/completions, /api/generate, embeddings) is refused with 403, since it
         * could reach an engine without a reservation; with spend off, one to an endpoint that
         * generates text (completions, Responses, Anthropic Messages, /generate, /infill, /invocations: its
         * thinking could not be capped). Exact paths listed here pass unread instead (for
         * endpoints that generate nothing, or that you cap and budget elsewhere). The content
         * type never decides: engines parse a chat body whatever it says (there was a
         * match.contentTypes; a chat sent as text/plain passed it uncapped).
         */
        unbudgetedPaths: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    requests: z
      .object({
        /** Largest request body thinkcap parses. Envoy's own buffer limit applies first. */
        maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
        /**
         * The most response bytes thinkcap holds to read: a whole JSON answer (full-duplex mode
         * holds it; STREAMED mode has Envoy buffer it, within Envoy's own limit), or one SSE event
         * or NDJSON line. Past it the bytes pass on unread, not rewritten; the request is charged
         * its whole reservation and counted in thinkcap_response_unread_total. A client can make
         * an answer this long (logprobs, many choices); an engine's stream event never is.
         */
        maxResponseHoldBytes: z.number().int().positive().default(8 * 1024 * 1024),
        /**
         * What to do with a chat request thinkcap will not plan for (malformed JSON, not UTF-8,
         * no messages, too large, nested past maxJsonDepth, a limit or flag in a form thinkcap
         * does not take): `reject` answers 400/413 with an OpenAI-style error; `passthrough`
         * forwards it unchanged, uncapped and unreserved, since some engine reads nearly any of
         * them (Python's json reads NaN and UTF-16, Go's replaces bad UTF-8, pydantic reads "100"
         * as 100). A field spelled so that an engine reads it as another is always rejected.
         */
        onInvalid: z.enum(['passthrough', 'reject']).default('reject'),
        /**
         * Answer tokens allowed on top of the thinking budget when the client set no
         * max_tokens; the client's own max_tokens is never raised.
         */
        answerTokens: z.number().int().positive().default(4096),
        /** Deepest JSON nesting a chat body may have (checked before parsing; deeper is invalid). */
        maxJsonDepth: z.number().int().positive().default(64),
        /**
         * With spend budgets on, the most sequences one chat request may ask the engine for
         * (`n`, or `best_of`): each may think its budget and answer up to max_tokens, and the
         * reservation covers them all. A count that is not a whole number from 1 to this is then
         * an invalid body (without spend, the engine judges it).
         */
        maxChoices: z.number().int().positive().default(16),
        /**
         * Tokens kept for the answer when the client's own max_tokens cannot hold the thinking
         * budget plus an answer: thinking is capped at max_tokens minus this reserve (the reserve
         * is at most half of max_tokens), so an answer always has room. The effective budget is
         * sent in x-thinkcap-budget.
         */
        answerReserveTokens: z.number().int().min(0).default(128),
        /**
         * Budget forcing: how long a continuation may go without a byte from the backend. For a
         * whole (non-streaming) answer this is also asked of Envoy as override_message_timeout
         * (Envoy caps it at its max_message_timeout).
         */
        continuationTimeoutMs: z.number().int().positive().default(30_000),
        /**
         * Budget forcing: how long the backend may take to begin a continuation's answer. A busy
         * engine queues it like any request (llama-server with every slot taken sends nothing,
         * headers included, until one frees), and giving up there leaves the client with thinking
         * and no answer; a client that leaves, or Envoy's route timeout, ends the wait sooner.
         * Default 590 s: under the shipped stream idle timeout (600 s) by the margin thinkcap
         * check --envoy asks for, since Envoy's idle timer starts earlier, at the first answer's
         * last byte (at equal values Envoy's 504 mostly came first, measured). Never less than
         * continuationTimeoutMs.
         */
        continuationQueueTimeoutMs: z.number().int().positive().default(590_000),
        /**
         * Follow-ups (a continuation, a rescue) under Envoy `response_body_mode: STREAMED`: how
         * long thinkcap may hold the response's last message to add the follow-up's answer to it.
         * Asked of Envoy as `override_message_timeout`, which Envoy honours only up to the
         * filter's `max_message_timeout` (the shipped envoy.yaml: 30 s; `thinkcap check --envoy`
         * compares): set it to that or less. The answer then arrives at the end in one piece, not
         * token by token; a follow-up still running shortly before this ends is cut there and the
         * response ends cleanly. 0 (the default): no follow-ups under STREAMED, where an Envoy
         * without `max_message_timeout` would break the response at its `message_timeout`.
         * Full duplex (`FULL_DUPLEX_STREAMED`) needs none of this: the answer streams.
         */
        streamedFollowUpMs: z.number().int().min(0).max(3_600_000).default(0),
        /**
         * Budget forcing (continuation): a graceful end of thinking. The upstream may think up to
         * this fraction of the budget past it, and thinking ends at the first line break in that
         * window, so the answer follows a finished step instead of one cut mid-way (no break in
         * the window: it ends at the window's end). 0 cuts at the budget exactly. The engine
         * generates the whole window either way (thinkcap cannot stop it mid-stream), so the
         * window is paid for in tokens: benchmarks/quality.ts measures both at equal tokens.
         */
        graceRatio: z.number().min(0).max(1).default(0),
        /**
         * thinkcap's own deadline for answering the request-body message (the spend ledger's
         * limits and reservation included). Keep it well inside Envoy's message_timeout (200 ms
         * in the shipped envoy.yaml): a ledger that has not answered by then counts as
         * unavailable (spend.onLedgerError decides), never as Envoy's timeout.
         */
        deadlineMs: z.number().int().positive().default(150),
        /**
         * What to do when thinkcap itself fails on a request (a bug, an exception): `open`
         * forwards the request untouched, `closed` answers 500. Envoy's failure_mode_allow
         * decides the same for thinkcap being unreachable. Default: `closed` when spend
         * budgets are on (a request thinkcap failed on was never reserved for), else `open`.
         */
        onInternalError: z.enum(['open', 'closed']).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Headers Envoy sets after authentication (jwt_authn claim_to_headers, ext_authz, a
     * route's request_headers_to_add). Clients can send the same names: strip them at the
     * edge in Envoy (the shipped envoy.yaml does) so only Envoy's values arrive here.
     */
    identity: z
      .object({
        tenantHeader: z.string().toLowerCase().default('x-thinkcap-tenant'),
        userHeader: z.string().toLowerCase().default('x-thinkcap-user'),
        sessionHeader: z.string().toLowerCase().default('x-thinkcap-session'),
      })
      .strict()
      .prefault({}),
    classifier: z
      .object({
        /**
         * How many times as costly one tier too few (too little thinking: answers suffer) is
         * as one tier too many (tokens). The classifier picks the tier of least expected cost
         * from calibrated probabilities; 1 picks the most likely tier, higher values lean up.
         */
        underTierCost: z.number().min(1).max(100).default(DEFAULT_UNDER_TIER_COST),
      })
      .strict()
      .prefault({}),
    tiers: z
      .object({
        trivial: tierSchema.default({ budget: 32 }),
        simple: tierSchema.default({ budget: 128 }),
        moderate: tierSchema.default({ budget: 512 }),
        complex: tierSchema.default({ budget: 2048 }),
        deep: tierSchema.default({ budget: 8192 }),
      })
      .strict()
      .prefault({}),
    overrides: z
      .object({
        tenants: z.record(z.string(), limitsOverride).default({}),
        users: z.record(z.string(), limitsOverride).default({}),
        sessions: z.record(z.string(), limitsOverride).default({}),
      })
      .strict()
      .prefault({}),
    /** Honour `reasoning_effort` or an explicit `thinking_budget` field from the client, within the scope's limits. */
    clientHints: z.boolean().default(true),
    /**
     * The body modes Envoy's ext_proc filter is configured with, for Envoy versions that do not
     * send them in protocol_config (recent ones do, and then those win).
     */
    envoyBodyModes: z
      .object({
        request: z.enum(['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED']).default('BUFFERED'),
        response: z.enum(['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED']).default('STREAMED'),
      })
      .strict()
      .prefault({}),
    spend: z
      .object({
        enabled: z.boolean().default(false),
        ledger: z.enum(['memory', 'redis']).default('memory'),
        redis: z
          .object({
            url: z.string().default('redis://127.0.0.1:6379'),
            /**
             * The data nodes' credentials (Redis AUTH: an ACL user and its password, or a password
             * alone for the default user), for Sentinel and Cluster, and for a url that carries
             * none (a url's own credentials come first). Set them from the environment
             * (THINKCAP_SPEND__REDIS__PASSWORD) rather than in the file.
             */
            username: z.string().min(1).optional(),
            password: z.string().min(1).optional(),
            /**
             * TLS to the data nodes, in every mode (a rediss:// url turns it on too): caFile, a
             * PEM file of the CA that signed their certificates (the system's CAs otherwise);
             * servername, the name their certificate must carry (the host's otherwise).
             */
            tls: redisTls.optional(),
            /**
             * Sentinel: the master group name and sentinel addresses (url is then ignored), the
             * sentinels' own credentials where they require them, and TLS to the sentinels
             * themselves where they take only TLS (the same fields as the data nodes' tls).
             */
            sentinel: z
              .object({
                name: z.string(),
                sentinels: z.array(z.object({ host: z.string(), port: port })).min(1),
                username: z.string().min(1).optional(),
                password: z.string().min(1).optional(),
                tls: redisTls.optional(),
              })
              .strict()
              .optional(),
            /** Redis Cluster seed nodes (url is then ignored). All keys share one hash tag. */
            cluster: z.array(z.object({ host: z.string(), port: port })).optional(),
            keyPrefix: z.string().default('thinkcap'),
            /** Per-command timeout; keep well under Envoy's message_timeout. */
            commandTimeoutMs: z.number().int().positive().default(100),
            /**
             * How far Redis's clock may run ahead of thinkcap's: a reservation script still
             * reserves until its deadline plus this on Redis's clock (a later one reserves nothing;
             * one in between is refunded behind it).
             */
            clockSkewMs: z.number().int().min(0).default(1000),
            /**
             * Replicas that must hold each reservation and settlement before it counts (Redis
             * WAIT). Replication is asynchronous: without it a failover loses the writes of the
             * last moments. 0 trusts the master alone; 1 with Cluster or Sentinel loses nothing a
             * promoted replica did not already hold, but refuses (or, when open, allows on the
             * local allowance) while a master has no replica in sync.
             */
            replicaAcks: z.number().int().min(0).default(0),
            /** How long a write waits for those acks (WAIT blocks the connection meanwhile). */
            replicaAckTimeoutMs: z.number().int().positive().default(100),
          })
          .strict()
          .prefault({}),
        /**
         * Ledger unreachable: `closed` refuses (503) — never overspend; `open` lets requests
         * through on a bounded local allowance per scope, reconciled when the ledger returns.
         */
        onLedgerError: z.enum(['closed', 'open']).default('closed'),
        /**
         * With onLedgerError `open`: the most the whole fleet may let through per counter while
         * the ledger is away; each replica may use failOpenAllowanceUsd / replicas.
         */
        failOpenAllowanceUsd: z.number().min(0).default(1),
        /** How many thinkcap replicas share the ledger (divides the fail-open allowance). */
        replicas: z.number().int().positive().default(1),
        /** A reservation not settled within this time (crash, restart) is released. */
        reservationTtlSeconds: z.number().int().positive().default(900),
        /**
         * The prompt side of a reservation bounds what an engine bills: the o200k estimate (tools
         * and schemas included) times safetyFactor (another tokenizer counts more: non-English
         * text, code), plus overheadTokens for the chat template (role markers, a default system
         * prompt); backends[].promptOverheadTokens and backends[].mediaPartTokens override the
         * overhead and the media part cost per backend.
         * `counting`: counting may take budgetMs of any windowMs; past that (a flood of large
         * prompts) each text is counted exactly on its first headChars characters and bounded by
         * UTF-8 bytes past them, so that answers stay inside Envoy's message_timeout (budget/counting.ts);
         * and one prompt is counted for at most promptMs (text never seen before costs the most).
         */
        promptBound: z
          .object({
            safetyFactor: z.number().min(1).default(2),
            overheadTokens: z.number().int().min(0).default(64),
            /**
             * Prompt tokens one image, audio or video part may cost (an OpenAI content part with
             * no text, an Ollama message's `images` entry): thinkcap cannot count them. 16,384 is
             * Qwen2.5-VL's most for one image at its default max_pixels (12,845,056 / 28²).
             */
            mediaPartTokens: z.number().int().min(0).default(16_384),
            counting: z
              .object({
                windowMs: z.number().int().positive().default(100),
                budgetMs: z.number().min(0).default(25),
                headChars: z.number().int().min(256).max(32_768).default(4096),
                /** One prompt's counting time (ms), whatever the budget: past it the rest is bounded by bytes. */
                promptMs: z.number().positive().default(10),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        /**
         * An engine bill above the reservation: `clip` charges the window at most what was
         * reserved (the cap always holds; the difference is counted in
         * thinkcap_budget_settle_over_reservation_total and logged), `charge` charges it all (the
         * true cost; the cap can be passed by that difference).
         */
        settleOverReservation: z.enum(['clip', 'charge']).default('clip'),
        /** Price per million tokens where no GPU price applies (and for the worst-case reservation). */
        pricing: z
          .object({
            promptUsdPerMTok: z.number().min(0).default(0.5),
            completionUsdPerMTok: z.number().min(0).default(2),
          })
          .strict()
          .prefault({}),
        /** Requests without a tenant header: charge them to `defaultTenant`, or refuse (401). */
        onMissingIdentity: z.enum(['default', 'refuse']).default('default'),
        defaultTenant: z.string().default('anonymous'),
        /** Budget pressure: at this fraction of a cap, no request thinks above `maxTier`. */
        pressure: z
          .object({ fraction: z.number().gt(0).max(1).default(0.9), maxTier: z.enum(TIER_NAMES).default('simple') })
          .strict()
          .prefault({}),
        limits: z.array(limitSchema).default([]),
      })
      .strict()
      .prefault({}),
    routing: z
      .object({
        enabled: z.boolean().default(false),
        /** Request header Envoy's routes match on (set with clear_route_cache). */
        header: z.string().toLowerCase().default('x-thinkcap-route'),
        /** Route targets: the header value -> the upstream model name (and optionally the backend whose dialect applies). */
        targets: z.record(z.string(), z.object({ model: z.string().optional(), backend: z.string().optional() }).strict()).default({}),
        /** Target per tier; tiers not listed keep Envoy's default route. */
        tiers: z.partialRecord(z.enum(TIER_NAMES), z.string()).default({}),
        /** Where a downgrade sends a request. */
        downgradeTo: z.string().optional(),
        /** Downgrade rules, evaluated in order; the first that fires decides. */
        rules: z
          .array(
            z.discriminatedUnion('type', [
              z.object({ type: z.literal('vram'), target: z.string(), gpuIndices: z.array(z.number().int().min(0)).default([]), minFreeBytes: z.number().positive().optional(), minFreeFraction: z.number().gt(0).lt(1).optional() }).strict(),
              z.object({ type: z.literal('latency'), target: z.string(), sloMs: z.number().positive(), seedMs: z.number().positive(), alpha: z.number().gt(0).max(1).default(0.2) }).strict(),
              z.object({ type: z.literal('budget') }).strict(),
              z.object({ type: z.literal('custom'), module: z.string(), name: z.string().optional() }).strict(),
            ]),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    energy: z
      .object({
        /** auto: NVML, else the DCGM exporter (dcgmUrl), else an estimate (estimatedWatts), else none. */
        source: z.enum(['auto', 'nvml', 'dcgm', 'estimated', 'none']).default('auto'),
        intervalMs: z.number().int().min(20).default(100),
        nvmlLibrary: z.string().default('libnvidia-ml.so.1'),
        /** A DCGM exporter's /metrics URL, for a GPU on another host. */
        dcgmUrl: z.string().url().optional(),
        /** Power draw assumed when nothing is measured (labelled "estimated" everywhere). */
        estimatedWatts: z.number().positive().optional(),
        estimatedGpuName: z.string().default('estimated GPU'),
        /** GPUs serving this thinkcap's backends (empty: all visible). */
        gpuIndices: z.array(z.number().int().min(0)).default([]),
        /** $/GPU-hour you pay; without it a built-in table by GPU name applies. */
        gpuHourUsd: z.number().min(0).optional(),
        /** $/kWh, added on top of GPU time where set. */
        kwhUsd: z.number().min(0).optional(),
        historySeconds: z.number().int().positive().default(120),
      })
      .strict()
      .prefault({}),
    dashboard: z
      .object({
        /** Show the first characters of each prompt in the dashboard feed (escaped). Off: prompts can be private. */
        promptPreview: z.boolean().default(false),
        /**
         * A response header carrying the thinking length the backend would have produced without
         * the cap, where a backend sends one (the test emulator does); used only for the
         * tokens-saved metric. Unset: no such header is read.
         */
        naturalThinkingHeader: z.string().toLowerCase().optional(),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /**
         * Distinct tenants the per-tenant metrics (thinkcap_tenant_*) name, per process: the first
         * this many seen; later ones are counted under tenant="other", so that a flood of tenant
         * ids cannot grow the series without bound. 0: no per-tenant metrics.
         */
        tenantLabels: z.number().int().min(0).max(10_000).default(100),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        /** Bearer token for the admin write APIs; without one they answer 403. */
        // Coerced: a numeric-looking token from THINKCAP_ADMIN__TOKEN stays a string.
        token: z.coerce.string().min(16).optional(),
        /**
         * Reads need the token too: dashboard, live feed, history, stats, metrics, GPU and
         * classify (everything but /health). The dashboard is opened once as
         * /dashboard?token=…, which sets a same-site cookie for the page's own requests;
         * Prometheus sends `authorization: Bearer …` (scrape config `authorization`).
         */
        protectReads: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    defaultDialect: z.enum(DIALECTS).default('vllm'),
    backends: z.array(backendSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Routing names must point at configured targets.
    const targets = new Set(Object.keys(c.routing.targets));
    const check = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !targets.has(name)) ctx.addIssue({ code: 'custom', path, message: `unknown routing target '${name}' (targets: ${[...targets].join(', ') || 'none'})` });
    };
    for (const [tier, t] of Object.entries(c.routing.tiers)) check(t, ['routing', 'tiers', tier]);
    check(c.routing.downgradeTo, ['routing', 'downgradeTo']);
    c.routing.rules.forEach((r, i) => {
      if (r.type === 'vram' || r.type === 'latency') check(r.target, ['routing', 'rules', i, 'target']);
    });
    for (const [name, t] of Object.entries(c.routing.targets)) {
      if (t.backend && !c.backends.some((b) => b.name === t.backend)) ctx.addIssue({ code: 'custom', path: ['routing', 'targets', name, 'backend'], message: `unknown backend '${t.backend}'` });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type LimitsOverride = z.infer<typeof limitsOverride>;
