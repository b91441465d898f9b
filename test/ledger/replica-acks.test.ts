/**
 * `spend.redis.replicaAcks`: a write counts only once a replica holds it. Against a real master +
 * replica pair of redis-server on loopback; the replica is stalled with SIGSTOP.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpendController } from '../../src/budget/spend.js';
import { validateConfig } from '../../src/config/load.js';
import { MAX_WRITES_AWAITING_ACKS, RedisLedger } from '../../src/ledger/redis.js';
import { LedgerUnavailableError, type Counter } from '../../src/ledger/types.js';
import { redisCli, startRedis, type RunningRedis } from '../../devkit/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const counter = (id: string, limit: number): Counter => ({ key: `tenant:${id}:total:0:usd`, scope: 'tenant', id, window: 'total', unit: 'usd', limit, resetAt: null, softFraction: 0.8 });

let master: RunningRedis;
let replica: RunningRedis;
const inSync = () => /master_link_status:up/.test(redisCli(replica.port, 'info', 'replication'));

beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis();
  redisCli(replica.port, 'replicaof', '127.0.0.1', String(master.port));
  for (let i = 0; i < 200 && !inSync(); i++) await sleep(50);
  expect(inSync()).toBe(true);
}, 30_000);
afterAll(async () => {
  replica.process.kill('SIGCONT');
  await replica?.stop();
  await master?.stop();
});

// A 400 ms ack wait (default 100): a loopback replica on a loaded CI machine once missed 100 ms for
// a write it was not stalled for. The command timeout (3 s) stays far above it, so the bound below
// still tells the two apart.
const ledgerWith = (replicaAcks: number) =>
  new RedisLedger({ ...validateConfig({}).spend.redis, url: master.url, keyPrefix: `t${Math.random().toString(36).slice(2)}`, commandTimeoutMs: 3000, replicaAckTimeoutMs: 400, replicaAcks });

describe('replicaAcks', () => {
  it('a write acknowledged by the replica counts; with the replica stalled it does not, quickly, and writes pause a moment', async () => {
    const l = ledgerWith(1);
    await l.ready(2000);
    const c = counter('a', 10);
    expect((await l.reserve('r1', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
    replica.process.kill('SIGSTOP');
    try {
      const t0 = Date.now();
      const err = await l.reserve('r2', [{ counter: c, amount: 1 }], Date.now(), 60_000).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerUnavailableError);
      expect(String(err)).toMatch(/0 of 1 replicas/);
      // replicaAckTimeoutMs (400) bounds the wait, not the command timeout (3,000).
      expect(Date.now() - t0).toBeLessThan(1500);
      // The script ran on the master: the reservation is there, unreplicated (the caller refunds it).
      expect((await l.state(c, Date.now())).reserved).toBeCloseTo(2, 9);
      // Right after a shortfall a write is refused without being sent: no WAIT backlog.
      const fast = await l.reserve('r3', [{ counter: c, amount: 1 }], Date.now(), 60_000).then(() => null, (e: unknown) => e);
      expect(String(fast)).toMatch(/acknowledged a write just now/);
      expect((await l.state(c, Date.now())).reserved).toBeCloseTo(2, 9);
    } finally {
      replica.process.kill('SIGCONT');
    }
    await sleep(300);
    expect(await l.settle('r2', [{ counter: c, amount: 0 }], Date.now())).toBe(true);
    expect(await l.settle('r1', [{ counter: c, amount: 0.5 }], Date.now())).toBe(true);
    expect(await l.state(c, Date.now())).toEqual({ spent: 0.5, reserved: 0 });
    await l.close();
  });

  const waitCalls = () => Number(/cmdstat_wait:calls=(\d+)/.exec(redisCli(master.port, 'info', 'commandstats'))?.[1] ?? 0);

  it('writes that come while a WAIT is out go together behind the next one WAIT', async () => {
    const l = ledgerWith(1);
    await l.ready(2000);
    const c = counter('together', 1e6);
    redisCli(master.port, 'config', 'resetstat');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => l.reserve(`g${i}`, [{ counter: c, amount: 1 }], Date.now(), 60_000)));
    expect(results.filter((r) => r.ok)).toHaveLength(200);
    expect((await l.state(c, Date.now())).reserved).toBeCloseTo(200, 9);
    // Before, every write had a WAIT of its own (200).
    const waits = waitCalls();
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThanOrEqual(10);
    await l.close();
  });

  it('a burst while the replica is stalled: one WAIT out, the rest refused unsent, a full queue refused at once, reads not held up', async () => {
    const l = ledgerWith(1);
    await l.ready(2000);
    const c = counter('burst', 1e6);
    redisCli(master.port, 'config', 'resetstat');
    replica.process.kill('SIGSTOP');
    const n = MAX_WRITES_AWAITING_ACKS + 40;
    const refusedAfter: number[] = [];
    const messages: string[] = [];
    try {
      const t0 = Date.now();
      const writes = Array.from({ length: n }, (_, i) =>
        l.reserve(`b${i}`, [{ counter: c, amount: 1 }], Date.now(), 60_000).then(
          () => 'admitted',
          (e: unknown) => {
            refusedAfter.push(Date.now() - t0);
            messages.push(String(e));
            return e instanceof LedgerUnavailableError ? 'refused' : String(e);
          },
        ),
      );
      expect(new Set(await Promise.all(writes))).toEqual(new Set(['refused']));
      // All answered within about one ack wait (400 ms). Before, each write's WAIT waited its turn
      // on the connection: the 8th and later were cut off by the 3 s command timeout.
      expect(Math.max(...refusedAfter)).toBeLessThan(1500);
      // The first write went alone; MAX_WRITES_AWAITING_ACKS waited behind it; the rest at once.
      expect(messages.filter((m) => /already wait for replica/.test(m))).toHaveLength(n - 1 - MAX_WRITES_AWAITING_ACKS);
      expect(Math.max(...refusedAfter.slice(0, n - 1 - MAX_WRITES_AWAITING_ACKS))).toBeLessThan(200);
      expect(messages.filter((m) => /0 of 1 replicas/.test(m))).toHaveLength(1);
      // A read is not held behind a backlog of WAITs on the connection (before: cut off at 3 s).
      const tRead = Date.now();
      const st = await l.state(c, Date.now());
      expect(Date.now() - tRead).toBeLessThan(1000);
      // Only the write that was sent ran on the master (its reservation is refunded behind by the caller).
      expect(st.reserved).toBeCloseTo(1, 9);
      expect(waitCalls()).toBe(1);
    } finally {
      replica.process.kill('SIGCONT');
    }
    await sleep(300);
    expect(await l.settle('b0', [{ counter: c, amount: 0 }], Date.now())).toBe(true);
    expect((await l.reserve('after', [{ counter: c, amount: 1 }], Date.now(), 60_000)).ok).toBe(true);
    expect(await l.state(c, Date.now())).toEqual({ spent: 0, reserved: 1 });
    await l.close();
  });

  it('a write whose deadline passes while it waits for the WAIT before it is not sent', async () => {
    const l = ledgerWith(1);
    await l.ready(2000);
    const c = counter('late', 1e6);
    replica.process.kill('SIGSTOP');
    try {
      const first = l.reserve('l0', [{ counter: c, amount: 1 }], Date.now(), 60_000, Date.now() + 60_000).catch((e: unknown) => e);
      // Its deadline (100 ms) passes while the first write's WAIT (400 ms) is out.
      const late = await l.reserve('l1', [{ counter: c, amount: 1 }], Date.now(), 60_000, Date.now() + 100).catch((e: unknown) => e);
      expect(String(late)).toMatch(/waited past its deadline/);
      expect(String(await first)).toMatch(/0 of 1 replicas/);
      expect((await l.state(c, Date.now())).reserved).toBeCloseTo(1, 9);
    } finally {
      replica.process.kill('SIGCONT');
    }
    await l.close();
  });

  for (const mode of ['closed', 'open'] as const) {
    it(`through the spend controller (${mode}): a reserve short of acks is refunded behind, and settled spend is not lost`, async () => {
      const l = ledgerWith(1);
      await l.ready(2000);
      const config = validateConfig({ spend: { enabled: true, onLedgerError: mode, failOpenAllowanceUsd: 5, limits: [{ scope: 'tenant', id: 't', window: 'day', usd: 10 }] } });
      const spend = new SpendController(config, l, pino({ level: 'silent' }));
      const [c] = await spend.countersFor({ tenant: 't' }, Date.now(), Date.now() + 10_000);
      replica.process.kill('SIGSTOP');
      let p;
      try {
        p = await spend.preflight({ tenant: 't' }, 1, 0);
      } finally {
        replica.process.kill('SIGCONT');
      }
      if (mode === 'closed') {
        expect(p.ok).toBe(false);
        if (!p.ok) expect(p.status).toBe(503);
      } else {
        // Fail-open on the local allowance; its settlement must reach the ledger later.
        expect(p.ok).toBe(true);
        if (p.ok) await spend.settle(p.reservation!, 0.25, 0);
      }
      // The refund (and, when open, the settlement) may be in flight or kept for reconciliation.
      let st = await l.state(c!, Date.now());
      for (let i = 0; i < 50 && (spend.pendingReconciliation > 0 || st.reserved > 1e-9 || st.spent < (mode === 'open' ? 0.25 : 0)); i++) {
        await sleep(100);
        st = await l.state(c!, Date.now());
      }
      expect(spend.pendingReconciliation).toBe(0);
      expect(st.reserved).toBeCloseTo(0, 9);
      expect(st.spent).toBeCloseTo(mode === 'open' ? 0.25 : 0, 9);
      spend.close();
      await l.close();
    });
  }
});
