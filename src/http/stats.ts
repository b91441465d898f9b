import type { RequestRecord } from '../accounting/record.js';
import { TIER_NAMES } from '../config/schema.js';

const BUCKET_MS = 10_000;
const BUCKETS = 360; // one hour of 10-second buckets

export interface SeriesPoint {
  t: number;
  requests: number;
  costUsd: number;
  /** Null until a request with measured or estimated energy lands in the bucket. */
  energyJ: number | null;
  thinkingTokens: number;
  /** Mean GPU power in the bucket, watts (null without a GPU source). */
  powerW: number | null;
}

/**
 * Request history, totals and time series for the dashboard and /api/stats. Bounded memory:
 * the last `historyLimit` requests and one hour of 10-second buckets.
 */
export class Stats {
  readonly history: RequestRecord[] = [];
  private readonly listeners = new Set<(r: RequestRecord) => void>();
  private readonly series: SeriesPoint[] = [];
  private powerSamples = new Map<number, { sum: number; n: number }>();
  readonly totals = {
    requests: 0,
    chat: 0,
    thinkingBudgeted: 0,
    thinkingUsed: 0,
    thinkingSaved: 0,
    costUsd: 0,
    /** Null while no request has had an energy figure (no GPU source): shown as "not measured", never 0. */
    energyJ: null as number | null,
    refused: 0,
    byTier: Object.fromEntries(TIER_NAMES.map((t) => [t, 0])) as Record<string, number>,
    byOutcome: {} as Record<string, number>,
  };

  constructor(
    private readonly historyLimit = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  private bucket(t: number): SeriesPoint {
    const start = Math.floor(t / BUCKET_MS) * BUCKET_MS;
    let last = this.series[this.series.length - 1];
    if (!last || last.t < start) {
      last = { t: start, requests: 0, costUsd: 0, energyJ: null, thinkingTokens: 0, powerW: null };
      this.series.push(last);
      if (this.series.length > BUCKETS) this.series.splice(0, this.series.length - BUCKETS);
    }
    return last;
  }

  add(r: RequestRecord): void {
    this.history.push(r);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    const t = this.totals;
    t.requests++;
    t.byOutcome[r.outcome] = (t.byOutcome[r.outcome] ?? 0) + 1;
    if (r.outcome === 'rejected') t.refused++;
    if (r.tier) {
      t.chat++;
      t.byTier[r.tier] = (t.byTier[r.tier] ?? 0) + 1;
    }
    if (r.budget !== null && r.tier) t.thinkingBudgeted += r.budget;
    if (r.thinkingTokens !== null) t.thinkingUsed += r.thinkingTokens;
    if (r.naturalThinkingTokens !== null && r.thinkingTokens !== null) t.thinkingSaved += Math.max(0, r.naturalThinkingTokens - r.thinkingTokens);
    if (r.costUsd !== null) t.costUsd += r.costUsd;
    if (r.energyJ !== null) t.energyJ = (t.energyJ ?? 0) + r.energyJ;
    const b = this.bucket(this.clock());
    b.requests++;
    b.costUsd += r.costUsd ?? 0;
    if (r.energyJ !== null) b.energyJ = (b.energyJ ?? 0) + r.energyJ;
    b.thinkingTokens += r.thinkingTokens ?? 0;
    for (const l of this.listeners) {
      try {
        l(r);
      } catch {
        // a broken listener (closed socket) must not affect the request path
      }
    }
  }

  /** GPU power samples (watts) from the energy source, averaged per bucket. */
  addPower(watts: number): void {
    const b = this.bucket(this.clock());
    const acc = this.powerSamples.get(b.t) ?? { sum: 0, n: 0 };
    acc.sum += watts;
    acc.n++;
    this.powerSamples.set(b.t, acc);
    b.powerW = acc.sum / acc.n;
    if (this.powerSamples.size > BUCKETS) this.powerSamples = new Map([...this.powerSamples].slice(-BUCKETS));
  }

  subscribe(l: (r: RequestRecord) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  snapshot() {
    return { totals: this.totals, series: this.series, bucketSeconds: BUCKET_MS / 1000 };
  }

  recent(limit: number): RequestRecord[] {
    return this.history.slice(-Math.max(0, Math.min(limit, this.historyLimit))).reverse();
  }
}
