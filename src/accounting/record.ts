import type { TierName } from '../config/schema.js';
import type { Identity } from '../budget/thinking.js';
import type { CostBasis, EnergyLabel } from './labels.js';
import type { FollowUp } from '../stream/rewriter.js';

export type Outcome = 'ok' | 'passthrough' | 'rejected' | 'upstream_error' | 'aborted' | 'error';

/** What one finished request looked like; fed to logs, metrics and the dashboard. */
export interface RequestRecord {
  id: string;
  /** The gateway's id of the request (x-request-id, set by Envoy), where it sent a usable one. */
  requestId: string | null;
  startedAt: number;
  durationMs: number;
  path: string;
  tier: TierName | null;
  budget: number | null;
  score: number | null;
  signals: string[];
  dialect: string | null;
  backend: string | null;
  identity: Identity;
  thinkingTokens: number | null;
  completionTokens: number | null;
  promptTokens: number | null;
  costUsd: number | null;
  /** How cost was priced: per-token prices, the GPU's share of time, or an estimated GPU. */
  costBasis: CostBasis;
  energyJ: number | null;
  energySource: EnergyLabel | null;
  /** Thinking the backend would have done without the cap, where known. */
  naturalThinkingTokens: number | null;
  /** Envoy route name (xds.route_name), when Envoy sends it. */
  route: string | null;
  /** First characters of the last user message; only when dashboard.promptPreview is on. */
  preview: string | null;
  /** Budget pressure lowered the tier. */
  pressure: boolean;
  notes: string[];
  status: number | null;
  outcome: Outcome;
  reason: string | null;
  /**
   * A continuation thinkcap made after the upstream answer, and why (budget forcing; a rescue of
   * a model that ended inside thinking, or that thought into thinkcap's length cap); null: none.
   * `cut`: thinkcap ended it short (STREAMED: Envoy's time for it ran out), its answer so far sent.
   */
  followUp: { kind: FollowUp; failed: boolean; cut?: true } | null;
  stream: boolean;
}
