import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config, LimitConfig, ScopeKind, TierName } from '../config/schema.js';
import { TIER_NAMES } from '../config/schema.js';
import { windowBounds } from '../ledger/windows.js';
import { LedgerUnavailableError, type Counter, type CounterState, type Ledger, type StoredLimit } from '../ledger/types.js';
import type { Identity } from './thinking.js';

export interface SpendIdentity extends Identity {
  route?: string;
}

/** Worst-case and actual cost in USD from token counts (per-million-token prices). */
export interface Reservation {
  id: string;
  counters: Counter[];
  /** Reserved locally because the ledger was unreachable (fail-open). */
  local: boolean;
  reservedUsd: number;
  /** Thinking tokens reserved (the budget) on thinking-token counters. */
  reservedThinking: number;
}

export type Preflight =
  | { ok: true; reservation: Reservation | null; warnings: string[] }
  | { ok: false; status: number; code: string; type: string; message: string; retryAfterSeconds: number | null; /** Why, for the request record (not the client): the ledger's own error. */ cause?: string };

export interface SpendEvents {
  onRefused?(scope: string, code: string): void;
  onSoftCap?(scope: string): void;
  onLedgerError?(mode: 'closed' | 'open'): void;
  /** The real amount passed what was reserved (by `amount`, in `unit`). */
  onOverReservation?(unit: 'usd' | 'thinking_tokens', amount: number): void;
  /** A refund kept for the ledger's return was dropped (MAX_PENDING_REFUNDS were waiting). */
  onRefundDropped?(): void;
}

/** A settlement or refund waiting for the ledger. */
interface PendingSettle {
  id: string;
  actual: Array<{ counter: Counter; amount: number }>;
}

/**
 * Refunds of reserves whose outcome is unknown (the ledger did not answer in time, or was away),
 * kept for when the ledger returns: at most this many. Each refused request during an outage
 * adds one (~1 KB each: 100,000 refused requests held ~100 MB), so a flood of retries against a
 * dead Redis would otherwise grow memory without end. A dropped refund costs at most a hold that
 * lasts its TTL (reservationTtlSeconds) where the reserve did land late: budget held back from
 * that scope for a while, never overspent. Settlements of real spend are never dropped.
 */
export const MAX_PENDING_REFUNDS = 10_000;

/**
 * Requests one replica lets through on the fail-open allowance while the ledger is away, at most,
 * counted until their spend is settled there: past it they are refused (503) like an allowance
 * used up. The allowance is per counter, so with user or session limits each new identity has
 * its own; this bounds what one replica holds for reconciliation (~1 KB a request) whatever the
 * number of identities.
 */
export const MAX_LOCAL_ADMISSIONS = 50_000;

/**
 * Counters whose last usage is kept for budget pressure: past it, ended windows are forgotten,
 * then the longest unused (a forgotten counter reads as no pressure until its next reserve).
 */
export const MAX_USAGE_KEYS = 10_000;

function scopeId(identity: SpendIdentity, scope: ScopeKind): string | undefined {
  return scope === 'tenant' ? identity.tenant : scope === 'user' ? identity.user : scope === 'session' ? identity.session : identity.route;
}

function fmtUsd(v: number): string {
  return `$${v.toFixed(v < 1 ? 4 : 2)}`;
}

/**
 * Spend budgets: reserve a request's worst-case cost before it is forwarded, settle with the
 * real cost at the end. Limits come from config and from the admin API (stored in the ledger so
 * every replica sees them).
 */
export class SpendController {
  private stored: StoredLimit[] = [];
  private storedAt = 0;
  /**
   * Last known usage fraction per counter key, for budget pressure without a round trip; least
   * recently reserved first (bounded: MAX_USAGE_KEYS).
   */
  private readonly usage = new Map<string, { fraction: number; resetAt: number | null }>();
  /**
   * Fail-open: what this replica let through per counter while the ledger was away, until it is
   * settled there (an entry goes when it is back to zero or its window has ended).
   */
  private readonly localSpent = new Map<string, { usd: number; resetAt: number | null }>();
  /** Settlements of real spend made while the ledger was away (never dropped). */
  private readonly pendingSettles: PendingSettle[] = [];
  /** Refunds of reserves with an unknown outcome, oldest first (bounded: MAX_PENDING_REFUNDS). */
  private readonly pendingRefunds: PendingSettle[] = [];
  /** Fail-open reservations admitted and not yet settled (their settlements then wait in pendingSettles). */
  private localInFlight = 0;
  private nextId = 0;
  private reconcileTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: Config,
    private readonly ledger: Ledger,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly events: SpendEvents = {},
  ) {}

  /** Re-read admin-set limits on the next request. */
  invalidateLimits(): void {
    this.storedAt = 0;
  }

  /** Which ledger holds the counters ("memory", "redis", ...), for the budget API. */
  get ledgerKind(): string {
    return this.ledger.kind;
  }

  /** One counter's spent and reserved amounts now (the budget API). */
  counterState(counter: Counter, now: number): Promise<CounterState> {
    return this.ledger.state(counter, now);
  }

  /** Store an admin-set limit; the next request reads it. */
  async setLimit(limit: StoredLimit): Promise<void> {
    await this.ledger.putLimit(limit);
    this.invalidateLimits();
  }

  /** Delete an admin-set limit; true when there was one. */
  async removeLimit(scope: string, window: string): Promise<boolean> {
    const deleted = await this.ledger.deleteLimit(scope, window);
    this.invalidateLimits();
    return deleted;
  }

  get enabled(): boolean {
    return this.config.spend.enabled;
  }

  private refreshing: Promise<void> | null = null;
  private storedLoaded = false;

  /**
   * Config limits plus admin-set ones from the ledger. The read waits at most until `deadline`;
   * past it a stale copy serves, and with none ever read the ledger counts as unavailable (an
   * admin-set cap is never skipped silently).
   */
  private async limits(deadline: number): Promise<Array<LimitConfig | StoredLimit>> {
    // Refresh admin-set limits once a second of real time (the injected clock may stand still).
    const now = Date.now();
    if (this.storedAt === 0 || now - this.storedAt > 1000) {
      this.refreshing ??= this.ledger.getLimits().then(
        (l) => {
          this.stored = l;
          this.storedAt = Date.now();
          this.storedLoaded = true;
          this.refreshing = null;
        },
        (err: unknown) => {
          this.refreshing = null;
          if (!(err instanceof LedgerUnavailableError)) throw err;
        },
      );
      const done = await withDeadline(this.refreshing.then(() => true), deadline - Date.now());
      if (!done && !this.storedLoaded) throw new LedgerUnavailableError('spend limits could not be read from the ledger in time');
    }
    // Admin-set limits replace a config limit for the same scope, id and window.
    const byKey = new Map<string, LimitConfig | StoredLimit>();
    for (const l of this.config.spend.limits) byKey.set(`${l.scope}:${l.id}:${l.window}`, l);
    for (const l of this.stored) byKey.set(`${l.scope}:${l.id}:${l.window}`, l);
    return [...byKey.values()];
  }

  /** The counters a request with this identity is charged against. */
  async countersFor(identity: SpendIdentity, now: number, deadline = Date.now() + this.config.requests.deadlineMs): Promise<Counter[]> {
    const out: Counter[] = [];
    for (const l of await this.limits(deadline)) {
      const id = scopeId(identity, l.scope);
      if (id === undefined) continue;
      if (l.id !== '*' && l.id !== id) continue;
      const { start, end } = windowBounds(l.window, now);
      const base = `${l.scope}:${id}:${l.window}:${start}`;
      if (l.usd !== undefined) out.push({ key: `${base}:usd`, scope: l.scope, id, window: l.window, unit: 'usd', limit: l.usd, resetAt: end, softFraction: l.softFraction });
      if (l.thinkingTokens !== undefined)
        out.push({ key: `${base}:tok`, scope: l.scope, id, window: l.window, unit: 'thinking_tokens', limit: l.thinkingTokens, resetAt: end, softFraction: l.softFraction });
    }
    return out;
  }

  /** Apply the configured default tenant (or refuse) for a request without identity. */
  resolveIdentity(identity: SpendIdentity): SpendIdentity | null {
    if (identity.tenant) return identity;
    if (this.config.spend.onMissingIdentity === 'refuse') return null;
    return { ...identity, tenant: this.config.spend.defaultTenant };
  }

  /** Highest tier allowed under budget pressure, or null when no scope is near its cap. */
  async pressureCap(identity: SpendIdentity, deadline?: number): Promise<TierName | null> {
    const p = this.config.spend.pressure;
    let counters: Counter[];
    try {
      counters = await this.countersFor(identity, this.clock(), deadline);
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      return null; // preflight decides what an unavailable ledger means
    }
    for (const c of counters) {
      if ((this.usage.get(c.key)?.fraction ?? 0) >= p.fraction) return p.maxTier;
    }
    return null;
  }

  /**
   * Reserve the worst case, answering by `deadline` (ms since epoch, derived from Envoy's
   * message_timeout): a ledger that has not answered by then counts as unavailable, and the
   * reservation is refunded behind it so a late script changes nothing.
   */
  async preflight(identity: SpendIdentity, worstUsd: number, thinkingBudget: number, deadline = Date.now() + this.config.requests.deadlineMs): Promise<Preflight> {
    const now = this.clock();
    // Unique across replicas (containers all run as pid 1) and restarts: settles are idempotent per id.
    const id = `${randomUUID()}-${(this.nextId++).toString(36)}`;
    let counters: Counter[];
    try {
      counters = await this.countersFor(identity, now, deadline);
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      return this.ledgerDown(id, [], err);
    }
    if (counters.length === 0) return { ok: true, reservation: null, warnings: [] };
    const items = counters.map((counter) => ({ counter, amount: counter.unit === 'usd' ? worstUsd : thinkingBudget }));
    const ttlMs = this.config.spend.reservationTtlSeconds * 1000;
    try {
      // The ledger checks the deadline on its own clock: allow for skew between the hosts.
      const pending = this.ledger.reserve(id, items, now, ttlMs, deadline + this.config.spend.redis.clockSkewMs);
      const r = await withDeadline(pending, deadline - Date.now());
      if (r === undefined) {
        pending.catch(() => {});
        throw new LedgerUnavailableError(`spend ledger did not answer within ${this.config.requests.deadlineMs} ms`);
      }
      if (!r.ok && r.expired) throw new LedgerUnavailableError('spend reservation ran past its deadline');
      if (!r.ok) {
        const c = r.failed;
        // By key: a ledger in another process returns a copy of the counter, not the same object.
        const needed = items.find((i) => i.counter.key === c.key)?.amount ?? 0;
        const remaining = Math.max(0, c.limit - r.spent - r.reserved);
        const unit = c.unit === 'usd' ? fmtUsd : (v: number) => `${Math.floor(v)} thinking tokens`;
        const scope = `${c.scope} '${c.id}'`;
        const reset = c.resetAt === null ? 'never (total budget)' : new Date(c.resetAt).toISOString();
        this.noteUsage(c, (r.spent + r.reserved) / c.limit);
        this.events.onRefused?.(`${c.scope}`, 'budget_exceeded');
        this.log.info({ scope: c.scope, id: c.id, window: c.window, remaining, needed }, 'request refused: budget exhausted');
        return {
          ok: false,
          status: 429,
          type: 'insufficient_quota',
          code: 'budget_exceeded',
          message: `thinkcap: the ${c.window} budget of ${scope} is exhausted: ${unit(remaining)} of ${unit(c.limit)} remaining, this request needs up to ${unit(needed)}; the budget resets ${reset}`,
          retryAfterSeconds: c.resetAt === null ? null : Math.max(1, Math.ceil((c.resetAt - now) / 1000)),
        };
      }
      const warnings: string[] = [];
      r.usage.forEach((u, i) => {
        const c = counters[i]!;
        this.noteUsage(c, u);
        if (u >= c.softFraction) {
          warnings.push(`${c.scope}:${c.id} ${c.window} ${Math.round(u * 100)}% of ${c.unit === 'usd' ? fmtUsd(c.limit) : `${c.limit} thinking tokens`}`);
          this.events.onSoftCap?.(c.scope);
        }
      });
      if (warnings.length) this.log.warn({ warnings }, 'soft budget cap reached');
      return { ok: true, reservation: { id, counters, local: false, reservedUsd: worstUsd, reservedThinking: thinkingBudget }, warnings };
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      // The reserve may have run, or may still run (too late, or short of replica acks): refund
      // it behind (same connection, so after it; the marker also stops a later one). Retried
      // until the ledger takes it.
      this.refund(id, items.map((i) => i.counter));
      return this.ledgerDown(id, items, err);
    }
  }

  private ledgerDown(id: string, items: Array<{ counter: Counter; amount: number }>, err: Error): Preflight {
    const mode = this.config.spend.onLedgerError;
    this.events.onLedgerError?.(mode);
    // Every refusal here is the same 503; the record keeps the ledger's own error.
    const refused = (message: string): Preflight => ({ ok: false, status: 503, type: 'server_error', code: 'budget_ledger_unavailable', message, retryAfterSeconds: 5, cause: err.message });
    if (mode === 'closed') {
      this.log.error({ err: err.message }, 'spend ledger unavailable: request refused (fail-closed)');
      return refused('thinkcap: the spend ledger is unavailable; try again shortly');
    }
    // Fail-open on a bounded local allowance per counter, reconciled when the ledger returns.
    // The allowance is the fleet's: each of `replicas` replicas may use its share.
    const allowance = this.config.spend.failOpenAllowanceUsd / this.config.spend.replicas;
    if (items.length === 0) {
      // The limits themselves are unknown: nothing to count an allowance against.
      this.log.error({ err: err.message }, 'spend limits unavailable: request refused');
      return refused('thinkcap: the spend ledger is unavailable; try again shortly');
    }
    if (this.localInFlight + this.pendingSettles.length >= MAX_LOCAL_ADMISSIONS) {
      this.log.error({ err: err.message, waiting: this.pendingSettles.length, inFlight: this.localInFlight }, 'spend ledger unavailable and this replica holds the most fail-open requests it may: request refused');
      return refused('thinkcap: the spend ledger is unavailable and the local allowance is used up');
    }
    for (const it of items) {
      if (it.counter.unit !== 'usd') continue;
      if (this.localUsd(it.counter) + it.amount > allowance) {
        this.log.error({ err: err.message, counter: it.counter.key }, 'spend ledger unavailable and local allowance used up: request refused');
        return refused('thinkcap: the spend ledger is unavailable and the local allowance is used up');
      }
    }
    for (const it of items) if (it.counter.unit === 'usd') this.addLocal(it.counter, it.amount);
    this.localInFlight++;
    this.log.warn({ err: err.message }, 'spend ledger unavailable: request allowed on the local allowance (fail-open)');
    return {
      ok: true,
      reservation: {
        // Not the refunded id: its marker would make the later settlement a no-op.
        id: `${id}-local`,
        counters: items.map((i) => i.counter),
        local: true,
        reservedUsd: items.find((i) => i.counter.unit === 'usd')?.amount ?? 0,
        reservedThinking: items.find((i) => i.counter.unit === 'thinking_tokens')?.amount ?? 0,
      },
      warnings: [],
    };
  }

  private overReservation(unit: 'usd' | 'thinking_tokens', amount: number, reservation: Reservation, clipped: boolean): void {
    this.events.onOverReservation?.(unit, amount);
    this.log.warn({ reservation: reservation.id, unit, over: amount, reserved: unit === 'usd' ? reservation.reservedUsd : reservation.reservedThinking, charged: clipped ? 'reservation' : 'all' }, 'settled above the reservation');
  }

  /** How long a settled reservation's marker lives: a minute past the reservation's own expiry. */
  private get markerTtlMs(): number {
    return this.config.spend.reservationTtlSeconds * 1000 + 60_000;
  }

  /** Release a reservation without charging (a timed-out reserve); kept for reconciliation if the ledger is away. */
  private refund(id: string, counters: Counter[]): void {
    const actual = counters.map((counter) => ({ counter, amount: 0 }));
    this.ledger.settle(id, actual, this.clock(), this.markerTtlMs).catch(() => {
      // Full: this one is not kept (the queue's front may be draining; its holds expire first anyway).
      if (this.pendingRefunds.length >= MAX_PENDING_REFUNDS) this.events.onRefundDropped?.();
      else this.pendingRefunds.push({ id, actual });
      this.scheduleReconcile();
    });
  }

  /** Settle with the real cost: the rest of the reservation is refunded. Idempotent per reservation. */
  async settle(reservation: Reservation, realUsd: number, realThinking: number): Promise<void> {
    // A bill above the reservation: counted and logged; the window takes at most the reservation
    // unless the config charges it all.
    const clip = this.config.spend.settleOverReservation === 'clip';
    const overUsd = realUsd - reservation.reservedUsd;
    const overThinking = realThinking - reservation.reservedThinking;
    const hasUnit = (u: string) => reservation.counters.some((c) => c.unit === u);
    if (overUsd > 1e-12 && hasUnit('usd')) this.overReservation('usd', overUsd, reservation, clip);
    if (overThinking > 0 && hasUnit('thinking_tokens')) this.overReservation('thinking_tokens', overThinking, reservation, clip);
    const actualUsd = clip ? Math.min(realUsd, reservation.reservedUsd) : realUsd;
    const thinkingTokens = clip ? Math.min(realThinking, reservation.reservedThinking) : realThinking;
    const actual = reservation.counters.map((counter) => ({ counter, amount: counter.unit === 'usd' ? actualUsd : thinkingTokens }));
    if (reservation.local) {
      this.localInFlight = Math.max(0, this.localInFlight - 1);
      // Free the local allowance by the part not spent; the spend itself goes to the ledger later.
      for (const c of reservation.counters) if (c.unit === 'usd') this.addLocal(c, actualUsd - reservation.reservedUsd);
    }
    try {
      await this.ledger.settle(reservation.id, actual, this.clock(), this.markerTtlMs);
      if (reservation.local) this.releaseLocal(reservation.counters, actualUsd);
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      this.pendingSettles.push({ id: reservation.id, actual });
      this.log.warn({ pending: this.pendingSettles.length }, 'spend ledger unavailable: settlement kept for reconciliation');
      this.scheduleReconcile();
    }
  }

  private releaseLocal(counters: Counter[], usd: number): void {
    for (const c of counters) if (c.unit === 'usd') this.addLocal(c, -usd);
  }

  private localUsd(c: Counter): number {
    return this.localSpent.get(c.key)?.usd ?? 0;
  }

  /** Change a counter's local spend by `usd`; an entry back at zero goes. */
  private addLocal(c: Counter, usd: number): void {
    const next = this.localUsd(c) + usd;
    if (next <= 1e-12) {
      this.localSpent.delete(c.key);
      return;
    }
    this.localSpent.set(c.key, { usd: next, resetAt: c.resetAt });
    // Windows that have ended need no allowance: their entries go once there are many (a sweep
    // at twice what the last one left, so sweeps cost O(1) a call).
    if (this.localSpent.size >= this.localSweepAt) {
      const now = this.clock();
      for (const [k, v] of this.localSpent) if (v.resetAt !== null && v.resetAt <= now) this.localSpent.delete(k);
      this.localSweepAt = Math.max(MAX_USAGE_KEYS, 2 * this.localSpent.size);
    }
  }

  private localSweepAt = MAX_USAGE_KEYS;

  /** Remember a counter's usage for pressure, as the most recently used. */
  private noteUsage(c: Counter, fraction: number): void {
    this.usage.delete(c.key);
    this.usage.set(c.key, { fraction, resetAt: c.resetAt });
    if (this.usage.size <= MAX_USAGE_KEYS) return;
    // Ended windows first, then the least recently reserved, down to half (amortised O(1)).
    const now = this.clock();
    for (const [k, v] of this.usage) if (v.resetAt !== null && v.resetAt <= now) this.usage.delete(k);
    for (const k of this.usage.keys()) {
      if (this.usage.size <= MAX_USAGE_KEYS / 2) break;
      this.usage.delete(k);
    }
  }

  private scheduleReconcile(): void {
    if (this.reconcileTimer) return;
    this.reconcileTimer = setInterval(() => void this.reconcile(), 1000);
    this.reconcileTimer.unref();
  }

  /**
   * Push settlements made while the ledger was away (spend first, then refunds). One run at a
   * time: a call during a run gets that run's promise.
   */
  reconcile(): Promise<number> {
    this.reconciling ??= this.runReconcile().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private reconciling: Promise<number> | null = null;

  private async runReconcile(): Promise<number> {
    const spent = await this.drain(this.pendingSettles, (p) => {
      const usd = p.actual.find((a) => a.counter.unit === 'usd')?.amount ?? 0;
      this.releaseLocal(p.actual.map((a) => a.counter), usd);
    });
    if (spent.stopped) return spent.done;
    const refunds = await this.drain(this.pendingRefunds);
    const done = spent.done + refunds.done;
    if (refunds.stopped) return done;
    if (this.reconcileTimer) {
      clearInterval(this.reconcileTimer);
      this.reconcileTimer = null;
    }
    if (done) this.log.info({ settled: done }, 'spend ledger back: local settlements reconciled');
    return done;
  }

  /**
   * Settle a queue's entries in order (entries added meanwhile too), then take the settled ones
   * off its front in one splice: shift() moves every entry of a long array (through 60,000
   * entries, ~2.7 s here).
   */
  private async drain(queue: PendingSettle[], after?: (p: PendingSettle) => void): Promise<{ done: number; stopped: boolean }> {
    let i = 0;
    let stopped = false;
    for (; i < queue.length; i++) {
      const p = queue[i]!;
      try {
        await this.ledger.settle(p.id, p.actual, this.clock(), this.markerTtlMs);
      } catch {
        stopped = true;
        break;
      }
      after?.(p);
    }
    queue.splice(0, i);
    return { done: i, stopped };
  }

  /** Settlements and refunds waiting for the ledger. */
  get pendingReconciliation(): number {
    return this.pendingSettles.length + this.pendingRefunds.length;
  }

  /** Counters held in memory for pressure and for the fail-open allowance (tests read it). */
  get countersHeld(): { usage: number; localSpent: number } {
    return { usage: this.usage.size, localSpent: this.localSpent.size };
  }

  close(): void {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
  }
}

/**
 * The promise's value, or undefined when it has not settled within ms (it keeps running). Past
 * the deadline (ms ≤ 0) a value that is already there still wins (the in-memory ledger answers
 * at once); only a real wait loses.
 */
async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lower a tier to at most `cap` (budget pressure). */
export function capTier(tier: TierName, cap: TierName | null): TierName {
  if (!cap) return tier;
  return TIER_NAMES.indexOf(tier) > TIER_NAMES.indexOf(cap) ? cap : tier;
}
