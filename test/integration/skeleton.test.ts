import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcStat, forwardEveryPath } from '../../devkit/envoy.js';
import { readStream } from '../../devkit/openai.js';
import { scratchDir } from '../harness/scratch.js';

const HARD = 'Prove that there are infinitely many primes, then derive a bound on the gap between consecutive primes step by step.';
const EASY = 'Hello';

function lastChat(stack: Stack) {
  const chats = stack.emulator.requests.filter((r) => r.path === '/v1/chat/completions');
  return chats[chats.length - 1]!;
}

describe('thinkcap behind the real Envoy (vLLM dialect)', () => {
  let stack: Stack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStack({ emulator: { plan: () => ({ thinkingTokens: 5000, answerTokens: 12 }) } });
    client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('rewrites a non-streaming chat request with the tier budget and shows the tier to the client', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: HARD }] })
      .withResponse();
    const tier = response.headers.get('x-thinkcap-tier');
    const budget = Number(response.headers.get('x-thinkcap-budget'));
    expect(['complex', 'deep']).toContain(tier);
    expect(budget).toBe(tier === 'deep' ? 8192 : 2048);
    const sent = lastChat(stack).body as Record<string, unknown>;
    expect(sent.thinking_token_budget).toBe(budget);
    expect(sent.max_tokens).toBe(budget + 4096);
    // The body Envoy forwarded is exactly what thinkcap wrote (content-length kept right).
    expect(Number(lastChat(stack).headers['content-length'])).toBe(lastChat(stack).rawBody.length);
    expect(data.choices[0]!.message.content).toContain('The answer is');
    expect(data.usage!.completion_tokens).toBe(Math.min(5000, budget) + 12);
  });

  it('caps thinking for a trivial streamed request and the openai client parses the stream', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true })
      .withResponse();
    expect(response.headers.get('x-thinkcap-tier')).toBe('trivial');
    expect(response.headers.get('x-thinkcap-budget')).toBe('32');
    const seen = await readStream(stream);
    const reasoning = seen.reasoning.length;
    const content = seen.content;
    expect(reasoning).toBe(32);
    expect(content.trim().length).toBeGreaterThan(0);
    const sent = lastChat(stack).body as Record<string, any>;
    expect(sent.thinking_token_budget).toBe(32);
    expect(sent.stream_options).toMatchObject({ include_usage: true, continuous_usage_stats: true });
    // thinkcap saw the figures and recorded them.
    await new Promise((r) => setTimeout(r, 50));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.tier).toBe('trivial');
    expect(rec.thinkingTokens).toBe(32);
  });

  it('never raises the client max_tokens', async () => {
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: HARD }], max_tokens: 100 });
    const sent = lastChat(stack).body as Record<string, unknown>;
    expect(sent.max_tokens).toBe(100);
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }], max_completion_tokens: 50_000 });
    const sent2 = lastChat(stack).body as Record<string, unknown>;
    expect(sent2.max_completion_tokens).toBe(32 + 4096);
    // And as max_tokens, the one field every engine reads (Ollama's /v1 reads no other).
    expect(sent2.max_tokens).toBe(32 + 4096);
  });

  it('passes non-chat requests through untouched', async () => {
    const models = await client.models.list();
    expect(models.data[0]!.id).toBe('emulated-reasoner');
    const payload = Buffer.from('{"not":"a chat", "bytes": "\u00e9"}');
    const r = await fetch(`${stack.envoy.url}/tokenize`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
    const through = Buffer.from(await r.arrayBuffer());
    expect(r.headers.get('x-thinkcap-tier')).toBeNull();
    const rec = stack.emulator.requests.at(-1)!;
    expect(rec.path).toBe('/tokenize');
    expect(rec.rawBody.equals(payload)).toBe(true);
    // The engine's answer, as it gives it to a request sent to it directly.
    const direct = await fetch(`${stack.emulator.url}/tokenize`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(direct.status);
    expect(through.equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
  });

  it('model lists skip ext_proc (ExtProcPerRoute on the exact path) while chat paths keep it', async () => {
    const started = async () => extProcStat(await stack.envoy.stats(), 'streams_started');
    const before = await started();
    for (const path of ['/v1/models', '/v1/models?x=1']) {
      const r = await fetch(`${stack.envoy.url}${path}`);
      expect(r.status).toBe(200);
      await r.text();
    }
    expect(await started()).toBe(before);
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] });
    expect(await started()).toBe(before + 1);
  });

  it("the shipped routes: an engine's administration paths, and any path not listed (escaped, doubled slashes, under the model list), get Envoy's 404 and reach neither thinkcap nor the engine", async () => {
    const started = async () => extProcStat(await stack.envoy.stats(), 'streams_started');
    const before = { streams: await started(), engine: stack.emulator.requests.length };
    const paths = ['/slots', '/props', '/lora-adapters', '/metrics', '/sleep', '/reset_prefix_cache', '/v1/load_lora_adapter', '/flush_cache', '/update_weights_from_disk', '/api/pull', '/api/delete', '/api/create', '/v1/models/extra', '/echo', '/v1//chat/completions', '/v1/chat/complet%69ons', '/v1/chat%2Fcompletions', '/V1/CHAT/COMPLETIONS', '/v1/chat/completions/', '/inference/v1/chat/completions'];
    for (const path of paths) {
      for (const method of ['POST', 'GET']) {
        const r = await fetch(`${stack.envoy.url}${path}`, { method, ...(method === 'POST' ? { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: HARD }], lora: [{ id: 0, scale: 1 }] }), headers: { 'content-type': 'application/json' } } : {}) });
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.headers.get('content-type')).toBe('application/json');
        expect(JSON.parse(await r.text()).error.code, path).toBe('path_not_routed');
      }
    }
    expect({ streams: await started(), engine: stack.emulator.requests.length }).toEqual(before);
  });

  it('refuses by default the bodies it will not plan for, which some engine would serve uncapped: NaN and UTF-16 (Python\'s json), bad UTF-8 (Go\'s), deep nesting, a quoted limit (pydantic), a message without a role', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 70; i++) deep = [deep];
    const chat = (extra: string) => `{"model":"m","messages":[{"role":"user","content":"${HARD}"}]${extra}}`;
    const payloads: Array<[Buffer, RegExp]> = [
      // vLLM and SGLang read these with Python's json.loads (NaN is a float; bytes in UTF-16 or 32 are decoded).
      [Buffer.from(chat(',"x":NaN')), /not valid JSON/],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(chat(''), 'utf16le')]), /not valid UTF-8/],
      // Ollama (Go) replaces invalid UTF-8 inside a string.
      [Buffer.concat([Buffer.from(chat('').slice(0, -3)), Buffer.from([0xff]), Buffer.from('"}]}')]), /not valid UTF-8/],
      [Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: HARD }], metadata: deep })), /nests deeper/],
      // vLLM and SGLang (pydantic, lax) read "100000" as 100000.
      [Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: HARD }], max_tokens: '100000' })), /max_tokens must be/],
      [Buffer.from(JSON.stringify({ model: 'm', messages: [{ content: HARD }] })), /role/],
    ];
    for (const [payload, reason] of payloads) {
      const before = stack.emulator.chatCalls();
      const r = await fetch(`${stack.envoy.url}/v1/chat/completions`, { method: 'POST', body: new Uint8Array(payload), headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(reason);
      expect(stack.emulator.chatCalls()).toBe(before);
    }
  });

  it('reads and caps a chat sent as text/plain or with no content type (engines parse it as JSON anyway)', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Array<Record<string, string>>) {
      const r = await fetch(`${stack.envoy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }] }), headers });
      await r.text();
      expect(r.headers.get('x-thinkcap-tier')).toBe('trivial');
      expect((lastChat(stack).body as Record<string, unknown>).thinking_token_budget).toBe(32);
    }
  });

  it('ignores identity headers the client sets itself', async () => {
    await fetch(`${stack.envoy.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }] }),
      headers: { 'content-type': 'application/json', 'x-thinkcap-tenant': 'someone-else' },
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    expect(stack.thinkcap!.history.at(-1)!.identity.tenant).toBeUndefined();
  });
});

describe('behind a route set that forwards every path (a user\'s own, or the first round\'s prefix "/")', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ envoy: { mutate: (cfg) => forwardEveryPath(cfg) } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reads and caps a chat sent to a percent-escaped path (engines decode the path before routing; Envoy passes it as sent)', async () => {
    for (const path of ['/v1/chat/complet%69ons', '/v1/%63hat/completions']) {
      const r = await fetch(`${stack.envoy.url}${path}`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }] }), headers: { 'content-type': 'application/json' } });
      await r.text();
      expect(r.status).toBe(200);
      expect(r.headers.get('x-thinkcap-tier')).toBe('trivial');
      expect((lastChat(stack).body as Record<string, unknown>).thinking_token_budget).toBe(32);
    }
  });

  it('passes other paths through thinkcap untouched, bytes both ways', async () => {
    const started = async () => extProcStat(await stack.envoy.stats(), 'streams_started');
    const before = await started();
    const payload = Buffer.from('{"not":"a chat", "bytes": "\u00e9"}');
    const r = await fetch(`${stack.envoy.url}/echo`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
    expect(Buffer.from(await r.arrayBuffer()).equals(payload)).toBe(true);
    expect(r.headers.get('x-thinkcap-tier')).toBeNull();
    expect(stack.emulator.requests.at(-1)!.rawBody.equals(payload)).toBe(true);
    // A path that only starts like the model list still goes through thinkcap.
    await (await fetch(`${stack.envoy.url}/v1/models/extra`)).text();
    expect(await started()).toBe(before + 2);
  });
});

describe('bad input with onInvalid: passthrough', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ thinkcap: { requests: { onInvalid: 'passthrough' } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('passes malformed, non-UTF-8 and empty chat bodies through unchanged (onInvalid: passthrough)', async () => {
    for (const payload of [Buffer.from('{"messages": [ broken'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), Buffer.from('{"model":"m"}')]) {
      const before = stack.emulator.chatCalls();
      const r = await fetch(`${stack.envoy.url}/v1/chat/completions`, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json' },
      });
      await r.text();
      expect(stack.emulator.chatCalls()).toBe(before + 1);
      expect(lastChat(stack).rawBody.equals(payload)).toBe(true);
    }
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
    expect(extProcStat(stats, 'spurious_msgs_received')).toBe(0);
  });

  it('still refuses a field an engine reads under another spelling', async () => {
    const r = await fetch(`${stack.envoy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }], Max_Tokens: 100_000 }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ambiguous_field');
  });
});

describe('bad input with onInvalid: reject', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ thinkcap: { requests: { onInvalid: 'reject', maxBodyBytes: 2048 } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 400 with an OpenAI-style error and never calls the backend', async () => {
    const cases: Array<[Buffer, number, string]> = [
      [Buffer.from('{"messages": [ broken'), 400, 'invalid_json'],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400, 'invalid_request_body'],
      [Buffer.from('{"model":"m"}'), 400, 'invalid_request_body'],
      [Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] })), 413, 'request_too_large'],
    ];
    for (const [payload, status, code] of cases) {
      const r = await fetch(`${stack.envoy.url}/v1/chat/completions`, {
        method: 'POST',
        body: new Uint8Array(payload),
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(status);
      const json = (await r.json()) as { error: { code: string; message: string; type: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message).toMatch(/^thinkcap: /);
    }
    expect(stack.emulator.chatCalls()).toBe(0);
  });

  it('the openai client sees the rejection as a typed API error', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'y'.repeat(4000) }] }),
    ).rejects.toMatchObject({ status: 413 });
  });
});

describe('thinkcap down', () => {
  it('fail-open (failure_mode_allow: true): requests reach the backend untouched', async () => {
    const stack = await startStack({ noThinkcap: true, envoy: { failureModeAllow: true } });
    try {
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const { data, response } = await client.chat.completions
        .create({ model: 'm', messages: [{ role: 'user', content: EASY }] })
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get('x-thinkcap-tier')).toBeNull();
      expect(data.choices[0]!.message.content).toContain('The answer');
      expect((lastChat(stack).body as Record<string, unknown>).thinking_token_budget).toBeUndefined();
    } finally {
      await stack.stop();
    }
  });

  it('fail-closed (failure_mode_allow: false): Envoy refuses and the backend sees nothing', async () => {
    const stack = await startStack({ noThinkcap: true, envoy: { failureModeAllow: false } });
    try {
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect([500, 503, 504]).toContain((err as InstanceType<typeof OpenAI.APIError>).status);
      expect(stack.emulator.chatCalls()).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});

describe('response body FULL_DUPLEX_STREAMED (Envoy sends its modes in protocol_config)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 300, answerTokens: 15 }), eventsPerWrite: 3, splitWritesAt: 50 },
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streams and non-streams through thinkcap unchanged in content, with thinkcap headers', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true })
      .withResponse();
    expect(response.headers.get('x-thinkcap-budget')).toBe('32');
    const seen = await readStream(stream);
    const reasoning = seen.reasoning.length;
    const content = seen.content;
    expect(reasoning).toBe(32);
    expect(content.split(' ').filter(Boolean).length).toBe(15);
    const full = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] });
    expect(full.usage!.completion_tokens).toBe(32 + 15);
    const models = await client.models.list();
    expect(models.data.length).toBe(1);
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'spurious_msgs_received')).toBe(0);
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
  });
});

describe('FULL_DUPLEX_STREAMED: a whole JSON answer longer than requests.maxResponseHoldBytes', () => {
  it('is not held whole: the client gets it as the backend wrote it, marked unread, and Envoy sees no error', async () => {
    const stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 2000, answerTokens: 15 }), splitWritesAt: 1000 },
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
      thinkcap: { requests: { maxResponseHoldBytes: 4096 } },
    });
    try {
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const { data, response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: HARD }] }).withResponse();
      expect(response.headers.get('x-thinkcap-unread')).toMatch(/longer than 4096 bytes/);
      expect(['complex', 'deep']).toContain(response.headers.get('x-thinkcap-tier'));
      expect(data.choices[0]!.message.content).toContain('The answer is');
      expect(data.usage!.completion_tokens).toBe(2000 + 15);
      // A short answer is still read and rewritten as usual.
      const short = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] }).withResponse();
      expect(short.response.headers.get('x-thinkcap-unread')).toBeNull();
      expect(short.response.headers.get('x-thinkcap-thinking-tokens')).toBe('32');
      const stats = await stack.envoy.stats();
      expect(extProcStat(stats, 'spurious_msgs_received')).toBe(0);
      expect(extProcStat(stats, 'streams_failed')).toBe(0);
      await new Promise((r) => setTimeout(r, 50));
      expect(stack.thinkcap!.history.some((r) => /passed unread/.test(r.reason ?? ''))).toBe(true);
    } finally {
      await stack.stop();
    }
  });
});

describe('dynamic metadata in the Envoy access log', () => {
  it('the shipped access-log format prints thinkcap:tier, budget and thinking_tokens, and the request id that finds thinkcap\'s record', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const logPath = join(scratchDir('tc-al-'), 'access.log');
    const stack = await startStack({ envoy: { accessLogPath: logPath } });
    try {
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const s = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true });
      for await (const _ of s) void _;
      let log = '';
      for (let i = 0; i < 50 && !log.includes('thinking='); i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          log = readFileSync(logPath, 'utf8');
        } catch {
          // not written yet
        }
      }
      expect(log, log).toMatch(/"POST \/v1\/chat\/completions" 200 tier=trivial budget=32 thinking=32 /);
      // One id joins the access log, thinkcap's record and its history API: Envoy's x-request-id,
      // as the engine received it too.
      const sent = stack.emulator.requests.find((r) => r.path === '/v1/chat/completions')!.headers['x-request-id'];
      expect(sent).toMatch(/^[0-9a-f-]{36}$/);
      const record = stack.thinkcap!.history.find((r) => r.path === '/v1/chat/completions')!;
      expect(record.requestId).toBe(sent);
      expect(log).toContain(` request_id=${sent} thinkcap_id=${record.id} `);
      const admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
      const found = (await (await fetch(`${admin}/api/history?id=${sent}`)).json()) as { requests: Array<{ id: string; requestId: string }> };
      expect(found.requests.map((r) => [r.id, r.requestId])).toEqual([[record.id, sent]]);
      const byOwnId = (await (await fetch(`${admin}/api/history?id=${record.id}`)).json()) as { requests: Array<{ requestId: string }> };
      expect(byOwnId.requests.map((r) => r.requestId)).toEqual([sent]);
      expect(((await (await fetch(`${admin}/api/history?id=nothing-has-this-id`)).json()) as { requests: unknown[] }).requests).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});

describe('client disconnect mid-stream', () => {
  it('is recorded as aborted, the backend stream is cut, and other requests carry on', async () => {
    const stack = await startStack({ emulator: { plan: () => ({ thinkingTokens: 2000, answerTokens: 10 }), tokenDelayMs: 5 } });
    try {
      const ac = new AbortController();
      const r = await fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: HARD }] }),
        signal: ac.signal,
      });
      const reader = r.body!.getReader();
      await reader.read();
      await new Promise((res) => setTimeout(res, 100));
      ac.abort();
      await reader.read().catch(() => null);
      let rec = stack.thinkcap!.history.at(-1);
      for (let i = 0; i < 50 && rec?.outcome !== 'aborted'; i++) {
        await new Promise((res) => setTimeout(res, 50));
        rec = stack.thinkcap!.history.at(-1);
      }
      expect(rec?.outcome).toBe('aborted');
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const ok = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] });
      expect(ok.choices[0]!.message.content).toContain('The answer');
    } finally {
      await stack.stop();
    }
  });
});

describe('request body FULL_DUPLEX_STREAMED (a config thinkcap cannot rewrite under)', () => {
  it('passes chat requests through untouched, streaming and not', async () => {
    const stack = await startStack({
      envoy: {
        mutate: (cfg) => {
          const hcm = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
          const ep = hcm.http_filters.find((f: { name: string }) => f.name === 'envoy.filters.http.ext_proc').typed_config;
          ep.processing_mode.request_body_mode = 'FULL_DUPLEX_STREAMED';
          ep.processing_mode.request_trailer_mode = 'SEND';
        },
      },
    });
    try {
      const payload = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: HARD }] });
      const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
      expect(r.status).toBe(200);
      await r.json();
      expect(lastChat(stack).rawBody.toString()).toBe(payload);
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
      const s = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: EASY }] });
      let content = '';
      for await (const c of s) content += c.choices[0]?.delta?.content ?? '';
      expect(content).toContain('The answer');
      const stats = await stack.envoy.stats();
      expect(extProcStat(stats, 'streams_failed')).toBe(0);
      expect(extProcStat(stats, 'spurious_msgs_received')).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});
