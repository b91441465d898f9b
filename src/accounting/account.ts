import type { Config } from '../config/schema.js';
import type { EnergyFigure, EnergyMonitor } from '../energy/monitor.js';
import { tokenCost } from './cost.js';
import { costBasisOf, energyLabel, type CostBasis, type EnergyLabel } from './labels.js';

/** What one leg of a response (the first upstream answer, or a continuation) counted. */
export interface LegFigures {
  readonly thinkingTokens: number;
  readonly completionTokens: number | null;
  readonly promptTokens: number | null;
  /** o200k tokens of the answer, for a leg whose engine reported no usage. */
  answerTokens(): number;
  /** Reasoning and answer pieces seen (one per token in engines' streams): the energy share. */
  readonly tokenEvents: number;
}

/** Cost and energy of a request, in the one vocabulary (labels.ts). */
export interface CostFigures {
  costUsd: number | null;
  costBasis: CostBasis;
  energyJ: number | null;
  energySource: EnergyLabel | null;
}

/** A closed request's figures; the energy of its last interval arrives later (`final`). */
export interface ClosedFigures extends CostFigures {
  thinkingTokens: number | null;
  completionTokens: number | null;
  promptTokens: number | null;
  /** Energy and cost once the sampling interval the request ended in has closed. */
  final: Promise<{ energyJ: number; costUsd: number | null }> | null;
}

/** The end-of-stream report's fields (snake_case, as in the report line and the metadata). */
export function reportFields(c: CostFigures): Record<string, string | null> {
  return {
    cost_usd: c.costUsd === null ? null : c.costUsd.toFixed(8),
    cost_basis: c.costUsd === null ? null : c.costBasis,
    energy_j: c.energyJ === null ? null : c.energyJ.toFixed(3),
    energy_source: c.energySource,
  };
}

/** The figures in Envoy's dynamic metadata (namespace `thinkcap`); nulls where nothing was counted. */
export function metadataFigures(c: ClosedFigures | null): Record<string, string | number | null> {
  return {
    cost_usd: c?.costUsd ?? null,
    cost_basis: c && c.costUsd !== null ? c.costBasis : null,
    energy_j: c?.energyJ ?? null,
    energy_source: c?.energySource ?? null,
    thinking_tokens: c?.thinkingTokens ?? null,
    completion_tokens: c?.completionTokens ?? null,
  };
}

/** The figures a whole (non-streaming) response carries in its headers. */
export function figureHeaders(c: ClosedFigures): Record<string, string | number | undefined> {
  return {
    'x-thinkcap-thinking-tokens': c.thinkingTokens ?? undefined,
    'x-thinkcap-cost-usd': c.costUsd === null ? undefined : c.costUsd.toFixed(8),
    'x-thinkcap-cost-basis': c.costUsd === null ? undefined : c.costBasis,
    'x-thinkcap-energy-j': c.energyJ === null ? undefined : c.energyJ.toFixed(3),
    'x-thinkcap-energy-source': c.energySource ?? undefined,
  };
}

/**
 * One request's accounting: tokens from each response leg, the energy share it is attributed,
 * and the price, by GPU where measured, else by configured per-token prices. Every figure
 * thinkcap reports about a request (headers, report line, metadata, record) comes from here.
 */
export class RequestAccount {
  private first: LegFigures | null = null;
  private second: LegFigures | null = null;
  private tokensReported = 0;
  private energyOpen = false;

  constructor(
    readonly id: string,
    private readonly pricing: Config['spend']['pricing'],
    private readonly energy: EnergyMonitor | undefined,
    /** Prompt tokens by thinkcap's own estimate: priced when the engine reports none. */
    private readonly promptEstimate: number,
  ) {}

  /** The response began: its first leg is counted, and the energy attribution starts. */
  open(first: LegFigures): void {
    this.first = first;
    if (this.energy) {
      this.energy.begin(this.id);
      this.energyOpen = true;
    }
  }

  /** A continuation answers: its leg is counted too. */
  continueWith(second: LegFigures): void {
    this.second = second;
  }

  /** After each chunk: hand the energy attribution the tokens generated since the last call. */
  tick(): void {
    if (!this.energyOpen) return;
    const n = (this.first?.tokenEvents ?? 0) + (this.second?.tokenEvents ?? 0);
    if (n > this.tokensReported) {
      this.energy!.tokens(this.id, n - this.tokensReported);
      this.tokensReported = n;
    }
  }

  get responded(): boolean {
    return this.first !== null;
  }

  /** Thinking tokens generated: a continuation's leg carries the total. */
  get thinkingTokens(): number | null {
    return (this.second ?? this.first)?.thinkingTokens ?? null;
  }

  /** Completion tokens generated, both legs: usage where reported, else counted. */
  generatedTokens(): number {
    const first = this.first;
    let n = first ? (first.completionTokens ?? first.thinkingTokens + first.answerTokens()) : 0;
    // The continuation does not think: its completion is its answer.
    if (this.second) n += this.second.completionTokens ?? this.second.answerTokens();
    return n;
  }

  private promptTokens(): number {
    return this.first?.promptTokens ?? this.promptEstimate;
  }

  /** Prompt and completion tokens so far, as the usage a client is shown (what is priced). */
  usage(): { promptTokens: number; completionTokens: number } {
    return { promptTokens: this.promptTokens(), completionTokens: this.generatedTokens() };
  }

  private priced(energy: EnergyFigure | null, completion: number, unserved: boolean): CostFigures {
    if (energy && energy.costUsd !== null) {
      return { costUsd: energy.costUsd, costBasis: costBasisOf(energy), energyJ: energy.joules, energySource: energyLabel(energy.source) };
    }
    return {
      costUsd: unserved ? 0 : tokenCost(this.pricing, this.promptTokens(), completion),
      costBasis: 'tokens',
      energyJ: energy ? energy.joules : null,
      energySource: energy ? energyLabel(energy.source) : null,
    };
  }

  /** Cost and energy so far, for the end-of-stream report (energy still provisional). */
  soFar(): CostFigures {
    const e = this.energyOpen ? (this.energy!.peek(this.id) ?? null) : null;
    if (!this.first) return { costUsd: null, costBasis: 'tokens', energyJ: null, energySource: null };
    return this.priced(e, this.generatedTokens(), false);
  }

  /**
   * The request ended with `status`. An error status with nothing generated was not served by an
   * engine (an Envoy local reply, a validation error): nothing is charged.
   */
  close(status: number | null): ClosedFigures {
    if (!this.first) return { costUsd: null, costBasis: 'tokens', energyJ: null, energySource: null, thinkingTokens: null, completionTokens: null, promptTokens: null, final: null };
    const completion = this.generatedTokens();
    const unserved = status !== null && status >= 400 && completion === 0;
    const energy = this.energyOpen ? this.energy!.end(this.id) : null;
    this.energyOpen = false;
    const now = this.priced(energy?.now ?? null, completion, unserved);
    const monitor = this.energy;
    const final = energy
      ? energy.final.then((f) => {
          monitor?.observeCost(f.costUsd, completion);
          return { energyJ: f.joules, costUsd: f.costUsd ?? now.costUsd };
        })
      : null;
    return {
      costUsd: now.costUsd,
      costBasis: now.costBasis,
      energyJ: now.energyJ,
      energySource: now.energySource,
      thinkingTokens: this.thinkingTokens,
      completionTokens: completion,
      promptTokens: this.promptTokens(),
      final,
    };
  }
}
