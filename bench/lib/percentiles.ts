/** Nearest-rank percentiles of a sample, e.g. percentiles(samples, [0.5, 0.99]). */
export function percentiles(samples: readonly number[], quantiles: readonly number[]): number[] {
  const sorted = [...samples].sort((a, b) => a - b);
  return quantiles.map((q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN);
}
