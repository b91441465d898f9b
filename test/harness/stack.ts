/** A whole stack for tests, demo and benchmarks: emulator + thinkcap + real Envoy on loopback. */
import { pino } from 'pino';
import { startThinkcap, type Thinkcap } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server.js';
import { buildEnvoyConfig, freePort, startEnvoy, type EnvoyConfigOptions, type RunningEnvoy } from './envoy.js';

export interface Stack {
  emulator: Emulator;
  thinkcap: Thinkcap | null;
  envoy: RunningEnvoy;
  /** Base URL for the OpenAI client (Envoy's listener + /v1). */
  baseURL: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  /** Raw thinkcap config (validated); ports are chosen here. */
  thinkcap?: Record<string, unknown> | ((emulator: Emulator) => Record<string, unknown>);
  /** Start no thinkcap (Envoy points at a closed port): thinkcap-down tests. */
  noThinkcap?: boolean;
  envoy?: Partial<EnvoyConfigOptions>;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator(o.emulator ?? {});
  let thinkcap: Thinkcap | null = null;
  let thinkcapPort: number;
  if (o.noThinkcap) thinkcapPort = await freePort();
  else {
    const given = typeof o.thinkcap === 'function' ? o.thinkcap(emulator) : (o.thinkcap ?? {});
    const raw = { log: { level: process.env.THINKCAP_TEST_LOG ?? 'silent' }, ...given } as Record<string, unknown>;
    raw.server = { grpcHost: '127.0.0.1', grpcPort: 0, adminHost: '127.0.0.1', adminPort: 0, shutdownGraceMs: 2000, ...((raw.server as object) ?? {}) };
    const config = validateConfig(raw);
    thinkcap = await startThinkcap(config, pino({ level: config.log.level }));
    thinkcapPort = thinkcap.grpcPort;
  }
  const envoyCfg = buildEnvoyConfig({
    listenerPort: await freePort(),
    adminPort: await freePort(),
    thinkcapPort,
    backendPort: emulator.port,
    ...o.envoy,
  });
  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy(envoyCfg);
  } catch (err) {
    await thinkcap?.stop(0);
    await emulator.close();
    throw err;
  }
  return {
    emulator,
    thinkcap,
    envoy,
    baseURL: `${envoy.url}/v1`,
    async stop() {
      await envoy.stop();
      await thinkcap?.stop(500);
      await emulator.close();
    },
  };
}
