/**
 * The ledger's own check of the Sentinel majority, on real sentinels: it moves the connection off
 * a master the majority does not name, whether a stale sentinel sent it there or a failover went
 * unannounced on its connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { RedisLedger, sentinelWatchFor, type LedgerMasterMove } from '../../src/ledger/redis.js';
import { windowBounds } from '../../src/ledger/windows.js';
import type { Counter } from '../../src/ledger/types.js';
import { cutOffFromSentinels, startLoneSentinel, startRedisSentinel, type RunningLoneSentinel, type RunningRedisSentinel } from '../../devkit/redis-sentinel.js';
import { redisAuthCliArgs, redisCli, thinkcapClients, waitFor as until } from '../../devkit/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counter(id: string): Counter {
  const now = Date.now();
  const { start, end } = windowBounds('day', now);
  return { key: `tenant:${id}:day:${start}:usd`, scope: 'tenant', id, window: 'day', unit: 'usd', limit: 100, resetAt: end, softFraction: 0.8 };
}

const ledgerOn = (sentinels: Array<{ host: string; port: number }>, name: string, keyPrefix: string, opts: { failoverDetector?: boolean } = {}) =>
  new RedisLedger({ ...validateConfig({}).spend.redis, sentinel: { name, sentinels }, keyPrefix, commandTimeoutMs: 2000 }, opts);

describe('spend ledger on Sentinel: its connection follows the master a majority of the sentinels names', () => {
  let sentinel: RunningRedisSentinel;
  let lone: RunningLoneSentinel;
  let ledger: RedisLedger | undefined;
  beforeAll(async () => {
    [sentinel, lone] = await Promise.all([startRedisSentinel(), startLoneSentinel()]);
  }, 90_000);
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
  });
  afterAll(async () => {
    await sentinel?.stop();
    await lone?.stop();
  });

  it('a sentinel asked first that names another master sends the connection there; the check moves it to the majority’s and it stays', async () => {
    const master = sentinel.master();
    // Four configured, the lone one first (the one the Redis client asks first): three of four
    // name the group's master.
    ledger = ledgerOn([lone.sentinel, ...sentinel.sentinels], sentinel.name, `watch${Date.now()}`);
    const moves: LedgerMasterMove[] = [];
    ledger.onMasterMoved((m) => moves.push(m));
    await ledger.ready(10_000);
    await until('the ledger on the group’s master', () => thinkcapClients(master) > 0 && thinkcapClients(lone.masterPort) === 0, 15_000);
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves[0]).toEqual({ from: `127.0.0.1:${lone.masterPort}`, to: `127.0.0.1:${master}` });
    // And stays: each later reconnect would ask the lone sentinel first again.
    const movesThen = moves.length;
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      expect(thinkcapClients(lone.masterPort)).toBe(0);
    }
    expect(moves.length).toBe(movesThen);
    // Writes land on the group's master.
    const c = counter('watched');
    expect((await ledger.reserve('w1', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
    expect(await ledger.state(c, Date.now())).toEqual({ spent: 0, reserved: 1 });
    expect(redisCli(master, 'dbsize').trim()).not.toBe('0');
  }, 60_000);

  it('a sentinel that stalls (SIGSTOP) counts as no answer once the answer timeout passes, and answers again when it goes on', async () => {
    const watch = sentinelWatchFor({ ...validateConfig({}).spend.redis, sentinel: { name: sentinel.name, sentinels: [lone.sentinel] } })!;
    try {
      const named = async () => (await watch.ask()).master?.port ?? null;
      for (let i = 0; i < 50 && (await named()) !== lone.masterPort; i++) await sleep(100);
      expect(await named()).toBe(lone.masterPort);
      lone.stall(true);
      try {
        // Sent on the open connection, unanswered: no vote after the timeout (250 ms, the least).
        const t0 = Date.now();
        expect(await named()).toBeNull();
        const waited = Date.now() - t0;
        expect(waited).toBeGreaterThanOrEqual(240);
        expect(waited).toBeLessThan(2_000);
      } finally {
        lone.stall(false);
      }
      for (let i = 0; i < 50 && (await named()) !== lone.masterPort; i++) await sleep(100);
      expect(await named()).toBe(lone.masterPort);
    } finally {
      watch.close();
    }
  }, 30_000);

  it('with no +switch-master listener, the check alone follows a failover the old master’s connection does not show', async () => {
    const PASSWORD = 'watch-0123456789';
    const old = sentinel.master();
    const replica = sentinel.dataPorts.find((p) => p !== old)!;
    ledger = ledgerOn(sentinel.sentinels, sentinel.name, `watch-failover${Date.now()}`, { failoverDetector: false });
    const moves: LedgerMasterMove[] = [];
    ledger.onMasterMoved((m) => moves.push(m));
    await ledger.ready(10_000);
    await until('the ledger on the master', () => thinkcapClients(old) > 0, 10_000);
    // The sentinels lose the old master (it asks them for a password); the ledger's connection stays.
    const auth = redisAuthCliArgs(PASSWORD);
    try {
      expect(cutOffFromSentinels(old, PASSWORD)).toBeGreaterThan(0);
      await until('the sentinels promote the replica', () => sentinel.master() === replica, 30_000);
      expect(redisCli(old, ...auth, 'role').split('\n')[0]).toBe('master');
      await until('the ledger on the new master, none left on the old', () => thinkcapClients(replica) > 0 && thinkcapClients(old, ...auth) === 0, 15_000);
      expect(moves.some((m) => m.from === `127.0.0.1:${old}` && m.to === `127.0.0.1:${replica}`)).toBe(true);
      // The new master lists the connection once it is named, in its handshake, before ioredis has
      // finished its ready check; until then a command is refused (no offline queue), as in CI once.
      await ledger.ready(10_000);
      const c = counter('after-failover');
      expect((await ledger.reserve('f1', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
      // Written on the new master, not the old (which the sentinels would empty on its return).
      const withKey = (port: number, ...a: string[]) => redisCli(port, ...a, 'keys', '*after-failover*').trim();
      expect(withKey(replica)).not.toBe('');
      expect(withKey(old, ...auth)).toBe('');
    } finally {
      // Back to the group as its replica, for whatever runs after.
      redisCli(old, ...auth, 'config', 'set', 'requirepass', '');
    }
  }, 90_000);

  it('sentinels that name the master by hostname: no move while the connection is on it', async () => {
    const named = await startRedisSentinel({ hostnames: true });
    try {
      expect(redisCli(named.sentinels[0]!.port, 'sentinel', 'get-master-addr-by-name', named.name).split('\n')[0]).toBe('localhost');
      ledger = ledgerOn(named.sentinels, named.name, `watch-hostnames${Date.now()}`);
      const moves: LedgerMasterMove[] = [];
      ledger.onMasterMoved((m) => moves.push(m));
      await ledger.ready(10_000);
      const master = named.master();
      await until('the ledger on the master', () => thinkcapClients(master) > 0, 10_000);
      // Several checks (one a second) find it where the majority says.
      await sleep(3500);
      expect(moves).toEqual([]);
      expect(thinkcapClients(master)).toBe(1);
    } finally {
      await ledger?.close();
      ledger = undefined;
      await named.stop();
    }
  }, 90_000);
});
