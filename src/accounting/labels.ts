import type { EnergyFigure } from '../energy/monitor.js';

/**
 * One vocabulary for where a figure came from, used alike in response headers, the
 * end-of-stream report, Envoy dynamic metadata, the request record, metrics labels and the
 * dashboard.
 */
export type EnergyLabel = 'measured-nvml' | 'measured-dcgm' | 'estimated';
/** tokens: configured per-token prices; gpu: the GPU's measured share; estimated: an estimated GPU's share. */
export type CostBasis = 'tokens' | 'gpu' | 'estimated';

export function energyLabel(source: EnergyFigure['source']): EnergyLabel {
  return source === 'estimated' ? 'estimated' : source === 'nvml' ? 'measured-nvml' : 'measured-dcgm';
}

/** The basis of a cost: the GPU figure where it priced the request, else per-token prices. */
export function costBasisOf(energy: EnergyFigure | null): CostBasis {
  if (!energy || energy.costUsd === null) return 'tokens';
  return energy.source === 'estimated' ? 'estimated' : 'gpu';
}
