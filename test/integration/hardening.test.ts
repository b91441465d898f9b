/**
 * The ways found past the caps and budgets (no-bypass issue), each reproduced through the real
 * Envoy (and the real Redis where it is involved): the request is refused before any upstream
 * call, or charged and capped, as configured.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../devkit/stack.js';
import { clusterHttpOptions, extProcFilter, extProcStat, forwardEveryPath, freePort } from '../../devkit/envoy.js';
import { randomWords, seededText } from '../../devkit/random-text.js';
import { startRedis, type RunningRedis } from '../../devkit/redis.js';
import { ROOMY_DEADLINE, roomyTimeouts } from '../harness/timeouts.js';

const ADMIN = 'test-admin-token-0123456789';
const everyPathRoomy = (cfg: any) => {
  roomyTimeouts(cfg);
  forwardEveryPath(cfg);
};
const LIMIT = { scope: 'tenant', id: '*', window: 'total', usd: 100 };

async function post(stack: Stack, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, text: await r.text() };
}

/**
 * `total` small chat requests from `concurrency` clients: the count of each status, and the first
 * few answers of a status other than `expected` (so that a failure says what came back).
 */
async function flood(stack: Stack, total: number, concurrency: number, expected: number): Promise<{ statuses: Record<number, number>; others: string[] }> {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });
  let next = 0;
  const statuses: Record<number, number> = {};
  const others: string[] = [];
  const worker = async () => {
    while (next < total) {
      next++;
      const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await r.text();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status !== expected && others.length < 3) others.push(`${r.status} ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, others };
}

async function spent(stack: Stack, tenant = 'anonymous') {
  const r = await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/api/budget?scope=${encodeURIComponent(`tenant:${tenant}`)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const j = (await r.json()) as { budgets: Array<{ spent: number; reserved: number }> };
  return j.budgets[0] ?? { spent: 0, reserved: 0 };
}

describe('bad bodies with spend budgets on: refused before any upstream call', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Envoy waits 2 s for an answer: these check what is refused, not how fast a 6 MiB body is
    // received on a CPU shared with the other test files (an answer later than the shipped 0.2 s
    // is the documented failure-mode path, README "The no-bypass rule"; a full local run once saw
    // it here: 200 instead of 413, through failure_mode_allow).
    stack = await startStack({ thinkcap: { admin: { token: ADMIN }, spend: { enabled: true, limits: [LIMIT] } }, envoy: { mutate: roomyTimeouts } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['6,000 nested arrays (12 KB)', () => `{"messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(6000)}${']'.repeat(6000)}}`, 400],
    ['a null entry in messages', () => '{"messages":[null,{"role":"user","content":"hi"}]}', 400],
    ['max_tokens as a string', () => '{"messages":[{"role":"user","content":"hi"}],"max_tokens":"100"}', 400],
    ['a negative max_tokens', () => '{"messages":[{"role":"user","content":"hi"}],"max_tokens":-5}', 400],
    ['malformed JSON', () => '{"messages":[', 400],
    ['a 6 MiB body (over maxBodyBytes, under Envoy\'s buffer limit)', () => JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(6 * 1024 * 1024) }] }), 413],
  ])('%s', async (_name, body, status) => {
    const calls = stack.emulator.chatCalls();
    const r = await post(stack, body());
    expect(r.status).toBe(status);
    expect(JSON.parse(r.text).error.type).toBe('invalid_request_error');
    expect(stack.emulator.chatCalls()).toBe(calls);
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
    expect(extProcStat(stats, 'failure_mode_allowed')).toBe(0);
  });

  it('an empty POST gets a 400', async () => {
    const calls = stack.emulator.chatCalls();
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(stack.emulator.chatCalls()).toBe(calls);
  });

  it('a valid request still goes through, reserved and settled', async () => {
    const r = await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 100 }));
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 50));
    const b = await spent(stack);
    expect(b.spent).toBeGreaterThan(0);
    expect(b.reserved).toBe(0);
  });
});

describe('other ways to the engine with spend off: no generation API the thinking cap cannot reach', () => {
  // Before, with spend off, every other path passed untouched: an OpenAI SDK's responses.create
  // (or an Anthropic client on /v1/messages, which llama-server and vLLM serve) thought uncapped.
  // Behind routes that forward every path (a user's own): thinkcap's refusal, beneath the
  // shipped routes, which answer 404 to the unlisted ones among these themselves.
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ thinkcap: { match: { unbudgetedPaths: ['/v1/completions'] } }, envoy: { mutate: everyPathRoomy } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['/v1/responses', '/v1/messages', '/completion', '/completions', '/infill', '/generate', '/api/generate', '/inference/v1/generate', '/v1/respons%65s', '/v1/responses/', '/invocations', '/vertex_generate', '/generate_from_file', '/cohere/v2/chat'])('POST %s is refused with 403 path_not_capped and reaches no engine', async (path) => {
    const before = stack.emulator.requests.length;
    const r = await fetch(`${stack.envoy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 'Prove it', prompt: 'Prove it', messages: [{ role: 'user', content: 'Prove it' }], max_tokens: 5000 }) });
    expect(r.status).toBe(403);
    const error = JSON.parse(await r.text()).error as { code: string; message: string };
    expect(error.code).toBe('path_not_capped');
    expect(error.message).toContain('match.unbudgetedPaths');
    expect(stack.emulator.requests.length).toBe(before);
  });

  it('endpoints that generate nothing, a request without a body, and a listed path pass unread', async () => {
    const before = stack.emulator.requests.length;
    for (const path of ['/v1/embeddings', '/tokenize', '/v1/messages/count_tokens', '/v1/completions']) {
      const r = await fetch(`${stack.envoy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":"hi","content":"hi","prompt":"hi"}' });
      expect(r.status, path).not.toBe(403);
      await r.text();
    }
    expect((await fetch(`${stack.baseURL}/models`)).status).toBe(200);
    expect(stack.emulator.requests.length).toBe(before + 5);
  });
});

describe('other ways to the engine with spend budgets on: a body thinkcap does not read never passes unreserved', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      thinkcap: { admin: { token: ADMIN }, match: { unbudgetedPaths: ['/tokenize'] }, spend: { enabled: true, limits: [LIMIT] } },
      // As above: routes that forward every path, so that thinkcap's own refusal is what is tried.
      envoy: { mutate: everyPathRoomy },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['/v1/completions', '/v1/responses', '/api/generate', '/completion', '/generate', '/v1/chat/completions/'])('POST %s (another generation endpoint) is refused with 403 and reaches no engine', async (path) => {
    const before = stack.emulator.requests.length;
    const r = await fetch(`${stack.envoy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', prompt: 'Hello', max_tokens: 5000 }) });
    expect(r.status).toBe(403);
    expect(JSON.parse(await r.text()).error.code).toBe('path_not_budgeted');
    expect(stack.emulator.requests.length).toBe(before);
  });

  it.each([
    ['no content type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
  ])('a chat request sent with %s is read, reserved and capped like any other (engines parse it anyway)', async (_name, headers: Record<string, string>) => {
    const calls = stack.emulator.chatCalls();
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-thinkcap-tier')).toBe('trivial');
    await r.text();
    expect(stack.emulator.chatCalls()).toBe(calls + 1);
    const sent = stack.emulator.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.thinking_token_budget).toBe(32);
  });

  it('a request without a body, and a listed path, still pass unread', async () => {
    const before = stack.emulator.requests.length;
    expect((await fetch(`${stack.baseURL}/models`)).status).toBe(200);
    const t = await fetch(`${stack.envoy.url}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"content":"hi"}' });
    await t.text();
    expect(stack.emulator.requests.length).toBe(before + 2);
    expect(stack.emulator.requests.at(-1)!.path).toBe('/tokenize');
  });
});

describe('prompts that byte-pair encoding chokes on, with spend on: counted inside Envoy\'s message_timeout', () => {
  // The prompt's token bound is counted before the request is reserved. Each of these held the
  // event loop for seconds to minutes with js-tiktoken (32 KiB of one letter: over three minutes),
  // so that Envoy's message timeout let every request through uncapped (the shipped
  // failure_mode_allow) or failed it; a quoted special token threw and failed the request. Now
  // each costs milliseconds (benchmarks/tokenizer.ts): the roomy 2 s timeout keeps a CI machine
  // busy with other test files from failing them (one did at the shipped 0.2 s), and still
  // separates milliseconds from what the old encoder took.
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      thinkcap: { ...ROOMY_DEADLINE, admin: { token: ADMIN }, spend: { enabled: true, limits: [LIMIT] } },
      envoy: { failureModeAllow: true, mutate: roomyTimeouts },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const { pick } = seededText(11);

  it.each([
    ['32 KiB of one letter', () => 'a'.repeat(32 * 1024)],
    ['32 KiB of random letters without a space', () => pick('abcdefghijklmnopqrstuvwxyz', 32 * 1024)],
    ['8 KiB of random Chinese characters', () => pick('的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都', 8 * 1024)],
    ['a quoted special token', () => 'What does <|endoftext|> mean in a tokenizer?'],
  ])('%s: capped by thinkcap, reserved and settled, never passed by the failure mode', async (_name, content) => {
    const before = extProcStat(await stack.envoy.stats(), 'failure_mode_allowed');
    const calls = stack.emulator.chatCalls();
    const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: content() }], max_tokens: 100 }) });
    const text = await r.text();
    expect(r.status, text.slice(0, 300)).toBe(200);
    expect(r.headers.get('x-thinkcap-tier')).not.toBeNull();
    expect(stack.emulator.chatCalls()).toBe(calls + 1);
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'failure_mode_allowed')).toBe(before);
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
    await new Promise((res) => setTimeout(res, 50));
    expect((await spent(stack)).reserved).toBe(0);
  });
});

describe('a flood of large prompts with spend on: counting keeps to its time budget, every prompt still capped and reserved', () => {
  // Each prompt's token bound is counted before it is reserved (up to ~11 ms for 32 KiB of random
  // words). Past spend.promptBound.counting.budgetMs of a window, prompts are counted exactly on a
  // short head and bounded by bytes past it. The budget here is small so that the flood certainly
  // passes it; the roomy timeouts keep a busy CI machine from failing requests by lateness (the
  // shipped timeouts are measured in benchmarks/flood.ts).
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      thinkcap: { ...ROOMY_DEADLINE, admin: { token: ADMIN }, spend: { enabled: true, limits: [LIMIT], promptBound: { counting: { windowMs: 100, budgetMs: 5, headChars: 2048 } } } },
      envoy: { failureModeAllow: true, mutate: roomyTimeouts },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('40 prompts of 32 KiB of random words, 20 at a time: all capped, none passed by the failure mode, the short head counted, nothing left reserved', async () => {
    const words = randomWords(29);
    const bodies = Array.from({ length: 40 }, () => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: words(32 * 1024) }], max_tokens: 50 }));
    const calls = stack.emulator.chatCalls();
    let next = 0;
    const statuses: number[] = [];
    const tiers: (string | null)[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < bodies.length) {
          const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[next++]! });
          await r.text();
          statuses.push(r.status);
          tiers.push(r.headers.get('x-thinkcap-tier'));
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(tiers.filter((t) => t === null)).toEqual([]);
    expect(stack.emulator.chatCalls()).toBe(calls + 40);
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'failure_mode_allowed')).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const shortHead = Number(/^thinkcap_prompt_bound_short_head_total (\S+)$/m.exec(metrics)?.[1]);
    expect(shortHead).toBeGreaterThan(0);
    expect(shortHead).toBeLessThanOrEqual(40);
    expect(Number(/^thinkcap_prompt_counting_seconds_total (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 50));
    expect((await spent(stack)).reserved).toBe(0);
  });
});

describe('Envoy answers by itself (no healthy upstream): nothing is charged, nothing crashes', () => {
  let stack: Stack;
  beforeAll(async () => {
    const closed = await freePort();
    stack = await startStack({ backendPort: closed, thinkcap: { admin: { token: ADMIN }, spend: { enabled: true, limits: [LIMIT] } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a 503 from Envoy settles at $0 and leaves no reservation', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 100 }));
      expect(r.status).toBe(503);
    }
    await new Promise((res) => setTimeout(res, 100));
    expect(await spent(stack)).toMatchObject({ spent: 0, reserved: 0 });
    expect(stack.thinkcap!.history.every((h) => h.costUsd === 0 || h.costUsd === null)).toBe(true);
    expect(stack.thinkcap!.history.some((h) => h.outcome === 'error')).toBe(false);
  });
});

describe.each(['closed', 'open'] as const)('Redis stalls (SIGSTOP), onLedgerError %s: thinkcap answers inside Envoy\'s message_timeout', (mode) => {
  let stack: Stack;
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({
      thinkcap: {
        admin: { token: ADMIN },
        spend: { enabled: true, ledger: 'redis', redis: { url: redis.url, commandTimeoutMs: 1000 }, onLedgerError: mode, failOpenAllowanceUsd: 0.05, limits: [LIMIT] },
      },
      // thinkcap keeps its shipped deadline (150 ms); Envoy waits 2 s, so that the answer the
      // deadline sends is what is checked, not whether a CPU shared with the other test files
      // delivers it inside the shipped 0.2 s (a full local run once saw two answers miss it).
      envoy: { failureModeAllow: true, mutate: roomyTimeouts },
    });
    // Limits are read once before the stall (they are cached; only the reservation waits).
    expect((await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 50 }))).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('refused with 503 (closed) or let through on the allowance (open) by thinkcap itself, never by Envoy\'s failure mode; no hold comes back after SIGCONT', async () => {
    const before = await stack.envoy.stats();
    const calls = stack.emulator.chatCalls();
    redis.process.kill('SIGSTOP');
    let statuses: number[];
    const started = performance.now();
    try {
      statuses = await Promise.all(
        Array.from({ length: 10 }, () => post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 50 })).then((r) => r.status)),
      );
    } finally {
      redis.process.kill('SIGCONT');
    }
    // Before the Redis command timeout (1,000 ms): what answered was thinkcap's deadline.
    expect(performance.now() - started).toBeLessThan(900);
    if (mode === 'closed') {
      expect(statuses.every((s) => s === 503)).toBe(true);
      // The record says what the ledger answered (the client gets the generic message).
      await new Promise((res) => setTimeout(res, 50));
      expect(stack.thinkcap!.history.at(-1)!.reason).toMatch(/^thinkcap: the spend ledger is unavailable; try again shortly \(.+\)$/);
    } else expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(stack.emulator.chatCalls() - calls).toBe(statuses.filter((s) => s === 200).length);
    const after = await stack.envoy.stats();
    expect(extProcStat(after, 'message_timeouts') - extProcStat(before, 'message_timeouts')).toBe(0);
    expect(extProcStat(after, 'failure_mode_allowed') - extProcStat(before, 'failure_mode_allowed')).toBe(0);
    // The queued reservation scripts ran after SIGCONT: past their deadline, or refunded behind.
    await new Promise((res) => setTimeout(res, 500));
    expect((await spent(stack)).reserved).toBe(0);
  });
});

describe('the gRPC port with a token: only Envoy with the token may open streams', () => {
  let withToken: Stack;
  let without: Stack;
  const grpcToken = 'grpc-token-for-tests-0123456789';
  beforeAll(async () => {
    const thinkcap = { server: { grpcToken } };
    withToken = await startStack({
      thinkcap,
      envoy: { mutate: (cfg) => (extProcFilter(cfg).grpc_service.initial_metadata = [{ key: 'authorization', value: `Bearer ${grpcToken}` }]) },
    });
    without = await startStack({ thinkcap, envoy: { failureModeAllow: false } });
  });
  afterAll(async () => {
    await withToken?.stop();
    await without?.stop();
  });

  it('Envoy sending the token gets capped responses', async () => {
    const r = await fetch(`${withToken.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-thinkcap-tier')).toBe('trivial');
  });

  it('a stream without it is refused (fail-closed Envoy answers 500, the backend is not called)', async () => {
    const calls = without.emulator.chatCalls();
    const r = await fetch(`${without.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }) });
    expect(r.status).toBe(500);
    expect(without.emulator.chatCalls()).toBe(calls);
    const metrics = await (await fetch(`http://127.0.0.1:${without.thinkcap!.adminPort}/metrics`)).text();
    expect(Number(/^thinkcap_grpc_unauthenticated_total ([0-9.]+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});

describe('slow /api/events readers cannot grow memory', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({});
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('50 readers that never read: each is dropped past its bound, RSS stays bounded', async () => {
    const { createConnection } = await import('node:net');
    const r = await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }));
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 50));
    const record = stack.thinkcap!.history.at(-1)!;
    const sockets = await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<import('node:net').Socket>((resolve) => {
            const s = createConnection({ host: '127.0.0.1', port: stack.thinkcap!.adminPort }, () => {
              s.write('GET /api/events HTTP/1.1\r\nhost: x\r\n\r\n');
              s.pause(); // never read
              resolve(s);
            });
            s.on('error', () => {});
          }),
      ),
    );
    await new Promise((res) => setTimeout(res, 100));
    const rss0 = process.memoryUsage().rss;
    // 20,000 feed events: ~600 MB if every reader buffered all of them.
    for (let i = 0; i < 20_000; i++) {
      stack.thinkcap!.stats.add({ ...record, id: `flood-${i}` });
      if (i % 1000 === 999) await new Promise((res) => setImmediate(res));
    }
    await new Promise((res) => setTimeout(res, 200));
    const grown = process.memoryUsage().rss - rss0;
    const dropped = (await stack.thinkcap!.metrics.registry.getSingleMetricAsString('thinkcap_event_readers_dropped_total')).match(/ (\d+)$/m)?.[1];
    for (const s of sockets) s.destroy();
    expect(Number(dropped)).toBe(50);
    expect(grown).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);

  it(`at most MAX_EVENT_READERS readers at once: the next gets 503 until one leaves, and every reader gets each event`, async () => {
    const { createConnection } = await import('node:net');
    const { MAX_EVENT_READERS } = await import('../../src/http/dashboard.js');
    /** A reader on a raw socket: what it has received so far. */
    const open = () =>
      new Promise<{ socket: import('node:net').Socket; text: () => string }>((resolve) => {
        let got = '';
        const socket = createConnection({ host: '127.0.0.1', port: stack.thinkcap!.adminPort }, () => {
          socket.write('GET /api/events HTTP/1.1\r\nhost: x\r\n\r\n');
          resolve({ socket, text: () => got });
        });
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (got += d));
        socket.on('error', () => {});
      });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 100 && !ok(); i++) await new Promise((res) => setTimeout(res, 20));
    };
    const readers = await Promise.all(Array.from({ length: MAX_EVENT_READERS }, open));
    await until(() => readers.every((r) => r.text().startsWith('HTTP/1.1 200')));
    expect(readers.every((r) => r.text().startsWith('HTTP/1.1 200'))).toBe(true);
    const extra = await open();
    await until(() => extra.text().length > 0);
    expect(extra.text()).toMatch(/^HTTP\/1\.1 503/);
    extra.socket.destroy();
    // Each reader gets the request's event.
    const record = stack.thinkcap!.history.at(-1)!;
    stack.thinkcap!.stats.add({ ...record, id: 'to-every-reader' });
    await until(() => readers.every((r) => r.text().includes('to-every-reader')));
    expect(readers.filter((r) => r.text().includes('"id":"to-every-reader"')).length).toBe(MAX_EVENT_READERS);
    // One leaves: a new reader is served.
    readers[0]!.socket.destroy();
    await new Promise((res) => setTimeout(res, 100));
    const next = await open();
    await until(() => next.text().length > 0);
    expect(next.text()).toMatch(/^HTTP\/1\.1 200/);
    for (const r of [...readers, next]) r.socket.destroy();
  }, 60_000);
});

// Without either guard, 4 and 8 of 4,000 requests (two runs) failed this way on the dev VM on Node 20 (the
// connection closed under the resets); each guard alone keeps every stream whole.
describe.each([
  {
    guard: 'the graceful-close runtime guard only',
    drop: (cfg: any) => {
      delete clusterHttpOptions(cfg, 'thinkcap').common_http_protocol_options;
      cfg.layered_runtime = { layers: [{ name: 'static', static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true } }] };
    },
  },
  { guard: 'max_requests_per_connection only (shipped)', drop: (cfg: any) => delete cfg.layered_runtime },
  // With neither (a stock Envoy config) thinkcap raises Node's own limit on the resets one
  // connection may send (server.grpcStreamResets), where Node reads it (22 and later): on Node 26,
  // 39 of these 4,000 requests failed open without it.
  ...(Number(process.versions.node.split('.')[0]) >= 22
    ? [
        {
          guard: "neither guard in Envoy (thinkcap raises Node's reset limit itself)",
          drop: (cfg: any) => {
            delete clusterHttpOptions(cfg, 'thinkcap').common_http_protocol_options;
            delete cfg.layered_runtime;
          },
        },
      ]
    : []),
])('saturation with $guard: Envoy closes each ext_proc stream after its request', ({ drop }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 5, answerTokens: 5 }) },
      thinkcap: ROOMY_DEADLINE,
      envoy: {
        failureModeAllow: true,
        mutate: (cfg) => {
          drop(cfg);
          roomyTimeouts(cfg);
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('4,000 requests at 50 concurrent: no ext_proc stream fails, none is forwarded by the failure mode', async () => {
    expect(await flood(stack, 4000, 50, 200)).toEqual({ statuses: { 200: 4000 }, others: [] });
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
    expect(extProcStat(stats, 'failure_mode_allowed')).toBe(0);
  }, 120_000);
});

// vLLM and SGLang (uvicorn) close a connection idle for 5 s. A CI run lost 1 of 4,000 requests in
// the saturation test above to a status it did not record; a flood with pauses, the emulator
// closing connections idle 30 ms, gave Envoy's 503 "reset reason: connection termination".
// Here the crossing is made deterministic: the emulator meets any request on a connection idle
// 4.5 s with a close. The shipped idle_timeout (4s) has Envoy close the connection first.
describe.each([
  { config: 'the shipped idle_timeout (4s)', drop: false, second: 200 },
  { config: 'no idle_timeout (Envoy keeps idle connections 1 h)', drop: true, second: 503 },
])('an engine keep-alive that expires as a request arrives, with $config', ({ drop, second }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 5, answerTokens: 5 }), closeIdleAfterMs: 4500 },
      envoy: {
        mutate: (cfg) => {
          if (drop) delete clusterHttpOptions(cfg, 'llm').common_http_protocol_options.idle_timeout;
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`a request after a 5.5 s pause gets ${second}`, async () => {
    // One client connection for both requests: each Envoy worker has its own upstream pool, and a
    // second client connection could reach another worker (and a fresh upstream connection).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const hello = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${stack.baseURL}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }));
      });
    expect((await hello()).status).toBe(200);
    await new Promise((res) => setTimeout(res, 5500));
    const r = await hello();
    agent.destroy();
    expect(r.status, r.text).toBe(second);
    const closedIdle = Object.entries(await stack.envoy.stats('cluster.llm.upstream_cx_idle_timeout')).reduce((n, [, v]) => n + v, 0);
    if (second === 503) expect(r.text).toMatch(/connection termination/);
    else expect(closedIdle).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

describe('a refusal flood: the budget is exhausted and stays a budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    // $0.001 a day: the first request's worst case does not fit; every request is refused.
    stack = await startStack({
      thinkcap: { ...ROOMY_DEADLINE, spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: 0.001 }] } },
      envoy: { failureModeAllow: true, mutate: roomyTimeouts },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('3,000 requests at 50 concurrent: every one refused with 429, none reaches the backend, no stream fails', async () => {
    expect(await flood(stack, 3000, 50, 429)).toEqual({ statuses: { 429: 3000 }, others: [] });
    expect(stack.emulator.chatCalls()).toBe(0);
    const stats = await stack.envoy.stats();
    expect(extProcStat(stats, 'streams_failed')).toBe(0);
    expect(extProcStat(stats, 'failure_mode_allowed')).toBe(0);
  }, 120_000);
});

describe('admin.protectReads: dashboard, feed, history and metrics need the admin token', () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ thinkcap: { admin: { token: ADMIN, protectReads: true } } });
    admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses reads without it, accepts the bearer header, and the dashboard link sets a cookie its page uses', async () => {
    for (const path of ['/metrics', '/api/stats', '/api/history', '/dashboard', '/api/gpu']) expect((await fetch(admin + path)).status).toBe(401);
    expect((await fetch(`${admin}/health`)).status).toBe(200);
    expect((await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    expect((await fetch(`${admin}/dashboard?token=wrong-token-of-some-length`)).status).toBe(401);
    const page = await fetch(`${admin}/dashboard?token=${ADMIN}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const ac = new AbortController();
    const events = await fetch(`${admin}/api/events`, { headers: { cookie }, signal: ac.signal });
    expect(events.status).toBe(200);
    ac.abort();
    // Budget writes take the bearer header only, never the cookie.
    const put = await fetch(`${admin}/api/budget`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(401);
  });
});

describe('Redis down in fail-open mode with two replicas: the allowance is the fleet\'s', () => {
  let stack: Stack;
  let redis: RunningRedis;
  const ALLOWANCE = 0.05;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({
      replicas: 2,
      emulator: { plan: () => ({ thinkingTokens: 200, answerTokens: 20 }) },
      thinkcap: {
        admin: { token: ADMIN },
        // $100 per million completion tokens: a request's worst case (32 + 68 tokens) is $0.01 and
        // it really costs about $0.005 (32 thinking + 20 answer tokens).
        requests: { answerTokens: 68 },
        spend: {
          enabled: true,
          ledger: 'redis',
          redis: { url: redis.url, commandTimeoutMs: 200 },
          pricing: { promptUsdPerMTok: 0, completionUsdPerMTok: 100 },
          onLedgerError: 'open',
          failOpenAllowanceUsd: ALLOWANCE,
          replicas: 2,
          limits: [LIMIT],
        },
      },
    });
    expect((await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }))).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('what both replicas let through while Redis is down costs at most failOpenAllowanceUsd', async () => {
    await redis.stop();
    const before = stack.replicas.map((r) => r.history.length);
    const calls = stack.emulator.chatCalls();
    const results: number[] = [];
    for (let i = 0; i < 40; i++) results.push((await post(stack, JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }))).status);
    await new Promise((res) => setTimeout(res, 100));
    const admitted = results.filter((s) => s === 200).length;
    expect(results.every((s) => s === 200 || s === 503)).toBe(true);
    expect(stack.emulator.chatCalls() - calls).toBe(admitted);
    const cost = stack.replicas.flatMap((r, i) => r.history.slice(before[i])).reduce((sum, h) => sum + (h.outcome === 'ok' ? (h.costUsd ?? 0) : 0), 0);
    // Each replica may use ALLOWANCE / 2; without the split the two would let through ~$0.08.
    expect(admitted).toBeGreaterThan(0);
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThanOrEqual(ALLOWANCE + 1e-9);
    expect(results.filter((s) => s === 503).length).toBeGreaterThan(0);
  });
});
