/**
 * Fair energy attribution under batching. Each measured interval's energy is shared among the
 * requests active in it in proportion to the tokens each produced there (equally when none
 * produced any, e.g. all in prefill); an interval with no active request is idle energy. So
 * Σ per-request energy + idle = measured energy, exactly, whatever the overlap.
 * Pure bookkeeping: time and energy are passed in.
 */
export interface RequestEnergy {
  id: string;
  joules: number;
  /** GPU-seconds: each interval's duration shared the same way as its energy. */
  gpuSeconds: number;
}

interface Active {
  tokens: number;
  joules: number;
  gpuSeconds: number;
  ended: boolean;
}

export class EnergyAttributor {
  private readonly active = new Map<string, Active>();
  idleJoules = 0;
  measuredJoules = 0;
  attributedJoules = 0;

  constructor(private readonly onDone: (r: RequestEnergy) => void = () => {}) {}

  begin(id: string): void {
    if (!this.active.has(id)) this.active.set(id, { tokens: 0, joules: 0, gpuSeconds: 0, ended: false });
  }

  /** Tokens the request produced since the last interval closed. */
  tokens(id: string, n: number): void {
    const a = this.active.get(id);
    if (a && n > 0) a.tokens += n;
  }

  /** The request finished; its energy is final when the interval it ended in closes. */
  end(id: string): void {
    const a = this.active.get(id);
    if (a) a.ended = true;
  }

  /** Energy attributed so far (final figure comes from onDone). */
  soFar(id: string): RequestEnergy | null {
    const a = this.active.get(id);
    return a ? { id, joules: a.joules, gpuSeconds: a.gpuSeconds } : null;
  }

  /** A measured interval closed: share its energy among the requests active in it. */
  interval(seconds: number, joules: number): void {
    this.measuredJoules += joules;
    const ids = [...this.active.keys()];
    if (ids.length === 0) {
      this.idleJoules += joules;
      return;
    }
    let total = 0;
    for (const id of ids) total += this.active.get(id)!.tokens;
    for (const id of ids) {
      const a = this.active.get(id)!;
      const share = total > 0 ? a.tokens / total : 1 / ids.length;
      a.joules += joules * share;
      a.gpuSeconds += seconds * share;
      a.tokens = 0;
    }
    this.attributedJoules += joules;
    for (const id of ids) {
      const a = this.active.get(id)!;
      if (a.ended) {
        this.active.delete(id);
        this.onDone({ id, joules: a.joules, gpuSeconds: a.gpuSeconds });
      }
    }
  }

  get activeCount(): number {
    return this.active.size;
  }
}
