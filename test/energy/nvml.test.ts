import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { EnergyMonitor } from '../../src/energy/monitor.js';
import { NvmlSource } from '../../src/energy/nvml.js';
import { packageRoot } from '../../src/paths.js';
import { startStack } from '../../devkit/stack.js';

/**
 * thinkcap's NVML binding (koffi) against a library with NVML's C interface built here from
 * test/fixtures/nvml/fake-nvml.c: the calls, argument and struct layouts and return codes a real
 * libnvidia-ml has, with readings the test sets. What it checks is the binding and what thinkcap
 * does with the readings; no GPU was read (that is issue #17, on the GPU machine).
 */
let dir: string;
let library: string;
let fake: {
  configure: (gpus: number, initResult: number) => void;
  set: (gpu: number, powerMw: number, counterSupported: number, memTotal: number, memUsed: number, utilPercent: number) => void;
  markCaller: () => void;
  stall: (ms: number) => void;
  calls: () => number;
  callsOnCaller: () => number;
  energyMj: (gpu: number) => number | bigint;
};

const GIB = 1024 ** 3;
const log = pino({ level: 'silent' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-nvml-'));
  library = join(dir, 'libfake-nvml.so');
  // A C compiler is on every machine the tests run on (scripts/install-llama.sh builds llama.cpp).
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, join(packageRoot(), 'test', 'fixtures', 'nvml', 'fake-nvml.c'), '-lpthread']);
  const lib = koffi.load(library);
  fake = {
    configure: lib.func('void fake_nvml_configure(uint32_t gpus, int initResult)'),
    set: lib.func('void fake_nvml_set(uint32_t i, uint32_t powerMw, int counterSupported, uint64_t memTotal, uint64_t memUsed, uint32_t utilPercent)'),
    markCaller: lib.func('void fake_nvml_mark_caller()'),
    stall: lib.func('void fake_nvml_stall(uint32_t ms)'),
    calls: lib.func('int fake_nvml_calls()'),
    callsOnCaller: lib.func('int fake_nvml_calls_on_caller()'),
    energyMj: lib.func('uint64_t fake_nvml_energy_mj(uint32_t i)'),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  fake.configure(2, 0);
  fake.set(0, 350_000, 1, 80 * GIB, 20 * GIB, 75);
  fake.set(1, 120_000, 1, 141 * GIB, 1 * GIB, 3);
  fake.markCaller();
});

describe('NVML through koffi, against a library with its C interface', () => {
  it('finds the GPUs and reads names, energy counter, power, memory and utilisation as NVML lays them out; no call runs on the JavaScript thread', async () => {
    const s = new NvmlSource();
    await s.open(library);
    expect(s.description).toBe('nvml (2 GPUs: NVIDIA H100 80GB HBM3, NVIDIA H200)');
    const first = await s.sample();
    await new Promise((r) => setTimeout(r, 200));
    const second = await s.sample();
    expect(second.map((g) => [g.index, g.name, g.powerMw, g.memTotal, g.memUsed, g.utilGpu])).toEqual([
      [0, 'NVIDIA H100 80GB HBM3', 350_000, 80 * GIB, 20 * GIB, 0.75],
      [1, 'NVIDIA H200', 120_000, 141 * GIB, 1 * GIB, 0.03],
    ]);
    // The counter is read as the 64-bit millijoules it is: ~350 W for ~0.2 s on GPU 0.
    const delta = second[0]!.energyMj! - first[0]!.energyMj!;
    const seconds = (second[0]!.at - first[0]!.at) / 1000;
    expect(first[0]!.energyMj).toBeGreaterThan(1e9);
    expect(delta / 1000).toBeGreaterThan(350 * seconds * 0.8);
    expect(delta / 1000).toBeLessThan(350 * (seconds + 0.1));
    await s.close();
    // Opened again in the same process (a monitor started anew): koffi's type names are global,
    // and a second declaration of NVML's structs once failed the open ("Duplicate type name").
    const again = new NvmlSource();
    await again.open(library);
    expect((await again.sample()).map((g) => g.powerMw)).toEqual([350_000, 120_000]);
    await again.close();
    expect(fake.calls()).toBeGreaterThan(10);
    expect(fake.callsOnCaller()).toBe(0);
  });

  it('a GPU without an energy counter (NVML_ERROR_NOT_SUPPORTED) is read by its power from then on', async () => {
    fake.set(1, 120_000, 0, 141 * GIB, 1 * GIB, 3);
    const s = new NvmlSource();
    await s.open(library);
    const [a, b] = await s.sample();
    expect(a!.energyMj).not.toBeNull();
    expect(b!.energyMj).toBeNull();
    expect(b!.powerMw).toBe(120_000);
    await s.close();
    // The monitor integrates its power: two GPUs' joules over an interval, counter and power alike.
    const m = new EnergyMonitor(validateConfig({ energy: { source: 'nvml', nvmlLibrary: library, intervalMs: 50 } }).energy, log);
    await m.start();
    const before = m.view();
    await new Promise((r) => setTimeout(r, 600));
    const after = m.view();
    await m.stop();
    const joules = after.idleJoules + after.attributedJoules - (before.idleJoules + before.attributedJoules);
    const seconds = (Date.parse(after.gpus[0]!.at) - Date.parse(before.gpus[0]!.at)) / 1000;
    expect(joules / seconds).toBeGreaterThan(470 * 0.85);
    expect(joules / seconds).toBeLessThan(470 * 1.15);
  });

  it('a driver whose every call stalls for 400 ms: the event loop goes on, and samples do not pile up behind it', async () => {
    const m = new EnergyMonitor(validateConfig({ energy: { source: 'nvml', nvmlLibrary: library, intervalMs: 50 } }).energy, log);
    await m.start();
    fake.stall(400);
    const callsBefore = fake.calls();
    // Timers due every 10 ms for 1.5 s while each sample (four calls per GPU) takes ~1.6 s.
    let late = 0;
    let last = performance.now();
    for (let i = 0; i < 150; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const now = performance.now();
      late = Math.max(late, now - last - 10);
      last = now;
    }
    fake.stall(0);
    await m.stop();
    expect(late).toBeLessThan(100);
    // A 50 ms interval would have started 30 samples; one at a time ran (2 GPUs x 4 calls each).
    expect(fake.calls() - callsBefore).toBeLessThanOrEqual(2 * 8);
    expect(fake.callsOnCaller()).toBe(0);
  });

  it('an NVML that does not start or finds no GPU gives one clear reason, and the monitor goes on without it', async () => {
    fake.configure(2, 9);
    await expect(new NvmlSource().open(library)).rejects.toThrow('nvmlInit failed: Driver Not Loaded');
    fake.configure(0, 0);
    await expect(new NvmlSource().open(library)).rejects.toThrow('NVML found no GPU');
    const m = new EnergyMonitor(validateConfig({ energy: { nvmlLibrary: library, estimatedWatts: 300 } }).energy, log);
    await m.start();
    expect(m.kind).toBe('estimated');
    await m.stop();
  });
});

describe('measured energy through Envoy, with the NVML interface', () => {
  it('each request is labelled measured-nvml, /api/gpu and thinkcap_gpu_* show the readings, and what requests got plus idle is what the counters moved', async () => {
    const stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 60, answerTokens: 10 }), tokenDelayMs: 3 },
      thinkcap: { energy: { source: 'nvml', nvmlLibrary: library, intervalMs: 50, gpuHourUsd: 3.6 } },
    });
    try {
      const admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
      const counters = () => Number(fake.energyMj(0)) + Number(fake.energyMj(1));
      await new Promise((r) => setTimeout(r, 120));
      const start = (await (await fetch(`${admin}/api/gpu`)).json()) as { idleJoules: number; attributedJoules: number; gpus: Array<{ energyJ: number }> };
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'x', maxRetries: 0 });
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }).withResponse()),
      );
      for (const { response } of answers) {
        expect(response.headers.get('x-thinkcap-energy-source')).toBe('measured-nvml');
        expect(Number(response.headers.get('x-thinkcap-energy-j'))).toBeGreaterThan(0);
        expect(response.headers.get('x-thinkcap-cost-basis')).toBe('gpu');
      }
      await new Promise((r) => setTimeout(r, 400));
      const gpu = (await (await fetch(`${admin}/api/gpu`)).json()) as {
        source: string;
        idleJoules: number;
        attributedJoules: number;
        gpus: Array<{ name: string; powerW: number; energyJ: number; memTotalBytes: number; memFreeBytes: number; utilization: number }>;
      };
      expect(gpu.source).toBe('nvml');
      expect(gpu.gpus.map((g) => [g.name, g.powerW, g.memTotalBytes, g.memFreeBytes, g.utilization])).toEqual([
        ['NVIDIA H100 80GB HBM3', 350, 80 * GIB, 60 * GIB, 0.75],
        ['NVIDIA H200', 120, 141 * GIB, 140 * GIB, 0.03],
      ]);
      // Conservation: between two readings, the counters' movement is all attributed or idle.
      const moved = gpu.gpus.reduce((a, g) => a + g.energyJ, 0) - start.gpus.reduce((a, g) => a + g.energyJ, 0);
      const shared = gpu.idleJoules + gpu.attributedJoules - (start.idleJoules + start.attributedJoules);
      expect(shared).toBeCloseTo(moved, 3);
      expect(counters() / 1000).toBeGreaterThanOrEqual(gpu.gpus.reduce((a, g) => a + g.energyJ, 0));
      const records = stack.thinkcap!.history.filter((r) => r.path === '/v1/chat/completions');
      expect(records).toHaveLength(4);
      expect(records.every((r) => r.energySource === 'measured-nvml' && r.energyJ! > 0)).toBe(true);
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      expect(metrics).toMatch(/^thinkcap_gpu_power_watts\{gpu="0",source="nvml"\} 350$/m);
      expect(metrics).toMatch(/^thinkcap_gpu_memory_total_bytes\{gpu="1",source="nvml"\} 151397597184$/m);
      expect(metrics).toMatch(/^thinkcap_energy_joules_total\{source="measured-nvml"\} [\d.]+$/m);
      expect(fake.callsOnCaller()).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});

describe('benchmarks/gpu-verify.js, the check issue #17 runs on a GPU machine', () => {
  it('reads idle and load power, checks attribution against the counters, times the sampler and reads thinkcap\'s /api/gpu, in one run', () => {
    // Its own process: the library sets itself up from the environment there, and a "load"
    // command raises the power it reports (60 W idle, 400 W under load).
    const power = join(dir, 'power-mw');
    writeFileSync(power, '60000');
    const json = join(dir, 'gpu-verify.json');
    const run = spawnSync(
      process.execPath,
      [join(packageRoot(), 'dist', 'benchmarks', 'gpu-verify.js'), '--library', library, '--idle-seconds', '1', '--seconds', '2', '--load', `echo 400000 > ${power}; sleep 30`, '--json', json],
      { encoding: 'utf8', env: { ...process.env, FAKE_NVML_POWER_FILE: power }, timeout: 60_000 },
    );
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      driver: string;
      gpus: Array<{ name: string }>;
      idle: { watts: number };
      load: { seconds: number; counterJ: number; integratedJ: number; meanWatts: number; loadJ: number };
      attribution: { requests: Record<string, number>; attributedJ: number; idleJ: number; counterJ: number; differenceJ: number };
      sampler: { samples: number; nvmlMsMedian: number; cpuMsPerSample: number; eventLoopDelayMs: { p99: number } };
      apiGpu: { source: string; gpus: Array<{ powerW: number }> };
      metrics: string[];
    };
    expect(out.driver).toBe('fake-550.54.15');
    expect(out.gpus.map((g) => g.name)).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(out.idle.watts).toBeGreaterThan(55);
    expect(out.idle.watts).toBeLessThan(65);
    // Under load: the counter and integrated power agree, and the mean is the load's power but
    // for the moments before the command wrote it.
    expect(out.load.meanWatts).toBeGreaterThan(300);
    expect(out.load.meanWatts).toBeLessThan(405);
    expect(Math.abs(out.load.integratedJ - out.load.counterJ) / out.load.counterJ).toBeLessThan(0.1);
    expect(out.load.loadJ).toBeCloseTo(out.load.counterJ - out.idle.watts * out.load.seconds, 6);
    // Three overlapping requests of different sizes; they and idle hold what the counters moved.
    expect(Object.keys(out.attribution.requests).sort()).toEqual(['a', 'b', 'c']);
    expect(Object.values(out.attribution.requests).every((j) => j > 0)).toBe(true);
    expect(Math.abs(out.attribution.differenceJ)).toBeLessThan(0.01 * out.attribution.counterJ);
    expect(out.sampler.samples).toBeGreaterThan(20);
    expect(out.sampler.nvmlMsMedian).toBeGreaterThan(0);
    expect(out.sampler.eventLoopDelayMs.p99).toBeGreaterThan(0);
    expect(out.apiGpu.source).toBe('nvml');
    expect(out.apiGpu.gpus[0]!.powerW).toBe(400);
    expect(out.metrics).toContain('thinkcap_gpu_power_watts{gpu="0",source="nvml"} 400');
  }, 60_000);
});

describe('scripts/gpu-pack.sh and scripts/gpu-run.sh: what a GPU session carries and runs', () => {
  it('the packed Node.js, build and production dependencies run the check from an empty folder, within what the device tool carries', () => {
    const carry = join(dir, 'carry');
    const pack = spawnSync('bash', [join(packageRoot(), 'scripts', 'gpu-pack.sh'), '--no-build', '--out', carry], { encoding: 'utf8', timeout: 240_000 });
    expect(pack.status, pack.stderr + pack.stdout).toBe(0);
    const bytes = statSync(join(carry, 'bundle.tar.xz')).size;
    expect(bytes).toBeLessThan(56 * 1024 * 1024); // the device tool carries 64 MiB in all
    const power = join(dir, 'power-run-mw');
    writeFileSync(power, '60000');
    const out = mkdtempSync(join(dir, 'out-'));
    // Run from a folder with nothing of the project in it: the bundle must hold all it reads.
    const empty = mkdtempSync(join(dir, 'empty-'));
    mkdirSync(join(empty, '.gpu-carry'));
    renameSync(join(carry, 'bundle.tar.xz'), join(empty, '.gpu-carry', 'bundle.tar.xz'));
    const run = spawnSync('bash', [join(packageRoot(), 'scripts', 'gpu-run.sh'), '--library', library, '--idle-seconds', '1', '--seconds', '1'], {
      cwd: empty,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, OUT: out, FAKE_NVML_POWER_FILE: power, GPU_LOAD: `echo 400000 > ${power}; sleep 30`, PATH: '/usr/bin:/bin' },
    });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'gpu-verify.json'), 'utf8')) as { driver: string; idle: { watts: number }; apiGpu: { source: string } };
    expect(result.driver).toBe('fake-550.54.15');
    expect(result.idle.watts).toBeGreaterThan(55);
    expect(result.apiGpu.source).toBe('nvml');
    expect(readFileSync(join(out, 'gpu-verify.txt'), 'utf8')).toMatch(/^attribution: a [\d.]+ J/m);
  }, 300_000);
});
