import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { MAX_LOCAL_ADMISSIONS, MAX_PENDING_REFUNDS, MAX_USAGE_KEYS, SpendController } from '../../src/budget/spend.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { LedgerUnavailableError } from '../../src/ledger/types.js';

const log = pino({ level: 'silent' });

/** A memory ledger that is away (every reserve and settle fails as unavailable) until `back` is set. */
function awayLedger() {
  const ledger = new MemoryLedger();
  const state = { away: true };
  const reserve = ledger.reserve.bind(ledger);
  const settle = ledger.settle.bind(ledger);
  ledger.reserve = async (...a) => {
    if (state.away) throw new LedgerUnavailableError('down');
    return reserve(...a);
  };
  ledger.settle = async (...a) => {
    if (state.away) throw new LedgerUnavailableError('down');
    return settle(...a);
  };
  return { ledger, state };
}

describe('what the spend controller holds while the ledger is away, and across windows, is bounded', () => {
  it('fail-closed: a flood of refused requests keeps at most MAX_PENDING_REFUNDS refunds (each added one, ~1 KB), counting the ones dropped', async () => {
    const config = validateConfig({ spend: { enabled: true, onLedgerError: 'closed', limits: [{ scope: 'user', id: '*', window: 'day', usd: 10 }] } });
    const { ledger, state } = awayLedger();
    let dropped = 0;
    const spend = new SpendController(config, ledger, log, Date.now, { onRefundDropped: () => dropped++ });
    const n = MAX_PENDING_REFUNDS + 2_500;
    for (let i = 0; i < n; i++) {
      const r = await spend.preflight({ tenant: 't', user: `u${i}` }, 0.001, 10);
      expect(r.ok).toBe(false);
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(spend.pendingReconciliation).toBe(MAX_PENDING_REFUNDS);
    expect(dropped).toBe(2_500);
    // The ledger returns: what was kept is pushed, and nothing stays.
    state.away = false;
    expect(await spend.reconcile()).toBe(MAX_PENDING_REFUNDS);
    expect(spend.pendingReconciliation).toBe(0);
    spend.close();
  });

  it('fail-open: one replica admits at most MAX_LOCAL_ADMISSIONS requests awaiting the ledger, however many identities share the load; none of their spend is dropped', async () => {
    const config = validateConfig({ spend: { enabled: true, onLedgerError: 'open', failOpenAllowanceUsd: 1, limits: [{ scope: 'user', id: '*', window: 'day', usd: 10 }] } });
    const { ledger, state } = awayLedger();
    const spend = new SpendController(config, ledger, log);
    let admitted = 0;
    let refused = 0;
    for (let i = 0; i < MAX_LOCAL_ADMISSIONS + 1_000; i++) {
      // Each user its own counter, so each has a whole allowance: only the replica's bound stops them.
      const r = await spend.preflight({ tenant: 't', user: `u${i}` }, 0.001, 10);
      if (!r.ok) {
        refused++;
        expect(r.status).toBe(503);
        continue;
      }
      admitted++;
      await spend.settle(r.reservation!, 0.0005, 5);
    }
    expect(admitted).toBe(MAX_LOCAL_ADMISSIONS);
    expect(refused).toBe(1_000);
    state.away = false;
    await spend.reconcile();
    expect(spend.pendingReconciliation).toBe(0);
    // Every admitted request's spend reached the ledger; the allowance entries went with it.
    expect(spend.countersHeld.localSpent).toBe(0);
    const { windowBounds } = await import('../../src/ledger/windows.js');
    const start = windowBounds('day', Date.now()).start;
    const st = await spend.counterState({ key: `user:u7:day:${start}:usd`, scope: 'user', id: 'u7', window: 'day', unit: 'usd', limit: 10, resetAt: null, softFraction: 0.8 }, Date.now());
    expect(st.spent).toBeCloseTo(0.0005, 12);
    spend.close();
  });

  it('usage kept for budget pressure forgets ended windows and then the least recently reserved (a session limit sees every session id)', async () => {
    let now = Date.UTC(2026, 11, 3, 12);
    const config = validateConfig({ spend: { enabled: true, pressure: { fraction: 0.5, maxTier: 'simple' }, limits: [{ scope: 'session', id: '*', window: 'hour', usd: 1 }] } });
    const spend = new SpendController(config, new MemoryLedger(), log, () => now);
    // One session near its cap: pressure applies to it.
    const hot = { tenant: 't', session: 'hot' };
    expect((await spend.preflight(hot, 0.6, 10)).ok).toBe(true);
    expect(await spend.pressureCap(hot)).toBe('simple');
    for (let i = 0; i < 3 * MAX_USAGE_KEYS; i++) {
      if (i % 2_000 === 0) expect((await spend.preflight(hot, 0, 10)).ok).toBe(true); // the hot session keeps reserving
      expect((await spend.preflight({ tenant: 't', session: `s${i}` }, 0.001, 10)).ok).toBe(true);
    }
    expect(spend.countersHeld.usage).toBeLessThanOrEqual(MAX_USAGE_KEYS);
    expect(await spend.pressureCap(hot)).toBe('simple');
    // The next hour: the old window's entries go as new ones come.
    now += 3_600_000;
    for (let i = 0; i < MAX_USAGE_KEYS; i++) expect((await spend.preflight({ tenant: 't', session: `n${i}` }, 0.001, 10)).ok).toBe(true);
    expect(spend.countersHeld.usage).toBeLessThanOrEqual(MAX_USAGE_KEYS);
    expect(await spend.pressureCap(hot)).toBeNull(); // a new window: no usage yet
    spend.close();
  });
});
