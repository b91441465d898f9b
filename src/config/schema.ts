import { z } from 'zod';

export const TIER_NAMES = ['trivial', 'simple', 'moderate', 'complex', 'deep'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export const DIALECTS = ['vllm', 'sglang', 'ollama', 'ollama-openai', 'llamacpp', 'generic'] as const;
export type DialectName = (typeof DIALECTS)[number];

const port = z.number().int().min(0).max(65535);

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
     * thinking so far + end of thinking (needs Envoy response_body_mode FULL_DUPLEX_STREAMED).
     */
    enforcement: z.enum(['native', 'continuation']).default('native'),
    /** Base URL thinkcap calls for continuations (e.g. http://vllm:8000). */
    url: z.string().url().optional(),
    /** Send chat_template_kwargs.enable_thinking=false for a zero budget (Qwen3-style templates). */
    disableThinkingAtZero: z.boolean().default(true),
    /** SGLang: the serialized custom logit processor that enforces custom_params.thinking_budget. */
    logitProcessor: z.string().optional(),
    /** llama.cpp and others: name of a per-request thinking-budget field, where the server version has one. */
    budgetField: z.string().optional(),
    /** Generic `<think>` models: the chat template pre-fills `<think>`, so the stream starts inside the block. */
    thinkPrefilled: z.boolean().default(false),
    /** Ollama: the model takes think levels ("low" | "medium" | "high") rather than true / false. */
    thinkLevels: z.boolean().default(false),
  })
  .strict()
  .refine((b) => b.enforcement !== 'continuation' || b.url !== undefined, {
    message: 'enforcement "continuation" needs the backend url',
    path: ['url'],
  });

export const configSchema = z
  .object({
    server: z
      .object({
        grpcHost: z.string().default('0.0.0.0'),
        grpcPort: port.default(50051),
        adminHost: z.string().default('0.0.0.0'),
        adminPort: port.default(9100),
        /** How long in-flight ext_proc streams may run after SIGTERM before they are cut. */
        shutdownGraceMs: z.number().int().min(0).default(10_000),
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
        contentTypes: z.array(z.string()).default(['application/json']),
      })
      .strict()
      .prefault({}),
    requests: z
      .object({
        /** Largest request body thinkcap parses. Envoy's own buffer limit applies first. */
        maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
        /**
         * What to do with a chat request thinkcap cannot read (malformed JSON, not UTF-8, no
         * messages, too large): `passthrough` forwards it unchanged (the backend answers as it
         * would without thinkcap), `reject` answers 400/413 with an OpenAI-style error.
         */
        onInvalid: z.enum(['passthrough', 'reject']).default('passthrough'),
        /**
         * Answer tokens allowed on top of the thinking budget when the client set no
         * max_tokens; the client's own max_tokens is never raised.
         */
        answerTokens: z.number().int().positive().default(4096),
        /**
         * What to do when thinkcap itself fails on a request (a bug, an exception): `open`
         * forwards the request untouched, `closed` answers 500. Envoy's failure_mode_allow
         * decides the same for thinkcap being unreachable.
         */
        onInternalError: z.enum(['open', 'closed']).default('open'),
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
    defaultDialect: z.enum(DIALECTS).default('vllm'),
    backends: z.array(backendSchema).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type LimitsOverride = z.infer<typeof limitsOverride>;
