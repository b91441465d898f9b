import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { evictionRisk, RedisLedger, type LedgerEvictionRisk } from '../../src/ledger/redis.js';
import { answerLedgerCall, IpcLedger } from '../../src/ledger/ipc.js';
import { LedgerUnavailableError, type Counter, type Ledger } from '../../src/ledger/types.js';
import { windowBounds } from '../../src/ledger/windows.js';
import { validateConfig } from '../../src/config/load.js';
import { startRedis, type RunningRedis } from '../../devkit/redis.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 22, 10, 30);

function counter(key: string, limit: number, now = T0, window: 'day' | 'total' = 'day'): Counter {
  const { start, end } = windowBounds(window, now);
  return { key: `tenant:${key}:${window}:${start}:usd`, scope: 'tenant', id: key, window, unit: 'usd', limit, resetAt: end, softFraction: 0.8 };
}

let redis: RunningRedis;
/**
 * A worker's ledger of `serve --workers`, wired to a memory ledger as the primary holds it:
 * messages copied through JSON and delivered later, as over the cluster's IPC channel.
 */
function ipcLedger(primary: Ledger = new MemoryLedger()): IpcLedger {
  const listeners: Array<(m: unknown) => void> = [];
  return new IpcLedger({
    send(message) {
      const copy = JSON.parse(JSON.stringify(message));
      setImmediate(() => void answerLedgerCall(primary, copy).then((reply) => reply && setImmediate(() => listeners.forEach((l) => l(JSON.parse(JSON.stringify(reply)))))));
      return true;
    },
    onMessage: (l) => listeners.push(l),
  });
}

const ledgers: Array<[string, () => Ledger]> = [
  ['memory', () => new MemoryLedger()],
  ['memory through IPC (serve --workers)', () => ipcLedger()],
  ['redis', () => new RedisLedger({ ...validateConfig({}).spend.redis, url: redis.url, keyPrefix: `t${Math.random().toString(36).slice(2)}`, commandTimeoutMs: 2000 })],
];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(ledgers)('%s ledger', (_name, makeLedger) => {
  let current: Ledger;
  const make = () => current;
  beforeEach(async () => {
    current = makeLedger();
    await current.ready(5000);
  });
  it('reserves atomically across counters: all or none', async () => {
    const l = make();
    const a = counter('a', 10);
    const b = counter('b', 1);
    expect((await l.reserve('r1', [{ counter: a, amount: 0.6 }, { counter: b, amount: 0.6 }], T0, 60_000)).ok).toBe(true);
    const r2 = await l.reserve('r2', [{ counter: a, amount: 0.6 }, { counter: b, amount: 0.6 }], T0, 60_000);
    expect(r2.ok).toBe(false);
    if (!r2.ok && !r2.expired) expect(r2.failed.key).toBe(b.key);
    // a was not charged for the refused request
    expect(await l.state(a, T0)).toEqual({ spent: 0, reserved: 0.6 });
    await l.close();
  });

  it('settle refunds the unused part; refund is settle with 0', async () => {
    const l = make();
    const a = counter('s', 5);
    await l.reserve('x', [{ counter: a, amount: 2 }], T0, 60_000);
    await l.settle('x', [{ counter: a, amount: 0.5 }], T0);
    expect(await l.state(a, T0)).toEqual({ spent: 0.5, reserved: 0 });
    await l.reserve('y', [{ counter: a, amount: 3 }], T0, 60_000);
    await l.settle('y', [{ counter: a, amount: 0 }], T0);
    const st = await l.state(a, T0);
    expect(st.spent).toBeCloseTo(0.5);
    expect(st.reserved).toBeCloseTo(0);
    await l.close();
  });

  it('a reservation never settled (crash, restart) is released after its TTL', async () => {
    const l = make();
    const a = counter('ttl', 1);
    await l.reserve('lost', [{ counter: a, amount: 0.9 }], T0, 30_000);
    expect((await l.reserve('next', [{ counter: a, amount: 0.5 }], T0 + 1000, 30_000)).ok).toBe(false);
    expect((await l.reserve('next', [{ counter: a, amount: 0.5 }], T0 + 31_000, 30_000)).ok).toBe(true);
    await l.close();
  });

  it('windows reset: the next day is a new counter (time injected, not slept)', async () => {
    const l = make();
    const today = counter('w', 1, T0);
    await l.reserve('d1', [{ counter: today, amount: 1 }], T0, 60_000);
    await l.settle('d1', [{ counter: today, amount: 1 }], T0);
    expect((await l.reserve('d2', [{ counter: counter('w', 1, T0 + 3_600_000), amount: 0.1 }], T0 + 3_600_000, 60_000)).ok).toBe(false);
    const tomorrow = counter('w', 1, T0 + DAY);
    expect(tomorrow.key).not.toBe(today.key);
    expect((await l.reserve('d3', [{ counter: tomorrow, amount: 0.1 }], T0 + DAY, 60_000)).ok).toBe(true);
    await l.close();
  });

  it('concurrent reservations never overshoot the cap', async () => {
    const l = make();
    const a = counter('conc', 50);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => l.reserve(`c${i}`, [{ counter: a, amount: 1 }], T0, 60_000)));
    expect(results.filter((r) => r.ok).length).toBe(50);
    await Promise.all(results.map((r, i) => (r.ok ? l.settle(`c${i}`, [{ counter: a, amount: 0.75 }], T0) : Promise.resolve())));
    const st = await l.state(a, T0);
    expect(st.spent).toBeCloseTo(37.5);
    expect(st.reserved).toBeCloseTo(0);
    await l.close();
  });

  it('settle is idempotent per reservation: a second settle or a late refund changes nothing', async () => {
    const l = make();
    const a = counter('idem', 5);
    await l.reserve('i1', [{ counter: a, amount: 2 }], T0, 60_000);
    expect(await l.settle('i1', [{ counter: a, amount: 0.5 }], T0)).toBe(true);
    expect(await l.settle('i1', [{ counter: a, amount: 0.5 }], T0)).toBe(false);
    expect(await l.settle('i1', [{ counter: a, amount: 0 }], T0)).toBe(false);
    expect(await l.state(a, T0)).toEqual({ spent: 0.5, reserved: 0 });
    await l.close();
  });

  it('a reserve that runs past its deadline, or after its refund, reserves nothing', async () => {
    const l = make();
    const a = counter('late', 5);
    const late = await l.reserve('d1', [{ counter: a, amount: 2 }], T0, 60_000, Date.now() - 1);
    expect(late).toEqual({ ok: false, expired: true });
    // The refund got there first (another connection): the reserve that follows is a no-op.
    expect(await l.settle('d2', [{ counter: a, amount: 0 }], T0)).toBe(true);
    expect(await l.reserve('d2', [{ counter: a, amount: 2 }], T0, 60_000)).toEqual({ ok: false, expired: true });
    expect(await l.state(a, T0)).toEqual({ spent: 0, reserved: 0 });
    await l.close();
  });

  it('stores admin limits', async () => {
    const l = make();
    await l.putLimit({ scope: 'tenant', id: 'acme', window: 'day', usd: 3, softFraction: 0.8 });
    expect(await l.getLimits()).toEqual([{ scope: 'tenant', id: 'acme', window: 'day', usd: 3, softFraction: 0.8 }]);
    expect(await l.deleteLimit('tenant:acme', 'day')).toBe(true);
    expect(await l.getLimits()).toEqual([]);
    await l.close();
  });
});

describe('redis ledger connection', () => {
  it('eviction: a node with maxmemory and an evicting policy is a risk; noeviction or no maxmemory is not', () => {
    const info = (policy: string, max: number) => `# Memory\r\nused_memory:1000\r\nmaxmemory:${max}\r\nmaxmemory_human:x\r\nmaxmemory_policy:${policy}\r\n`;
    expect(evictionRisk('n:1', info('allkeys-lru', 4_194_304))).toEqual({ node: 'n:1', policy: 'allkeys-lru', maxmemoryBytes: 4_194_304 });
    expect(evictionRisk('n:1', info('volatile-lru', 1000))?.policy).toBe('volatile-lru');
    expect(evictionRisk('n:1', info('noeviction', 4_194_304))).toBeNull();
    expect(evictionRisk('n:1', info('allkeys-lru', 0))).toBeNull();
    expect(evictionRisk('n:1', '# Memory\r\n')).toBeNull();
  });

  it('a FLUSHALL on a live connection, or a policy changed there, is found by the next recheck (no reconnect needed)', async () => {
    const r = await startRedis();
    const losses: string[] = [];
    const checks: LedgerEvictionRisk[][] = [];
    const l = new RedisLedger({ ...validateConfig({}).spend.redis, url: r.url, commandTimeoutMs: 2000 }, { recheckEveryMs: 200 });
    try {
      l.onDataLost((loss) => losses.push(loss.now));
      l.onEvictionChecked((risks) => checks.push(risks));
      await l.ready(5000);
      const c = counter('flushed', 10);
      expect((await l.reserve('x1', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
      await new Promise((res) => setTimeout(res, 300));
      expect(losses).toEqual([]);
      const clientsBefore = r.cli('info', 'stats').match(/^total_connections_received:(\d+)/m)![1];
      r.cli('flushall');
      r.cli('config', 'set', 'maxmemory', '64mb');
      r.cli('config', 'set', 'maxmemory-policy', 'allkeys-lru');
      for (let i = 0; i < 40 && (losses.length === 0 || checks.at(-1)?.length !== 1); i++) await new Promise((res) => setTimeout(res, 50));
      expect(losses).toHaveLength(1);
      expect(checks.at(-1)).toEqual([{ node: `127.0.0.1:${r.port}`, policy: 'allkeys-lru', maxmemoryBytes: 64 * 1024 * 1024 }]);
      // Found on the live connection: the ledger did not connect again (only redis-cli did: three commands and this read).
      expect(Number(r.cli('info', 'stats').match(/^total_connections_received:(\d+)/m)![1])).toBe(Number(clientsBefore) + 4);
      await new Promise((res) => setTimeout(res, 500));
      expect(losses).toHaveLength(1);
    } finally {
      await l.close();
      await r.stop();
    }
  });

  it('eviction: read from the Redis it connects to, on every (re)connect', async () => {
    const r = await startRedis();
    const checks: LedgerEvictionRisk[][] = [];
    let l: RedisLedger | undefined;
    try {
      const checked = async (n: number) => {
        for (let i = 0; i < 50 && checks.length < n; i++) await new Promise((res) => setTimeout(res, 50));
        expect(checks).toHaveLength(n);
        return checks[n - 1]!;
      };
      l = new RedisLedger({ ...validateConfig({}).spend.redis, url: r.url, commandTimeoutMs: 2000 });
      l.onEvictionChecked((risks) => checks.push(risks));
      expect(await checked(1)).toEqual([]);
      r.cli('config', 'set', 'maxmemory', '64mb');
      r.cli('config', 'set', 'maxmemory-policy', 'volatile-lru');
      // Found on the next connect (a restart, a failover): here the server drops the connection.
      r.cli('client', 'kill', 'type', 'normal');
      expect(await checked(2)).toEqual([{ node: `127.0.0.1:${r.port}`, policy: 'volatile-lru', maxmemoryBytes: 64 * 1024 * 1024 }]);
      // What noeviction does instead, when full: the ledger's writes are refused (unavailable), not its keys dropped.
      const c = counter('full', 10);
      expect((await l.reserve('f1', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
      r.cli('config', 'set', 'maxmemory-policy', 'noeviction');
      r.cli('config', 'set', 'maxmemory', '1');
      const err = await l.reserve('f2', [{ counter: c, amount: 1 }], Date.now(), 60_000).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerUnavailableError);
      expect(String(err)).toMatch(/OOM/);
      expect(await l.state(c, Date.now())).toEqual({ spent: 0, reserved: 1 });
    } finally {
      await l?.close();
      await r.stop();
    }
  });

  it('a TLS CA file that cannot be read stops the ledger at its start, naming the key and the file', () => {
    expect(() => new RedisLedger({ ...validateConfig({}).spend.redis, url: redis.url, tls: { caFile: '/nonexistent/thinkcap-ca.pem' } })).toThrow(
      /spend\.redis\.tls\.caFile: cannot read \/nonexistent\/thinkcap-ca\.pem/,
    );
    const sentinel = { name: 'mymaster', sentinels: [{ host: '127.0.0.1', port: 1 }], tls: { caFile: '/nonexistent/sentinel-ca.pem' } };
    expect(() => new RedisLedger({ ...validateConfig({}).spend.redis, sentinel })).toThrow(/spend\.redis\.sentinel\.tls\.caFile: cannot read \/nonexistent\/sentinel-ca\.pem/);
  });

  it('a connection that ioredis ended by itself is opened again (the ledger never stops reconnecting)', async () => {
    const l = new RedisLedger({ ...validateConfig({}).spend.redis, url: redis.url, keyPrefix: `t${Math.random().toString(36).slice(2)}`, commandTimeoutMs: 2000 });
    await l.ready(5000);
    const c = counter('end', 10);
    // What ioredis does when a reconnect loses a race with a disconnect: status 'end', for good.
    (l as unknown as { client: { disconnect(): void } }).client.disconnect();
    for (let i = 0; i < 40 && l.status !== 'end'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(l.status).toBe('end');
    await expect(l.reserve('e1', [{ counter: c, amount: 1 }], T0, 60_000)).rejects.toThrow(/Connection is closed/);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await l.reserve(`e${i + 2}`, [{ counter: c, amount: 1 }], T0, 60_000).then((r) => r.ok, () => false);
    }
    expect(ok).toBe(true);
    await l.close();
    // Closed on purpose: it stays closed.
    await new Promise((r) => setTimeout(r, 800));
    expect(l.status).toBe('end');
  });
});

describe('memory ledger markers', () => {
  it('expired settle markers are dropped as new ones come (memory stays bounded, no full scans)', async () => {
    const l = new MemoryLedger();
    const a = counter('markers', 1e9);
    for (let i = 0; i < 1000; i++) await l.settle(`m${i}`, [{ counter: a, amount: 0 }], T0, 1000);
    expect((l as unknown as { settled: Map<string, number> }).settled.size).toBe(1000);
    await l.settle('later', [{ counter: a, amount: 0 }], T0 + 2000, 1000);
    expect((l as unknown as { settled: Map<string, number> }).settled.size).toBe(1);
  });
});

describe('window bounds', () => {
  it('cuts hour, day and month in UTC', () => {
    const t = Date.UTC(2026, 1, 28, 23, 59, 59);
    expect(windowBounds('hour', t)).toEqual({ start: Date.UTC(2026, 1, 28, 23), end: Date.UTC(2026, 2, 1, 0) });
    expect(windowBounds('day', t)).toEqual({ start: Date.UTC(2026, 1, 28), end: Date.UTC(2026, 2, 1) });
    expect(windowBounds('month', t)).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
    expect(windowBounds('total', t)).toEqual({ start: 0, end: null });
  });
});

describe('a worker\'s ledger when the primary does not answer', () => {
  it('a call with no answer in time, or that cannot be sent, fails as "ledger unavailable" (the request is then refused or allowed by onLedgerError)', async () => {
    const silent = new IpcLedger({ send: () => true, onMessage: () => {} }, 50);
    await expect(silent.reserve('r', [{ counter: counter('a', 1), amount: 0.5 }], T0, 60_000)).rejects.toMatchObject({ name: 'LedgerUnavailableError' });
    const gone = new IpcLedger({ send: () => false, onMessage: () => {} });
    await expect(gone.getLimits()).rejects.toMatchObject({ name: 'LedgerUnavailableError' });
  });

  it("the primary's ledger errors come back as errors, unavailability as unavailability", async () => {
    const down = new MemoryLedger();
    down.reserve = () => Promise.reject(new LedgerUnavailableError('redis down'));
    down.getLimits = () => Promise.reject(new Error('bug'));
    const l = ipcLedger(down);
    await expect(l.reserve('r', [{ counter: counter('a', 1), amount: 0.5 }], T0, 60_000)).rejects.toMatchObject({ name: 'LedgerUnavailableError', message: 'redis down' });
    await expect(l.getLimits()).rejects.toMatchObject({ message: 'bug' });
    expect(await answerLedgerCall(down, { t: 'ledger', id: 1, op: 'close', args: [] })).toBeNull();
  });
});
