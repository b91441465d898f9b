/**
 * Which master the Sentinel majority names, asked on a timer.
 *
 * ioredis follows a failover when a sentinel publishes +switch-master, then asks its first
 * sentinel where the master is. A sentinel that has not yet learnt the new configuration (they
 * spread it to each other every 2 s or so, later on a loaded machine), or one cut off with the
 * old master, names the old master; a master the sentinels cannot reach still says it is one and
 * takes writes, which are lost once they reach it again and make it a replica. This asks every
 * configured sentinel and acts only on an address a strict majority of them names.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';

export interface Address {
  host: string;
  port: number;
}

/** The addresses listed, each once (first listing kept): each sentinel is one vote, however often it is listed. */
export function distinctAddresses<A extends Address>(list: readonly A[]): A[] {
  return [...new Map(list.map((a) => [`${a.host}:${a.port}`, a])).values()];
}

/** The address a strict majority of `configured` sentinels gave (null answers: none or no reply). */
export function majorityMaster(answers: ReadonlyArray<Address | null>, configured: number): Address | null {
  const votes = new Map<string, { address: Address; n: number }>();
  for (const a of answers) {
    if (a === null) continue;
    const key = `${a.host}:${a.port}`;
    const v = votes.get(key) ?? { address: a, n: 0 };
    v.n++;
    votes.set(key, v);
  }
  for (const v of votes.values()) if (v.n * 2 > configured) return v.address;
  return null;
}

/** An IPv4 address as a socket reports it on a dual-stack socket (`::ffff:10.0.0.1`) or plain. */
export const plainIp = (ip: string): string => (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/**
 * Whether `named` (what sentinels answer: an IP, or a hostname where they announce hostnames) is
 * the peer `ip`:`port` a socket is connected to. A name that does not resolve is not the peer.
 */
export async function isPeer(named: Address, ip: string, port: number): Promise<boolean> {
  if (named.port !== port) return false;
  const peer = plainIp(ip);
  if (isIP(named.host) !== 0) return plainIp(named.host) === peer;
  try {
    return (await lookup(named.host, { all: true })).some((a) => plainIp(a.address) === peer);
  } catch {
    return false;
  }
}

export interface SentinelWatchOptions {
  name: string;
  sentinels: ReadonlyArray<{ host: string; port: number }>;
  username?: string | undefined;
  password?: string | undefined;
  tls?: ConnectionOptions | undefined;
  /** Per answer; a sentinel slower than this counts as no answer. */
  timeoutMs: number;
}

/** One connection per configured sentinel, asked together. */
export class SentinelWatch {
  private readonly clients: Redis[];

  constructor(private readonly o: SentinelWatchOptions) {
    this.clients = o.sentinels.map((s) => {
      const c = new Redis({
        host: s.host,
        port: s.port,
        ...(o.username !== undefined ? { username: o.username } : {}),
        ...(o.password !== undefined ? { password: o.password } : {}),
        ...(o.tls !== undefined ? { tls: o.tls } : {}),
        connectionName: 'thinkcap-sentinel-watch',
        // Sentinels answer no INFO-based ready check worth waiting for.
        enableReadyCheck: false,
        // A command while the connection is away fails at once; the next round asks again.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: o.timeoutMs,
        retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
      });
      c.on('error', () => {});
      return c;
    });
  }

  /** How many sentinels it asks (each one vote). */
  get size(): number {
    return this.clients.length;
  }

  /**
   * The master a strict majority of the configured sentinels names now (null: no majority), and
   * the other addresses some named.
   */
  async ask(): Promise<{ master: Address | null; others: Address[] }> {
    const answers = await Promise.all(
      this.clients.map(async (c): Promise<Address | null> => {
        try {
          const r = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.o.name)) as unknown;
          return Array.isArray(r) && r.length === 2 ? { host: String(r[0]), port: Number(r[1]) } : null;
        } catch {
          return null;
        }
      }),
    );
    const master = majorityMaster(answers, this.clients.length);
    const others = answers.filter((a): a is Address => a !== null && (master === null || a.host !== master.host || a.port !== master.port));
    return { master, others };
  }

  close(): void {
    for (const c of this.clients) c.disconnect();
  }
}
