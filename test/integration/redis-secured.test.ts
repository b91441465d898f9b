/**
 * The spend ledger on Redis secured as production Redis is: AUTH (a Sentinel group whose data
 * nodes and sentinels each have their own password, a Cluster with a password, a standalone
 * Redis with an ACL user) and TLS signed by a private CA (standalone, Cluster, Sentinel). Each is
 * also tried with a wrong password or without the CA, which must leave the ledger unavailable
 * (fail-closed: 503, no upstream call), so the right one is what let it in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../devkit/stack.js';
import { startRedis, redisCli } from '../../devkit/redis.js';
import { startRedisSentinel } from '../../devkit/redis-sentinel.js';
import { startRedisCluster } from '../../devkit/redis-cluster.js';
import { makeTestCertificates, type TestCertificates } from '../../devkit/tls.js';
import { rmSync } from 'node:fs';
import type { Config } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';
import { sentinelWatchFor } from '../../src/ledger/redis.js';
import { concurrentHellos } from '../harness/spend.js';
import { ledgerAfterRefunds, replicatedSpendConfig, settled, trueCost, startLedgerStack } from '../harness/failover.js';

const DATA_PASSWORD = 'data-node-password-0123';
const SENTINEL_PASSWORD = 'sentinel-password-4567';
const WRONG = 'not-the-password-89ab';

let ledgers = 0;

/**
 * The master port the ledger's check of the sentinels finds with this sentinel config (asked for
 * up to 2 s while its connections come up), or null where it never gets a majority's answer.
 */
async function watchedMaster(sentinel: NonNullable<Config['spend']['redis']['sentinel']>): Promise<number | null> {
  const watch = sentinelWatchFor({ ...validateConfig({}).spend.redis, sentinel })!;
  try {
    for (let i = 0; i < 20; i++) {
      const { master } = await watch.ask();
      if (master !== null) return master.port;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  } finally {
    watch.close();
  }
}

/**
 * Three requests through a stack on this ledger config (replicaAcks 1 where there are replicas,
 * else 0): their statuses, and the ledger against the truth where any was admitted.
 */
async function tryLedger(redis: Record<string, unknown>, replicaAcks = 1): Promise<number[]> {
  // A key prefix of its own: stacks that share one Redis do not share counters.
  const stack: Stack = await startLedgerStack(replicatedSpendConfig({ ...redis, keyPrefix: `secured-${++ledgers}`, replicaAcks }, 100));
  try {
    // Up to 3 s for the ledger to connect (a fail-closed replica is not ready without it; with
    // a wrong password or no CA it never is, and the requests below say so).
    for (let i = 0; i < 30 && (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    const statuses = await concurrentHellos(stack, 3);
    const admitted = statuses.filter((s) => s === 200).length;
    expect(stack.emulator.chatCalls()).toBe(admitted);
    // The caller checks the statuses; the ledger is read where all were admitted.
    if (admitted === statuses.length) {
      await settled(stack);
      const b = await ledgerAfterRefunds(stack);
      expect(b.spent).toBeGreaterThan(0);
      expect(b.spent).toBeCloseTo(trueCost(stack), 9);
    }
    return statuses;
  } finally {
    await stack.stop();
  }
}

describe('spend ledger on Redis that requires a password', () => {
  it('Sentinel: the data nodes\' password and the sentinels\' own', async () => {
    const sentinel = await startRedisSentinel({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    try {
      const group = { name: sentinel.name, sentinels: sentinel.sentinels };
      expect(await tryLedger({ sentinel: { ...group, password: SENTINEL_PASSWORD }, password: DATA_PASSWORD })).toEqual([200, 200, 200]);
      expect(await tryLedger({ sentinel: { ...group, password: SENTINEL_PASSWORD }, password: WRONG })).toEqual([503, 503, 503]);
      expect(await tryLedger({ sentinel: { ...group, password: WRONG }, password: DATA_PASSWORD })).toEqual([503, 503, 503]);
      // The ledger's check of the sentinels' majority reaches them with their password too.
      expect(await watchedMaster({ ...group, password: SENTINEL_PASSWORD })).toBe(sentinel.master());
      expect(await watchedMaster({ ...group, password: WRONG })).toBeNull();
    } finally {
      await sentinel.stop();
    }
  }, 120_000);

  it('Cluster: every node\'s password', async () => {
    const cluster = await startRedisCluster({ password: DATA_PASSWORD });
    try {
      expect(await tryLedger({ cluster: cluster.nodes, password: DATA_PASSWORD })).toEqual([200, 200, 200]);
      expect(await tryLedger({ cluster: cluster.nodes, password: WRONG })).toEqual([503, 503, 503]);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('standalone: an ACL user and its password beside a url that carries none', async () => {
    const r = await startRedis();
    try {
      expect(redisCli(r.port, 'acl', 'setuser', 'thinkcap-ledger', 'on', `>${DATA_PASSWORD}`, '~*', '+@all').trim()).toBe('OK');
      // The default user is turned off last: this connection is the last one it makes.
      expect(redisCli(r.port, 'acl', 'setuser', 'default', 'off').trim()).toBe('OK');
      expect(await tryLedger({ url: r.url, username: 'thinkcap-ledger', password: DATA_PASSWORD }, 0)).toEqual([200, 200, 200]);
      expect(await tryLedger({ url: r.url, username: 'thinkcap-ledger', password: WRONG }, 0)).toEqual([503, 503, 503]);
    } finally {
      await r.stop();
    }
  }, 60_000);
});

describe('spend ledger on Redis that takes only TLS, signed by a private CA', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates();
  });
  afterAll(() => {
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('standalone: the CA given as a file, with a rediss:// url or a redis:// one', async () => {
    const r = await startRedis({ tls: certs });
    try {
      expect(r.cli('ping').trim()).toBe('PONG');
      const host = `127.0.0.1:${r.port}`;
      expect(await tryLedger({ url: `rediss://${host}`, tls: { caFile: certs.ca } }, 0)).toEqual([200, 200, 200]);
      expect(await tryLedger({ url: `redis://${host}`, tls: { caFile: certs.ca } }, 0)).toEqual([200, 200, 200]);
      // The system's CAs do not know the private one.
      expect(await tryLedger({ url: `rediss://${host}` }, 0)).toEqual([503, 503, 503]);
    } finally {
      await r.stop();
    }
  }, 60_000);

  it('Cluster: TLS between the nodes too, and a password', async () => {
    const cluster = await startRedisCluster({ password: DATA_PASSWORD, tls: certs });
    try {
      expect(await tryLedger({ cluster: cluster.nodes, password: DATA_PASSWORD, tls: { caFile: certs.ca } })).toEqual([200, 200, 200]);
      expect(await tryLedger({ cluster: cluster.nodes, password: DATA_PASSWORD })).toEqual([503, 503, 503]);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('Sentinel: the master it names reached over TLS (the sentinels\' own port plain)', async () => {
    const sentinel = await startRedisSentinel({ tls: certs });
    try {
      const group = { name: sentinel.name, sentinels: sentinel.sentinels };
      expect(await tryLedger({ sentinel: group, tls: { caFile: certs.ca } })).toEqual([200, 200, 200]);
      expect(await tryLedger({ sentinel: group })).toEqual([503, 503, 503]);
    } finally {
      await sentinel.stop();
    }
  }, 120_000);

  it('Sentinel: the sentinels themselves take only TLS', async () => {
    const sentinel = await startRedisSentinel({ tls: certs, sentinelTls: true });
    try {
      const group = { name: sentinel.name, sentinels: sentinel.sentinels };
      expect(await tryLedger({ sentinel: { ...group, tls: { caFile: certs.ca } }, tls: { caFile: certs.ca } })).toEqual([200, 200, 200]);
      // The sentinels' TLS is its own setting: the data nodes' does not turn it on.
      expect(await tryLedger({ sentinel: group, tls: { caFile: certs.ca } })).toEqual([503, 503, 503]);
      expect(await watchedMaster({ ...group, tls: { caFile: certs.ca } })).toBe(sentinel.master());
      expect(await watchedMaster(group)).toBeNull();
    } finally {
      await sentinel.stop();
    }
  }, 120_000);
});
