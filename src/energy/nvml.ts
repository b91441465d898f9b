import type { GpuSample, GpuSource } from './source.js';

/**
 * NVML through koffi (there is no maintained node-nvml). Loaded lazily: no library, no GPU or
 * an unsupported call gives one clear error and the caller falls back. Every NVML call runs on
 * koffi's async worker threads (an NVML call took ~3.9 ms on an H100): never on the event loop.
 */
const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;

type Fn = ((...args: unknown[]) => number) & { async: (...args: unknown[]) => void };

interface Bound {
  init: Fn;
  shutdown: Fn;
  count: Fn;
  handle: Fn;
  name: Fn;
  energy: Fn;
  power: Fn;
  memory: Fn;
  util: Fn;
  errorString: Fn;
}

/** NVML's structs are declared to koffi (once per process: koffi's type names are global). */
let structsDeclared = false;

function call(fn: Fn, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => fn.async(...args, (err: unknown, rc: number) => (err ? reject(err) : resolve(rc))));
}

export class NvmlSource implements GpuSource {
  readonly kind = 'nvml' as const;
  private nv: Bound | null = null;
  private handles: unknown[] = [];
  private names: string[] = [];
  /** Per GPU: true when the energy counter is unsupported (pre-Volta): integrate power instead. */
  private noCounter: boolean[] = [];
  /** The NVIDIA driver's version (nvmlSystemGetDriverVersion), once open; null where NVML gives none. */
  driverVersion: string | null = null;

  get description(): string {
    return `nvml (${this.names.length} GPU${this.names.length === 1 ? '' : 's'}: ${[...new Set(this.names)].join(', ')})`;
  }

  /** Load libnvidia-ml and enumerate GPUs; throws with a clear reason when that is impossible. */
  async open(libraryPath = 'libnvidia-ml.so.1'): Promise<void> {
    const koffi = (await import('koffi')).default;
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(libraryPath);
    } catch (err) {
      throw new Error(`NVML library ${libraryPath} not loadable (${(err as Error).message.split('\n')[0]})`);
    }
    // koffi keeps named types for the process: declared once, or a second open (a monitor
    // started again in the same process) failed with "Duplicate type name" and lost NVML.
    if (!structsDeclared) {
      koffi.struct('thinkcap_nvmlMemory_t', { total: 'uint64_t', free: 'uint64_t', used: 'uint64_t' });
      koffi.struct('thinkcap_nvmlUtilization_t', { gpu: 'uint32_t', memory: 'uint32_t' });
      structsDeclared = true;
    }
    const nv: Bound = {
      init: lib.func('int nvmlInit_v2()') as Fn,
      shutdown: lib.func('int nvmlShutdown()') as Fn,
      count: lib.func('int nvmlDeviceGetCount_v2(_Out_ uint32_t *count)') as Fn,
      handle: lib.func('int nvmlDeviceGetHandleByIndex_v2(uint32_t index, _Out_ void **device)') as Fn,
      name: lib.func('int nvmlDeviceGetName(void *device, _Out_ uint8_t *name, uint32_t length)') as Fn,
      energy: lib.func('int nvmlDeviceGetTotalEnergyConsumption(void *device, _Out_ uint64_t *energy)') as Fn,
      power: lib.func('int nvmlDeviceGetPowerUsage(void *device, _Out_ uint32_t *power)') as Fn,
      memory: lib.func('int nvmlDeviceGetMemoryInfo(void *device, _Out_ thinkcap_nvmlMemory_t *memory)') as Fn,
      util: lib.func('int nvmlDeviceGetUtilizationRates(void *device, _Out_ thinkcap_nvmlUtilization_t *utilization)') as Fn,
      errorString: lib.func('const char *nvmlErrorString(int result)') as Fn,
    };
    const rc = await call(nv.init);
    if (rc !== NVML_SUCCESS) throw new Error(`nvmlInit failed: ${String(nv.errorString(rc))}`);
    const driver = Buffer.alloc(80);
    if ((await call(lib.func('int nvmlSystemGetDriverVersion(_Out_ uint8_t *version, uint32_t length)') as Fn, driver, 80)) === NVML_SUCCESS) {
      this.driverVersion = driver.toString('utf8', 0, driver.indexOf(0) >= 0 ? driver.indexOf(0) : 80);
    }
    const count = [0];
    const rcc = await call(nv.count, count);
    if (rcc !== NVML_SUCCESS || count[0] === 0) throw new Error(rcc !== NVML_SUCCESS ? `nvmlDeviceGetCount failed: ${String(nv.errorString(rcc))}` : 'NVML found no GPU');
    for (let i = 0; i < count[0]!; i++) {
      const out: unknown[] = [null];
      const r = await call(nv.handle, i, out);
      if (r !== NVML_SUCCESS) throw new Error(`nvmlDeviceGetHandleByIndex(${i}) failed: ${String(nv.errorString(r))}`);
      this.handles.push(out[0]);
      const buf = Buffer.alloc(96);
      await call(nv.name, out[0], buf, 96);
      this.names.push(buf.toString('utf8', 0, buf.indexOf(0) >= 0 ? buf.indexOf(0) : 96));
      this.noCounter.push(false);
    }
    this.nv = nv;
  }

  async sample(): Promise<GpuSample[]> {
    const nv = this.nv;
    if (!nv) throw new Error('NVML not open');
    const at = Date.now();
    return Promise.all(
      this.handles.map(async (h, i) => {
        const s: GpuSample = { index: i, name: this.names[i]!, at, energyMj: null, powerMw: null, memTotal: null, memUsed: null, utilGpu: null };
        if (!this.noCounter[i]) {
          const e = [0];
          const rc = await call(nv.energy, h, e);
          if (rc === NVML_SUCCESS) s.energyMj = Number(e[0]);
          else if (rc === NVML_ERROR_NOT_SUPPORTED) this.noCounter[i] = true; // integrate power from now on
        }
        const p = [0];
        if ((await call(nv.power, h, p)) === NVML_SUCCESS) s.powerMw = Number(p[0]);
        const m: { total?: number; used?: number } = {};
        if ((await call(nv.memory, h, m)) === NVML_SUCCESS) {
          s.memTotal = Number(m.total);
          s.memUsed = Number(m.used);
        }
        const u: { gpu?: number } = {};
        if ((await call(nv.util, h, u)) === NVML_SUCCESS) s.utilGpu = Number(u.gpu) / 100;
        return s;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.nv) await call(this.nv.shutdown).catch(() => 0);
    this.nv = null;
  }
}
