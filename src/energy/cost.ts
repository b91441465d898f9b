/**
 * Reference $/GPU-hour for common GPUs (on-demand cloud list prices, rounded; 2025). Config
 * overrides them: set energy.gpuHourUsd for what you actually pay.
 */
export const GPU_HOUR_USD: Array<[RegExp, number]> = [
  [/H200/i, 3.8],
  [/H100/i, 2.9],
  [/A100.*80/i, 1.9],
  [/A100/i, 1.4],
  [/L40S/i, 1.0],
  [/L40/i, 0.9],
  [/A10G?/i, 0.75],
  [/L4\b/i, 0.45],
  [/T4\b/i, 0.35],
  [/RTX ?4090/i, 0.4],
];

export function gpuHourPrice(gpuName: string, configured?: number): number | null {
  if (configured !== undefined) return configured;
  for (const [re, usd] of GPU_HOUR_USD) if (re.test(gpuName)) return usd;
  return null;
}

/** Cost of a request: its share of GPU time at the hourly price, plus its energy at $/kWh. */
export function requestCostUsd(gpuSeconds: number, joules: number, gpuHourUsd: number | null, kwhUsd: number | null): number | null {
  if (gpuHourUsd === null && kwhUsd === null) return null;
  return (gpuHourUsd ?? 0) * (gpuSeconds / 3600) + (kwhUsd ?? 0) * (joules / 3.6e6);
}
