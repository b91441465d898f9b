/**
 * Issue #17's check on a GPU machine, in one run (no GPU is needed to try it: the tests run it
 * against a library with NVML's interface, test/energy/nvml.test.ts):
 *
 *   node dist/benchmarks/gpu-verify.js --idle-seconds 5 --seconds 20 --load "<a command that loads the GPU>" [--json out.json] [--library libnvidia-ml.so.1]
 *
 * 1. Readings: the GPUs and the driver; idle power (the energy counter over --idle-seconds with
 *    nothing started); then, while --load runs, the counter's delta beside integrated power and
 *    the joules of the load (the counter over the load, less idle power for its time).
 * 2. Attribution: during the load, three synthetic requests of different sizes overlap, registered
 *    with thinkcap's sampler (EnergyMonitor, 100 ms) with token counts; what they were given plus
 *    idle is compared with what the counters moved.
 * 3. The sampler's cost: NVML time per sample, this process's CPU time per sample, and the event
 *    loop's delay while sampling (every NVML call runs on koffi's worker threads).
 * 4. thinkcap itself, started here with `energy.source: nvml`: its GET /api/gpu and thinkcap_gpu_*.
 *
 * Readings are printed as measured; nothing is estimated. Exits 1 if NVML cannot be opened.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startThinkcap } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { EnergyMonitor } from '../src/energy/monitor.js';
import { NvmlSource } from '../src/energy/nvml.js';
import type { GpuSample } from '../src/energy/source.js';

const args = process.argv.slice(2);
// The last of a repeated option wins (scripts/gpu-run.sh puts its defaults first).
const option = (name: string) => (args.includes(name) ? args[args.lastIndexOf(name) + 1] : undefined);
const seconds = Number(option('--seconds') ?? 10) || 10;
const idleSeconds = Number(option('--idle-seconds') ?? 5) || 5;
const load = option('--load');
const library = option('--library') ?? 'libnvidia-ml.so.1';
const jsonOut = option('--json');
const INTERVAL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Joules the counters moved between two readings (all GPUs), or null where a GPU has no counter. */
function counterJoules(a: GpuSample[], b: GpuSample[]): number | null {
  let j = 0;
  for (const s of b) {
    const p = a.find((x) => x.index === s.index);
    if (s.energyMj === null || p?.energyMj == null) return null;
    j += (s.energyMj - p.energyMj) / 1000;
  }
  return j;
}

/** Power integrated over a run of readings (trapezoids, all GPUs), in joules. */
function integratedJoules(series: Array<{ at: number; gpus: GpuSample[] }>): number {
  let j = 0;
  for (let i = 1; i < series.length; i++) {
    const dt = (series[i]!.at - series[i - 1]!.at) / 1000;
    for (const g of series[i]!.gpus) {
      const p = series[i - 1]!.gpus.find((x) => x.index === g.index);
      if (g.powerMw !== null && p?.powerMw != null) j += ((g.powerMw + p.powerMw) / 2 / 1000) * dt;
    }
  }
  return j;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
};

async function main(): Promise<void> {
  const out: Record<string, unknown> = { library, idleSeconds, seconds, load: load ?? null };
  const log = pino({ level: 'silent' });

  // thinkcap's sampler reads NVML throughout; its source also names the GPUs and the driver.
  const monitor = new EnergyMonitor(validateConfig({ energy: { source: 'nvml', nvmlLibrary: library, intervalMs: INTERVAL_MS, historySeconds: Math.ceil(idleSeconds + seconds + 10) } }).energy, log);
  await monitor.start();
  if (!(monitor.source instanceof NvmlSource)) {
    // The sampler logs why at info (silent here): an open of its own says it.
    await new NvmlSource().open(library);
    throw new Error('the sampler did not open NVML');
  }
  const source = monitor.source;

  // 1. The GPUs and the driver.
  out.source = source.description;
  out.driver = source.driverVersion;
  out.gpus = monitor.series.at(-1)!.gpus.map((g) => ({ index: g.index, name: g.name, memTotalBytes: g.memTotal }));
  console.log(`source: ${source.description}; driver ${source.driverVersion ?? 'unknown'}`);

  // NVML time per sample (5 calls per GPU, on koffi's threads).
  const sampleMs: number[] = [];
  const sample = source.sample.bind(source);
  source.sample = async () => {
    const t = performance.now();
    try {
      return await sample();
    } finally {
      sampleMs.push(performance.now() - t);
    }
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();

  // Idle: nothing started.
  const idleFrom = monitor.series.at(-1)!;
  await sleep(idleSeconds * 1000);
  const idleTo = monitor.series.at(-1)!;
  const idleDt = (idleTo.at - idleFrom.at) / 1000;
  const idleCounter = counterJoules(idleFrom.gpus, idleTo.gpus);
  const idleW = idleCounter === null ? null : idleCounter / idleDt;
  out.idle = { seconds: idleDt, counterJ: idleCounter, watts: idleW };
  console.log(`idle: ${idleDt.toFixed(2)} s, counter ${idleCounter === null ? 'unsupported' : idleCounter.toFixed(1) + ' J'}, ${idleW === null ? '-' : idleW.toFixed(1) + ' W'}`);

  // Load, with three overlapping synthetic requests of different sizes (tokens per tick).
  // Its own process group, so that stopping it stops what the shell started too.
  const child = load ? spawn('sh', ['-c', load], { stdio: 'inherit', detached: true }) : null;
  const stopLoad = () => {
    // The whole group, even where the shell itself has exited and left what it started running.
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // the group is gone
    }
  };
  process.once('exit', stopLoad);
  const seriesFrom = monitor.series.length - 1;
  const loadFrom = monitor.series.at(-1)!;
  const ticks = Math.max(10, Math.round((seconds * 1000) / INTERVAL_MS));
  const requests = [
    { id: 'a', from: 0, to: 0.6, perTick: 30 },
    { id: 'b', from: 0.2, to: 1, perTick: 10 },
    { id: 'c', from: 0.4, to: 0.8, perTick: 20 },
  ];
  const attributionFrom = { idle: monitor.attributor.idleJoules, attributed: monitor.attributor.attributedJoules, sample: monitor.series.at(-1)! };
  const finals: Array<Promise<{ id: string; joules: number }>> = [];
  for (let t = 0; t <= ticks; t++) {
    for (const r of requests) {
      const [from, to] = [Math.round(r.from * ticks), Math.round(r.to * ticks)];
      if (t === from) monitor.begin(r.id);
      if (t >= from && t < to) monitor.tokens(r.id, r.perTick);
      if (t === to) {
        const e = monitor.end(r.id);
        if (e) finals.push(e.final.then((f) => ({ id: r.id, joules: f.joules })));
      }
    }
    await sleep(INTERVAL_MS);
  }
  const ended = await Promise.all(finals);
  stopLoad();
  const loadTo = monitor.series.at(-1)!;
  const loadDt = (loadTo.at - loadFrom.at) / 1000;
  const loadCounter = counterJoules(loadFrom.gpus, loadTo.gpus);
  const loadIntegrated = integratedJoules(monitor.series.slice(seriesFrom));
  out.load = {
    seconds: loadDt,
    counterJ: loadCounter,
    integratedJ: loadIntegrated,
    meanWatts: loadCounter === null ? loadIntegrated / loadDt : loadCounter / loadDt,
    loadJ: loadCounter === null || idleW === null ? null : loadCounter - idleW * loadDt,
  };
  console.log(`load: ${loadDt.toFixed(2)} s (${load ?? 'none given: idle again'}); counter ${loadCounter === null ? 'unsupported' : loadCounter.toFixed(1) + ' J'}, integrated power ${loadIntegrated.toFixed(1)} J, mean ${((loadCounter ?? loadIntegrated) / loadDt).toFixed(1)} W; the load's own joules (counter less idle) ${loadCounter === null || idleW === null ? '-' : (loadCounter - idleW * loadDt).toFixed(1)}`);

  // 2. Attribution: the requests' joules plus idle, against what the counters moved meanwhile.
  const attributionTo = monitor.series.at(-1)!;
  const given = monitor.attributor.attributedJoules - attributionFrom.attributed;
  const idleShare = monitor.attributor.idleJoules - attributionFrom.idle;
  const moved = counterJoules(attributionFrom.sample.gpus, attributionTo.gpus);
  out.attribution = { requests: Object.fromEntries(ended.map((r) => [r.id, r.joules])), attributedJ: given, idleJ: idleShare, counterJ: moved, differenceJ: moved === null ? null : given + idleShare - moved };
  console.log(`attribution: ${ended.map((r) => `${r.id} ${r.joules.toFixed(1)} J`).join(', ')}; attributed ${given.toFixed(2)} + idle ${idleShare.toFixed(2)} = ${(given + idleShare).toFixed(2)} J against the counters' ${moved === null ? 'unsupported' : moved.toFixed(2) + ' J'}`);

  // 3. The sampler's cost.
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  out.sampler = {
    samples: sampleMs.length,
    nvmlMsMedian: quantile(sampleMs, 0.5),
    nvmlMsP99: quantile(sampleMs, 0.99),
    cpuMsPerSample: (cpu.user + cpu.system) / 1000 / Math.max(1, sampleMs.length),
    eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  };
  console.log(`sampler: ${sampleMs.length} samples; NVML per sample median ${quantile(sampleMs, 0.5).toFixed(2)} ms, p99 ${quantile(sampleMs, 0.99).toFixed(2)} ms; this process's CPU ${((cpu.user + cpu.system) / 1000 / Math.max(1, sampleMs.length)).toFixed(3)} ms per sample; event-loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(2)} / p99 ${(delay.percentile(99) / 1e6).toFixed(2)} / max ${(delay.max / 1e6).toFixed(2)} ms`);
  await monitor.stop();

  // 4. thinkcap's own view of the GPU.
  const app = await startThinkcap(validateConfig({ server: { grpcPort: 0, adminPort: 0 }, energy: { source: 'nvml', nvmlLibrary: library, intervalMs: INTERVAL_MS } }), log);
  try {
    await sleep(3 * INTERVAL_MS);
    const admin = `http://127.0.0.1:${app.adminPort}`;
    const gpu = (await (await fetch(`${admin}/api/gpu`)).json()) as unknown;
    const metrics = (await (await fetch(`${admin}/metrics`)).text()).split('\n').filter((l) => l.startsWith('thinkcap_gpu_'));
    out.apiGpu = gpu;
    out.metrics = metrics;
    console.log(`GET /api/gpu: ${JSON.stringify(gpu)}`);
    console.log(metrics.join('\n'));
  } finally {
    await app.stop(100);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2));
}

main().catch((err: unknown) => {
  console.error(`gpu-verify: ${(err as Error).message}`);
  process.exit(1);
});
