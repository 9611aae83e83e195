/**
 * Median cost of one synchronous operation, for the per-operation benches
 * (crypto-ops.ts, handshake-primitives.ts). Noisy on shared machines:
 * compare ratios, not absolutes.
 */

/** Stop timing one operation after this many milliseconds or this many runs. */
export const DEFAULT_BUDGET_MS = 300;
export const MAX_RUNS = 2000;

function median(samples: number[]): number {
  const s = samples.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median microseconds per call of `op`, timed call by call. */
export function medianMicros(op: () => unknown, budgetMs = DEFAULT_BUDGET_MS): number {
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < MAX_RUNS && performance.now() - start < budgetMs) {
    const t = performance.now();
    op();
    samples.push((performance.now() - t) * 1000);
  }
  return median(samples);
}

export const formatMicros = (us: number): string =>
  us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
