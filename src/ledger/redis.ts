import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { SentinelWatch, distinctAddresses, isPeer, plainIp, type Address } from './sentinel-watch.js';
import { LedgerUnavailableError, type Counter, type CounterState, type Ledger, type ReserveItem, type ReserveResult, type StoredLimit } from './types.js';

// One Lua script per operation: the check and the increment happen inside Redis, atomically,
// so concurrent requests on any number of replicas cannot overshoot a cap.
// Per counter: hash c {spent, reserved}, hash h {reservationId -> amount}, zset z {reservationId -> expiry}.
// Per reservation: a marker key, set by the first settle or refund. A settle that finds it does
// nothing (idempotent); a reserve that finds it, or that runs past its deadline on Redis's own
// clock (a script queued behind a stalled Redis), reserves nothing.
const RELEASE_EXPIRED = `
local function release_expired(c, h, z, now)
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, rid in ipairs(expired) do
    local a = tonumber(redis.call('HGET', h, rid) or '0')
    if a ~= 0 then redis.call('HINCRBYFLOAT', c, 'reserved', -a) end
    redis.call('HDEL', h, rid)
    redis.call('ZREM', z, rid)
  end
end
`;

const RESERVE = `${RELEASE_EXPIRED}
local id = ARGV[1]
local now = tonumber(ARGV[2])
local exp = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local deadline = tonumber(ARGV[5 + n*3])
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline then return {2} end
if redis.call('EXISTS', KEYS[n*3 + 1]) == 1 then return {2} end
for i = 0, n - 1 do
  release_expired(KEYS[i*3+1], KEYS[i*3+2], KEYS[i*3+3], now)
end
for i = 0, n - 1 do
  local c = KEYS[i*3+1]
  local amount = tonumber(ARGV[5 + i*3])
  local limit = tonumber(ARGV[6 + i*3])
  local spent = tonumber(redis.call('HGET', c, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', c, 'reserved') or '0')
  if spent + reserved + amount > limit + 1e-12 then
    return {0, i, tostring(spent), tostring(reserved)}
  end
end
local usage = {}
for i = 0, n - 1 do
  local c, h, z = KEYS[i*3+1], KEYS[i*3+2], KEYS[i*3+3]
  local amount = tonumber(ARGV[5 + i*3])
  local limit = tonumber(ARGV[6 + i*3])
  local ttl = tonumber(ARGV[7 + i*3])
  redis.call('HINCRBYFLOAT', c, 'reserved', amount)
  redis.call('HINCRBYFLOAT', h, id, amount)
  redis.call('ZADD', z, exp, id)
  if ttl > 0 then
    redis.call('EXPIRE', c, ttl)
    redis.call('EXPIRE', h, ttl)
    redis.call('EXPIRE', z, ttl)
  end
  local spent = tonumber(redis.call('HGET', c, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', c, 'reserved') or '0')
  usage[#usage + 1] = tostring((spent + reserved) / limit)
end
return {1, usage}
`;

const SETTLE = `
local id = ARGV[1]
local n = tonumber(ARGV[2])
local markerTtl = tonumber(ARGV[3 + n*2])
if not redis.call('SET', KEYS[n*3 + 1], '1', 'NX', 'PX', markerTtl) then return 0 end
for i = 0, n - 1 do
  local c, h, z = KEYS[i*3+1], KEYS[i*3+2], KEYS[i*3+3]
  local actual = tonumber(ARGV[3 + i*2])
  local ttl = tonumber(ARGV[4 + i*2])
  local a = tonumber(redis.call('HGET', h, id) or '0')
  if a ~= 0 then
    redis.call('HINCRBYFLOAT', c, 'reserved', -a)
    redis.call('HDEL', h, id)
    redis.call('ZREM', z, id)
  end
  if actual > 0 then redis.call('HINCRBYFLOAT', c, 'spent', actual) end
  if ttl > 0 then redis.call('EXPIRE', c, ttl) end
end
return 1
`;

const STATE = `${RELEASE_EXPIRED}
release_expired(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
return {tostring(redis.call('HGET', KEYS[1], 'spent') or '0'), tostring(redis.call('HGET', KEYS[1], 'reserved') or '0')}
`;

/** A MOVED or ASK reply: the command was not run on that node (its slot is served elsewhere). */
function isRedirect(err: Error | null | undefined): boolean {
  return !!err && /^(?:MOVED|ASK) /.test(err.message);
}

/** Whether the Cluster re-read its slot map within `ms` (false on an error or past the time). */
function refreshedWithin(cluster: Cluster, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    cluster.refreshSlotsCache((err) => {
      clearTimeout(timer);
      resolve(!err);
    });
  });
}

/** After a write short of replica acks, how long writes are refused without being sent. */
const ACKS_SHORT_PAUSE_MS = 200;

/**
 * Writes that may wait for the WAIT in flight (replicaAcks > 0); past this a write is refused at
 * once. A write waits at most one ack wait before it is sent, so this bounds both the memory a
 * flood can fill and the writes that one ack shortfall refuses.
 */
export const MAX_WRITES_AWAITING_ACKS = 1024;

/** The most writes sent behind one WAIT (one pipeline). */
const MAX_WRITES_PER_WAIT = 256;

/** A write waiting for the WAIT in flight to come back before it is sent behind the next. */
interface QueuedWrite {
  command: 'tcReserve' | 'tcSettle';
  args: Array<string | number>;
  /** ms since epoch after which the caller no longer waits: the write is then not sent. */
  deadline: number;
  resolve(reply: unknown): void;
  reject(err: Error): void;
}

/**
 * How often a live connection reads the ledger's identity and the nodes' eviction policy again:
 * a FLUSHALL, or a policy changed with CONFIG SET, shows no reconnect.
 */
const RECHECK_EVERY_MS = 30_000;

/**
 * How often the ledger asks its sentinels which master they name (Sentinel only), and how long
 * an address a majority named stays the one a reconnect goes to.
 */
const SENTINEL_CHECK_EVERY_MS = 1000;
const REDIRECT_HOLD_MS = 10_000;

/** A Redis error (or what went wrong, in words) as the ledger's unavailable error. */
const unavailable = (err: unknown): LedgerUnavailableError => new LedgerUnavailableError(`redis ledger: ${err instanceof Error ? err.message : String(err)}`);

/** How soon a connection that ioredis ended by itself is opened again. */
const RECONNECT_AFTER_END_MS = 500;

/** ms before reconnect attempt n: 50, 100, … capped at 500. */
const reconnectDelay = (attempt: number): number => Math.min(50 * attempt, 500);

/**
 * The ledger's identity: a value written once, when the ledger is new, and never changed. The
 * same value after a reconnect means the same data; another value (or the key gone and written
 * again) means Redis came back without the data this process had seen (a restart with no
 * persistence, a flush, a failover to a node that never had it). Returns the value there.
 */
const IDENTITY = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

type Client = (Redis | Cluster) & {
  tcReserve(...args: Array<string | number>): Promise<[number, unknown, string?, string?]>;
  tcSettle(...args: Array<string | number>): Promise<number>;
  tcState(...args: Array<string | number>): Promise<[string, string]>;
  tcIdentity(...args: Array<string | number>): Promise<string>;
};

/** The TLS options of spend.redis.tls or spend.redis.sentinel.tls (undefined: no TLS, unless a rediss:// url asks for it). */
function tlsOptions(cfg: Config['spend']['redis']['tls'], key = 'spend.redis.tls'): ConnectionOptions | undefined {
  if (cfg === undefined) return undefined;
  const tls: ConnectionOptions = {};
  if (cfg.caFile !== undefined) {
    try {
      tls.ca = readFileSync(cfg.caFile);
    } catch (err) {
      throw new ConfigError(`${key}.caFile: cannot read ${cfg.caFile}: ${(err as Error).message}`);
    }
  }
  if (cfg.servername !== undefined) tls.servername = cfg.servername;
  return tls;
}

/**
 * A Redis node that holds the ledger and may evict keys when full (maxmemory set, policy not
 * noeviction): under memory pressure it drops counters (allkeys-*; volatile-* those with a TTL,
 * every window counter and reservation marker), and those budgets silently restart from zero.
 */
export interface LedgerEvictionRisk {
  node: string;
  policy: string;
  maxmemoryBytes: number;
}

/** The eviction risk of one node from its INFO memory, or null where it evicts nothing. */
export function evictionRisk(node: string, infoMemory: string): LedgerEvictionRisk | null {
  const policy = /^maxmemory_policy:(\S+)/m.exec(infoMemory)?.[1];
  const maxmemoryBytes = Number(/^maxmemory:(\d+)/m.exec(infoMemory)?.[1] ?? 0);
  // maxmemory 0: no limit, so nothing is evicted (writes fail only when the host runs out).
  if (policy === undefined || policy === 'noeviction' || !(maxmemoryBytes > 0)) return null;
  return { node, policy, maxmemoryBytes };
}

/**
 * The sentinels' watch a Sentinel ledger keeps (null without Sentinel): the same sentinels,
 * credentials and TLS (`tls`: the ledger's, already read from spend.redis.sentinel.tls).
 */
export function sentinelWatchFor(cfg: Config['spend']['redis'], tls = cfg.sentinel && tlsOptions(cfg.sentinel.tls, 'spend.redis.sentinel.tls')): SentinelWatch | null {
  if (!cfg.sentinel || (cfg.cluster && cfg.cluster.length > 0)) return null;
  const { name, username, password } = cfg.sentinel;
  // One vote each: a sentinel listed twice would count twice towards a majority.
  const sentinels = distinctAddresses(cfg.sentinel.sentinels);
  return new SentinelWatch({ name, sentinels, username, password, tls, timeoutMs: Math.max(cfg.commandTimeoutMs, 250) });
}

/** What a ledger that lost its data says: the identity this process had seen and the one there now. */
export interface LedgerDataLoss {
  seen: string;
  now: string;
}

/** A Sentinel ledger's connection moved off a master the sentinels' majority no longer names. */
export interface LedgerMasterMove {
  /** The master the connection was on (its address as the socket saw it). */
  from: string;
  /** The master a majority of the configured sentinels names. */
  to: string;
}

/**
 * Spend ledger in Redis, shared by every thinkcap replica. All keys carry one hash tag so one
 * script may touch every scope of a request, which Redis Cluster requires.
 */
export class RedisLedger implements Ledger {
  readonly kind = 'redis' as const;
  private readonly client: Client;
  private readonly prefix: string;
  private readonly replicaAcks: number;
  private readonly commandTimeoutMs: number;
  private readonly replicaAckTimeoutMs: number;
  private acksShortUntil = 0;
  /** Writes waiting to be sent behind the next WAIT (replicaAcks > 0), oldest first. */
  private readonly awaitingAcks: QueuedWrite[] = [];
  /** Whether a pipeline with a WAIT is out (at most one: WAIT blocks the connection it runs on). */
  private waitOut = false;
  private closing = false;
  /** The ledger's identity as this process last read it (null before the first read). */
  private identity: string | null = null;
  private dataLost: ((loss: LedgerDataLoss) => void) | null = null;
  private evictionChecked: ((risks: LedgerEvictionRisk[]) => void) | null = null;
  private masterMoved: ((move: LedgerMasterMove) => void) | null = null;

  private readonly recheck: NodeJS.Timeout;
  /** Sentinel only: the sentinels asked on a timer (see sentinel-watch.ts). */
  private readonly watch: SentinelWatch | null = null;
  private readonly watchTimer: NodeJS.Timeout | null = null;
  private watching = false;
  /**
   * Where the next master lookup goes instead of what a sentinel names: set when the connection
   * was found on a master the majority does not name, for the addresses the minority named.
   * ioredis asks one sentinel first, the one that answered last time; a stale one would send the
   * reconnect back to the old master.
   */
  private redirect: { from: Set<string>; to: Address; until: number } | null = null;
  /** The master address ioredis looked up last (`host:port`, after any redirect). */
  private lookedUp: string | null = null;

  constructor(cfg: Config['spend']['redis'], opts: { recheckEveryMs?: number; sentinelCheckEveryMs?: number; failoverDetector?: boolean } = {}) {
    this.prefix = `${cfg.keyPrefix}:{tc}`;
    this.replicaAcks = cfg.replicaAcks;
    this.commandTimeoutMs = cfg.commandTimeoutMs;
    this.replicaAckTimeoutMs = Math.min(cfg.replicaAckTimeoutMs, cfg.commandTimeoutMs * 0.8);
    const tls = tlsOptions(cfg.tls);
    const common: RedisOptions = {
      // Fail fast when Redis is away: the caller decides fail-open or fail-closed.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: cfg.commandTimeoutMs,
      lazyConnect: false,
      // Named, so an operator's CLIENT LIST shows which connections are thinkcap's ledger.
      connectionName: 'thinkcap',
      // Reconnect soon after a failover (ioredis's default backs off to 2 s): every attempt that
      // finds no master is a refused or fail-open request.
      retryStrategy: reconnectDelay,
      // Only where set (ioredis takes a url's own credentials first, these where it has none).
      ...(cfg.username !== undefined ? { username: cfg.username } : {}),
      ...(cfg.password !== undefined ? { password: cfg.password } : {}),
      ...(tls !== undefined ? { tls } : {}),
    };
    let client: Redis | Cluster;
    if (cfg.cluster && cfg.cluster.length > 0) {
      client = new Cluster(cfg.cluster, {
        redisOptions: common,
        enableOfflineQueue: false,
        // After a master fails, a replica takes its slots: re-read the slot map often and retry
        // redirected commands briefly, so the ledger follows the failover by itself.
        slotsRefreshInterval: 1000,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        clusterRetryStrategy: reconnectDelay,
      });
    } else if (cfg.sentinel) {
      // failoverDetector: leave the master as soon as a sentinel announces another (+switch-master).
      // A master the sentinels cannot reach may still be reachable here and take writes; when
      // they reach it again they make it a replica and its data is replaced, so every
      // reservation and settlement written there after the switch would be lost.
      const { name, sentinels, username: sentinelUsername, password: sentinelPassword } = cfg.sentinel;
      const sentinelTLS = tlsOptions(cfg.sentinel.tls, 'spend.redis.sentinel.tls');
      // enableTLSForSentinelMode: the master found through the sentinels is reached with `tls`.
      client = new Redis({
        ...common,
        sentinels,
        name,
        sentinelUsername,
        sentinelPassword,
        ...(sentinelTLS !== undefined ? { sentinelTLS } : {}),
        sentinelRetryStrategy: reconnectDelay,
        failoverDetector: opts.failoverDetector ?? true,
        enableTLSForSentinelMode: tls !== undefined,
        // Only ever maps the master address a stale sentinel names, while a redirect holds.
        // Also notes the address looked up last: ioredis maps the sentinels it finds first, then
        // the master it connects to.
        natMap: (key: string) => {
          const r = this.redirect;
          const to = r === null || Date.now() > r.until || !r.from.has(key) ? null : { host: r.to.host, port: r.to.port };
          this.lookedUp = to === null ? key : `${to.host}:${to.port}`;
          return to;
        },
      });
      this.watch = sentinelWatchFor(cfg, sentinelTLS);
      this.watchTimer = setInterval(() => void this.checkMaster(), opts.sentinelCheckEveryMs ?? SENTINEL_CHECK_EVERY_MS);
      this.watchTimer.unref();
    } else {
      client = new Redis(cfg.url, common);
    }
    client.on('error', () => {
      // Connection errors surface on the commands; ioredis keeps reconnecting meanwhile.
    });
    // ioredis can also end a connection for good: a Sentinel connect that a disconnect overtakes
    // ends it ("Connection is closed" on every later command; seen once in ~20 failover runs).
    // A ledger that stopped reconnecting is an outage in closed mode: start it again.
    client.on('end', () => {
      if (this.closing) return;
      setTimeout(() => {
        if (!this.closing && client.status === 'end') client.connect().catch(() => {});
      }, RECONNECT_AFTER_END_MS).unref();
    });
    client.defineCommand('tcReserve', { lua: RESERVE });
    client.defineCommand('tcSettle', { lua: SETTLE });
    client.defineCommand('tcState', { lua: STATE });
    client.defineCommand('tcIdentity', { numberOfKeys: 1, lua: IDENTITY });
    this.client = client as Client;
    // Every (re)connect reads the identity: a Redis that restarted empty is found on the
    // reconnect that follows, before or beside the first requests it serves.
    client.on('ready', () => this.check());
    this.recheck = setInterval(() => {
      if (this.client.status === 'ready') this.check();
    }, opts.recheckEveryMs ?? RECHECK_EVERY_MS);
    this.recheck.unref();
  }

  private check(): void {
    void this.readIdentity();
    void this.checkEviction();
  }

  /** Calls back each time the connection left a master the sentinels' majority no longer names. */
  onMasterMoved(callback: (move: LedgerMasterMove) => void): void {
    this.masterMoved = callback;
  }

  /**
   * Sentinel only: when the connection is on a master that a strict majority of the configured
   * sentinels does not name, reconnect to theirs. Bounds the writes a missed or misdirected
   * failover sends to an old master to about one check interval after the majority agrees.
   */
  private async checkMaster(): Promise<void> {
    const client = this.client as Redis;
    if (this.watch === null || this.watching || this.closing || client.status !== 'ready') return;
    this.watching = true;
    try {
      const { master: named, others } = await this.watch.ask();
      const socket = client.stream;
      const ip = socket?.remoteAddress;
      const port = socket?.remotePort;
      if (named === null || ip === undefined || port === undefined || this.closing || client.status !== 'ready' || client.stream !== socket) return;
      // The address ioredis was given (no DNS; a hostname where sentinels announce them), else
      // the socket's peer (in case the lookup noted last was not the master's).
      if (this.lookedUp === `${named.host}:${named.port}` || (await isPeer(named, ip, port))) {
        this.redirect = null;
        return;
      }
      this.redirect = { from: new Set([`${ip}:${port}`, `${plainIp(ip)}:${port}`]), to: named, until: Date.now() + REDIRECT_HOLD_MS };
      // Also what the minority names (a hostname where sentinels announce them).
      for (const a of others) this.redirect.from.add(`${a.host}:${a.port}`);
      this.masterMoved?.({ from: `${ip}:${port}`, to: `${named.host}:${named.port}` });
      client.disconnect(true);
    } finally {
      this.watching = false;
    }
  }

  /**
   * Calls back after each (re)connect, and every RECHECK_EVERY_MS on a live connection, with the
   * nodes that may evict the ledger's keys when full (empty: none may). Read from INFO memory,
   * which managed Redis services allow where they disable CONFIG; a node that does not answer is
   * left out.
   */
  onEvictionChecked(callback: (risks: LedgerEvictionRisk[]) => void): void {
    this.evictionChecked = callback;
    // Connected before the caller asked: check now rather than at the next reconnect.
    if (this.client.status === 'ready') void this.checkEviction();
  }

  private async checkEviction(): Promise<void> {
    if (this.evictionChecked === null) return;
    // In a Cluster the ledger lives on whichever master serves its hash slot, and a failover
    // moves it: every master is read.
    const nodes: Redis[] = this.client instanceof Cluster ? this.client.nodes('master') : [this.client as Redis];
    const risks: LedgerEvictionRisk[] = [];
    let answered = 0;
    for (const node of nodes) {
      let info: string;
      try {
        info = await node.info('memory');
      } catch {
        continue;
      }
      answered++;
      const risk = evictionRisk(`${node.options.host}:${node.options.port}`, info);
      if (risk !== null) risks.push(risk);
    }
    if (answered > 0) this.evictionChecked?.(risks);
  }

  /**
   * Calls back when Redis comes back without the data this process saw in it: every tenant's
   * spend in the current windows, the reservations and the admin-set limits are gone, so the
   * budgets start again from zero (see the README: run Redis with persistence).
   */
  onDataLost(callback: (loss: LedgerDataLoss) => void): void {
    this.dataLost = callback;
  }

  private async readIdentity(): Promise<void> {
    let now: string;
    try {
      now = String(await this.client.tcIdentity(`${this.prefix}:ledger`, `${new Date().toISOString()} ${randomUUID()}`));
    } catch {
      return; // read again at the next connect or recheck
    }
    if (this.identity !== null && now !== this.identity) this.dataLost?.({ seen: this.identity, now });
    this.identity = now;
  }

  ready(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new LedgerUnavailableError(`redis ledger not ready after ${timeoutMs} ms (status ${this.client.status})`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(t);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  get status(): string {
    return this.client.status;
  }

  private keys(c: Counter): [string, string, string] {
    const base = `${this.prefix}:${c.key}`;
    return [`${base}:c`, `${base}:h`, `${base}:z`];
  }

  private ttlSeconds(c: Counter, now: number): number {
    // Window counters expire a day after their window ends; total counters never.
    return c.resetAt === null ? 0 : Math.ceil((c.resetAt - now) / 1000) + 86_400;
  }

  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * A write script, acknowledged by `replicaAcks` replicas. WAIT blocks the connection it runs on
   * (and every command behind it) until the replicas have everything written on that connection
   * before it, so one WAIT acknowledges a whole batch: a write goes at once if no WAIT is out, and
   * otherwise waits for it to come back and goes with the others that came meanwhile, the scripts
   * and one WAIT in one pipeline to the master that owns the keys. One WAIT out at a time means no
   * backlog of blocked WAITs on the connection while replicas are short (each write with its own
   * WAIT queued one ack wait behind the other: a burst of 1,064 writes was refused over 3 s, and
   * reads waited behind them), and more writes per second while they are not. Short of the acks the
   * writes may still be on the master: the caller treats them as not done (a reservation is
   * refunded behind it, a settlement retried; both are idempotent per reservation).
   */
  private async write(command: 'tcReserve' | 'tcSettle', args: Array<string | number>, msLeft: number): Promise<unknown> {
    if (this.replicaAcks === 0) return this.run(() => (this.client[command] as (...a: Array<string | number>) => Promise<unknown>)(...args));
    // Right after a shortfall, send nothing for a moment: the replicas are most likely still short.
    if (Date.now() < this.acksShortUntil) throw this.shortNow();
    if (this.awaitingAcks.length >= MAX_WRITES_AWAITING_ACKS) {
      throw unavailable(`${this.awaitingAcks.length} writes already wait for replica acknowledgement`);
    }
    return new Promise((resolve, reject) => {
      this.awaitingAcks.push({ command, args, deadline: Date.now() + msLeft, resolve, reject });
      if (!this.waitOut) void this.sendAwaitingAcks();
    });
  }

  private shortNow(): LedgerUnavailableError {
    return unavailable(`fewer than ${this.replicaAcks} replicas acknowledged a write just now`);
  }

  /** Sends the waiting writes, at most MAX_WRITES_PER_WAIT behind each WAIT, until none is left. */
  private async sendAwaitingAcks(): Promise<void> {
    this.waitOut = true;
    try {
      while (this.awaitingAcks.length > 0) {
        const batch = this.awaitingAcks.splice(0, MAX_WRITES_PER_WAIT);
        const now = Date.now();
        // A write whose caller stopped waiting is not sent (a reserve would only be refunded behind it).
        const live: QueuedWrite[] = [];
        for (const w of batch) {
          if (w.deadline <= now) w.reject(unavailable('the write waited past its deadline for the WAIT before it'));
          else if (now < this.acksShortUntil) w.reject(this.shortNow());
          else live.push(w);
        }
        if (live.length === 0) continue;
        try {
          await this.sendBatch(live, now);
        } catch (err) {
          // Not expected (sendBatch answers every write itself); no write may be left unanswered.
          for (const w of live) w.reject(unavailable(err));
        }
      }
    } finally {
      this.waitOut = false;
    }
  }

  private async sendBatch(batch: QueuedWrite[], now: number, redirected = false): Promise<void> {
    let msLeft = 0;
    for (const w of batch) msLeft = Math.max(msLeft, w.deadline - now);
    const waitMs = Math.max(1, Math.floor(Math.min(this.replicaAckTimeoutMs, msLeft)));
    const pipeline = this.client.pipeline() as unknown as Record<string, (...a: Array<string | number>) => unknown> & { wait(n: number, ms: number): unknown; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const w of batch) pipeline[w.command]!(...w.args);
    pipeline.wait(this.replicaAcks, waitMs);
    let results: Array<[Error | null, unknown]>;
    try {
      results = (await this.run(() => pipeline.exec())) ?? [];
    } catch (err) {
      for (const w of batch) w.reject(err as LedgerUnavailableError);
      return;
    }
    // A Cluster whose slot map is stale: every script answered MOVED (or ASK), so none ran, and
    // the WAIT ran on the old owner, which keeps ioredis from redirecting the pipeline itself (it
    // does so only when every command was redirected). Re-read the slot map and send the batch
    // once more, to the new owner, while the writes have time left; until the periodic refresh
    // (slotsRefreshInterval) every write after a failover was refused.
    if (!redirected && this.client instanceof Cluster && batch.every((_, i) => isRedirect(results[i]?.[0]))) {
      const until = Math.min(...batch.map((w) => w.deadline));
      if (await refreshedWithin(this.client, until - Date.now())) {
        const refreshedAt = Date.now();
        const live: QueuedWrite[] = [];
        for (const w of batch) {
          if (w.deadline > refreshedAt) live.push(w);
          else w.reject(unavailable('the write waited past its deadline for the Cluster slot map'));
        }
        if (live.length > 0) await this.sendBatch(live, refreshedAt, true);
        return;
      }
    }
    const wait = results[batch.length];
    if (!wait || wait[0]) {
      // WAIT itself failed (no reply, NOAUTH, a redirect): an error of the connection, not a
      // replica shortfall; each write answers with its own error where it has one.
      const err = unavailable(wait?.[0] ?? 'no reply to WAIT');
      batch.forEach((w, i) => {
        const script = results[i];
        w.reject(script?.[0] ? unavailable(script[0]) : err);
      });
      return;
    }
    const acks = Number(wait[1]);
    if (acks < this.replicaAcks) {
      this.acksShortUntil = Date.now() + ACKS_SHORT_PAUSE_MS;
      const err = unavailable(`the write reached ${acks} of ${this.replicaAcks} replicas within ${waitMs} ms`);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const script = results[i];
      if (!script || script[0]) w.reject(unavailable(script?.[0] ?? 'no reply'));
      else w.resolve(script[1]);
    });
  }

  private marker(reservationId: string): string {
    return `${this.prefix}:r:${reservationId}`;
  }

  async reserve(reservationId: string, items: ReserveItem[], now: number, ttlMs: number, deadline = Date.now() + 86_400_000): Promise<ReserveResult> {
    const keys = [...items.flatMap((it) => this.keys(it.counter)), this.marker(reservationId)];
    const argv: Array<string | number> = [reservationId, now, now + ttlMs, items.length];
    for (const it of items) argv.push(it.amount, it.counter.limit, this.ttlSeconds(it.counter, now));
    argv.push(deadline);
    const r = (await this.write('tcReserve', [keys.length, ...keys, ...argv], deadline - Date.now())) as [number, unknown, string?, string?];
    if (Number(r[0]) === 2) return { ok: false, expired: true };
    if (Number(r[0]) === 1) return { ok: true, usage: (r[1] as string[]).map(Number) };
    const failed = items[Number(r[1])]!.counter;
    return { ok: false, failed, spent: Number(r[2]), reserved: Number(r[3]) };
  }

  async settle(reservationId: string, actual: Array<{ counter: Counter; amount: number }>, now: number, markerTtlMs = 86_400_000): Promise<boolean> {
    if (actual.length === 0) return false;
    const keys = [...actual.flatMap((a) => this.keys(a.counter)), this.marker(reservationId)];
    const argv: Array<string | number> = [reservationId, actual.length];
    for (const a of actual) argv.push(a.amount, this.ttlSeconds(a.counter, now));
    argv.push(markerTtlMs);
    return Number(await this.write('tcSettle', [keys.length, ...keys, ...argv], this.commandTimeoutMs)) === 1;
  }

  async state(counter: Counter, now: number): Promise<CounterState> {
    const keys = this.keys(counter);
    const [spent, reserved] = await this.run(() => this.client.tcState(3, ...keys, now));
    return { spent: Number(spent), reserved: Math.max(0, Number(reserved)) };
  }

  async getLimits(): Promise<StoredLimit[]> {
    const all = await this.run(() => this.client.hgetall(`${this.prefix}:limits`));
    return Object.values(all).map((v) => JSON.parse(v) as StoredLimit);
  }

  async putLimit(limit: StoredLimit): Promise<void> {
    await this.run(() => this.client.hset(`${this.prefix}:limits`, `${limit.scope}:${limit.id}:${limit.window}`, JSON.stringify(limit)));
  }

  async deleteLimit(scope: string, window: string): Promise<boolean> {
    return (await this.run(() => this.client.hdel(`${this.prefix}:limits`, `${scope}:${window}`))) > 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.recheck);
    if (this.watchTimer !== null) clearInterval(this.watchTimer);
    this.watch?.close();
    this.client.disconnect();
  }
}
