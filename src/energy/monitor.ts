import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { EnergyAttributor, type RequestEnergy } from './attribution.js';
import { gpuHourPrice, requestCostUsd } from './cost.js';
import { DcgmSource } from './dcgm.js';
import { EstimatedSource } from './estimate.js';
import { NvmlSource } from './nvml.js';
import type { GpuSample, GpuSource } from './source.js';

export interface EnergyFigure {
  joules: number;
  gpuSeconds: number;
  costUsd: number | null;
  source: 'nvml' | 'dcgm' | 'estimated';
  /** The open interval was interpolated (figure given before the interval closed). */
  provisional: boolean;
}

export interface GpuView {
  index: number;
  name: string;
  powerW: number | null;
  energyJ: number | null;
  memTotalBytes: number | null;
  memUsedBytes: number | null;
  memFreeBytes: number | null;
  utilization: number | null;
  at: string;
}

/**
 * Samples the GPU energy source in the background (never per request), keeps a short time series
 * per GPU, and attributes each interval's energy to the requests active in it.
 */
export class EnergyMonitor {
  source: GpuSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private last: GpuSample[] | null = null;
  private lastAt = 0;
  private lastPowerW: number | null = null;
  readonly series: Array<{ at: number; gpus: GpuSample[] }> = [];
  readonly attributor: EnergyAttributor;
  private readonly waiting = new Map<string, (e: RequestEnergy) => void>();
  private failures = 0;
  /** Smoothed measured cost per generated token (GPU time + energy), for spend reservations. */
  private usdPerToken: number | null = null;
  onPower?: (watts: number) => void;
  onSample?: (gpus: GpuSample[], source: string) => void;

  constructor(
    private readonly config: Config['energy'],
    private readonly log: Logger,
  ) {
    this.attributor = new EnergyAttributor((r) => {
      const w = this.waiting.get(r.id);
      if (w) {
        this.waiting.delete(r.id);
        w(r);
      }
    });
  }

  /** Pick the source: nvml, then a DCGM exporter, then an estimate from configured watts. */
  async start(): Promise<void> {
    const want = this.config.source;
    const tries: Array<() => Promise<GpuSource>> = [];
    if (want === 'auto' || want === 'nvml')
      tries.push(async () => {
        const s = new NvmlSource();
        await s.open(this.config.nvmlLibrary);
        return s;
      });
    if ((want === 'auto' && this.config.dcgmUrl) || want === 'dcgm')
      tries.push(async () => {
        if (!this.config.dcgmUrl) throw new Error('energy.dcgmUrl is not set');
        const s = new DcgmSource(this.config.dcgmUrl);
        await s.sample();
        return s;
      });
    if ((want === 'auto' && this.config.estimatedWatts) || want === 'estimated')
      tries.push(async () => {
        if (!this.config.estimatedWatts) throw new Error('energy.estimatedWatts is not set');
        return new EstimatedSource(this.config.estimatedWatts, this.config.estimatedGpuName);
      });
    for (const t of tries) {
      try {
        this.source = await t();
        break;
      } catch (err) {
        this.log.info({ reason: (err as Error).message }, 'GPU energy source unavailable, trying the next');
      }
    }
    if (!this.source) {
      this.log.info('no GPU energy source: energy and GPU cost are not reported (set energy.estimatedWatts for an estimate)');
      return;
    }
    this.log.info({ source: this.source.description, intervalMs: this.config.intervalMs }, 'GPU energy sampling on');
    this.timer = setInterval(() => void this.tick(), this.config.intervalMs);
    this.timer.unref();
    await this.tick();
  }

  get kind(): 'nvml' | 'dcgm' | 'estimated' | null {
    return this.source?.kind ?? null;
  }

  private gpuOf(samples: GpuSample[]): GpuSample[] {
    const idx = this.config.gpuIndices;
    return idx.length ? samples.filter((s) => idx.includes(s.index)) : samples;
  }

  async tick(): Promise<void> {
    if (!this.source || this.inFlight) return;
    this.inFlight = true;
    try {
      const samples = await this.source.sample();
      this.failures = 0;
      const now = Date.now();
      const mine = this.gpuOf(samples);
      if (this.last) {
        const dt = (now - this.lastAt) / 1000;
        let joules = 0;
        for (const s of mine) {
          const prev = this.last.find((p) => p.index === s.index);
          if (s.energyMj !== null && prev?.energyMj !== null && prev?.energyMj !== undefined && s.energyMj >= prev.energyMj) joules += (s.energyMj - prev.energyMj) / 1000;
          else if (s.powerMw !== null) joules += (s.powerMw / 1000) * dt; // no counter: integrate power
        }
        if (dt > 0) {
          this.attributor.interval(dt, joules);
          this.lastPowerW = joules / dt;
          this.onPower?.(this.lastPowerW);
        }
      }
      this.last = mine;
      this.lastAt = now;
      this.series.push({ at: now, gpus: samples });
      const keep = Math.ceil((this.config.historySeconds * 1000) / this.config.intervalMs);
      if (this.series.length > keep) this.series.splice(0, this.series.length - keep);
      this.onSample?.(samples, this.source.kind);
    } catch (err) {
      if (this.failures++ === 0) this.log.warn({ err: (err as Error).message }, 'GPU energy sample failed (logged once until it recovers)');
    } finally {
      this.inFlight = false;
    }
  }

  begin(id: string): void {
    if (this.source) this.attributor.begin(id);
  }

  tokens(id: string, n: number): void {
    if (this.source && n > 0) this.attributor.tokens(id, n);
  }

  private price(): number | null {
    const name = this.last?.[0]?.name ?? '';
    return gpuHourPrice(name, this.config.gpuHourUsd);
  }

  private figure(e: RequestEnergy, provisional: boolean): EnergyFigure {
    return {
      joules: e.joules,
      gpuSeconds: e.gpuSeconds,
      costUsd: requestCostUsd(e.gpuSeconds, e.joules, this.price(), this.config.kwhUsd ?? null),
      source: this.source!.kind,
      provisional,
    };
  }

  /** Provisional figure while the request is still running (for the end-of-stream report). */
  peek(id: string): EnergyFigure | null {
    if (!this.source) return null;
    const so = this.attributor.soFar(id);
    if (!so) return null;
    const open = (Date.now() - this.lastAt) / 1000;
    const share = 1 / Math.max(1, this.attributor.activeCount);
    return this.figure({ id, joules: so.joules + (this.lastPowerW ?? 0) * open * share, gpuSeconds: so.gpuSeconds + open * share }, true);
  }

  /**
   * The request ended. Returns a provisional figure now (attributed so far plus its share of the
   * open interval at the last measured power) and the final one once that interval closes.
   */
  end(id: string): { now: EnergyFigure; final: Promise<EnergyFigure> } | null {
    if (!this.source) return null;
    const so = this.attributor.soFar(id);
    if (!so) return null;
    const open = (Date.now() - this.lastAt) / 1000;
    const share = 1 / Math.max(1, this.attributor.activeCount);
    const now = this.figure({ id, joules: so.joules + (this.lastPowerW ?? 0) * open * share, gpuSeconds: so.gpuSeconds + open * share }, true);
    this.attributor.end(id);
    const final = new Promise<EnergyFigure>((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        resolve(now);
      }, this.config.intervalMs * 5);
      t.unref();
      this.waiting.set(id, (e) => {
        clearTimeout(t);
        resolve(this.figure(e, false));
      });
    });
    return { now, final };
  }

  /** A finished request's measured cost and tokens: feeds the per-token price used to reserve spend. */
  observeCost(costUsd: number | null, tokens: number): void {
    if (costUsd === null || !(tokens > 0)) return;
    const v = costUsd / tokens;
    this.usdPerToken = this.usdPerToken === null ? v : this.usdPerToken + 0.1 * (v - this.usdPerToken);
  }

  /** Measured $ per generated token, or null before the first priced request (or with no price). */
  costPerToken(): number | null {
    return this.source ? this.usdPerToken : null;
  }

  /** Latest reading per GPU for /api/gpu and the metrics. */
  view(): { source: string; description: string; intervalMs: number; idleJoules: number; attributedJoules: number; gpus: GpuView[] } {
    const latest = this.series[this.series.length - 1];
    return {
      source: this.source?.kind ?? 'none',
      description: this.source?.description ?? 'no GPU energy source',
      intervalMs: this.config.intervalMs,
      idleJoules: this.attributor.idleJoules,
      attributedJoules: this.attributor.attributedJoules,
      gpus: (latest?.gpus ?? []).map((g) => ({
        index: g.index,
        name: g.name,
        powerW: g.powerMw === null ? null : g.powerMw / 1000,
        energyJ: g.energyMj === null ? null : g.energyMj / 1000,
        memTotalBytes: g.memTotal,
        memUsedBytes: g.memUsed,
        memFreeBytes: g.memTotal !== null && g.memUsed !== null ? g.memTotal - g.memUsed : null,
        utilization: g.utilGpu,
        at: new Date(g.at).toISOString(),
      })),
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.source?.close();
  }
}
