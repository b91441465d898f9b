import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { extProcFilter } from '../../devkit/envoy.js';
import { startStack, type Stack } from '../../devkit/stack.js';
import { FOLLOW_UP_KINDS } from '../../src/stream/rewriter.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> what is 2+2?';

describe('dashboard and metrics while requests flow through Envoy', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 400, answerTokens: 10 }) },
      thinkcap: { dashboard: { promptPreview: true } },
      // The feed must show every request classified. On a loaded CI machine (Chromium starting,
      // other test files in parallel) the first ext_proc exchange once passed Envoy's 200 ms and
      // the request went through failed open, unclassified; message timeouts have their own tests.
      envoy: { mutate: (cfg) => (extProcFilter(cfg).message_timeout = '2s') },
    });
    admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('the live feed updates, a <script> prompt renders as text, a screenshot is saved', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${admin}/dashboard`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', undefined, { timeout: 10_000 });
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'x', maxRetries: 0 });
    const prompts = ['Hello', EVIL, 'Compare REST and GraphQL for a mobile backend. What are the trade-offs?'];
    for (const content of prompts) {
      const s = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content }] });
      for await (const _ of s) void _;
    }
    await page.waitForFunction(() => document.querySelectorAll('#feed tbody tr').length >= 3, undefined, { timeout: 10_000 });
    const cells = await page.$$eval('#feed td.prompt', (tds) => tds.map((t) => t.textContent));
    expect(cells).toContain(EVIL);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('#feed script, #feed img', (n) => n.length)).toBe(0);
    const tiers = await page.$$eval('#feed tbody tr td:nth-child(3)', (tds) => tds.map((t) => t.textContent));
    expect(tiers).toEqual(expect.arrayContaining(['trivial', 'moderate']));
    // No continuation ran: the outcome alone (a follow-up would read "ok · rescued").
    expect(await page.$$eval('#feed tbody tr td:nth-child(10)', (tds) => tds.map((t) => t.textContent))).toEqual(['ok', 'ok', 'ok']);
    // Each row names the gateway's request id on hover, as the engine received it.
    const ids = stack.emulator.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => `request ${String(r.headers['x-request-id'])}`);
    expect((await page.$$eval('#feed tbody tr', (trs) => trs.map((t) => (t as HTMLElement).title))).sort()).toEqual(ids.sort());
    // Every kind of follow-up a record can carry has its words in the feed.
    const notes = await page.evaluate((kinds) => kinds.map((kind) => (window as unknown as { followUpNote: (f: unknown) => string }).followUpNote({ kind, failed: false })), [...FOLLOW_UP_KINDS]);
    expect(notes.filter((n) => !/^ · \w/.test(n))).toEqual([]);
    await page.waitForFunction(() => document.getElementById('t-requests')?.textContent === '3', undefined, { timeout: 5000 });
    const dir = join(packageRoot(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('serves everything itself: no request leaves for another origin', async () => {
    const page = await browser.newPage();
    const origins = new Set<string>();
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    await page.goto(`${admin}/dashboard`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');
    expect([...origins]).toEqual([admin]);
    await page.close();
  });

  it('/metrics has requests, thinking, savings, histograms; the APIs answer', async () => {
    const text = await (await fetch(`${admin}/metrics`)).text();
    expect(text).toMatch(/thinkcap_requests_total\{tier="trivial",route="chat",dialect="vllm",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/thinkcap_thinking_tokens_budgeted_total\{tier="trivial"\} \d+/);
    expect(text).toMatch(/thinkcap_thinking_tokens_used_total\{tier="trivial"\} \d+/);
    // The emulator reports its natural length (400): trivial saved 400 - 32 per request.
    expect(text).toMatch(/thinkcap_thinking_tokens_saved_total\{tier="trivial"\} 368/);
    expect(text).toMatch(/thinkcap_classifier_seconds_count [1-9]/);
    expect(text).toMatch(/thinkcap_chunk_processing_seconds_count [1-9]/);
    expect(text).toMatch(/thinkcap_cost_usd_total\{tier="trivial",basis="tokens"\} [0-9.e-]+/);
    expect(text).toContain('thinkcap_process_cpu_seconds_total');
    const stats = (await (await fetch(`${admin}/api/stats`)).json()) as { totals: { requests: number; byTier: Record<string, number> } };
    expect(stats.totals.requests).toBeGreaterThanOrEqual(3);
    const hist = (await (await fetch(`${admin}/api/history?limit=2`)).json()) as { requests: unknown[] };
    expect(hist.requests).toHaveLength(2);
    expect((await fetch(`${admin}/api/history?limit=abc`)).status).toBe(400);
    const cls = await fetch(`${admin}/api/classify`, { method: 'POST', body: JSON.stringify({ query: 'Hello' }) });
    expect(await cls.json()).toMatchObject({ tier: 'trivial', budget: 32 });
    expect((await fetch(`${admin}/api/gpu`)).status).toBe(200);
  });
});
