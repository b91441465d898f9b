import type { Logger } from 'pino';
import type { Config, LimitConfig, ScopeKind, TierName } from '../config/schema.js';
import { TIER_NAMES } from '../config/schema.js';
import { windowBounds } from '../ledger/windows.js';
import { LedgerUnavailableError, type Counter, type Ledger, type StoredLimit } from '../ledger/types.js';
import type { Identity } from './thinking.js';

export interface SpendIdentity extends Identity {
  route?: string;
}

/** Worst-case and actual cost in USD from token counts (per-million-token prices). */
export function tokenCost(pricing: Config['spend']['pricing'], promptTokens: number, completionTokens: number): number {
  return (promptTokens * pricing.promptUsdPerMTok + completionTokens * pricing.completionUsdPerMTok) / 1e6;
}

export interface Reservation {
  id: string;
  counters: Counter[];
  /** Reserved locally because the ledger was unreachable (fail-open). */
  local: boolean;
  reservedUsd: number;
}

export type Preflight =
  | { ok: true; reservation: Reservation | null; warnings: string[] }
  | { ok: false; status: number; code: string; type: string; message: string; retryAfterSeconds: number | null };

export interface SpendEvents {
  onRefused?(scope: string, code: string): void;
  onSoftCap?(scope: string): void;
  onLedgerError?(mode: 'closed' | 'open'): void;
}

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
  /** Last known usage fraction per counter key, for budget pressure without a round trip. */
  private readonly usage = new Map<string, number>();
  /** Fail-open: what this replica let through per counter while the ledger was away. */
  private readonly localSpent = new Map<string, number>();
  private readonly pendingSettles: Array<{ id: string; actual: Array<{ counter: Counter; amount: number }>; at: number }> = [];
  private nextId = 0;
  private reconcileTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: Config,
    readonly ledger: Ledger,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly events: SpendEvents = {},
  ) {}

  /** Re-read admin-set limits on the next request. */
  invalidateLimits(): void {
    this.storedAt = 0;
  }

  get enabled(): boolean {
    return this.config.spend.enabled;
  }

  private async limits(): Promise<Array<LimitConfig | StoredLimit>> {
    // Refresh admin-set limits once a second of real time (the injected clock may stand still).
    const now = Date.now();
    if (this.storedAt === 0 || now - this.storedAt > 1000) {
      try {
        this.stored = await this.ledger.getLimits();
        this.storedAt = now;
      } catch (err) {
        if (!(err instanceof LedgerUnavailableError)) throw err;
      }
    }
    // Admin-set limits replace a config limit for the same scope, id and window.
    const byKey = new Map<string, LimitConfig | StoredLimit>();
    for (const l of this.config.spend.limits) byKey.set(`${l.scope}:${l.id}:${l.window}`, l);
    for (const l of this.stored) byKey.set(`${l.scope}:${l.id}:${l.window}`, l);
    return [...byKey.values()];
  }

  /** The counters a request with this identity is charged against. */
  async countersFor(identity: SpendIdentity, now: number): Promise<Counter[]> {
    const out: Counter[] = [];
    for (const l of await this.limits()) {
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
  async pressureCap(identity: SpendIdentity): Promise<TierName | null> {
    const p = this.config.spend.pressure;
    for (const c of await this.countersFor(identity, this.clock())) {
      if ((this.usage.get(c.key) ?? 0) >= p.fraction) return p.maxTier;
    }
    return null;
  }

  async preflight(identity: SpendIdentity, worstUsd: number, thinkingBudget: number): Promise<Preflight> {
    const now = this.clock();
    const counters = await this.countersFor(identity, now);
    if (counters.length === 0) return { ok: true, reservation: null, warnings: [] };
    const id = `${process.pid.toString(36)}-${now.toString(36)}-${(this.nextId++).toString(36)}`;
    const items = counters.map((counter) => ({ counter, amount: counter.unit === 'usd' ? worstUsd : thinkingBudget }));
    const ttlMs = this.config.spend.reservationTtlSeconds * 1000;
    try {
      const r = await this.ledger.reserve(id, items, now, ttlMs);
      if (!r.ok) {
        const c = r.failed;
        const remaining = Math.max(0, c.limit - r.spent - r.reserved);
        const unit = c.unit === 'usd' ? fmtUsd : (v: number) => `${Math.floor(v)} thinking tokens`;
        const scope = `${c.scope} '${c.id}'`;
        const reset = c.resetAt === null ? 'never (total budget)' : new Date(c.resetAt).toISOString();
        this.usage.set(c.key, (r.spent + r.reserved) / c.limit);
        this.events.onRefused?.(`${c.scope}`, 'budget_exceeded');
        this.log.info({ scope: c.scope, id: c.id, window: c.window, remaining, needed: items.find((i) => i.counter === c)!.amount }, 'request refused: budget exhausted');
        return {
          ok: false,
          status: 429,
          type: 'insufficient_quota',
          code: 'budget_exceeded',
          message: `thinkcap: the ${c.window} budget of ${scope} is exhausted: ${unit(remaining)} of ${unit(c.limit)} remaining, this request needs up to ${unit(items.find((i) => i.counter === c)!.amount)}; the budget resets ${reset}`,
          retryAfterSeconds: c.resetAt === null ? null : Math.max(1, Math.ceil((c.resetAt - now) / 1000)),
        };
      }
      const warnings: string[] = [];
      r.usage.forEach((u, i) => {
        const c = counters[i]!;
        this.usage.set(c.key, u);
        if (u >= c.softFraction) {
          warnings.push(`${c.scope}:${c.id} ${c.window} ${Math.round(u * 100)}% of ${c.unit === 'usd' ? fmtUsd(c.limit) : `${c.limit} thinking tokens`}`);
          this.events.onSoftCap?.(c.scope);
        }
      });
      if (warnings.length) this.log.warn({ warnings }, 'soft budget cap reached');
      return { ok: true, reservation: { id, counters, local: false, reservedUsd: worstUsd }, warnings };
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      return this.ledgerDown(id, items, err);
    }
  }

  private ledgerDown(id: string, items: Array<{ counter: Counter; amount: number }>, err: Error): Preflight {
    const mode = this.config.spend.onLedgerError;
    this.events.onLedgerError?.(mode);
    if (mode === 'closed') {
      this.log.error({ err: err.message }, 'spend ledger unavailable: request refused (fail-closed)');
      return { ok: false, status: 503, type: 'server_error', code: 'budget_ledger_unavailable', message: 'thinkcap: the spend ledger is unavailable; try again shortly', retryAfterSeconds: 5 };
    }
    // Fail-open on a bounded local allowance per counter, reconciled when the ledger returns.
    const allowance = this.config.spend.failOpenAllowanceUsd;
    for (const it of items) {
      if (it.counter.unit !== 'usd') continue;
      if ((this.localSpent.get(it.counter.key) ?? 0) + it.amount > allowance) {
        this.log.error({ err: err.message, counter: it.counter.key }, 'spend ledger unavailable and local allowance used up: request refused');
        return { ok: false, status: 503, type: 'server_error', code: 'budget_ledger_unavailable', message: 'thinkcap: the spend ledger is unavailable and the local allowance is used up', retryAfterSeconds: 5 };
      }
    }
    for (const it of items) if (it.counter.unit === 'usd') this.localSpent.set(it.counter.key, (this.localSpent.get(it.counter.key) ?? 0) + it.amount);
    this.log.warn({ err: err.message }, 'spend ledger unavailable: request allowed on the local allowance (fail-open)');
    return { ok: true, reservation: { id, counters: items.map((i) => i.counter), local: true, reservedUsd: items.find((i) => i.counter.unit === 'usd')?.amount ?? 0 }, warnings: [] };
  }

  /** Settle with the real cost: the rest of the reservation is refunded. */
  async settle(reservation: Reservation, actualUsd: number, thinkingTokens: number): Promise<void> {
    const actual = reservation.counters.map((counter) => ({ counter, amount: counter.unit === 'usd' ? actualUsd : thinkingTokens }));
    if (reservation.local) {
      // Free the local allowance by the part not spent; the spend itself goes to the ledger later.
      for (const c of reservation.counters) {
        if (c.unit !== 'usd') continue;
        this.localSpent.set(c.key, Math.max(0, (this.localSpent.get(c.key) ?? 0) - reservation.reservedUsd + actualUsd));
      }
    }
    try {
      await this.ledger.settle(reservation.id, actual, this.clock());
      if (reservation.local) this.releaseLocal(reservation.counters, actualUsd);
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError)) throw err;
      this.pendingSettles.push({ id: reservation.id, actual, at: this.clock() });
      this.log.warn({ pending: this.pendingSettles.length }, 'spend ledger unavailable: settlement kept for reconciliation');
      this.scheduleReconcile();
    }
  }

  private releaseLocal(counters: Counter[], usd: number): void {
    for (const c of counters) if (c.unit === 'usd') this.localSpent.set(c.key, Math.max(0, (this.localSpent.get(c.key) ?? 0) - usd));
  }

  private scheduleReconcile(): void {
    if (this.reconcileTimer) return;
    this.reconcileTimer = setInterval(() => void this.reconcile(), 1000);
    this.reconcileTimer.unref();
  }

  /** Push settlements made while the ledger was away. */
  async reconcile(): Promise<number> {
    let done = 0;
    while (this.pendingSettles.length > 0) {
      const p = this.pendingSettles[0]!;
      try {
        await this.ledger.settle(p.id, p.actual, this.clock());
      } catch {
        return done;
      }
      this.pendingSettles.shift();
      const usd = p.actual.find((a) => a.counter.unit === 'usd')?.amount ?? 0;
      this.releaseLocal(p.actual.map((a) => a.counter), usd);
      done++;
    }
    if (this.reconcileTimer) {
      clearInterval(this.reconcileTimer);
      this.reconcileTimer = null;
    }
    if (done) this.log.info({ settled: done }, 'spend ledger back: local settlements reconciled');
    return done;
  }

  get pendingReconciliation(): number {
    return this.pendingSettles.length;
  }

  close(): void {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
  }
}

/** Lower a tier to at most `cap` (budget pressure). */
export function capTier(tier: TierName, cap: TierName | null): TierName {
  if (!cap) return tier;
  return TIER_NAMES.indexOf(tier) > TIER_NAMES.indexOf(cap) ? cap : tier;
}
