import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPeer, majorityMaster } from '../../src/ledger/sentinel-watch.js';
import { sentinelWatchFor } from '../../src/ledger/redis.js';
import { validateConfig } from '../../src/config/load.js';

const a = { host: '10.0.0.1', port: 6379 };
const b = { host: '10.0.0.2', port: 6379 };

describe('majorityMaster: the master a strict majority of the configured sentinels names', () => {
  it('needs more than half of those configured, not of those that answered', () => {
    expect(majorityMaster([a, a, b], 3)).toEqual(a);
    expect(majorityMaster([a, null, null], 3)).toBeNull();
    expect(majorityMaster([a, a, null], 3)).toEqual(a);
    // Two of four is no majority: a split is left alone.
    expect(majorityMaster([a, a, b, b], 4)).toBeNull();
    expect(majorityMaster([a, a, null, null], 4)).toBeNull();
    expect(majorityMaster([a, a, a, b], 4)).toEqual(a);
    expect(majorityMaster([], 0)).toBeNull();
    expect(majorityMaster([b], 1)).toEqual(b);
  });
  it('tells addresses apart by host and port', () => {
    expect(majorityMaster([a, { host: a.host, port: 6380 }, a], 3)).toEqual(a);
    expect(majorityMaster([a, { host: a.host, port: 6380 }, null], 3)).toBeNull();
  });
});

describe('isPeer: whether what sentinels name is the socket peer', () => {
  it('compares IPs, an IPv4 peer as a dual-stack socket reports it too', async () => {
    expect(await isPeer({ host: '127.0.0.1', port: 7000 }, '127.0.0.1', 7000)).toBe(true);
    expect(await isPeer({ host: '127.0.0.1', port: 7000 }, '::ffff:127.0.0.1', 7000)).toBe(true);
    expect(await isPeer({ host: '127.0.0.1', port: 7000 }, '127.0.0.1', 7001)).toBe(false);
    expect(await isPeer({ host: '127.0.0.2', port: 7000 }, '127.0.0.1', 7000)).toBe(false);
    expect(await isPeer({ host: '::1', port: 7000 }, '::1', 7000)).toBe(true);
  });
  it('resolves a hostname (sentinels announcing hostnames); one that does not resolve is not the peer', async () => {
    expect(await isPeer({ host: 'localhost', port: 7000 }, '127.0.0.1', 7000)).toBe(true);
    expect(await isPeer({ host: 'no-such-host.invalid', port: 7000 }, '127.0.0.1', 7000)).toBe(false);
  });
});

describe('sentinelWatchFor: the sentinels a Sentinel ledger asks', () => {
  const redis = validateConfig({}).spend.redis;
  it('one vote per sentinel: one listed twice is asked once', () => {
    const w = sentinelWatchFor({ ...redis, sentinel: { name: 'tc', sentinels: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }] } })!;
    try {
      expect(w.size).toBe(2);
    } finally {
      w.close();
    }
  });
  it('none without Sentinel', () => {
    expect(sentinelWatchFor(redis)).toBeNull();
  });
});

describe('SentinelWatch: something on a sentinel\'s port that never answers', () => {
  it('gives no vote and never holds ask() up: the connection never becomes ready, and each ask ends at once', async () => {
    // Takes connections and never answers a byte (ioredis's HELLO goes unanswered).
    const held: Socket[] = [];
    const silent = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const redis = validateConfig({}).spend.redis;
    const w = sentinelWatchFor({ ...redis, sentinel: { name: 'tc', sentinels: [{ host: '127.0.0.1', port }] } })!;
    try {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const t0 = Date.now();
        expect(await w.ask()).toEqual({ master: null, others: [] });
        expect(Date.now() - t0).toBeLessThan(1_000);
      }
      expect(held.length).toBeGreaterThanOrEqual(1);
    } finally {
      w.close();
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});
