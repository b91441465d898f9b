/**
 * Real Redis Sentinel on loopback: one master, one replica and three sentinels, all Debian's
 * redis-server (`--sentinel`). For tests and benchmarks; stopped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './envoy.js';
import { reapOnExit } from './reap.js';
import { onlineReplicas, redisAuthCliArgs, redisCli, startRedis, waitFor, type ReplicatedRedisNodes } from './redis.js';
import { redisTlsCliArgs, redisTlsServerArgs, type TestCertificates } from './tls.js';

export const SENTINEL_GROUP = 'thinkcap';

export interface RunningRedisSentinel extends ReplicatedRedisNodes {
  name: string;
  sentinels: Array<{ host: string; port: number }>;
  /** The data nodes' ports (master first, as started). */
  dataPorts: number[];
  /** The port of the master the sentinels agree on now. */
  master(): number;
}

/** A set-up step's wait: its error names the harness, which startRedisSentinel's retry looks for. */
const until = (what: string, ok: () => boolean, timeoutMs: number) => waitFor(`redis sentinel harness: ${what}`, ok, timeoutMs, 50);

/**
 * `password`: the data nodes require it (AUTH; replicas and sentinels use it too);
 * `sentinelPassword`: the sentinels require their own. `tls`: the data nodes take only TLS (the
 * sentinels reach them and replicas their master over TLS); with `sentinelTls` the sentinels'
 * own ports take only TLS too (they reach each other over it).
 */
export async function startRedisSentinel(o: SentinelOptions = {}): Promise<RunningRedisSentinel> {
  if (o.sentinelTls && !o.tls) throw new Error('redis sentinel harness: sentinelTls needs tls (the certificates)');
  // A port found free can be taken by a parallel test process before redis-server binds it (the
  // Cluster harness met it in a clean-clone CI run): the set-up is tried again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSentinel(o);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('redis sentinel harness:')) throw err;
    }
  }
}

interface SentinelOptions {
  /** The sentinels name the data nodes by hostname (`localhost`), as with announce-hostnames. */
  hostnames?: boolean;
  password?: string;
  sentinelPassword?: string;
  tls?: TestCertificates;
  sentinelTls?: boolean;
}

async function launchSentinel(o: SentinelOptions): Promise<RunningRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-redis-sentinel-'));
  const children = new Map<number, ChildProcess>();
  // redis-cli against a data node, and against a sentinel.
  const cli = (port: number, ...args: string[]) => redisCli(port, ...redisAuthCliArgs(o.password), ...(o.tls ? redisTlsCliArgs(o.tls) : []), ...args);
  const sentinelCli = (port: number, ...args: string[]) => redisCli(port, ...redisAuthCliArgs(o.sentinelPassword), ...(o.sentinelTls ? redisTlsCliArgs(o.tls!) : []), ...args);
  const dataAuth = o.password ? ['--requirepass', o.password, '--masterauth', o.password] : [];
  const listen = (port: number) => (o.tls ? [...redisTlsServerArgs(o.tls, port), '--tls-replication', 'yes'] : ['--port', String(port)]);
  const data = (port: number, replicaOf?: number) =>
    children.set(
      port,
      reapOnExit(spawn('redis-server', [...listen(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...dataAuth, ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])], { stdio: 'ignore' })),
    );
  const masterPort = await freePort();
  const replicaPort = await freePort();
  const sentinels: number[] = [];
  // A set-up that fails leaves nothing running (it may be tried again).
  const abandon = (err: unknown): never => {
    for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  };
  try {
    // Ours: a server of another test on a port found free would answer PING too.
    const ours = (port: number) => cli(port, 'config', 'get', 'dir').includes(dir);
    data(masterPort);
    await until('master up', () => cli(masterPort, 'ping').trim() === 'PONG' && ours(masterPort), 10_000);
    data(replicaPort, masterPort);
    await until('replica in sync', () => ours(replicaPort) && /master_link_status:up/.test(cli(replicaPort, 'info', 'replication')), 10_000);

    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as it learns the topology: one writable file each.
      writeFileSync(
        conf,
        [
          ...(o.sentinelTls ? ['port 0', `tls-port ${port}`, 'tls-auth-clients no'] : [`port ${port}`]),
          'bind 127.0.0.1',
          `dir ${dir}`,
          ...(o.hostnames ? ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes'] : []),
          `sentinel monitor ${SENTINEL_GROUP} ${o.hostnames ? 'localhost' : '127.0.0.1'} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_GROUP} 1000`,
          `sentinel failover-timeout ${SENTINEL_GROUP} 5000`,
          `sentinel parallel-syncs ${SENTINEL_GROUP} 1`,
          ...(o.password ? [`sentinel auth-pass ${SENTINEL_GROUP} ${o.password}`] : []),
          // A sentinel's own password, which the other sentinels give it too.
          ...(o.sentinelPassword ? [`requirepass ${o.sentinelPassword}`, `sentinel sentinel-pass ${o.sentinelPassword}`] : []),
          // Out to the data nodes over TLS.
          ...(o.tls ? ['tls-replication yes', `tls-cert-file ${o.tls.cert}`, `tls-key-file ${o.tls.key}`, `tls-ca-cert-file ${o.tls.ca}`] : []),
          '',
        ].join('\n'),
      );
      children.set(port, reapOnExit(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' })));
      sentinels.push(port);
    }
    // Each sentinel has found the replica and the other two sentinels.
    await until(
      'sentinels discovered each other and the replica',
      () => sentinels.every((p) => /num-other-sentinels\s+2/.test(sentinelCli(p, 'sentinel', 'master', SENTINEL_GROUP).replace(/\n/g, ' ')) && sentinelCli(p, 'sentinel', 'replicas', SENTINEL_GROUP).includes(String(replicaPort))),
      20_000,
    );
  } catch (err) {
    abandon(err);
  }

  /** The port of the master one sentinel names. */
  const masterOf = (p: number) => Number(sentinelCli(p, 'sentinel', 'get-master-addr-by-name', SENTINEL_GROUP).trim().split('\n')[1]);
  const master = () => masterOf(sentinels[0]!);
  return {
    name: SENTINEL_GROUP,
    sentinels: sentinels.map((port) => ({ host: '127.0.0.1', port })),
    dataPorts: [masterPort, replicaPort],
    master,
    kill(port: number) {
      children.get(port)?.kill('SIGKILL');
    },
    async restart(port: number) {
      // Only once every sentinel names the new master. A node back while a sentinel still names
      // it as master was seen (about one run in 25) to set off a second failover back to it,
      // after which the new master had no replica in sync for the rest of the run.
      const agreed = () => {
        const first = master();
        return first !== port && sentinels.every((p) => masterOf(p) === first);
      };
      await until('every sentinel names the new master', agreed, 15_000);
      data(port, master());
      await until('restarted node in sync', () => /master_link_status:up/.test(cli(port, 'info', 'replication')), 10_000);
    },
    replicasAcking: (port) => onlineReplicas(port, cli, 1),
    async stop() {
      for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningLoneSentinel {
  /** The sentinel, as a ledger's `sentinels` entry. */
  sentinel: { host: string; port: number };
  /** The standalone master it names. */
  masterPort: number;
  /** Stops the sentinel process where it is (SIGSTOP: connections stay open, nothing is answered), or lets it go on. */
  stall(stalled: boolean): void;
  stop(): Promise<void>;
}

/**
 * A sentinel of its own that names another master for the same group: a standalone
 * redis-server it alone monitors (quorum 1). It never meets the other group's sentinels (they
 * find each other through the masters they watch), so it keeps naming its own master: a stand-in
 * for a sentinel cut off with an old master, or one that has not yet learnt a failover.
 */
export async function startLoneSentinel(): Promise<RunningLoneSentinel> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'thinkcap-redis-lone-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${SENTINEL_GROUP} 127.0.0.1 ${redis.port} 1`, ''].join('\n'));
  const child = reapOnExit(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('the lone sentinel names its master', () => redisCli(port, 'sentinel', 'get-master-addr-by-name', SENTINEL_GROUP).includes(String(redis.port)), 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const stall = (stalled: boolean) => void child.kill(stalled ? 'SIGSTOP' : 'SIGCONT');
  return { sentinel: { host: '127.0.0.1', port }, masterPort: redis.port, stall, stop };
}

/**
 * Cuts a data node off from the sentinels while other clients' connections stay up (the stand-in
 * for a network partition between the sentinels and it): it now asks for `password`, which the
 * sentinels do not have, and their connections to it are closed. Returns how many were closed.
 * `config set requirepass ''` on it ends the cut.
 */
export function cutOffFromSentinels(port: number, password: string): number {
  if (redisCli(port, 'config', 'set', 'requirepass', password).trim() !== 'OK') throw new Error(`redis sentinel harness: could not set a password on ${port}`);
  const auth = redisAuthCliArgs(password);
  const ids = redisCli(port, ...auth, 'client', 'list')
    .split('\n')
    .filter((l) => /\bname=sentinel-/.test(l))
    .map((l) => /\bid=(\d+)/.exec(l)![1]!);
  for (const id of ids) redisCli(port, ...auth, 'client', 'kill', 'id', id);
  return ids.length;
}
