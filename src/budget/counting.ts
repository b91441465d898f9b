/**
 * A time budget for counting prompt tokens, the costliest step before a request is reserved (up
 * to ~11 ms for 32 KiB of random words here, benchmarks/tokenizer.ts). Counting runs on the event
 * loop: in a flood of large prompts every message waits on the counts before it, and an answer
 * later than Envoy's message_timeout is a failure, which `failure_mode_allow: true` forwards
 * uncapped and unreserved. So counting may take at most `budgetMs` of any `windowMs`; past that,
 * prompts are counted exactly on their first `headChars` characters and bounded by UTF-8 bytes
 * past them (prompt.ts): a looser bound, never a shorter one. The cost of the looser bound is a
 * larger reservation (about four times the count past the head, for English), settled to the
 * real cost when the answer ends, and a cap's 429 that comes sooner during the flood.
 */
export interface CountingBudgetOptions {
  /** The window counting time is metered over (ms). */
  windowMs: number;
  /** Counting time allowed per window before prompts are counted on a short head (ms). */
  budgetMs: number;
  /** Characters counted exactly once the window's budget is spent. */
  headChars: number;
  /** One prompt's counting time (ms), within the budget or not: past it the rest is bounded by bytes (applied by the planner, not the meter). */
  promptMs: number;
}

/** What the meter itself reads. */
export type CountingMeterOptions = Pick<CountingBudgetOptions, 'windowMs' | 'budgetMs' | 'headChars'>;

/**
 * Counting time over a sliding window, approximated by two fixed ones (the previous window's
 * time weighted by how much of it still overlaps): O(1) per request, no timer.
 */
export class CountingMeter {
  private windowStart = -Infinity;
  private current = 0;
  private previous = 0;

  constructor(
    readonly options: CountingMeterOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counting time (ms) in the window that ends now. */
  used(): number {
    this.roll();
    const overlap = 1 - (this.now() - this.windowStart) / this.options.windowMs;
    return this.current + this.previous * Math.max(0, overlap);
  }

  /** How many characters of each text the next prompt may count exactly: all (undefined) within the budget, else the short head. */
  exactChars(): number | undefined {
    return this.used() >= this.options.budgetMs ? this.options.headChars : undefined;
  }

  /** Record counting time (ms). */
  spent(ms: number): void {
    this.roll();
    this.current += ms;
  }

  private roll(): void {
    const t = this.now();
    const elapsed = t - this.windowStart;
    if (elapsed < this.options.windowMs) return;
    // One window on: the current becomes the previous. Two or more: both are over.
    this.previous = elapsed < 2 * this.options.windowMs ? this.current : 0;
    this.current = 0;
    this.windowStart = elapsed < 2 * this.options.windowMs ? this.windowStart + this.options.windowMs : t;
  }
}
