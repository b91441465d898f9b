/**
 * Bounded soak: thinkcap as its own process behind the real Envoy and the emulator, mixed
 * traffic (streaming and whole answers, tiers, bad bodies, a tenant whose budget runs out) plus
 * live-feed readers that never read, for a fixed time. Prints thinkcap's RSS and heap (its own
 * /metrics) over time, then the totals. Stops by itself.
 *
 *   npm run build && node dist/benchmarks/soak.js [--minutes 10] [--readers 20] [--concurrency 8]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../src/paths.js';
import { startStack } from '../devkit/stack.js';
import { freePort, httpConnectionManager } from '../devkit/envoy.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const MINUTES = arg('minutes', 10);
const READERS = arg('readers', 20);
const CONCURRENCY = arg('concurrency', 8);

const PROMPTS = ['Hi!', 'What is the capital of Canada?', 'Compare REST and gRPC for internal services.', 'Prove that there are infinitely many primes, step by step.'];
const BAD = ['{"messages":[', `{"messages":[{"role":"user","content":"x"}],"x":${'['.repeat(500)}${']'.repeat(500)}}`, '{"messages":[null]}', '{"messages":[{"role":"user","content":"x"}],"max_tokens":"9"}'];

async function metric(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-soak-'));
  const grpcPort = await freePort();
  const adminPort = await freePort();
  writeFileSync(
    join(dir, 'thinkcap.yaml'),
    stringify({
      server: { grpcPort, adminPort },
      log: { level: 'warn' },
      // One tenant whose budget runs out (refusals), the rest within theirs (served).
      spend: { enabled: true, limits: [{ scope: 'tenant', id: 'capped', window: 'hour', usd: 0.05 }] },
    }),
  );
  const child = spawn(process.execPath, [join(packageRoot(), 'dist/src/cli.js'), 'serve', '--config', join(dir, 'thinkcap.yaml')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stack = await startStack({
    noThinkcap: true,
    emulator: { plan: () => ({ thinkingTokens: 120, answerTokens: 30 }), tokenDelayMs: 1 },
    // The load generator plays the authenticating edge: it sets the tenant header itself, so the
    // shipped strip filter is left out of this Envoy.
    envoy: { thinkcapPort: grpcPort, mutate: (cfg) => (httpConnectionManager(cfg).http_filters = httpConnectionManager(cfg).http_filters.filter((f: { name: string }) => f.name !== 'envoy.filters.http.header_mutation')) },
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/health`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Readers of the live feed that never read: their buffers must stay bounded.
  const readers: Socket[] = [];
  for (let i = 0; i < READERS; i++) {
    const s = createConnection({ host: '127.0.0.1', port: adminPort }, () => {
      s.write('GET /api/events HTTP/1.1\r\nhost: soak\r\n\r\n');
      s.pause();
    });
    s.on('error', () => {});
    readers.push(s);
  }
  const end = Date.now() + MINUTES * 60_000;
  const counts = new Map<string, number>();
  let n = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const i = n++;
      const bad = i % 10 === 9;
      const stream = i % 2 === 0;
      const body = bad ? BAD[i % BAD.length]! : JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: PROMPTS[i % PROMPTS.length] }] });
      try {
        const tenant = i % 4 === 0 ? 'capped' : `tenant-${i % 50}`;
        const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-thinkcap-tenant': tenant }, body });
        await r.arrayBuffer();
        counts.set(String(r.status), (counts.get(String(r.status)) ?? 0) + 1);
      } catch {
        counts.set('error', (counts.get('error') ?? 0) + 1);
      }
    }
  };
  const started = Date.now();
  console.log('| minute | requests | thinkcap RSS MB | heap used MB | feed readers dropped |');
  console.log('|---:|---:|---:|---:|---:|');
  const sample = async () => {
    const rss = (await metric(adminPort, 'thinkcap_process_resident_memory_bytes')) / 2 ** 20;
    const heap = (await metric(adminPort, 'thinkcap_nodejs_heap_size_used_bytes')) / 2 ** 20;
    const dropped = await metric(adminPort, 'thinkcap_event_readers_dropped_total');
    console.log(`| ${((Date.now() - started) / 60_000).toFixed(1)} | ${n} | ${rss.toFixed(0)} | ${heap.toFixed(0)} | ${dropped} |`);
  };
  await sample();
  const timer = setInterval(() => void sample(), Math.max(10_000, (MINUTES * 60_000) / 10));
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(timer);
  await sample();
  const stats = await stack.envoy.stats();
  console.log(`\nstatuses: ${[...counts].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  const stat = (name: string) => Object.entries(stats).filter(([k]) => k.endsWith(`ext_proc.${name}`)).reduce((a, [, v]) => a + v, 0);
  console.log(`Envoy ext_proc: streams_failed ${stat('streams_failed')}, message_timeouts ${stat('message_timeouts')}, failure_mode_allowed ${stat('failure_mode_allowed')}`);
  for (const s of readers) s.destroy();
  await stack.stop();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
