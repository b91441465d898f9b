/** A whole stack for tests, demo and benchmarks: emulator + thinkcap + real Envoy on loopback. */
import { pino } from 'pino';
import { startThinkcap, type Thinkcap } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { startEmulator, type Emulator, type EmulatorOptions } from './emulator/server.js';
import { buildEnvoyConfig, freePort, startEnvoy, type EnvoyConfigOptions, type RunningEnvoy } from './envoy.js';

export interface Stack {
  emulator: Emulator;
  /** Extra emulators by Envoy cluster name (tier routing tests). */
  emulators: Record<string, Emulator>;
  thinkcap: Thinkcap | null;
  /** Every replica (thinkcap is the first). */
  replicas: Thinkcap[];
  envoy: RunningEnvoy;
  /** Base URL for the OpenAI client (Envoy's listener + /v1). */
  baseURL: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  /** Extra emulators, one per Envoy cluster name. */
  emulators?: Record<string, EmulatorOptions>;
  /** Raw thinkcap config (validated); ports are chosen here. */
  thinkcap?: Record<string, unknown> | ((emulator: Emulator) => Record<string, unknown>);
  /** Start no thinkcap (Envoy points at a closed port): thinkcap-down tests. */
  noThinkcap?: boolean;
  /** thinkcap replicas behind Envoy's thinkcap cluster (default 1). */
  replicas?: number;
  /** Injected clock for budget windows. */
  clock?: () => number;
  envoy?: Partial<EnvoyConfigOptions>;
  /** Point Envoy's backend cluster at this port (a real engine) instead of the emulator. */
  backendPort?: number;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator(o.emulator ?? {});
  const emulators: Record<string, Emulator> = {};
  for (const [name, opts] of Object.entries(o.emulators ?? {})) emulators[name] = await startEmulator(opts);
  const replicas: Thinkcap[] = [];
  let thinkcapPort: number;
  if (o.noThinkcap) thinkcapPort = await freePort();
  else {
    const given = typeof o.thinkcap === 'function' ? o.thinkcap(emulator) : (o.thinkcap ?? {});
    for (let i = 0; i < (o.replicas ?? 1); i++) {
      const raw = { log: { level: process.env.THINKCAP_TEST_LOG ?? 'silent' }, ...structuredClone(given) } as Record<string, unknown>;
      // The emulator says how long it would have thought without the cap (the tokens-saved metric).
      raw.dashboard = { naturalThinkingHeader: 'x-emulator-natural-thinking-tokens', ...((raw.dashboard as object) ?? {}) };
      raw.server = { grpcHost: '127.0.0.1', grpcPort: 0, adminHost: '127.0.0.1', adminPort: 0, shutdownGraceMs: 2000, ...((raw.server as object) ?? {}) };
      const config = validateConfig(raw);
      replicas.push(await startThinkcap(config, pino({ level: config.log.level }), { clock: o.clock }));
    }
    thinkcapPort = replicas[0]!.grpcPort;
  }
  const thinkcap = replicas[0] ?? null;
  // A port found free can be taken by a parallel test process before Envoy binds it: try again
  // on fresh ports (only when the listener or admin port was ours to choose).
  let envoy: RunningEnvoy | null = null;
  for (let attempt = 1; envoy === null; attempt++) {
    const envoyCfg = buildEnvoyConfig({
      listenerPort: await freePort(),
      adminPort: await freePort(),
      thinkcapPort,
      thinkcapPorts: replicas.map((r) => r.grpcPort),
      backendPort: o.backendPort ?? emulator.port,
      ...o.envoy,
      clusters: { ...Object.fromEntries(Object.entries(emulators).map(([k, e]) => [k, e.port])), ...(o.envoy?.clusters ?? {}) },
    });
    try {
      envoy = await startEnvoy(envoyCfg);
    } catch (err) {
      if (attempt < 4 && /Address already in use/.test(String(err)) && o.envoy?.listenerPort === undefined) continue;
      for (const r of replicas) await r.stop(0);
      await emulator.close();
      throw err;
    }
  }
  return {
    emulator,
    emulators,
    thinkcap,
    replicas,
    envoy,
    baseURL: `${envoy.url}/v1`,
    async stop() {
      await envoy.stop();
      for (const r of replicas) await r.stop(500);
      await emulator.close();
      for (const e of Object.values(emulators)) await e.close();
    },
  };
}
