/**
 * Throughput of a synchronous loop for the micro benchmarks: MB/s of `round`
 * (which handles `bytesPerRound` bytes), each run lasting at least `runMs`,
 * best of `repeats` runs after one warm-up round: the machine is shared, and
 * the best run is the one least disturbed by other processes.
 */
export function bestRate(bytesPerRound: number, round: () => void, runMs: number, repeats: number): number {
  round(); // warm-up
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    let rounds = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < runMs) {
      round();
      rounds++;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (rounds * bytesPerRound) / 1e6 / (elapsed / 1000));
  }
  return best;
}
