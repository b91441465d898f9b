import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SpendController } from '../../src/budget/spend.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { MAX_REQUEST_ID, gatewayRequestId, generatesUncapped, jsonDepth, parseChatBody, planRequest, readRequestHead, type PlanDeps, type PlanOutcome, type PlanTiming } from '../../src/extproc/plan.js';

const log = pino({ level: 'silent' });

function head(config = validateConfig({}), extra: Record<string, string> = {}) {
  const h = new Map(Object.entries({ ':method': 'POST', ':path': '/v1/chat/completions?x=1', 'content-type': 'application/json', ...extra }));
  return readRequestHead(h, undefined, config);
}

function deps(config = validateConfig({}), more: Partial<PlanDeps> = {}): PlanDeps {
  return { config, spend: null, router: null, ...more };
}

/** A deadline no loaded CI machine reaches (a 1 s one once turned a 429 into the deadline's 503). */
function timing(more: Partial<PlanTiming> = {}): PlanTiming {
  return { responseBodyMode: 'STREAMED', deadline: Date.now() + 30_000, ...more };
}

const HARD = 'Prove that the sum of the reciprocals of the primes diverges, with every step justified, then analyse the rate of divergence and compare it with the harmonic series in detail.';

describe('generatesUncapped', () => {
  it('names the generation endpoints thinkcap cannot cap, at the end of a path, trailing slashes aside', () => {
    for (const p of ['/v1/completions', '/completion', '/completions', '/v1/responses', '/responses', '/v1/messages', '/infill', '/generate', '/api/generate', '/inference/v1/generate', '/openai/v1/responses', '/v1/responses//', '/invocations', '/vertex_generate', '/generate_from_file', '/cohere/v2/chat']) expect(generatesUncapped(p), p).toBe(true);
    for (const p of ['/v1/embeddings', '/tokenize', '/v1/messages/count_tokens', '/v1/responses/input_tokens', '/v1/models', '/regenerate', '/v1/completionsx', '/', '', '/ping', '/cohere/v2/chat/render', '/v2/chats']) expect(generatesUncapped(p), p).toBe(false);
  });
});

describe('readRequestHead', () => {
  it('reads path without the query, identity from the configured headers, and whether thinkcap acts', () => {
    const config = validateConfig({});
    const h = head(config, { [config.identity.tenantHeader]: 'acme' });
    expect(h.path).toBe('/v1/chat/completions');
    expect(h.isChat).toBe(true);
    expect(h.identity.tenant).toBe('acme');
    expect(h.dialect?.name).toBe(config.defaultDialect);
    const get = readRequestHead(new Map([[':method', 'GET'], [':path', '/v1/models']]), undefined, config);
    expect(get.isChat).toBe(false);
    expect(get.dialect).toBeNull();
    // Engines route on the decoded path: an escaped letter is still the chat endpoint.
    const escaped = readRequestHead(new Map([[':method', 'POST'], [':path', '/v1/chat/complet%69ons?x=%zz']]), undefined, config);
    expect(escaped.isChat).toBe(true);
    expect(escaped.path).toBe('/v1/chat/completions');
    expect(readRequestHead(new Map([[':method', 'POST'], [':path', '/v1/chat/%zzcompletions']]), undefined, config).path).toBe('/v1/chat/%zzcompletions');
    // Engines parse a chat body whatever its content type says (llama-server any, FastAPI none).
    expect(head(config, { 'content-type': 'text/plain' }).isChat).toBe(true);
  });

  it("keeps the gateway's x-request-id as a label only where it is short visible ASCII", () => {
    const config = validateConfig({});
    const uuid = '0b9a4f8e-3c1d-4b6a-9f3e-2d7c5a1e8b40';
    expect(head(config, { 'x-request-id': uuid }).requestId).toBe(uuid);
    expect(head(config, {}).requestId).toBeNull();
    // Not a chat: still labelled (its record and log lines are joined the same way).
    expect(readRequestHead(new Map([[':method', 'GET'], [':path', '/v1/models'], ['x-request-id', 'abc']]), undefined, config).requestId).toBe('abc');
    expect(gatewayRequestId('x'.repeat(MAX_REQUEST_ID))).toBe('x'.repeat(MAX_REQUEST_ID));
    // What a client could put there where Envoy keeps its copy: too long, spaces, control
    // characters (a forged log line), markup is visible ASCII and is escaped where it is shown.
    for (const bad of ['', 'x'.repeat(MAX_REQUEST_ID + 1), 'a b', 'a\nrequest done', 'a\u0000', 'é', '\u{1F600}']) expect(gatewayRequestId(bad)).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (v) => {
        const got = gatewayRequestId(v);
        return got === null || (got === v && v.length <= MAX_REQUEST_ID && /^[\x21-\x7e]+$/.test(v));
      }),
    );
  });
});

describe('parseChatBody', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /empty/],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    ['too deep', Buffer.from(`{"messages":[${'['.repeat(200)}${']'.repeat(200)}]}`), /nests deeper/],
    ['not JSON', Buffer.from('{"messages":'), /not valid JSON/],
    ['no messages', Buffer.from('{"model":"m"}'), /no messages/],
    ['a message without a role', Buffer.from('{"messages":[{"content":"hi"}]}'), /role/],
    ['a fractional max_tokens', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"max_tokens":1.5}'), /max_tokens/],
    ['a negative max_completion_tokens', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":-1}'), /max_completion_tokens/],
    ['n of 0', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":0}'), /n must be a whole number from 1 to 16/],
    ['a fractional n', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":1.5}'), /n must be/],
    ['n as a string', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":"4"}'), /n must be/],
    ['n past requests.maxChoices', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":17}'), /n must be a whole number from 1 to 16/],
    ['best_of past requests.maxChoices', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"best_of":1000}'), /best_of must be/],
    ['stream as a string (pydantic reads "true" as true)', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"stream":"true"}'), /stream must be true or false/],
    ["llama-server's n_cmpl past requests.maxChoices", Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n_cmpl":64}'), /n_cmpl must be/],
    ["llama-server's n_predict below -1", Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n_predict":-2}'), /n_predict must be/],
    ["a fractional n_predict", Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n_predict":2.5}'), /n_predict must be/],
    // Ollama (Go's encoding/json) reads each of these as the field thinkcap read under its own spelling.
    ['options twice, the second spelled Options', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":50},"Options":{"num_predict":100000}}'), /"Options" differs only in case/],
    ['MAX_TOKENS beside max_tokens', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"max_tokens":5,"MAX_TOKENS":100000}'), /"MAX_TOKENS"/],
    ['Messages with a long s (ſ, which Go folds to s)', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"me\u017f\u017fages":[{"role":"user","content":"x"}]}'), /"meſſages"/],
    ['keep_alive with the Kelvin sign for its k', Buffer.from('{"messages":[{"role":"user","content":"hi"}],"\u212aeep_alive":"1h"}'), /"\u212aeep_alive"/],
    ["a message's Content beside its content", Buffer.from('{"messages":[{"role":"user","content":"hi","Content":"a prompt thinkcap never counted"}]}'), /"messages\[\]\.Content"/],
  ];
  it.each(cases)('refuses %s with 400 and a reason', (_name, body, re) => {
    const r = parseChatBody(body, 64);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(400);
      expect(r.message).toMatch(re);
    }
  });

  it('keeps what no engine reads as a field thinkcap reads: other capitalised keys, n_predict -1, n_cmpl within bounds', () => {
    for (const extra of ['"Metadata":{"A":1}', '"X_Trace":"1"', '"n_predict":-1', '"n_cmpl":4', '"options":{"Num_Predict":5}']) {
      const r = parseChatBody(Buffer.from(`{"messages":[{"role":"user","content":"hi","Name":"x"}],${extra}}`), 64);
      expect(r.ok, extra).toBe(true);
    }
  });

  it('parses a chat body', () => {
    const r = parseChatBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}],"max_tokens":5}'), 64);
    expect(r.ok && r.messages.length).toBe(1);
  });

  it('one shared decoder: a body cut inside a character or invalid leaves nothing behind for the next', () => {
    const euro = Buffer.from('{"messages":[{"role":"user","content":"5 €"}]}');
    const cut = euro.subarray(0, euro.indexOf(0xe2) + 2); // ends two bytes into the three of '€'
    for (const bad of [cut, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
      expect(parseChatBody(bad, 64)).toMatchObject({ ok: false, status: 400 });
      const next = parseChatBody(euro, 64);
      expect(next.ok && next.messages[0]!.content).toBe('5 €');
    }
  });

  it('jsonDepth skips brackets inside strings and stops counting past the limit', () => {
    expect(jsonDepth('{"a":"[[[[[[","b":[1]}', 10)).toBe(2);
    expect(jsonDepth('[[[[[[[[[[', 3)).toBe(4);
    // Escaped quotes and backslash runs: the string ends at a quote after an even run only.
    expect(jsonDepth(String.raw`{"a":"\"[[[[","b":[[1]]}`, 10)).toBe(3);
    expect(jsonDepth(String.raw`{"a":"\\","b":[[1]]}`, 10)).toBe(3);
    expect(jsonDepth(String.raw`{"a":"\\\"[[[\\\\","b":[[[1]]]}`, 10)).toBe(4);
    expect(jsonDepth(String.raw`["\\\\\\\"]]]]`, 10)).toBe(1); // unterminated: the rest is string
  });

  it('jsonDepth agrees with a per-character scan on arbitrary text, valid JSON or not', () => {
    // The reference: every character visited, a backslash inside a string skips the next one.
    const reference = (text: string, stopAbove: number): number => {
      let depth = 0;
      let max = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') {
          max = Math.max(max, ++depth);
          if (max > stopAbove) return max;
        } else if (c === ']' || c === '}') depth--;
      }
      return max;
    };
    const piece = fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a', ',', ':', ' ', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }).map((p) => p.join('')), fc.integer({ min: 0, max: 6 }), (text, stop) => {
        expect(jsonDepth(text, stop)).toBe(reference(text, stop));
      }),
      { numRuns: 3000 },
    );
    // Real bodies, nested at random depth with escapes in their strings.
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        expect(jsonDepth(text, 64)).toBe(reference(text, 64));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('planRequest', () => {
  it('without policies: synchronous, rewritten for the dialect with the tier headers', () => {
    const config = validateConfig({ defaultDialect: 'vllm' });
    const json = { model: 'm', messages: [{ role: 'user', content: 'Hello' }], thinking_budget: 5 };
    const out = planRequest(head(config), json, json.messages, deps(config), timing()) as PlanOutcome;
    expect(out).not.toBeInstanceOf(Promise);
    if (out.kind !== 'forward') throw new Error('refused');
    const plan = out.plan;
    // @ts-expect-error the plan is readonly: deciding is done once it exists
    if (false) plan.budget = 0;
    expect(plan.tier).toBe('trivial');
    expect(plan.headers['x-thinkcap-tier']).toBe('trivial');
    expect(plan.headers['x-thinkcap-budget']).toBe(plan.budget);
    const sent = JSON.parse(plan.body.toString('utf8')) as Record<string, unknown>;
    expect(sent.thinking_token_budget).toBe(plan.budget);
    expect(sent.max_tokens).toBe(plan.limits.upstreamMaxTokens);
    expect(sent).not.toHaveProperty('thinking_budget');
    // The limits decided before admission are the ones written.
    expect(plan.rewrite.upstreamMaxTokens).toBe(plan.limits.upstreamMaxTokens);
    expect(plan.continuation).toBe(false);
    expect(plan.original).toBeNull();
  });

  it("ollama-openai under continuation: cut off at the budget (its follow-up goes through the server's native API), not with tools", () => {
    const config = validateConfig({ defaultDialect: 'ollama-openai', backends: [{ name: 'o', dialect: 'ollama-openai', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    const plan = (json: Record<string, unknown>) => {
      const out = planRequest(head(config), json, json.messages as never, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan;
    };
    const cut = plan({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });
    expect(cut.cutOff).toBe(true);
    expect(cut.continuation).toBe(true);
    expect(cut.limits.upstreamMaxTokens).toBe(cut.budget);
    // A raw continuation would return a tool call as text: no cut-off, the usual allowance.
    const tools = plan({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] });
    expect(tools.cutOff).toBe(false);
    expect(tools.limits.upstreamMaxTokens).toBe(tools.budget + config.requests.answerTokens);
  });

  it('classifier.underTierCost decides how far an unsure query leans up', () => {
    const tierWith = (underTierCost: number) => {
      const config = validateConfig({ defaultDialect: 'vllm', classifier: { underTierCost } });
      const json = { model: 'm', messages: [{ role: 'user', content: 'What is the difference between TCP and UDP?' }] };
      const out = planRequest(head(config), json, json.messages, deps(config), timing()) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan.tier;
    };
    expect(tierWith(1)).toBe('moderate');
    expect(tierWith(50)).toBe('complex');
    expect(() => validateConfig({ classifier: { underTierCost: 0.5 } })).toThrow();
  });

  it('a refused request is never rewritten: the reservation comes before the rewrite', async () => {
    const config = validateConfig({ defaultDialect: 'vllm', spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 0.000001 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const json = { model: 'm', messages: [{ role: 'user', content: HARD }], thinking_budget: 5 };
    const before = JSON.stringify(json);
    const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend }), timing());
    expect(out.kind).toBe('refuse');
    if (out.kind !== 'refuse') return;
    expect(out.refusal.status).toBe(429);
    expect(JSON.stringify(json)).toBe(before);
    // The decision is kept for the record: tier and budget of the refused request.
    expect(out.decision?.tier).toBe(out.classification.tier);
  });

  it('no identity with spend on and onMissingIdentity refuse: 401 before anything is decided', async () => {
    const config = validateConfig({ spend: { enabled: true, onMissingIdentity: 'refuse', limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const json = { messages: [{ role: 'user', content: 'Hello' }] };
    const out = await planRequest(head(config), json, json.messages, deps(config, { spend }), timing());
    expect(out.kind === 'refuse' && out.refusal.status).toBe(401);
    expect(out.kind === 'refuse' && out.decision).toBeNull();
  });

  it('admitted with spend on: the plan holds the reservation and the prompt estimate', async () => {
    const config = validateConfig({ defaultDialect: 'vllm', spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const json = { messages: [{ role: 'user', content: 'Hello' }] };
    const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend }), timing());
    if (out.kind !== 'forward') throw new Error('refused');
    expect(out.plan.reservation).not.toBeNull();
    expect(out.plan.promptEstimate).toBeGreaterThan(0);
  });

  it('n choices (or best_of) reserve n times the completion and the thinking budget: asking for more sequences is not a way past the cap', async () => {
    const config = validateConfig({ defaultDialect: 'vllm', spend: { enabled: true, pricing: { promptUsdPerMTok: 0, completionUsdPerMTok: 2 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10, thinkingTokens: 1e9 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const reserved = async (extra: Record<string, unknown>) => {
      const json = { messages: [{ role: 'user', content: HARD }], ...extra };
      const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend }), timing());
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan.reservation!;
    };
    const one = await reserved({});
    const four = await reserved({ n: 4 });
    expect(one.reservedUsd).toBeGreaterThan(0);
    expect(four.reservedUsd).toBeCloseTo(4 * one.reservedUsd, 12);
    expect(four.reservedThinking).toBe(4 * one.reservedThinking);
    expect((await reserved({ best_of: 3, n: 1 })).reservedUsd).toBeCloseTo(3 * one.reservedUsd, 12);
    // llama-server reads n_cmpl before n (measured: n 1 with n_cmpl 3 gave three choices).
    expect((await reserved({ n: 1, n_cmpl: 3 })).reservedUsd).toBeCloseTo(3 * one.reservedUsd, 12);
    expect(parseChatBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":32}'), 64, 32).ok).toBe(true);
    // max_tokens 0: llama-server still generates one token (measured), so one is reserved.
    expect((await reserved({ max_tokens: 0 })).reservedUsd).toBeGreaterThanOrEqual(2 / 1e6 - 1e-15);
    // Without spend (no reservation to size) the engine judges n: the body stays a chat to cap.
    expect(parseChatBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}],"n":"4"}'), 64, null).ok).toBe(true);
  });

  it('an image part is reserved at spend.promptBound.mediaPartTokens: the engine bills it as prompt', async () => {
    const config = validateConfig({ defaultDialect: 'vllm', spend: { enabled: true, pricing: { promptUsdPerMTok: 1e6, completionUsdPerMTok: 0 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1e9 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const reserved = async (content: unknown) => {
      const json = { messages: [{ role: 'user', content }] };
      const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages as never, deps(config, { spend }), timing());
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan.reservation!.reservedUsd;
    };
    const text = { type: 'text', text: 'What is this?' };
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    expect((await reserved([text, image])) - (await reserved([text]))).toBeCloseTo(16_384, 6);
  });

  it("a backend's own mediaPartTokens prices its image parts, in the reservation and in the context room", async () => {
    const config = validateConfig({
      defaultDialect: 'vllm',
      backends: [{ name: 'small-vl', dialect: 'vllm', mediaPartTokens: 1_280, contextTokens: 40_000 }],
      spend: { enabled: true, pricing: { promptUsdPerMTok: 1e6, completionUsdPerMTok: 0 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1e9 }] },
    });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const planned = async (content: unknown) => {
      const json = { messages: [{ role: 'user', content }] };
      const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages as never, deps(config, { spend }), timing());
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan;
    };
    const text = { type: 'text', text: 'What is this?' };
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    const [one, none] = [await planned([text, image, image]), await planned([text])];
    expect(one.backend?.name).toBe('small-vl');
    expect(one.reservation!.reservedUsd - none.reservation!.reservedUsd).toBeCloseTo(2 * 1_280, 6);
    // The context left after the prompt takes the two parts at the backend's figure, not 16,384 each.
    expect(none.contextRoom! - one.contextRoom!).toBe(2 * 1_280);
  });

  it('where a continuation may follow (budget forcing, or the rescue of a model that stops inside thinking), the reservation covers its answer too', async () => {
    const config = validateConfig({
      defaultDialect: 'vllm',
      backends: [{ name: 'b', dialect: 'vllm', url: 'http://127.0.0.1:1' }],
      spend: { enabled: true, pricing: { promptUsdPerMTok: 0, completionUsdPerMTok: 1 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] },
    });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const reservedFor = async (responseBodyMode: 'STREAMED' | 'FULL_DUPLEX_STREAMED') => {
      const json = { messages: [{ role: 'user', content: HARD }] };
      const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend }), timing({ responseBodyMode }));
      if (out.kind !== 'forward') throw new Error('refused');
      expect(out.plan.rescue).toBe(responseBodyMode === 'FULL_DUPLEX_STREAMED');
      return { usd: out.plan.reservation!.reservedUsd, cap: out.plan.limits.upstreamMaxTokens };
    };
    const streamed = await reservedFor('STREAMED');
    const duplex = await reservedFor('FULL_DUPLEX_STREAMED');
    expect(streamed.usd).toBeCloseTo(streamed.cap / 1e6, 12);
    // A rescue adds at most requests.answerTokens: reserved.
    expect(duplex.usd).toBeCloseTo((duplex.cap + config.requests.answerTokens) / 1e6, 12);
  });

  it('with spend on and contextTokens: the reservation covers the limit written (held to the context), the prompt counted once and priced', async () => {
    const config = validateConfig({
      defaultDialect: 'vllm',
      tiers: Object.fromEntries(['trivial', 'simple', 'moderate', 'complex', 'deep'].map((t) => [t, { budget: 1024 }])),
      backends: [{ name: 'b', dialect: 'vllm', contextTokens: 3000 }],
      spend: { enabled: true, pricing: { promptUsdPerMTok: 1, completionUsdPerMTok: 1 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] },
    });
    const spend = new SpendController(config, new MemoryLedger(), log);
    let counted = 0;
    const json = { messages: [{ role: 'user', content: `${'word '.repeat(1000)}why?` }] };
    const out = await planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend, onPromptCounted: () => counted++ }), timing());
    if (out.kind !== 'forward') throw new Error('refused');
    const sent = JSON.parse(out.plan.body.toString()) as { max_tokens: number };
    expect(sent.max_tokens).toBe(out.plan.contextRoom);
    expect(counted).toBe(1);
    // Completion: the limit written; prompt: the worst-case bound of the same count.
    expect(out.plan.reservation!.reservedUsd).toBeCloseTo((sent.max_tokens + out.plan.prompt!.bound) / 1e6, 12);
  });

  it('continuation is planned in full duplex, or STREAMED with streamedFollowUpMs, and keeps the client request for it', () => {
    const config = validateConfig({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    const mk = () => ({ messages: [{ role: 'user', content: 'Hello' }] });
    const a = mk();
    const streamed = planRequest(head(config), a, a.messages, deps(config), timing()) as PlanOutcome;
    const b = mk();
    const duplex = planRequest(head(config), b, b.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
    if (streamed.kind !== 'forward' || duplex.kind !== 'forward') throw new Error('refused');
    expect(streamed.plan.continuation).toBe(false);
    expect(duplex.plan.continuation).toBe(true);
    expect(duplex.plan.original).toEqual(mk());
    // Cut-off: the upstream stops at the budget.
    expect(duplex.plan.limits.upstreamMaxTokens).toBe(duplex.plan.budget);
    expect(JSON.parse(duplex.plan.body.toString())).not.toHaveProperty('thinking_token_budget');
    // Without full duplex no continuation can follow, so no cut-off either: capped as native
    // (the engine's budget field, room for an answer). Before, the upstream stopped at the budget
    // inside thinking and no answer came.
    expect(streamed.plan.cutOff).toBe(false);
    expect(streamed.plan.limits.upstreamMaxTokens).toBe(streamed.plan.budget + config.requests.answerTokens);
    expect(JSON.parse(streamed.plan.body.toString()).thinking_token_budget).toBe(streamed.plan.budget);
    expect(streamed.plan.notes).toContain('no cut-off + continuation: response_body_mode STREAMED (a continuation needs FULL_DUPLEX_STREAMED, or STREAMED with requests.streamedFollowUpMs); capped as native, the stream rewrite enforces');
    // STREAMED where thinkcap may hold the last message: planned as in full duplex, and the
    // reservation covers the follow-up's answer as there.
    const held = validateConfig({ ...config, requests: { ...config.requests, streamedFollowUpMs: 30_000 } });
    const c = mk();
    const streamedHeld = planRequest(head(held), c, c.messages, deps(held), timing()) as PlanOutcome;
    if (streamedHeld.kind !== 'forward') throw new Error('refused');
    expect(streamedHeld.plan.continuation).toBe(true);
    expect(streamedHeld.plan.cutOff).toBe(true);
    expect(streamedHeld.plan.original).toEqual(mk());
    expect(streamedHeld.plan.limits.upstreamMaxTokens).toBe(streamedHeld.plan.budget);
  });

  it('a rescue is planned where Envoy lets thinkcap add to the response: full duplex, or STREAMED with streamedFollowUpMs', () => {
    const plan = (requests: Record<string, unknown>, responseBodyMode: 'STREAMED' | 'FULL_DUPLEX_STREAMED') => {
      const config = validateConfig({ defaultDialect: 'sglang', requests, backends: [{ name: 'b', dialect: 'sglang', url: 'http://127.0.0.1:1' }] });
      const json = { messages: [{ role: 'user', content: 'Hello' }] };
      const out = planRequest(head(config), json, json.messages, deps(config), timing({ responseBodyMode })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return [out.plan.rescue, out.plan.rescueAtLength];
    };
    expect(plan({}, 'FULL_DUPLEX_STREAMED')).toEqual([true, true]);
    expect(plan({}, 'STREAMED')).toEqual([false, false]);
    expect(plan({ streamedFollowUpMs: 30_000 }, 'STREAMED')).toEqual([true, true]);
  });

  it('an empty turn is rescued where thinking was expected and the request has no assistant prefill', () => {
    const config = validateConfig({ defaultDialect: 'sglang', tiers: { trivial: { budget: 0 } }, backends: [{ name: 'b', dialect: 'sglang', url: 'http://127.0.0.1:1' }] });
    const plan = (messages: Array<{ role: string; content: string }>, responseBodyMode: 'STREAMED' | 'FULL_DUPLEX_STREAMED' = 'FULL_DUPLEX_STREAMED') => {
      const json = { messages };
      const out = planRequest(head(config), json, json.messages, deps(config), timing({ responseBodyMode })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return { budget: out.plan.budget, rescue: out.plan.rescue, rescueEmpty: out.plan.rescueEmpty };
    };
    const ask = { role: 'user', content: 'Explain why the sky is blue.' };
    expect(plan([ask])).toMatchObject({ rescue: true, rescueEmpty: true });
    // The client's own prefill: an empty turn completes it.
    expect(plan([ask, { role: 'assistant', content: 'The sky is blue because' }])).toMatchObject({ rescue: true, rescueEmpty: false });
    // thinkcap turned thinking off (a zero budget): nothing was to be thought.
    expect(plan([{ role: 'user', content: 'thanks!' }])).toEqual({ budget: 0, rescue: true, rescueEmpty: false });
    // No rescue where Envoy does not let thinkcap add to the response.
    expect(plan([ask], 'STREAMED')).toMatchObject({ rescue: false, rescueEmpty: false });
  });

  it("a backend's contextTokens: the completion limit written stays inside what the prompt leaves; a client's smaller one is kept", () => {
    const config = validateConfig({ defaultDialect: 'vllm', tiers: Object.fromEntries(['trivial', 'simple', 'moderate', 'complex', 'deep'].map((t) => [t, { budget: 1024 }])), backends: [{ name: 'b', dialect: 'vllm', contextTokens: 3000 }] });
    const plan = (extra: Record<string, unknown>, content: string) => {
      const json = { messages: [{ role: 'user', content }], ...extra } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest(head(config), json, json.messages, deps(config), timing()) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return { plan: out.plan, sent: JSON.parse(out.plan.body.toString()) as { max_tokens: number; thinking_token_budget: number } };
    };
    const words = (n: number) => `${'word '.repeat(n)}why?`;
    // ~1,000 o200k tokens + 4 + 64 overhead: room ~1,930, above budget + reserve.
    const a = plan({}, words(1000));
    expect(a.plan.contextRoom).toBeGreaterThan(1900);
    expect(a.plan.contextRoom).toBeLessThan(1940);
    expect(a.sent.max_tokens).toBe(a.plan.contextRoom);
    expect(a.sent.thinking_token_budget).toBe(1024);
    expect(a.plan.notes.some((n) => /^context: 3000 tokens, prompt ~\d+: completion held to \d+$/.test(n))).toBe(true);
    // A client's own smaller limit is kept (and thinking fits inside it).
    const b = plan({ max_tokens: 500 }, words(1000));
    expect(b.sent.max_tokens).toBe(500);
    // Too little room for budget + answer: thinking lowered, as for a small max_tokens.
    const c = plan({}, words(2700));
    expect(c.sent.max_tokens).toBe(c.plan.contextRoom);
    expect(c.plan.budget).toBeLessThan(c.plan.contextRoom!);
    expect(c.plan.notes.some((n) => /lowered to \d+ to fit the context/.test(n))).toBe(true);
    // A prompt that fills the context by the estimate: no bound (the engine answers it itself).
    const d = plan({}, words(3100));
    expect(d.plan.contextRoom).toBeUndefined();
    expect(d.sent.max_tokens).toBe(1024 + config.requests.answerTokens);
  });

  it('llama.cpp continuation backend: a request with tools gets no cut-off (a raw completion returns tool calls as text); response_format does', () => {
    const config = validateConfig({ defaultDialect: 'llamacpp', backends: [{ name: 'b', dialect: 'llamacpp', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    const plan = (extra: Record<string, unknown>) => {
      const json = { messages: [{ role: 'user', content: 'Hello' }], ...extra } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest(head(config), json, json.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan;
    };
    const tools = plan({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] });
    expect(tools.cutOff).toBe(false);
    expect(tools.continuation).toBe(false);
    expect(JSON.parse(tools.body.toString()).reasoning_budget_tokens).toBe(tools.budget);
    expect(tools.limits.upstreamMaxTokens).toBe(tools.budget + config.requests.answerTokens);
    expect(tools.notes.some((n) => /its continuation would lose tool calls/.test(n))).toBe(true);
    const image = plan({ messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] });
    expect(image.cutOff).toBe(false);
    expect(image.notes.some((n) => /its continuation would lose media/.test(n))).toBe(true);
    for (const extra of [{ tools: [] }, { response_format: { type: 'json_object' } }, {}]) {
      const p = plan(extra);
      expect(p.cutOff).toBe(true);
      expect(p.continuation).toBe(true);
    }
  });

  it('vLLM continuation backend: a gpt-oss model gets no cut-off (vLLM\'s harmony path continues no final message), capped natively instead', () => {
    const config = validateConfig({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    const plan = (model: string) => {
      const json = { model, messages: [{ role: 'user', content: 'Prove that there are infinitely many primes.' }] } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest(head(config), json, json.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan;
    };
    const oss = plan('openai/gpt-oss-120b');
    expect(oss.cutOff).toBe(false);
    expect(oss.continuation).toBe(false);
    expect(JSON.parse(oss.body.toString()).thinking_token_budget).toBe(oss.budget);
    expect(oss.limits.upstreamMaxTokens).toBe(oss.budget + config.requests.answerTokens);
    expect(oss.notes.some((n) => /its continuation would lose its answer \(vLLM renders gpt-oss/.test(n))).toBe(true);
    const qwen = plan('Qwen/Qwen3-8B');
    expect(qwen.cutOff).toBe(true);
    expect(qwen.continuation).toBe(true);
  });

  it('Ollama continuation backend: tools and images get no cut-off either (its raw /api/generate continuation has neither)', () => {
    const config = validateConfig({ defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'ollama', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    const plan = (extra: Record<string, unknown>) => {
      const json = { model: 'm', messages: [{ role: 'user', content: 'Hello' }], ...extra } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest({ ...head(config), path: '/api/chat' }, json, json.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      return out.plan;
    };
    const plain = plan({});
    expect(plain.cutOff).toBe(true);
    expect(JSON.parse(plain.body.toString()).options.num_predict).toBe(plain.budget);
    for (const extra of [{ tools: [{ type: 'function', function: { name: 'f' } }] }, { messages: [{ role: 'user', content: 'What is this?', images: ['AAAA'] }] }]) {
      const p = plan(extra);
      expect(p.cutOff).toBe(false);
      expect(p.continuation).toBe(false);
      expect(JSON.parse(p.body.toString()).options.num_predict).toBe(p.budget + config.requests.answerTokens);
    }
  });

  it('Ollama continuation backend with a grace window: cut off at the budget plus the window, as the other dialects are', () => {
    for (const [dialect, path] of [['ollama', '/api/chat'], ['ollama-openai', '/v1/chat/completions']] as const) {
      const config = validateConfig({ defaultDialect: dialect, requests: { graceRatio: 0.25 }, backends: [{ name: 'b', dialect, enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
      const json = { model: 'm', messages: [{ role: 'user', content: 'Hello' }] } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest({ ...head(config), path }, json, json.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      const p = out.plan;
      expect(p.cutOff).toBe(true);
      expect(p.graceTokens).toBe(Math.ceil(p.budget * 0.25));
      expect(p.graceTokens).toBeGreaterThan(0);
      const sent = JSON.parse(p.body.toString()) as { options?: { num_predict?: number }; max_tokens?: number };
      // What the engine may generate, and what the reservation is sized on.
      expect(dialect === 'ollama' ? sent.options!.num_predict : sent.max_tokens).toBe(p.budget + p.graceTokens);
      expect(p.limits.upstreamMaxTokens).toBe(p.budget + p.graceTokens);
    }
  });

  it('several choices on a continuation backend: no cut-off, continuation or rescue (a continuation continues one choice), and the record says so', () => {
    const config = validateConfig({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
    for (const field of ['n', 'best_of'] as const) {
      const json = { messages: [{ role: 'user', content: 'Hello' }], [field]: 2 } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
      const out = planRequest(head(config), json, json.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
      if (out.kind !== 'forward') throw new Error('refused');
      expect(out.plan.choices).toBe(2);
      expect(out.plan.continuation).toBe(false);
      expect(out.plan.rescue).toBe(false);
      expect(out.plan.original).toBeNull();
      expect(out.plan.graceTokens).toBe(0);
      // Capped as on a native backend: thinking budget plus the answer allowance, so each choice can answer.
      expect(out.plan.limits.upstreamMaxTokens).toBe(out.plan.budget + config.requests.answerTokens);
      expect(JSON.parse(out.plan.body.toString()).max_tokens).toBe(out.plan.budget + config.requests.answerTokens);
      expect(out.plan.notes.some((n) => /no cut-off \+ continuation: 2 choices/.test(n))).toBe(true);
    }
    // One choice: cut off at the budget as before.
    const one = { messages: [{ role: 'user', content: 'Hello' }], n: 1 };
    const out = planRequest(head(config), one, one.messages, deps(config), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' })) as PlanOutcome;
    if (out.kind !== 'forward') throw new Error('refused');
    expect(out.plan.continuation).toBe(true);
    expect(out.plan.limits.upstreamMaxTokens).toBe(out.plan.budget + out.plan.graceTokens);
  });

  it("an SGLang backend running thinkcap's logit processor: a client's own custom_logit_processor is refused in every mode, with spend on or off", async () => {
    for (const enforcement of ['native', 'rewrite', 'continuation'] as const) {
      for (const spendOn of [false, true]) {
        const config = validateConfig({
          defaultDialect: 'sglang',
          backends: [{ name: 'b', dialect: 'sglang', enforcement, url: 'http://127.0.0.1:1', logitProcessor: 'OURS' }],
          spend: spendOn ? { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } : undefined,
        });
        const ledger = new MemoryLedger();
        let reserves = 0;
        const reserve = ledger.reserve.bind(ledger);
        ledger.reserve = (...a: Parameters<MemoryLedger['reserve']>) => (reserves++, reserve(...a));
        const spend = spendOn ? new SpendController(config, ledger, log) : null;
        const plan = (extra: Record<string, unknown>) => {
          const json = { messages: [{ role: 'user', content: 'Hello' }], ...extra } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
          return planRequest(head(config, { [config.identity.tenantHeader]: 'acme' }), json, json.messages, deps(config, { spend }), timing({ responseBodyMode: 'FULL_DUPLEX_STREAMED' }));
        };
        const out = await plan({ custom_logit_processor: '{"callable": "80049500"}' });
        expect(out.kind, `${enforcement}, spend ${spendOn}`).toBe('refuse');
        if (out.kind !== 'refuse') continue;
        expect(out.refusal.status).toBe(400);
        expect(out.refusal.code).toBe('reserved_field');
        expect(out.refusal.message).toMatch(/custom_logit_processor is set by the gateway/);
        // Refused before any reservation.
        expect(reserves).toBe(0);
        // null is the field's unset value (SGLang's default): not refused; in native mode thinkcap's own is written.
        const unset = await plan({ custom_logit_processor: null });
        if (unset.kind !== 'forward') throw new Error(`refused: ${enforcement}`);
        const sent = JSON.parse(unset.plan.body.toString()) as Record<string, unknown>;
        expect(sent.custom_logit_processor).toBe(enforcement === 'native' ? 'OURS' : null);
        expect(reserves).toBe(spendOn ? 1 : 0);
      }
    }
    // A backend without thinkcap's processor: the field is the engine's business, passed as sent.
    const config = validateConfig({ defaultDialect: 'sglang', backends: [{ name: 'b', dialect: 'sglang' }] });
    const json = { messages: [{ role: 'user', content: 'Hello' }], custom_logit_processor: 'THEIRS' };
    const out = (await planRequest(head(config), json, json.messages, deps(config), timing())) as PlanOutcome;
    if (out.kind !== 'forward') throw new Error('refused');
    expect(JSON.parse(out.plan.body.toString()).custom_logit_processor).toBe('THEIRS');
  });

  it('any client hint and any identity: planned, never thrown, the budget within the configured ceiling', () => {
    const config = validateConfig({ overrides: { tenants: { acme: { ceiling: 1000 } }, users: { bob: { scale: 2 } } } });
    const inherited = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf');
    const hint = fc.oneof(inherited, fc.constantFrom('none', 'low', 'high', 'xhigh', 'max'), fc.string({ maxLength: 12 }), fc.anything());
    const name = fc.oneof(inherited, fc.constantFrom('acme', 'bob'), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(hint, fc.oneof(fc.constant(undefined), hint), name, name, (effort, thinkingBudget, tenant, user) => {
        const json = { messages: [{ role: 'user', content: 'Hello' }], reasoning_effort: effort, thinking_budget: thinkingBudget } as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
        const h = head(config, { [config.identity.tenantHeader]: tenant, [config.identity.userHeader]: user });
        const out = planRequest(h, json, json.messages, deps(config), timing()) as PlanOutcome;
        if (out.kind !== 'forward') return false;
        return out.plan.budget >= 0 && out.plan.budget <= 8192;
      }),
      { numRuns: 2000 },
    );
  });

  it('the answer reserve lowers the budget inside a small client max_tokens, and says so', () => {
    const config = validateConfig({ defaultDialect: 'vllm' });
    const json = { messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 };
    const out = planRequest(head(config), json, json.messages, deps(config), timing()) as PlanOutcome;
    if (out.kind !== 'forward') throw new Error('refused');
    expect(out.plan.budget).toBeLessThan(out.plan.tierBudget);
    expect(out.plan.notes.some((n) => n.startsWith('answer reserve'))).toBe(true);
    expect(out.plan.limits.upstreamMaxTokens).toBe(20);
  });
});

describe('planRequest with tier routing', () => {
  it('the routed backend decides the dialect, the answer room and the fields written', async () => {
    const { Router } = await import('../../src/routing/router.js');
    const config = validateConfig({
      defaultDialect: 'vllm',
      backends: [{ name: 'small', dialect: 'ollama', pathPrefixes: ['/nothing'] }],
      routing: { enabled: true, targets: { small: { model: 'qwen3:1.7b', backend: 'small' } }, tiers: { trivial: 'small' } },
    });
    const router = new Router(config.routing, null, log);
    const json: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'Hello' }], options: { num_predict: 50 } };
    const out = await planRequest(head(config), json, json.messages as never, deps(config, { router }), timing());
    if (out.kind !== 'forward') throw new Error('refused');
    expect(out.plan.route?.target).toBe('small');
    expect(out.plan.dialect.name).toBe('ollama');
    // Ollama's own limit (options.num_predict) is the client's max, so the answer reserve applies to it.
    expect(out.plan.limits.clientMaxTokens).toBe(50);
    expect(out.plan.budget).toBeLessThan(out.plan.tierBudget);
    const sent = JSON.parse(out.plan.body.toString('utf8')) as Record<string, unknown>;
    expect(sent.model).toBe('qwen3:1.7b');
    expect(sent.think).toBe(true);
    expect(out.plan.headers['x-thinkcap-route']).toBe('small');
  });
});
