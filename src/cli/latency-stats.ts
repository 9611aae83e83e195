/** Latency statistics of `pqrpc bench`: nearest-rank percentiles and a linear histogram (as ghz prints). */

/** Histogram buckets between the fastest and the slowest call. */
export const HISTOGRAM_BUCKETS = 10;
/** Width of the longest histogram bar, characters. */
const BAR_WIDTH = 40;

export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface HistogramBucket {
  /** Upper bound of the bucket, ms (the first bucket starts at the minimum). */
  readonly upToMs: number;
  readonly count: number;
}

/** Nearest-rank percentile (p in 0..100) of ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function summarize(latenciesMs: readonly number[]): {
  summary: LatencySummary;
  histogram: HistogramBucket[];
} {
  const sorted = Float64Array.from(latenciesMs).sort();
  const n = sorted.length;
  const sum = sorted.reduce((a, b) => a + b, 0);
  const summary: LatencySummary = {
    count: n,
    minMs: round(n ? sorted[0]! : 0),
    meanMs: round(n ? sum / n : 0),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(n ? sorted[n - 1]! : 0),
  };
  const histogram: HistogramBucket[] = [];
  if (n > 0) {
    const min = sorted[0]!;
    const width = (sorted[n - 1]! - min) / HISTOGRAM_BUCKETS;
    const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    for (const v of sorted) {
      const i =
        width === 0 ? HISTOGRAM_BUCKETS - 1 : Math.min(HISTOGRAM_BUCKETS - 1, Math.floor((v - min) / width));
      counts[i]!++;
    }
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++)
      histogram.push({ upToMs: round(min + width * (i + 1)), count: counts[i]! });
  }
  return { summary, histogram };
}

export function histogramLines(histogram: readonly HistogramBucket[]): string[] {
  const most = Math.max(1, ...histogram.map((b) => b.count));
  const label = Math.max(...histogram.map((b) => b.upToMs.toFixed(3).length), 1);
  return histogram.map(
    (b) =>
      `  ${b.upToMs.toFixed(3).padStart(label)} ms [${String(b.count).padStart(String(most).length)}] |${"∎".repeat(Math.round((b.count / most) * BAR_WIDTH))}`,
  );
}
