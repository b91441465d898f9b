/** One reading of one GPU. Cumulative energy where the source has a counter. */
export interface GpuSample {
  index: number;
  name: string;
  /** When the reading was taken (ms since epoch). */
  at: number;
  /** Total energy counter in millijoules (NVML since driver load; DCGM the same counter), or null. */
  energyMj: number | null;
  powerMw: number | null;
  memTotal: number | null;
  memUsed: number | null;
  /** 0..1 */
  utilGpu: number | null;
}

export interface GpuSource {
  readonly kind: 'nvml' | 'dcgm' | 'estimated';
  readonly description: string;
  sample(): Promise<GpuSample[]>;
  close(): Promise<void>;
}
