import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startStack, type Stack, type StackOptions } from '../../devkit/stack.js';
import { httpConnectionManager } from '../../devkit/envoy.js';
import { startRedis, type RunningRedis } from '../../devkit/redis.js';
import { RedisLedger } from '../../src/ledger/redis.js';
import { SpendController } from '../../src/budget/spend.js';
import { validateConfig } from '../../src/config/load.js';
import { startServe } from '../harness/serve.js';
import { pino } from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOKEN = 'test-admin-token-0123456789';
const T0 = Date.UTC(2026, 10, 22, 10, 0);

/**
 * Stand-in for jwt_authn claim_to_headers: after the shipped filter strips client-sent identity
 * headers, Envoy sets x-thinkcap-tenant from a header our tests use as "the verified token".
 */
function trustedTenantFilter(cfg: any): void {
  const hcm = httpConnectionManager(cfg);
  hcm.http_filters.splice(1, 0, {
    name: 'test.identity_from_token',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      mutations: {
        request_mutations: [
          { append: { header: { key: 'x-thinkcap-tenant', value: '%REQ(x-verified-tenant)%' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } },
        ],
      },
    },
  });
}

async function chat(stack: Stack, tenant: string | null, content = 'Hello', extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (tenant) headers['x-verified-tenant'] = tenant;
  const r = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], max_tokens: 200 }),
  });
  return { status: r.status, headers: r.headers, body: (await r.json()) as any };
}

async function budget(stack: Stack, scope: string, replica = 0) {
  const r = await fetch(`http://127.0.0.1:${stack.replicas[replica]!.adminPort}/api/budget?scope=${encodeURIComponent(scope)}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await r.json()) as { budgets: Array<{ window: string; unit: string; limit: number; spent: number; reserved: number; remaining: number; resetAt: string | null; softReached: boolean; hardReached: boolean }> };
}

// Pricing chosen so one request's worst case is easy to reason about: $0.01 per completion token
// slot, nothing for the prompt. A trivial request (budget 32, max_tokens 200) reserves $2.00 and
// really costs (32 thinking + 20 answer tokens) = $0.52.
const pricing = { promptUsdPerMTok: 0, completionUsdPerMTok: 10_000 };

describe('spend budgets with two replicas sharing one Redis', () => {
  let redis: RunningRedis;
  let stack: Stack;
  let now = T0;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({
      replicas: 2,
      clock: () => now,
      emulator: { plan: () => ({ thinkingTokens: 300, answerTokens: 20 }), tokenDelayMs: 0 },
      thinkcap: {
        admin: { token: TOKEN },
        spend: {
          enabled: true,
          ledger: 'redis',
          redis: { url: redis.url, commandTimeoutMs: 1000 },
          pricing,
          limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 30 }],
        },
        // Envoy's message_timeout is raised to 2 s below; thinkcap's own deadline follows it.
        requests: { deadlineMs: 1500 },
      },
      envoy: {
        mutate: (cfg) => {
          trustedTenantFilter(cfg);
          // 300 concurrent requests through two replicas on a small CI machine.
          cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.find((f: any) => f.name === 'envoy.filters.http.ext_proc').typed_config.message_timeout = '2s';
        },
      },
    } satisfies StackOptions);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('300 concurrent requests: settled spend never exceeds the cap, refused ones reach no upstream', async () => {
    const results = await Promise.all(Array.from({ length: 300 }, () => chat(stack, 'acme')));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(300);
    expect(ok.length).toBeGreaterThanOrEqual(15); // $30 / $2 worst case: at least 15 fit
    expect(refused.length).toBeGreaterThan(0);
    expect(stack.emulator.chatCalls()).toBe(ok.length);
    await new Promise((r) => setTimeout(r, 200));
    const b = (await budget(stack, 'tenant:acme')).budgets[0]!;
    expect(b.reserved).toBeCloseTo(0, 6);
    expect(b.spent).toBeLessThanOrEqual(30);
    expect(b.spent).toBeCloseTo(ok.length * 0.52, 6);
    // Both replicas took part.
    expect(stack.replicas.every((r) => r.history.length > 0)).toBe(true);

    const e = refused[0]!;
    expect(e.body.error.type).toBe('insufficient_quota');
    expect(e.body.error.code).toBe('budget_exceeded');
    expect(e.body.error.message).toMatch(/day budget of tenant 'acme' is exhausted: \$[\d.]+ of \$30\.00 remaining.*resets 2026-11-23T00:00:00\.000Z/);
    expect(Number(e.headers.get('retry-after'))).toBe(14 * 3600);
  });

  it("Prometheus shows each tenant's requests, refusals and cost, and the cost is what the ledger settled", async () => {
    const metric = async (name: string) => {
      let sum = 0;
      for (const r of stack.replicas) {
        const text = await (await fetch(`http://127.0.0.1:${r.adminPort}/metrics`)).text();
        for (const line of text.split('\n')) if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    };
    const ok = await metric('thinkcap_tenant_requests_total{tenant="acme",outcome="ok"}');
    const refused = await metric('thinkcap_tenant_requests_total{tenant="acme",outcome="rejected"}');
    expect(ok + refused).toBe(300);
    expect(ok).toBe(stack.emulator.chatCalls());
    const b = (await budget(stack, 'tenant:acme')).budgets[0]!;
    expect(await metric('thinkcap_tenant_cost_usd_total{tenant="acme"}')).toBeCloseTo(b.spent, 6);
    expect(await metric('thinkcap_tenant_thinking_tokens_total{tenant="acme"}')).toBe(ok * 32);
  });

  it('another tenant has its own budget; the next day the budget is back (time injected)', async () => {
    // Refunds freed part of acme's cap; use it up.
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) status = (await chat(stack, 'acme')).status;
    expect(status).toBe(429);
    const b = (await budget(stack, 'tenant:acme')).budgets[0]!;
    expect(b.spent).toBeLessThanOrEqual(30);
    expect(b.remaining).toBeLessThan(2);
    expect((await chat(stack, 'globex')).status).toBe(200);
    expect((await chat(stack, 'acme')).status).toBe(429);
    now = T0 + 86_400_000;
    expect((await chat(stack, 'acme')).status).toBe(200);
    now = T0;
  });

  it('the openai client gets a typed 429 error', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-verified-tenant': 'acme' } });
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('admin API: token required; create, read and delete a budget', async () => {
    const admin = `http://127.0.0.1:${stack.replicas[1]!.adminPort}/api/budget`;
    expect((await fetch(`${admin}?scope=tenant:acme`)).status).toBe(401);
    const bad = await fetch(admin, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ scope: 'tenant:x', window: 'week', usd: 1 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/window/);
    const ok = await fetch(admin, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ scope: 'tenant:initech', window: 'hour', usd: 1 }) });
    expect(ok.status).toBe(200);
    // Replicas re-read admin-set limits once a second.
    await new Promise((r) => setTimeout(r, 1100));
    // Set through replica 1, enforced by both (the limit lives in Redis).
    const results = await Promise.all(Array.from({ length: 6 }, () => chat(stack, 'initech')));
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    const view = await budget(stack, 'tenant:initech', 0);
    expect(view.budgets.find((b) => b.window === 'hour')).toMatchObject({ limit: 1, hardReached: false });
    const del = await fetch(`${admin}?scope=tenant:initech&window=hour`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(del.status).toBe(200);
  });

  it('a replica stopped mid-stream settles what was generated and keeps the rest of the spend', async () => {
    expect((await chat(stack, 'hooli')).status).toBe(200);
    const settled = (await budget(stack, 'tenant:hooli')).budgets[0]!.spent;
    expect(settled).toBeCloseTo(0.52, 6);
    stack.emulator.options.tokenDelayMs = 20;
    const streaming = fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-verified-tenant': 'hooli' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 200 }),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 150));
    expect((await budget(stack, 'tenant:hooli')).budgets[0]!.reserved).toBeCloseTo(2, 6);
    for (const r of stack.replicas) await r.stop(0);
    await streaming.catch(() => '');
    stack.emulator.options.tokenDelayMs = 0;
    const ledger = new RedisLedger({ ...validateConfig({}).spend.redis, url: redis.url });
    await ledger.ready(2000);
    const spend = new SpendController(validateConfig({ spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 30 }] } }), ledger, pino({ level: 'silent' }), () => now);
    const [c] = await spend.countersFor({ tenant: 'hooli' }, now, Date.now() + 10_000);
    const st = await ledger.state(c!, now);
    // The cut stream was settled with the tokens generated before the stop; nothing is left reserved.
    expect(st.reserved).toBeCloseTo(0, 6);
    expect(st.spent).toBeGreaterThan(settled);
    expect(st.spent).toBeLessThan(settled + 2);
    await ledger.close();
  });
});

describe('a replica killed mid-stream (SIGKILL: no chance to settle)', () => {
  it('loses no settled spend; its reservation is released after the TTL', async () => {
    const redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'tc-kill-'));
    // Everything started is stopped in the finally below, whichever start fails (a thinkcap that
    // refused its config once left this Redis running after the run).
    let serve: Awaited<ReturnType<typeof startServe>> | undefined;
    let stack: Stack | undefined;
    let ledger: RedisLedger | undefined;
    try {
      serve = await startServe(dir, ({ grpcPort, adminPort }) => ({
        server: { grpcHost: '127.0.0.1', grpcPort, adminHost: '127.0.0.1', adminPort },
        log: { level: 'warn' },
        spend: { enabled: true, ledger: 'redis', redis: { url: redis.url }, pricing, reservationTtlSeconds: 60, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: 30 }] },
      }), { path: '/health' });
      const child = serve.child;
      stack = await startStack({
        noThinkcap: true,
        emulator: { plan: () => ({ thinkingTokens: 300, answerTokens: 20 }), tokenDelayMs: 20 },
        envoy: { thinkcapPort: serve.grpcPort, mutate: trustedTenantFilter },
      });
      ledger = new RedisLedger({ ...validateConfig({}).spend.redis, url: redis.url });
      await ledger.ready(2000);
      stack.emulator.options.tokenDelayMs = 0;
      expect((await chat(stack, 'umbrella')).status).toBe(200);
      const spend = new SpendController(validateConfig({ spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: 30 }] } }), ledger, pino({ level: 'silent' }));
      const [c] = await spend.countersFor({ tenant: 'umbrella' }, Date.now(), Date.now() + 10_000);
      const settled = (await ledger.state(c!, Date.now())).spent;
      expect(settled).toBeGreaterThan(0);
      stack.emulator.options.tokenDelayMs = 20;
      const streaming = fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-verified-tenant': 'umbrella' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 200 }),
      }).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 200));
      expect((await ledger.state(c!, Date.now())).reserved).toBeCloseTo(2, 6);
      child.kill('SIGKILL');
      await streaming.catch(() => '');
      const now = Date.now();
      expect(await ledger.state(c!, now)).toEqual({ spent: settled, reserved: 2 });
      // Past the reservation TTL (time injected), the orphaned hold is gone and the spend stays.
      const later = await ledger.state(c!, now + 61_000);
      expect(later.reserved).toBeCloseTo(0, 6);
      expect(later.spent).toBe(settled);
    } finally {
      serve?.child.kill('SIGKILL');
      await ledger?.close();
      await stack?.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spend budgets: soft cap, pressure, identity, ledger down', () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('soft cap adds x-thinkcap-budget-warning; pressure lowers the tier', async () => {
    const stack = await startStack({
      clock: () => T0,
      emulator: { plan: () => ({ thinkingTokens: 300, answerTokens: 20 }) },
      thinkcap: {
        spend: { enabled: true, pricing, pressure: { fraction: 0.5, maxTier: 'trivial' }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10, softFraction: 0.3 }] },
      },
      envoy: { mutate: trustedTenantFilter },
    });
    try {
      const hard = 'Compare REST and GraphQL for a mobile backend. What are the trade-offs?';
      const first = await chat(stack, 'acme', hard);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-thinkcap-tier')).toBe('moderate');
      expect(first.headers.get('x-thinkcap-budget-warning')).toBeNull();
      const second = await chat(stack, 'acme', hard);
      expect(second.headers.get('x-thinkcap-budget-warning')).toMatch(/^tenant:acme day \d+% of \$10\.00$/);
      // Past half the cap the moderate question is held to the trivial tier's budget.
      let third = await chat(stack, 'acme', hard);
      for (let i = 0; i < 3 && third.headers.get('x-thinkcap-tier') !== 'trivial'; i++) third = await chat(stack, 'acme', hard);
      expect(third.headers.get('x-thinkcap-tier')).toBe('trivial');
      expect(stack.thinkcap!.history.at(-1)!.pressure).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  it('no identity: refused with 401 when configured so, and no upstream call', async () => {
    const stack = await startStack({
      thinkcap: { spend: { enabled: true, onMissingIdentity: 'refuse', limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } },
      envoy: { mutate: trustedTenantFilter },
    });
    try {
      // A client-set identity header is stripped by Envoy: still anonymous.
      const r = await chat(stack, null, 'Hello', { 'x-thinkcap-tenant': 'acme' });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('missing_identity');
      expect(stack.emulator.chatCalls()).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  it('Redis down, fail-closed: 503 and no upstream call', async () => {
    const stack = await startStack({
      thinkcap: { spend: { enabled: true, ledger: 'redis', onLedgerError: 'closed', redis: { url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } },
      envoy: { mutate: trustedTenantFilter },
    });
    try {
      const r = await chat(stack, 'acme');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('budget_ledger_unavailable');
      expect(stack.emulator.chatCalls()).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  it('Redis restarted: with no persistence the spend is gone and thinkcap counts and logs that; with an append-only file nothing is lost or reported', async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (const persist of [false, true]) {
      const r = await startRedis({ persist });
      const stack = await startStack({
        clock: () => T0,
        emulator: { plan: () => ({ thinkingTokens: 30, answerTokens: 20 }) },
        thinkcap: { admin: { token: TOKEN }, spend: { enabled: true, ledger: 'redis', pricing, redis: { url: r.url, commandTimeoutMs: 200 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 100 }] } },
        envoy: { mutate: trustedTenantFilter },
      });
      const lost = async () => (await stack.thinkcap!.metrics.ledgerDataLost.get()).values[0]?.value ?? 0;
      try {
        for (let i = 0; i < 2; i++) expect((await chat(stack, 'acme')).status).toBe(200);
        const before = (await budget(stack, 'tenant:acme')).budgets[0]!.spent;
        expect(before).toBeGreaterThan(0);
        await r.restart();
        // thinkcap reconnects by itself, and reads the ledger's identity on the way.
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          await pause(100);
          status = (await chat(stack, 'acme')).status;
        }
        expect(status).toBe(200);
        for (let i = 0; i < 20 && (await lost()) === 0; i++) await pause(100);
        const after = (await budget(stack, 'tenant:acme')).budgets[0]!.spent;
        if (persist) {
          expect(await lost(), 'persisted').toBe(0);
          expect(after).toBeCloseTo((before * 3) / 2, 9);
        } else {
          // The two requests before the restart are gone: only the one after it is counted.
          expect(await lost(), 'not persisted').toBe(1);
          expect(after).toBeCloseTo(before / 2, 9);
        }
      } finally {
        await stack.stop();
        await r.stop();
      }
    }
  });

  it('a Redis that may evict the ledger\'s keys when full is reported (metric and warning); one that may not is not', async () => {
    for (const evicting of [true, false]) {
      const r = await startRedis();
      if (evicting) {
        r.cli('config', 'set', 'maxmemory', '256mb');
        r.cli('config', 'set', 'maxmemory-policy', 'allkeys-lru');
      }
      const stack = await startStack({
        clock: () => T0,
        thinkcap: { admin: { token: TOKEN }, spend: { enabled: true, ledger: 'redis', pricing, redis: { url: r.url, commandTimeoutMs: 200 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 100 }] } },
        envoy: { mutate: trustedTenantFilter },
      });
      try {
        const metrics = async () => (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/metrics`)).text();
        let text = await metrics();
        for (let i = 0; i < 40 && !/^thinkcap_budget_ledger_evictable 1$/m.test(text) && evicting; i++) {
          await new Promise((res) => setTimeout(res, 50));
          text = await metrics();
        }
        expect(text).toMatch(evicting ? /^thinkcap_budget_ledger_evictable 1$/m : /^thinkcap_budget_ledger_evictable 0$/m);
        // The budget still works: the warning is advice, not a refusal.
        expect((await chat(stack, 'acme')).status).toBe(200);
      } finally {
        await stack.stop();
        await r.stop();
      }
    }
  });

  it('Redis down, fail-open: a bounded local allowance, reconciled when Redis returns', async () => {
    const r2 = await startRedis();
    const stack = await startStack({
      clock: () => T0,
      emulator: { plan: () => ({ thinkingTokens: 300, answerTokens: 20 }) },
      thinkcap: {
        admin: { token: TOKEN },
        spend: { enabled: true, ledger: 'redis', onLedgerError: 'open', failOpenAllowanceUsd: 5, pricing, redis: { url: r2.url, commandTimeoutMs: 100 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 100 }] },
      },
      envoy: { mutate: trustedTenantFilter },
    });
    try {
      await r2.pause();
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await chat(stack, 'acme')).status);
      // $5 allowance, $2 worst case each: two at a time fit; settled ones free their unused part.
      expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
      expect(stack.thinkcap!.spend.pendingReconciliation).toBeGreaterThan(0);
      await r2.restart();
      let view: Awaited<ReturnType<typeof budget>> | null = null;
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 200));
        if (stack.thinkcap!.spend.pendingReconciliation === 0) {
          view = await budget(stack, 'tenant:acme');
          break;
        }
      }
      expect(view).not.toBeNull();
      expect(view!.budgets[0]!.spent).toBeCloseTo(results.filter((s) => s === 200).length * 0.52, 6);
    } finally {
      await stack.stop();
      await r2.stop();
    }
  });
});
