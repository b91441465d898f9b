/** A real redis-server on a free loopback port for one test file; stopped afterwards. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './envoy.js';
import { reapOnExit, removeOnExit } from './reap.js';
import { redisTlsCliArgs, redisTlsServerArgs, type TestCertificates } from './tls.js';

export interface RunningRedis {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stop the server process only (restart() brings it back on the same port). */
  pause(): Promise<void>;
  /** Start again on the same port: empty, or with what its append-only file kept (`persist`). */
  restart(): Promise<void>;
  /** redis-cli against this server (over TLS where it takes only TLS). */
  cli(...args: string[]): string;
}

/** Replicated Redis data nodes a failover test can kill and bring back (Cluster, Sentinel). */
export interface ReplicatedRedisNodes {
  /** SIGKILL one data node. */
  kill(port: number): void;
  /** Start a killed data node again on its port; it comes back as a replica. */
  restart(port: number): Promise<void>;
  /** How many replicas of the master on `port` acknowledged it in the last second or so (INFO's lag at most 1: they ack every second): a write's WAIT can count them. */
  replicasAcking(port: number): number;
  stop(): Promise<void>;
}

/** redis-cli against one loopback port; its stdout. */
export function redisCli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).stdout;
}

/** Connections thinkcap's ledger opened on a data node (it names them `thinkcap`); `cliArgs`: what the node asks for (auth). */
export function thinkcapClients(port: number, ...cliArgs: string[]): number {
  return redisCli(port, ...cliArgs, 'client', 'list')
    .split('\n')
    .filter((l) => /\bname=thinkcap\b/.test(l)).length;
}

/** Polls `ok` every `everyMs` until it holds; throws "`what`: not within `timeoutMs` ms" after that. */
export async function waitFor(what: string, ok: () => boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** redis-cli's arguments for a server that requires this password (none without one). */
export function redisAuthCliArgs(password: string | undefined): string[] {
  return password ? ['-a', password, '--no-auth-warning'] : [];
}

/** Replicas of the master on `port` whose link is online (`cli`: redis-cli with what the node asks for, auth or TLS). */
export function onlineReplicas(port: number, cli: (port: number, ...args: string[]) => string = redisCli, maxLagSeconds = Infinity): number {
  // INFO's lag: seconds since the replica's last REPLCONF ACK.
  return [...cli(port, 'info', 'replication').matchAll(/^slave\d+:.*state=online.*?lag=(\d+)/gm)].filter((m) => Number(m[1]) <= maxLagSeconds).length;
}

export function haveRedis(): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim().length > 0;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

/**
 * `persist`: an append-only file synced on every write, so a restart keeps every write. `tls`:
 * the server takes only TLS on its port, with these certificates.
 */
export async function startRedis(o: { persist?: boolean; tls?: TestCertificates } = {}): Promise<RunningRedis> {
  // A port found free can be taken by a parallel test process before redis-server binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchRedis(o.persist === true, o.tls);
    } catch (err) {
      if (attempt >= 4 || !String(err).includes('could not bind')) throw err;
    }
  }
}

async function launchRedis(persist: boolean, tls: TestCertificates | undefined): Promise<RunningRedis> {
  if (!haveRedis()) throw new Error('redis-server not found: apt-get install -y redis-server (scripts/test.sh does this)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-redis-'));
  // Removed at stop, or when this process exits (a caller that never stops the server: reap.ts kills it).
  const removeDir = removeOnExit(dir);
  let child: ChildProcess;
  const cli = (...args: string[]) => redisCli(port, ...(tls ? redisTlsCliArgs(tls) : []), ...args);
  const launch = async () => {
    const durability = persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const listen = tls ? redisTlsServerArgs(tls, port) : ['--port', String(port)];
    child = reapOnExit(spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', ...durability, '--dir', dir], { stdio: 'ignore' }));
    await waitForPort(port, 10_000);
    // The port was found free, but a parallel test's server may hold it: ours runs in our dir.
    const got = cli('config', 'get', 'dir');
    if (!got.includes(dir)) {
      child.kill('SIGKILL');
      throw new Error(`redis-server could not bind: port ${port} answered by another server`);
    }
  };
  try {
    await launch();
  } catch (err) {
    // The caller tries again with a fresh folder: leave no empty one behind.
    removeDir();
    throw err;
  }
  const stop = async () => {
    // A process killed by a signal keeps exitCode null (signalCode is set): it is gone already.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get process() {
      return child;
    },
    async stop() {
      await stop();
      removeDir();
    },
    pause: stop,
    async restart() {
      await stop();
      await launch();
    },
    cli,
  };
}
