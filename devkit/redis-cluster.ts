/**
 * A real Redis Cluster on loopback: 3 masters and 3 replicas of Debian's redis-server, joined with
 * `redis-cli --cluster create`. For tests and benchmarks; stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './envoy.js';
import { reapOnExit } from './reap.js';
import { onlineReplicas, redisAuthCliArgs, redisCli as cliOf, type ReplicatedRedisNodes } from './redis.js';
import { redisTlsCliArgs, redisTlsServerArgs, type TestCertificates } from './tls.js';

export interface RunningRedisCluster extends ReplicatedRedisNodes {
  nodes: Array<{ host: string; port: number }>;
  /** The master serving a key's hash slot (thinkcap's keys all share the `{tc}` tag). */
  masterFor(key: string): number;
}

/** Until the node on `port` answers PING (at most 5 s); false where it never did. */
async function answersPing(cli: (port: number, ...args: string[]) => string, port: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (cli(port, 'ping').trim() === 'PONG') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Whether `port` can be listened on now (a cluster node also needs its bus port, port + 10000). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * `password`: every node requires it (AUTH), and gives it to the master it replicates. `tls`:
 * the nodes take only TLS, and speak it to each other (cluster bus, replication).
 */
export async function startRedisCluster(o: { password?: string; tls?: TestCertificates } = {}): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-redis-cluster-'));
  // What redis-cli needs to reach a node: its password, TLS.
  const cliArgs = [...redisAuthCliArgs(o.password), ...(o.tls ? redisTlsCliArgs(o.tls) : [])];
  const redisCli = (port: number, ...args: string[]) => cliOf(port, ...cliArgs, ...args);
  const ports: number[] = [];
  const children = new Map<number, ChildProcess>();
  const launch = (port: number) =>
    children.set(
      port,
      reapOnExit(
        spawn(
          'redis-server',
          [...(o.tls ? [...redisTlsServerArgs(o.tls, port), '--tls-cluster', 'yes', '--tls-replication', 'yes'] : ['--port', String(port)]), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'no', '--dir', dir, ...(o.password ? ['--requirepass', o.password, '--masterauth', o.password] : [])],
          { stdio: 'ignore' },
        ),
      ),
    );
  // A port found free can be taken before redis-server binds it, and so can its bus port (port +
  // 10000, in the range outgoing connections take their ports from): a clean-clone CI run had a
  // node never listen. Such a node is replaced on another port; the node must be ours (its dir).
  let tries = 0;
  while (ports.length < 6) {
    if (++tries > 12) throw new Error(`no free port for a cluster node after 12 tries (${ports.length} of 6 up)`);
    const port = await freePort();
    if (!(await canListen(port + 10000))) continue;
    launch(port);
    if ((await answersPing(redisCli, port)) && redisCli(port, 'config', 'get', 'dir').includes(dir)) ports.push(port);
    else {
      children.get(port)?.kill('SIGKILL');
      children.delete(port);
    }
  }
  const create = spawnSync('redis-cli', [...cliArgs, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  for (let i = 0; i < 200; i++) {
    if (ports.every((p) => redisCli(p, 'cluster', 'info').includes('cluster_state:ok'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // A replica that never finished its first sync counts as stale and will not take over from a
  // failed master (cluster-replica-validity-factor), so wait for every replica's link.
  for (let i = 0; i < 300; i++) {
    const up = ports.filter((p) => /master_link_status:up/.test(redisCli(p, 'info', 'replication'))).length;
    if (up >= ports.length / 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // And from each master's side: a replica that acknowledges what the master holds (WAIT, which
  // a ledger with replicaAcks sends behind every write). A replica's link can be up before its
  // master counts it (two full project runs saw a TLS Cluster's first write get 0 acks in 400 ms).
  for (const port of ports) {
    if (!/role:master/.test(redisCli(port, 'info', 'replication'))) continue;
    for (let i = 0; i < 50 && redisCli(port, 'wait', '1', '200').trim() !== '1'; i++) await new Promise((r) => setTimeout(r, 100));
  }
  // The master serving a key's hash slot, as the nodes see it now (null: none, mid-failover).
  const ownerOf = (key: string): number | null => {
    const slot = Number(redisCli(ports[0]!, 'cluster', 'keyslot', key).trim());
    for (const line of redisCli(ports[0]!, 'cluster', 'nodes').split('\n')) {
      const f = line.split(' ');
      if (!f[2]?.includes('master') || f[2].includes('fail')) continue;
      for (const range of f.slice(8)) {
        const [a, b] = range.split('-').map(Number);
        if (slot >= a! && slot <= (b ?? a!)) return Number(f[1]!.split(':')[1]!.split('@')[0]);
      }
    }
    return null;
  };
  // A WAIT with nothing written before it can answer 1 while the replica could not yet
  // acknowledge a write (clean-clone runs saw the ledger's first write get 0 acks within 400 ms
  // after the checks above): a real write to the slot of thinkcap's keys and a WAIT behind it on
  // the same connection, until one is acknowledged (at most 10 s).
  for (let i = 0; i < 50; i++) {
    const owner = ownerOf('{tc}');
    if (owner !== null) {
      const probe = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(owner), ...cliArgs], { input: 'SET {tc}devkit-probe 1\nWAIT 1 200\n', encoding: 'utf8' });
      if (probe.stdout.trim().split('\n').at(-1)?.trim() === '1') break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    masterFor(key: string) {
      const owner = ownerOf(key);
      if (owner === null) throw new Error(`no master serves the slot of ${key}`);
      return owner;
    },
    kill(port: number) {
      children.get(port)?.kill('SIGKILL');
    },
    async restart(port: number) {
      // Same node id (its nodes file): it rejoins, empty, as a replica of whoever took its slots.
      launch(port);
      if (!(await answersPing(redisCli, port))) throw new Error(`the restarted node on ${port} did not answer within 5 s`);
    },
    replicasAcking: (port) => onlineReplicas(port, redisCli, 1),
    async stop() {
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
