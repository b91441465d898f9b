/**
 * A real Redis Cluster on loopback: 3 masters and 3 replicas of Debian's redis-server, joined with
 * `redis-cli --cluster create`. For tests and benchmarks; stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './envoy.js';

export interface RunningRedisCluster {
  nodes: Array<{ host: string; port: number }>;
  /** The master serving a key's hash slot (thinkcap's keys all share the `{tc}` tag). */
  masterFor(key: string): number;
  kill(port: number): void;
  stop(): Promise<void>;
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).stdout;
}

export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-redis-cluster-'));
  const ports: number[] = [];
  const children = new Map<number, ChildProcess>();
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    ports.push(port);
    children.set(
      port,
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      ),
    );
  }
  for (const port of ports) {
    for (let i = 0; i < 100 && cli(port, 'ping').trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  for (let i = 0; i < 200; i++) {
    if (ports.every((p) => cli(p, 'cluster', 'info').includes('cluster_state:ok'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    masterFor(key: string) {
      const slot = Number(cli(ports[0]!, 'cluster', 'keyslot', key).trim());
      for (const line of cli(ports[0]!, 'cluster', 'nodes').split('\n')) {
        const f = line.split(' ');
        if (!f[2]?.includes('master') || f[2].includes('fail')) continue;
        for (const range of f.slice(8)) {
          const [a, b] = range.split('-').map(Number);
          if (slot >= a! && slot <= (b ?? a!)) return Number(f[1]!.split(':')[1]!.split('@')[0]);
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    kill(port: number) {
      children.get(port)?.kill('SIGKILL');
    },
    async stop() {
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
