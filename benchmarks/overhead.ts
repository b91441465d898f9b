/**
 * Overhead of thinkcap: Envoy alone vs Envoy + thinkcap in front of the same emulator, side by
 * side in one run (rounds alternate which goes first), at 1, 10 and 100 concurrent streams.
 *
 *   npm run build && node dist/benchmarks/overhead.js [--quick]
 *
 * Emulator, thinkcap and both Envoys run as separate processes; this process is the client.
 * Per-chunk latency is measured from the emulator's CLOCK_MONOTONIC stamp in each SSE event to
 * its arrival at the client, so it is the full transit through Envoy (and thinkcap).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../src/paths.js';
import { buildEnvoyConfig, freePort, startEnvoy, type RunningEnvoy } from '../devkit/envoy.js';

const quick = process.argv.includes('--quick');
const ROOT = packageRoot();
const THINKING = 30; // below the trivial budget: both paths stream the same events
const ANSWER = 30;
const TOKEN_DELAY_MS = 5;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function startChild(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const firstLine = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
  return { child, firstLine };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'Hello there' }] });
const BODY_FULL = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Hello there' }] });
// Saturation requests ask the emulator for no token delay: the proxy path is what is measured.
const FAST = { 'x-emulator-token-delay-ms': '0' };

interface StreamSample {
  ttftMs: number;
  chunkMs: number[];
}

function streamOnce(port: number): Promise<StreamSample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttft = -1;
    const chunkMs: number[] = [];
    let buf = '';
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const now = process.hrtime.bigint();
          buf += d;
          let idx: number;
          while ((idx = buf.indexOf('\n\n')) >= 0) {
            const ev = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            const m = /"emu_ts":"(\d+)"/.exec(ev);
            if (!m) continue;
            if (ttft < 0) ttft = Number(now - t0) / 1e6;
            chunkMs.push(Number(now - BigInt(m[1]!)) / 1e6);
          }
        });
        res.on('end', () => (res.statusCode === 200 ? resolve({ ttftMs: ttft, chunkMs }) : reject(new Error(`status ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

function fullOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY_FULL), ...FAST } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(BODY_FULL);
  });
}

async function runStreams(port: number, concurrency: number, perWorker: number): Promise<StreamSample[]> {
  const out: StreamSample[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perWorker; i++) out.push(await streamOnce(port));
    }),
  );
  return out;
}

async function saturate(port: number, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await fullOnce(port);
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

async function main(): Promise<void> {
  const emu = await startChild([join(ROOT, 'dist/devkit/emulator/main.js'), JSON.stringify({ tokenDelayMs: TOKEN_DELAY_MS, thinkingTokens: THINKING, answerTokens: ANSWER, stampEvents: true })]);
  const emuPort = (JSON.parse(emu.firstLine) as { port: number }).port;
  const grpcPort = await freePort();
  const nodeFlags = (process.env.BENCH_THINKCAP_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const tc = await startChild([...nodeFlags, join(ROOT, 'dist/src/cli.js'), 'serve'], {
    THINKCAP_SERVER__GRPC_PORT: String(grpcPort),
    THINKCAP_SERVER__GRPC_HOST: '127.0.0.1',
    THINKCAP_SERVER__ADMIN_PORT: String(await freePort()),
    THINKCAP_SERVER__ADMIN_HOST: '127.0.0.1',
    THINKCAP_LOG__LEVEL: 'info',
  });
  // Two Envoys from the shipped config, no access log; one without the ext_proc filter.
  const envoyWith = async (extProc: boolean) =>
    startEnvoy(
      buildEnvoyConfig({
        listenerPort: await freePort(),
        adminPort: await freePort(),
        thinkcapPort: grpcPort,
        backendPort: emuPort,
        mutate: (cfg) => {
          const hcm = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
          if (!extProc) hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== 'envoy.filters.http.ext_proc');
          hcm.access_log = [];
        },
      }),
    );
  const envoys: Record<'envoy' | 'thinkcap', RunningEnvoy> = { envoy: await envoyWith(false), thinkcap: await envoyWith(true) };
  try {
    // Warm up both paths (connections, JIT).
    for (const e of Object.values(envoys)) await runStreams(e.listenerPort, 10, 3);

    const levels = quick ? [1, 10] : [1, 10, 100];
    const rounds = quick ? 1 : 3;
    const results: Array<Record<string, string | number>> = [];
    let tcRequests = 0;
    let tcCpu = 0;
    for (const c of levels) {
      const perWorker = c === 1 ? (quick ? 5 : 15) : c === 10 ? 4 : 2;
      const samples: Record<string, StreamSample[]> = { envoy: [], thinkcap: [] };
      for (let r = 0; r < rounds; r++) {
        const order: Array<'envoy' | 'thinkcap'> = r % 2 === 0 ? ['envoy', 'thinkcap'] : ['thinkcap', 'envoy'];
        for (const name of order) {
          const cpu0 = name === 'thinkcap' ? cpuSeconds(tc.child.pid!) : 0;
          const s = await runStreams(envoys[name].listenerPort, c, perWorker);
          if (name === 'thinkcap') {
            tcCpu += cpuSeconds(tc.child.pid!) - cpu0;
            tcRequests += s.length;
          }
          samples[name]!.push(...s);
        }
      }
      const row: Record<string, string | number> = { concurrency: c };
      for (const name of ['envoy', 'thinkcap'] as const) {
        const ttft = samples[name]!.map((s) => s.ttftMs).sort((a, b) => a - b);
        const chunk = samples[name]!.flatMap((s) => s.chunkMs).sort((a, b) => a - b);
        row[`${name}_ttft_p50`] = pct(ttft, 50);
        row[`${name}_ttft_p99`] = pct(ttft, 99);
        row[`${name}_chunk_p50`] = pct(chunk, 50);
        row[`${name}_chunk_p99`] = pct(chunk, 99);
        row[`${name}_streams`] = ttft.length;
      }
      results.push(row);
    }

    const satConc = 50;
    const satMs = quick ? 1500 : 4000;
    const sat: Record<string, number> = {};
    for (const name of ['envoy', 'thinkcap', 'envoy', 'thinkcap'] as const) {
      const cpu0 = name === 'thinkcap' ? cpuSeconds(tc.child.pid!) : 0;
      const rps = await saturate(envoys[name].listenerPort, satConc, satMs);
      if (name === 'thinkcap') {
        tcCpu += cpuSeconds(tc.child.pid!) - cpu0;
        tcRequests += Math.round((rps * satMs) / 1000);
      }
      sat[name] = Math.max(sat[name] ?? 0, rps);
    }

    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
    console.log(`\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(`stream: ${THINKING} reasoning + ${ANSWER} answer events, ${TOKEN_DELAY_MS} ms apart; rounds per level: ${rounds}\n`);
    console.log('| streams | TTFT p50 Envoy | TTFT p50 +thinkcap | added | TTFT p99 Envoy | TTFT p99 +thinkcap | added | chunk p50 Envoy | chunk p50 +thinkcap | chunk p99 Envoy | chunk p99 +thinkcap | added p99 |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const n = (k: string) => r[k] as number;
      console.log(
        `| ${r.concurrency} | ${f(n('envoy_ttft_p50'))} | ${f(n('thinkcap_ttft_p50'))} | ${f(n('thinkcap_ttft_p50') - n('envoy_ttft_p50'))} | ${f(n('envoy_ttft_p99'))} | ${f(n('thinkcap_ttft_p99'))} | ${f(n('thinkcap_ttft_p99') - n('envoy_ttft_p99'))} | ${f(n('envoy_chunk_p50'))} | ${f(n('thinkcap_chunk_p50'))} | ${f(n('envoy_chunk_p99'))} | ${f(n('thinkcap_chunk_p99'))} | ${f(n('thinkcap_chunk_p99') - n('envoy_chunk_p99'))} |`,
      );
    }
    console.log(`\nall times in ms. saturation (non-streaming, ${satConc} concurrent, best of 2 x ${satMs / 1000}s): Envoy alone ${sat.envoy!.toFixed(0)} req/s, Envoy + thinkcap ${sat.thinkcap!.toFixed(0)} req/s (${((sat.thinkcap! / sat.envoy!) * 100).toFixed(0)}%)`);
    console.log(`thinkcap CPU per request: ${((tcCpu / Math.max(1, tcRequests)) * 1e3).toFixed(3)} ms (${tcCpu.toFixed(2)} s over ${tcRequests} requests, /proc clock ticks)`);
  } finally {
    for (const e of Object.values(envoys)) await e.stop();
    tc.child.kill('SIGTERM');
    emu.child.kill('SIGTERM');
    agent.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
