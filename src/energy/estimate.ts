import type { GpuSample, GpuSource } from './source.js';

/**
 * No measurement available: a configured power draw integrated over time. Everything derived
 * from it is labelled "estimated" (headers, metrics, dashboard).
 */
export class EstimatedSource implements GpuSource {
  readonly kind = 'estimated' as const;
  private energyMj = 0;
  private last = Date.now();

  constructor(
    private readonly watts: number,
    private readonly gpuName = 'estimated GPU',
  ) {}

  get description(): string {
    return `estimated (${this.watts} W configured)`;
  }

  async sample(): Promise<GpuSample[]> {
    const now = Date.now();
    this.energyMj += this.watts * (now - this.last); // W x ms = mJ
    this.last = now;
    return [{ index: 0, name: this.gpuName, at: now, energyMj: this.energyMj, powerMw: this.watts * 1000, memTotal: null, memUsed: null, utilGpu: null }];
  }

  async close(): Promise<void> {}
}
