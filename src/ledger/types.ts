import type { ScopeKind, WindowKind } from '../config/schema.js';

export type Unit = 'usd' | 'thinking_tokens';

/** One counter a request is charged against: a limit's scope id, window instance and unit. */
export interface Counter {
  /** Stable key: scope:id:window:windowStart:unit */
  key: string;
  scope: ScopeKind;
  id: string;
  window: WindowKind;
  unit: Unit;
  limit: number;
  /** Window end (ms since epoch), or null for `total`. */
  resetAt: number | null;
  softFraction: number;
}

export interface ReserveItem {
  counter: Counter;
  amount: number;
}

export type ReserveResult =
  | { ok: true; /** used fraction per counter after the reservation (spent + reserved) / limit */ usage: number[] }
  | { ok: false; expired?: undefined; failed: Counter; spent: number; reserved: number }
  /** The reserve ran past its deadline, or its reservation was already refunded: nothing was reserved. */
  | { ok: false; expired: true };

export interface CounterState {
  spent: number;
  reserved: number;
}

/**
 * A spend ledger. reserve is atomic across all counters of one request: either every counter
 * takes the amount or none does, so concurrent requests can never overshoot a cap.
 */
export interface Ledger {
  readonly kind: 'memory' | 'redis';
  /** Connection state where there is one ('ready' when it can take commands). */
  readonly status?: string;
  /** Resolves once the ledger can take commands; rejects after timeoutMs. */
  ready(timeoutMs: number): Promise<void>;
  /**
   * Reserve, unless `deadline` (ms since epoch) has passed when the ledger runs it (checked on
   * the ledger's own clock) or the reservation was already settled or refunded.
   */
  reserve(reservationId: string, items: ReserveItem[], now: number, ttlMs: number, deadline?: number): Promise<ReserveResult>;
  /**
   * Release the reservation and add the real amounts (0 = full refund). Idempotent per
   * reservation id: only the first settle or refund counts (the marker lives markerTtlMs).
   * Resolves true when this call applied.
   */
  settle(reservationId: string, actual: Array<{ counter: Counter; amount: number }>, now: number, markerTtlMs?: number): Promise<boolean>;
  state(counter: Counter, now: number): Promise<CounterState>;
  /** Limits set through the admin API, shared by all replicas (Redis) or this one (memory). */
  getLimits(): Promise<StoredLimit[]>;
  putLimit(limit: StoredLimit): Promise<void>;
  deleteLimit(scope: string, window: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoredLimit {
  scope: ScopeKind;
  id: string;
  window: WindowKind;
  usd?: number;
  thinkingTokens?: number;
  softFraction: number;
}

export class LedgerUnavailableError extends Error {
  override name = 'LedgerUnavailableError';
}
