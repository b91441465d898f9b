/**
 * A flood of large prompts through the real Envoy with the shipped timeouts (message_timeout
 * 0.2 s, requests.deadlineMs 150) and `failure_mode_allow: true`, spend on: how many requests
 * thinkcap caps and reserves, and how many Envoy's failure mode forwards uncapped because the
 * answer came too late. Each prompt's token bound is counted before it is reserved; the flood
 * runs twice in one go, with the counting time budget off (every prompt counted in full, as
 * before spend.promptBound.counting) and at its defaults.
 *
 *   npm run build && node dist/benchmarks/flood.js [--n 300] [--concurrency 30] [--kib 32]
 *
 * thinkcap runs as `thinkcap serve` in its own process (as in production); the client, Envoy
 * and the emulator share this machine's cores with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../devkit/stack.js';
import { extProcStat } from '../devkit/envoy.js';
import { randomWords } from '../devkit/random-text.js';
import { startServe } from '../test/harness/serve.js';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const N = arg('--n', 300);
const CONCURRENCY = arg('--concurrency', 30);
const KIB = arg('--kib', 32);

const words = randomWords(20261202);

interface Outcome {
  capped: number;
  uncapped: number;
  other: Record<number, number>;
  failureModeAllowed: number;
  shortHead: number;
  countingSeconds: number;
  seconds: number;
  /** Which requests (in the order sent) came back uncapped. */
  uncappedAt: number[];
}

async function flood(counting: Record<string, number> | null, bodies: readonly string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-flood-'));
  const serve = await startServe(dir, ({ grpcPort, adminPort }) => ({
    server: { grpcPort, adminPort },
    log: { level: 'warn' },
    admin: { token: 'flood-admin-token-0123456789' },
    spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1000 }], promptBound: counting === null ? {} : { counting } },
  }));
  const stack = await startStack({
    noThinkcap: true,
    emulator: { plan: () => ({ thinkingTokens: 20, answerTokens: 5 }) },
    envoy: { thinkcapPort: serve.grpcPort, thinkcapPorts: [serve.grpcPort], failureModeAllow: true },
  });
  try {
    const out: Outcome = { capped: 0, uncapped: 0, other: {}, failureModeAllowed: 0, shortHead: 0, countingSeconds: 0, seconds: 0, uncappedAt: [] };
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bodies.length) {
          const at = next++;
          const body = bodies[at]!;
          const r = await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await r.text();
          if (r.status !== 200) out.other[r.status] = (out.other[r.status] ?? 0) + 1;
          else if (r.headers.get('x-thinkcap-tier') !== null) out.capped++;
          else {
            out.uncapped++;
            out.uncappedAt.push(at);
          }
        }
      }),
    );
    out.seconds = (performance.now() - t0) / 1000;
    out.failureModeAllowed = extProcStat(await stack.envoy.stats(), 'failure_mode_allowed');
    const metrics = await (await fetch(`http://127.0.0.1:${serve.adminPort}/metrics`, { headers: { authorization: 'Bearer flood-admin-token-0123456789' } })).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    out.shortHead = metric('thinkcap_prompt_bound_short_head_total');
    out.countingSeconds = metric('thinkcap_prompt_counting_seconds_total');
    return out;
  } finally {
    serve.child.kill('SIGKILL');
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bodies = Array.from({ length: N }, () => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: words(KIB * 1024) }], max_tokens: 50 }));
console.log(`\n### a flood of ${N} prompts of ${KIB} KiB of random words, ${CONCURRENCY} at a time (shipped timeouts, failure_mode_allow: true, spend on)\n`);
console.log('| token counting | capped and reserved by thinkcap | forwarded uncapped (Envoy failure mode) | other statuses | counted on a short head | counting time (s) | wall (s) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const where: string[] = [];
for (const [label, counting] of [
  ['every prompt in full (no time budget, no limit per prompt)', { budgetMs: 1e9, promptMs: 1e9 }],
  ['time budget at its defaults', null],
] as const) {
  const o = await flood(counting, bodies);
  const other = Object.entries(o.other).map(([s, n]) => `${n} x ${s}`).join(', ') || '0';
  where.push(`${label}: ${o.uncappedAt.sort((a, b) => a - b).join(' ') || 'none'}`);
  console.log(`| ${label} | ${o.capped} | ${o.uncapped} (Envoy: ${o.failureModeAllowed}) | ${other} | ${o.shortHead} | ${o.countingSeconds.toFixed(2)} | ${o.seconds.toFixed(1)} |`);
}
console.log(`\nUncapped requests by the order they were sent (0-based; the first ${CONCURRENCY} left at once):`);
for (const line of where) console.log(`- ${line}`);
