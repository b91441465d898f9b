/**
 * Overhead of thinkcap against the ext_proc floor, side by side in one run: the same emulator,
 * the same client and an Envoy of the shipped config's shape per arm:
 *   - envoy:    Envoy alone (no ext_proc filter);
 *   - go:       Envoy + a do-nothing Go ext_proc (go-control-plane + grpc-go, benchmarks/floor-go;
 *               built with the Go toolchain from the module proxy; skipped where `go` is missing);
 *   - node:     Envoy + a do-nothing grpc-js ext_proc (benchmarks/floor-node.ts: the runtime's floor);
 *   - thinkcap: Envoy + thinkcap with every feature on (stream rewrite, metrics, estimated-energy
 *               hooks, spend budgets on the memory ledger).
 * Rounds rotate the order of the arms. Latency is added over Envoy alone; ratios are to the Go floor.
 *
 *   npm run build && node dist/benchmarks/overhead.js [--quick] [--profile] [--workers N] [--send-body-early] [--stacks] [--levers]
 *
 * --stacks adds the "connect" arm: the do-nothing server on Connect (@connectrpc/connect-node), to
 * compare Node gRPC stacks on the same floor.
 *
 * --levers measures two ways to send thinkcap fewer messages (issue #13, item 3), each beside what
 * it replaces, in the same run:
 *   - thinkcap-nospend / thinkcap-nobody: a second thinkcap with spend off (the only case where a
 *     response needs no reading: every chat response carries the figures the ledger settles); its
 *     "nobody" Envoy never sends response bodies (response_body_mode NONE, overrides off): the most
 *     a per-request mode_override that stops the response body could save;
 *   - non-chat requests (GET /v1/models) through thinkcap's Envoy as shipped (its /v1/models route
 *     disables ext_proc with ExtProcPerRoute: no message) and through one without that route (one
 *     header message, answered with a mode override that skips the rest);
 *   - node-noresphdr: the do-nothing Node floor behind an Envoy that skips the response-header
 *     phase (response_header_mode SKIP): what one message fewer per request saves at most, since
 *     thinkcap's work in that phase would move to the first body chunk, not vanish.
 *
 * --workers N runs thinkcap as `serve --workers N` with energy off (workers refuse it; N = 1 too,
 * so runs compare alike); CPU is the primary's and its workers' together.
 *
 * --profile runs thinkcap under --cpu-prof and prints the top frames by self time per request and
 * per chunk. Per-chunk latency is measured from the emulator's CLOCK_MONOTONIC stamp in each SSE
 * event to its arrival at the client, so it is the full transit through Envoy (and the ext_proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import http from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../src/paths.js';
import { buildEnvoyConfig, extProcFilter, freePort, startEnvoy, type RunningEnvoy } from '../devkit/envoy.js';
import { removeOnExit } from '../devkit/reap.js';
import { summarizeCpuProfile } from './cpu-profile.js';

const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
/** --workers N: thinkcap as `serve --workers N`, energy off (workers refuse it) so N = 1 and N > 1 compare alike. */
const WORKERS_GIVEN = process.argv.includes('--workers');
/** --send-body-early: the thinkcap arm's Envoy sets send_body_without_waiting_for_header_response (a lever, measured). */
const SEND_BODY_EARLY = process.argv.includes('--send-body-early');
const WORKERS = WORKERS_GIVEN ? Number(process.argv[process.argv.indexOf('--workers') + 1]) || 1 : 1;
const ROOT = packageRoot();
const THINKING = 30; // below the trivial budget: both paths stream the same events
const ANSWER = 30;
const TOKEN_DELAY_MS = 5;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Every process and Envoy this run starts, so a failure anywhere (even before the measuring) stops them all. */
const started: Array<ChildProcess | RunningEnvoy> = [];

async function startChild(args: string[], env: Record<string, string> = {}, command = process.execPath): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
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
  const own = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
  // serve --workers: the workers are the process's children.
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // no children file (older kernels): the process alone
  }
  return own + children.reduce((s, c) => s + cpuSeconds(c), 0);
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

function fullOnce(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY_FULL), ...FAST } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
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

/** `concurrency` loops sending requests (`once`, true when it succeeded) for `ms`. */
async function saturate(port: number, concurrency: number, ms: number, once: (port: number) => Promise<boolean> = fullOnce): Promise<{ rps: number; done: number; failed: number }> {
  let done = 0;
  let failed = 0;
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        if (await once(port)) done++;
        else failed++;
      }
    }),
  );
  return { rps: done / (ms / 1000), done, failed };
}

/** The Go floor's binary, built once per source version into the cache; null where `go` is missing. */
function buildGoFloor(): string | null {
  const dir = join(ROOT, 'benchmarks/floor-go');
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    console.log('go is not installed: the Go floor arm is skipped (install Go to compare against it)');
    return null;
  }
  const hash = execFileSync('sha256sum', [join(dir, 'main.go'), join(dir, 'go.sum')]).toString().slice(0, 12);
  const out = join(process.env.THINKCAP_CACHE ?? join(homedir(), '.cache/thinkcap'), `floor-go-${hash}`);
  if (!existsSync(out)) {
    console.log('building the Go floor (go-control-plane + grpc-go from the module proxy) ...');
    execFileSync('go', ['build', '-o', out, '.'], { cwd: dir, stdio: 'inherit' });
  }
  return out;
}

/** A folder this run writes (thinkcap's configs, the CPU profile), removed when the process exits. */
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  removeOnExit(d);
  return d;
}

/**
 * thinkcap with every feature on: spend on the memory ledger (off for --levers' spend-off arms),
 * estimated energy (none under --workers, which refuses it), metrics, the stream rewrite.
 */
function thinkcapConfig(spend: boolean, energy: boolean): string {
  const file = join(tempDir('thinkcap-bench-'), 'thinkcap.yaml');
  writeFileSync(
    file,
    [
      'spend:',
      ...(spend ? ['  enabled: true', '  ledger: memory', '  limits:', "    - { scope: tenant, id: '*', window: day, usd: 1000000000 }"] : ['  enabled: false']),
      ...(energy ? ['energy:', '  source: estimated', '  estimatedWatts: 300', '  intervalMs: 100'] : ['energy:', '  source: none']),
      '',
    ].join('\n'),
  );
  return file;
}

/** `thinkcap serve` on loopback ports of its own: node [nodeArgs: flags, then the CLI] serve --config config [serveArgs]. */
async function startThinkcap(nodeArgs: string[], config: string, serveArgs: string[] = []): Promise<{ child: ChildProcess; grpcPort: number; adminPort: number }> {
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const { child } = await startChild([...nodeArgs, 'serve', '--config', config, ...serveArgs], {
    THINKCAP_SERVER__GRPC_PORT: String(grpcPort),
    THINKCAP_SERVER__GRPC_HOST: '127.0.0.1',
    THINKCAP_SERVER__ADMIN_PORT: String(adminPort),
    THINKCAP_SERVER__ADMIN_HOST: '127.0.0.1',
    THINKCAP_LOG__LEVEL: 'info',
  });
  return { child, grpcPort, adminPort };
}

type Arm = 'envoy' | 'go' | 'node' | 'node-noresphdr' | 'connect' | 'thinkcap' | 'thinkcap-nospend' | 'thinkcap-nobody';
const EXT_PROC_ARMS: Arm[] = ['go', 'node', 'node-noresphdr', 'connect', 'thinkcap', 'thinkcap-nospend', 'thinkcap-nobody'];
/** --levers: the message-count levers, measured (see the header comment). */
const LEVERS = process.argv.includes('--levers');

function getOnce(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** --stacks: also the do-nothing server on another Node gRPC stack (Connect, benchmarks/floor-connect.ts). */
const STACKS = process.argv.includes('--stacks');

async function main(): Promise<void> {
  const emu = await startChild([join(ROOT, 'dist/devkit/emulator/main.js'), JSON.stringify({ tokenDelayMs: TOKEN_DELAY_MS, thinkingTokens: THINKING, answerTokens: ANSWER, stampEvents: true })]);
  const emuPort = (JSON.parse(emu.firstLine) as { port: number }).port;
  const procs: Partial<Record<Arm, { child: ChildProcess; port: number }>> = {};
  const goBin = buildGoFloor();
  if (goBin) {
    const go = await startChild([], {}, goBin);
    procs.go = { child: go.child, port: (JSON.parse(go.firstLine) as { port: number }).port };
  }
  const node = await startChild([join(ROOT, 'dist/benchmarks/floor-node.js')]);
  procs.node = { child: node.child, port: (JSON.parse(node.firstLine) as { port: number }).port };
  if (LEVERS) procs['node-noresphdr'] = procs.node;
  if (STACKS) {
    const connect = await startChild([join(ROOT, 'dist/benchmarks/floor-connect.js')]);
    procs.connect = { child: connect.child, port: (JSON.parse(connect.firstLine) as { port: number }).port };
  }
  const profDir = profile ? tempDir('thinkcap-prof-') : null;
  const nodeFlags = [...(process.env.BENCH_THINKCAP_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
  // BENCH_THINKCAP_CLI runs another build of thinkcap in the same harness (before/after comparisons).
  const tc = await startThinkcap(
    [...nodeFlags, process.env.BENCH_THINKCAP_CLI ?? join(ROOT, 'dist/src/cli.js')],
    thinkcapConfig(true, !WORKERS_GIVEN),
    WORKERS > 1 ? ['--workers', String(WORKERS)] : [],
  );
  const grpcPort = tc.grpcPort;
  const tcAdminPort = tc.adminPort;
  procs.thinkcap = { child: tc.child, port: grpcPort };
  if (LEVERS) {
    const x = await startThinkcap([join(ROOT, 'dist/src/cli.js')], thinkcapConfig(false, true));
    // One process behind both arms: CPU is taken per arm over that arm's requests only.
    procs['thinkcap-nospend'] = { child: x.child, port: x.grpcPort };
    procs['thinkcap-nobody'] = { child: x.child, port: x.grpcPort };
  }
  // serve --workers: the primary logs before its workers listen; /ready says when they all do.
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${tcAdminPort}/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const arms: Arm[] = ['envoy', ...EXT_PROC_ARMS.filter((a) => procs[a])];
  // One Envoy per arm from the shipped config's shape, no access log; the first without the ext_proc filter.
  interface EnvoyVariant {
    early?: boolean; // send_body_without_waiting_for_header_response
    noResponseBody?: boolean; // response bodies never sent, no mode overrides
    skipResponseHeaders?: boolean; // response_header_mode SKIP
    withoutModelsRoute?: boolean; // /v1/models goes through ext_proc like any other path
  }
  const envoyFor = async (extProcPort: number | null, v: EnvoyVariant = {}) => {
    const e = await startEnvoy(
      buildEnvoyConfig({
        listenerPort: await freePort(),
        adminPort: await freePort(),
        thinkcapPort: extProcPort ?? grpcPort,
        backendPort: emuPort,
        mutate: (cfg) => {
          const hcm = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
          if (extProcPort === null) hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== 'envoy.filters.http.ext_proc');
          hcm.access_log = [];
          if (v.early) extProcFilter(cfg).send_body_without_waiting_for_header_response = true;
          if (v.noResponseBody) {
            extProcFilter(cfg).processing_mode.response_body_mode = 'NONE';
            extProcFilter(cfg).allow_mode_override = false;
          }
          if (v.skipResponseHeaders) extProcFilter(cfg).processing_mode.response_header_mode = 'SKIP';
          if (v.withoutModelsRoute) {
            // The model list routed like the API's other paths: ext_proc on.
            const models = hcm.route_config.virtual_hosts[0].routes.find((r: { name?: string }) => r.name === 'models');
            delete models.typed_per_filter_config;
          }
        },
      }),
    );
    started.push(e);
    return e;
  };
  const envoys: Partial<Record<Arm, RunningEnvoy>> = {};
  for (const arm of arms) {
    envoys[arm] = await envoyFor(arm === 'envoy' ? null : procs[arm]!.port, {
      early: SEND_BODY_EARLY && arm === 'thinkcap',
      noResponseBody: arm === 'thinkcap-nobody',
      skipResponseHeaders: arm === 'node-noresphdr',
    });
  }
  const modelsOnEnvoy = LEVERS ? await envoyFor(grpcPort, { withoutModelsRoute: true }) : null;
  const cpu: Record<string, { seconds: number; requests: number }> = {};
  const chunksSeen: Record<string, number> = {};
  const measure = async <T>(arm: Arm, requests: (r: T) => number, run: () => Promise<T>): Promise<T> => {
    const pid = procs[arm]?.child.pid;
    const c0 = pid ? cpuSeconds(pid) : 0;
    const r = await run();
    if (pid) {
      const m = (cpu[arm] ??= { seconds: 0, requests: 0 });
      m.seconds += cpuSeconds(pid) - c0;
      m.requests += requests(r);
    }
    return r;
  };
  try {
    // Warm up every path (connections, JIT).
    for (const arm of arms) await runStreams(envoys[arm]!.listenerPort, 10, 3);

    const levels = quick ? [1, 10] : [1, 10, 100];
    const rounds = quick ? 1 : 3;
    const results: Array<{ concurrency: number; by: Record<string, { ttft50: number; ttft99: number; chunk50: number; chunk99: number }> }> = [];
    for (const c of levels) {
      const perWorker = c === 1 ? (quick ? 5 : 15) : c === 10 ? 4 : 2;
      const samples: Record<string, StreamSample[]> = {};
      for (let r = 0; r < rounds; r++) {
        const order = arms.map((_, i) => arms[(i + r) % arms.length]!);
        for (const arm of order) {
          const s = await measure(arm, (x) => x.length, () => runStreams(envoys[arm]!.listenerPort, c, perWorker));
          (samples[arm] ??= []).push(...s);
          chunksSeen[arm] = (chunksSeen[arm] ?? 0) + s.reduce((n, x) => n + x.chunkMs.length, 0);
        }
      }
      const by: (typeof results)[number]['by'] = {};
      for (const arm of arms) {
        const ttft = samples[arm]!.map((s) => s.ttftMs).sort((a, b) => a - b);
        const chunk = samples[arm]!.flatMap((s) => s.chunkMs).sort((a, b) => a - b);
        by[arm] = { ttft50: pct(ttft, 50), ttft99: pct(ttft, 99), chunk50: pct(chunk, 50), chunk99: pct(chunk, 99) };
      }
      results.push({ concurrency: c, by });
    }

    const satConc = 50;
    const satMs = quick ? 1500 : 4000;
    const sat: Record<string, number> = {};
    const failed: Record<string, number> = {};
    for (let r = 0; r < 2; r++) {
      for (const arm of arms.map((_, i) => arms[(i + r) % arms.length]!)) {
        const x = await measure(arm, (y) => y.done + y.failed, () => saturate(envoys[arm]!.listenerPort, satConc, satMs));
        sat[arm] = Math.max(sat[arm] ?? 0, x.rps);
        failed[arm] = (failed[arm] ?? 0) + x.failed;
      }
    }

    const f = (n: number | undefined, d = 2) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-');
    console.log(`\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(`stream: ${THINKING} reasoning + ${ANSWER} answer events, ${TOKEN_DELAY_MS} ms apart; rounds per level: ${rounds}; arms: ${arms.join(', ')}\n`);
    console.log('| streams | arm | TTFT p50 | added TTFT p50 | TTFT p99 | chunk p50 | chunk p99 | added chunk p99 |');
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const base = r.by.envoy!;
      for (const arm of arms) {
        const x = r.by[arm]!;
        const added = arm === 'envoy' ? '' : f(x.ttft50 - base.ttft50);
        const addedChunk = arm === 'envoy' ? '' : f(x.chunk99 - base.chunk99);
        console.log(`| ${r.concurrency} | ${arm} | ${f(x.ttft50)} | ${added} | ${f(x.ttft99)} | ${f(x.chunk50)} | ${f(x.chunk99)} | ${addedChunk} |`);
      }
    }
    const cpuPer = (arm: Arm) => (cpu[arm] ? (cpu[arm].seconds / Math.max(1, cpu[arm].requests)) * 1e3 : NaN);
    console.log(`\nall times in ms. saturation: non-streaming, ${satConc} concurrent, best of 2 x ${satMs / 1000}s. CPU from /proc clock ticks over every request of the run.\n`);
    console.log('| figure | ' + EXT_PROC_ARMS.filter((a) => procs[a]).join(' | ') + ' | thinkcap / go |');
    console.log('|---|' + EXT_PROC_ARMS.filter((a) => procs[a]).map(() => '---:|').join('') + '---:|');
    const row = (name: string, get: (a: Arm) => number, d = 3, ratio = true) => {
      const vals = EXT_PROC_ARMS.filter((a) => procs[a]).map((a) => f(get(a), d));
      const rr = ratio && procs.go ? f(get('thinkcap') / get('go'), 2) : '-';
      console.log(`| ${name} | ${vals.join(' | ')} | ${rr} |`);
    };
    row('ext_proc CPU per request, ms', cpuPer);
    row(`saturation req/s (Envoy alone ${sat.envoy!.toFixed(0)})`, (a) => sat[a]!, 0);
    row('saturation, share of Envoy alone', (a) => sat[a]! / sat.envoy!, 2);
    for (const r of results) row(`added TTFT p50 at ${r.concurrency} stream(s), ms`, (a) => r.by[a]!.ttft50 - r.by.envoy!.ttft50, 2);
    for (const r of results) row(`added chunk p99 at ${r.concurrency} stream(s), ms`, (a) => r.by[a]!.chunk99 - r.by.envoy!.chunk99, 2);
    row('failed requests at saturation', (a) => failed[a] ?? 0, 0, false);
    if (failed.envoy) console.log(`(Envoy alone: ${failed.envoy} failed)`);
    if (modelsOnEnvoy) {
      // Non-chat requests: as shipped (ExtProcPerRoute disables ext_proc on /v1/models) and
      // without that route (thinkcap answers the headers with a mode override). Alternating, best of 3 each.
      const variants: Array<[string, number, boolean]> = [
        ['Envoy alone', envoys.envoy!.listenerPort, false],
        ['thinkcap, ext_proc off on the route (as shipped)', envoys.thinkcap!.listenerPort, true],
        ['thinkcap, ext_proc on (one header message)', modelsOnEnvoy.listenerPort, true],
      ];
      const best: Record<string, { rps: number; cpuMs: number; failed: number }> = {};
      const pid = procs.thinkcap!.child.pid!;
      for (let r = 0; r < 3; r++) {
        for (const [name, port, counts] of variants) {
          const c0 = cpuSeconds(pid);
          const x = await saturate(port, satConc, satMs, (p) => getOnce(p, '/v1/models'));
          const cpuMs = counts ? ((cpuSeconds(pid) - c0) / Math.max(1, x.done + x.failed)) * 1e3 : NaN;
          const b = (best[name] ??= { rps: 0, cpuMs: Infinity, failed: 0 });
          b.rps = Math.max(b.rps, x.rps);
          b.cpuMs = Math.min(b.cpuMs, cpuMs);
          b.failed += x.failed;
        }
      }
      console.log(`\nnon-chat requests (GET /v1/models), ${satConc} concurrent, best of 3 x ${satMs / 1000}s:\n`);
      console.log('| path | req/s | share of Envoy alone | thinkcap CPU per request, ms | failed |');
      console.log('|---|---:|---:|---:|---:|');
      for (const [name] of variants) {
        const b = best[name]!;
        console.log(`| ${name} | ${b.rps.toFixed(0)} | ${f(b.rps / best['Envoy alone']!.rps, 2)} | ${Number.isFinite(b.cpuMs) ? f(b.cpuMs, 3) : '-'} | ${b.failed} |`);
      }
    }
    if (profDir) {
      // Stop thinkcap so it writes its profile, then fold it by function.
      await new Promise<void>((resolve) => {
        tc.child.once('exit', () => resolve());
        tc.child.kill('SIGTERM');
      });
      const file = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'));
      if (!file) console.log('\nno CPU profile was written');
      else {
        const requests = cpu.thinkcap?.requests ?? 1;
        console.log(`\nthinkcap CPU profile: ${requests} requests, ${chunksSeen.thinkcap ?? 0} streamed chunks seen by the client; top frames by self time`);
        console.log(summarizeCpuProfile(join(profDir, file), { requests, chunks: chunksSeen.thinkcap ?? 0, top: 25 }));
      }
    }
  } finally {
    for (const e of Object.values(envoys)) await e!.stop();
    await modelsOnEnvoy?.stop();
    for (const p of Object.values(procs)) p!.child.kill('SIGTERM');
    emu.child.kill('SIGTERM');
    agent.destroy();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  // Setup can fail before main's own cleanup is in reach (Envoy missing, a port taken).
  for (const x of started) {
    if ('kill' in x) x.kill('SIGTERM');
    else await x.stop().catch(() => {});
  }
  process.exit(1);
});
