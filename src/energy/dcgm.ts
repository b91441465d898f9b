import type { GpuSample, GpuSource } from './source.js';

/**
 * A GPU on another host: scrape a DCGM exporter's Prometheus endpoint.
 *   DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION  mJ since boot (counter)
 *   DCGM_FI_DEV_POWER_USAGE               W
 *   DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE   MiB
 *   DCGM_FI_DEV_GPU_UTIL                  %
 */
const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})?\s+([-+0-9.eE]+|NaN|[+-]?Inf)(?:\s+\d+)?$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseDcgm(text: string, at = Date.now()): GpuSample[] {
  const gpus = new Map<string, GpuSample>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const [, name, labels = '', value] = m;
    if (!name!.startsWith('DCGM_FI_DEV_')) continue;
    const l: Record<string, string> = {};
    LABEL.lastIndex = 0;
    for (let x = LABEL.exec(labels); x; x = LABEL.exec(labels)) l[x[1]!] = x[2]!;
    const id = l.gpu ?? l.UUID ?? '0';
    let g = gpus.get(id);
    if (!g) {
      g = { index: Number(l.gpu ?? gpus.size), name: l.modelName ?? 'GPU', at, energyMj: null, powerMw: null, memTotal: null, memUsed: null, utilGpu: null };
      gpus.set(id, g);
    }
    const v = Number(value);
    if (!Number.isFinite(v)) continue;
    const MiB = 1024 * 1024;
    switch (name) {
      case 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION':
        g.energyMj = v;
        break;
      case 'DCGM_FI_DEV_POWER_USAGE':
        g.powerMw = v * 1000;
        break;
      case 'DCGM_FI_DEV_FB_USED':
        g.memUsed = v * MiB;
        g.memTotal = (g.memTotal ?? 0) + v * MiB;
        break;
      case 'DCGM_FI_DEV_FB_FREE':
        g.memTotal = (g.memTotal ?? 0) + v * MiB;
        break;
      case 'DCGM_FI_DEV_GPU_UTIL':
        g.utilGpu = v / 100;
        break;
    }
  }
  return [...gpus.values()].sort((a, b) => a.index - b.index);
}

/**
 * The most bytes read from one scrape: an exporter's page for 8 GPUs with every default field is
 * well under 100 KB. A larger answer (a wrong URL, a broken proxy) is refused, not held.
 */
export const MAX_SCRAPE_BYTES = 4 * 1024 * 1024;

export class DcgmSource implements GpuSource {
  readonly kind = 'dcgm' as const;
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 1000,
    private readonly maxBytes = MAX_SCRAPE_BYTES,
  ) {}

  get description(): string {
    return `dcgm-exporter ${this.url}`;
  }

  async sample(): Promise<GpuSample[]> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`DCGM exporter answered ${res.status}`);
    }
    const gpus = parseDcgm(await readCapped(res, this.maxBytes));
    if (gpus.length === 0) throw new Error('DCGM exporter reported no DCGM_FI_DEV_* series');
    return gpus;
  }

  async close(): Promise<void> {}
}

/** The body as UTF-8, or an error (the rest not read) once it passes maxBytes. */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      throw new Error(`DCGM exporter answer is larger than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}
