import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyAttributor, type RequestEnergy } from '../../src/energy/attribution.js';
import { parseDcgm, DcgmSource } from '../../src/energy/dcgm.js';
import { NvmlSource } from '../../src/energy/nvml.js';
import { EnergyMonitor } from '../../src/energy/monitor.js';
import { gpuHourPrice, requestCostUsd } from '../../src/energy/cost.js';
import { validateConfig } from '../../src/config/load.js';
import OpenAI from 'openai';
import { startStack } from '../../devkit/stack.js';

describe('energy attribution', () => {
  it('conserves energy: per-request sum + idle = measured, for overlapping requests of any size', () => {
    fc.assert(
      fc.property(
        // A synthetic cumulative counter: per-interval energy (J) and which requests run / how many tokens each makes.
        fc.array(
          fc.record({
            joules: fc.double({ min: 0, max: 80, noNaN: true }),
            starts: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 2 }),
            tokens: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(50)),
            ends: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (intervals) => {
          const done: RequestEnergy[] = [];
          const at = new EnergyAttributor((r) => done.push(r));
          let round = 0;
          const live = new Set<string>();
          for (const iv of intervals) {
            for (const s of iv.starts) {
              const id = `${s}${round}`;
              if (!live.has(s)) {
                at.begin(id);
                live.add(s);
              }
            }
            for (const [k, n] of Object.entries(iv.tokens)) if (live.has(k)) at.tokens(`${k}${round}`, n);
            for (const e of iv.ends) {
              if (live.has(e)) {
                at.end(`${e}${round}`);
                live.delete(e);
              }
            }
            at.interval(0.1, iv.joules);
            if (live.size === 0) round++;
          }
          // close whatever is still running so every request reports
          for (const s of live) at.end(`${s}${round}`);
          at.interval(0.1, 0);
          const measured = intervals.reduce((s, i) => s + i.joules, 0);
          const perRequest = done.reduce((s, r) => s + r.joules, 0);
          expect(Math.abs(perRequest + at.idleJoules - measured)).toBeLessThan(1e-6 * Math.max(1, measured));
          expect(done.every((r) => r.joules >= 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shares an interval in proportion to tokens, equally when nobody produced any, idle when nobody runs', () => {
    const done: RequestEnergy[] = [];
    const at = new EnergyAttributor((r) => done.push(r));
    at.interval(0.1, 7); // idle
    at.begin('big');
    at.begin('small');
    at.interval(0.1, 10); // prefill: no tokens yet -> equal
    at.tokens('big', 30);
    at.tokens('small', 10);
    at.end('small');
    at.interval(0.1, 40); // 3:1
    at.end('big');
    at.interval(0.1, 0);
    expect(at.idleJoules).toBe(7);
    expect(done.find((d) => d.id === 'small')!.joules).toBeCloseTo(5 + 10);
    expect(done.find((d) => d.id === 'big')!.joules).toBeCloseTo(5 + 30);
    expect(done.find((d) => d.id === 'big')!.gpuSeconds).toBeCloseTo(0.05 + 0.075 + 0.1);
  });

  it('prices GPU time and energy', () => {
    expect(gpuHourPrice('NVIDIA H100 80GB HBM3')).toBe(2.9);
    expect(gpuHourPrice('NVIDIA H100 80GB HBM3', 1.5)).toBe(1.5);
    expect(gpuHourPrice('Mystery GPU')).toBeNull();
    expect(requestCostUsd(36, 3.6e6, 2, 0.1)).toBeCloseTo(0.02 + 0.1);
  });
});

const DCGM_TEXT = (energyMj: number, powerW: number) => `# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} ${powerW}
DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-def",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} 75.5
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} ${energyMj}
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="1",UUID="GPU-def",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} 123456789
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} 60000
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} 21559
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"} 97
`;

describe('DCGM exporter source', () => {
  let server: Server;
  let url: string;
  let energyMj = 5_000_000;
  beforeAll(async () => {
    // Exporter-format text; the counter grows 70 J per 100 ms of wall time (700 W).
    let lastAt = Date.now();
    server = createServer((_req, res) => {
      const now = Date.now();
      energyMj += 700 * (now - lastAt);
      lastAt = now;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(DCGM_TEXT(energyMj, 700));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('parses energy, power, framebuffer memory and utilisation per GPU', () => {
    const g = parseDcgm(DCGM_TEXT(42_000, 650.5));
    expect(g).toHaveLength(2);
    expect(g[0]).toMatchObject({ index: 0, name: 'NVIDIA H100 80GB HBM3', energyMj: 42_000, powerMw: 650_500, utilGpu: 0.97 });
    expect(g[0]!.memUsed).toBe(60000 * 1024 * 1024);
    expect(g[0]!.memTotal).toBe((60000 + 21559) * 1024 * 1024);
    expect(g[1]!.energyMj).toBe(123456789);
  });

  it('refuses an answer past its byte limit without holding it (an endless page)', async () => {
    let written = 0;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const line = Buffer.from(`${'# padding '.repeat(100)}\n`);
      const more = () => {
        while (!res.destroyed && written < 64 * 1024 * 1024 && res.write(line)) written += line.length;
        if (!res.destroyed && written < 64 * 1024 * 1024) res.once('drain', more);
        else res.end();
      };
      more();
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', () => r()));
    try {
      const at = `http://127.0.0.1:${(endless.address() as AddressInfo).port}/metrics`;
      await expect(new DcgmSource(at, 5000, 256 * 1024).sample()).rejects.toThrow(/larger than 262144 bytes/);
      await new Promise((r) => setTimeout(r, 50));
      expect(written).toBeLessThan(16 * 1024 * 1024); // the reader stopped; the server was not drained to its end
      // Within the limit, the same source reads as usual.
      expect((await new DcgmSource(url, 1000, 256 * 1024).sample())[0]!.energyMj).toBeGreaterThan(0);
    } finally {
      endless.closeAllConnections();
      await new Promise<void>((r) => endless.close(() => r()));
    }
  });

  it('scrapes over HTTP and attributes the counter deltas to requests', async () => {
    expect((await new DcgmSource(url).sample())[0]!.energyMj).toBeGreaterThan(0);
    const config = validateConfig({ energy: { source: 'dcgm', dcgmUrl: url, intervalMs: 50, gpuIndices: [0] } }).energy;
    const m = new EnergyMonitor(config, pino({ level: 'silent' }));
    await m.start();
    expect(m.kind).toBe('dcgm');
    m.begin('r1');
    for (let i = 0; i < 6; i++) {
      m.tokens('r1', 5);
      await new Promise((r) => setTimeout(r, 50));
    }
    const e = m.end('r1')!;
    const final = await e.final;
    expect(final.source).toBe('dcgm');
    expect(final.provisional).toBe(false);
    // ~700 W for ~0.3 s: tens of joules, and the measured total is conserved.
    expect(final.joules).toBeGreaterThan(50);
    expect(final.joules).toBeLessThan(1000);
    expect(Math.abs(m.attributor.attributedJoules + m.attributor.idleJoules - m.attributor.measuredJoules)).toBeLessThan(1e-6);
    expect(final.costUsd).toBeGreaterThan(0); // H100 price from the built-in table
    expect(m.view().gpus[0]).toMatchObject({ index: 0, powerW: 700, utilization: 0.97 });
    await m.stop();
  });
});

describe('no GPU here', () => {
  it('NVML absent: a clear error, and the monitor falls back without crashing', async () => {
    await expect(new NvmlSource().open('libnvidia-ml-definitely-absent.so.1')).rejects.toThrow(/NVML library .* not loadable/);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const m = new EnergyMonitor(validateConfig({ energy: { nvmlLibrary: 'libnvidia-ml-definitely-absent.so.1' } }).energy, log);
    await m.start();
    expect(m.kind).toBeNull();
    expect(lines.join('')).toMatch(/no GPU energy source/);
    expect(m.end('x')).toBeNull();
  });

  it('an estimate from configured watts is labelled estimated in headers, report and history', async () => {
    const stack = await startStack({
      emulator: { plan: () => ({ thinkingTokens: 50, answerTokens: 10 }), tokenDelayMs: 3 },
      thinkcap: { energy: { source: 'estimated', estimatedWatts: 400, intervalMs: 50, gpuHourUsd: 3.6 } },
    });
    try {
      const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'x', maxRetries: 0 });
      const { response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
      expect(response.headers.get('x-thinkcap-energy-source')).toBe('estimated');
      expect(Number(response.headers.get('x-thinkcap-energy-j'))).toBeGreaterThanOrEqual(0);
      expect(response.headers.get('x-thinkcap-cost-basis')).toBe('estimated');
      expect(Number(response.headers.get('x-thinkcap-cost-usd'))).toBeGreaterThanOrEqual(0);
      const raw = await (
        await fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] }) })
      ).text();
      expect(raw).toMatch(/^: thinkcap .*cost_usd=[\d.]+ cost_basis=estimated energy_j=[\d.]+ energy_source=estimated$/m);
      await new Promise((r) => setTimeout(r, 400));
      const rec = stack.thinkcap!.history.at(-1)!;
      expect(rec.energySource).toBe('estimated');
      expect(rec.energyJ).toBeGreaterThan(0);
      const gpu = (await (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/api/gpu`)).json()) as { source: string; gpus: Array<{ powerW: number }> };
      expect(gpu.source).toBe('estimated');
      expect(gpu.gpus[0]!.powerW).toBe(400);
    } finally {
      await stack.stop();
    }
  });
});

describe('measured price per token', () => {
  it('smooths measured cost per generated token; null without a source or observations', async () => {
    const m = new EnergyMonitor(validateConfig({ energy: { source: 'estimated', estimatedWatts: 300, intervalMs: 1000 } }).energy, pino({ level: 'silent' }));
    expect(m.costPerToken()).toBeNull();
    await m.start();
    expect(m.costPerToken()).toBeNull();
    m.observeCost(0.01, 100);
    expect(m.costPerToken()).toBeCloseTo(1e-4);
    m.observeCost(0.03, 100);
    expect(m.costPerToken()).toBeCloseTo(1e-4 + 0.1 * 2e-4);
    m.observeCost(null, 100);
    m.observeCost(0.5, 0);
    expect(m.costPerToken()).toBeCloseTo(1.2e-4);
    await m.stop();
  });
});
