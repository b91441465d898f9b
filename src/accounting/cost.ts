import type { Config } from '../config/schema.js';

/** Cost of a request at the configured per-token prices. */
export function tokenCost(pricing: Config['spend']['pricing'], promptTokens: number, completionTokens: number): number {
  return (promptTokens * pricing.promptUsdPerMTok + completionTokens * pricing.completionUsdPerMTok) / 1e6;
}
