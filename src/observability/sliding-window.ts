/**
 * Counts events per key over a sliding time window and says when a key
 * crosses its threshold (an anomaly). Memory is bounded twice: a key keeps at
 * most `threshold` timestamps (that is all the test needs: the threshold-th
 * most recent event lies inside the window), and at most `maxKeys` keys are
 * tracked (the least recently seen is dropped). Time comes in through `now`.
 */

export interface SlidingWindowOptions {
  readonly windowMs: number;
  /** Events within windowMs that make an anomaly (>= 1). */
  readonly threshold: number;
  readonly maxKeys: number;
}

interface KeyState {
  /** Ring of the last `threshold` event times. */
  readonly times: number[];
  next: number;
  count: number;
  /** When this key last raised an anomaly: it raises again only one window later. */
  firedAt: number;
}

export class SlidingWindowCounter {
  private readonly keys = new Map<string, KeyState>();

  constructor(readonly options: SlidingWindowOptions) {
    if (!(options.threshold >= 1 && options.windowMs > 0 && options.maxKeys >= 1)) {
      throw new RangeError("sliding window: threshold and maxKeys must be >= 1, windowMs > 0");
    }
  }

  /**
   * Records one event for `key` at `now`; returns the number of events in the
   * window when this event makes the key cross its threshold (once per
   * window), else undefined.
   */
  hit(key: string, now: number): number | undefined {
    const { threshold, windowMs, maxKeys } = this.options;
    let s = this.keys.get(key);
    if (s === undefined) {
      if (this.keys.size >= maxKeys) this.keys.delete(this.keys.keys().next().value as string);
      s = {
        times: new Array<number>(threshold).fill(0),
        next: 0,
        count: 0,
        firedAt: Number.NEGATIVE_INFINITY,
      };
    } else {
      this.keys.delete(key); // re-inserted below: the map's order is least recently seen first
    }
    this.keys.set(key, s);
    s.times[s.next] = now;
    s.next = (s.next + 1) % threshold;
    s.count = Math.min(s.count + 1, threshold);
    if (s.count < threshold) return undefined;
    // The oldest kept time is the threshold-th most recent event.
    const oldest = s.times[s.next]!;
    if (now - oldest >= windowMs || now - s.firedAt < windowMs) return undefined;
    s.firedAt = now;
    let inWindow = 0;
    for (const t of s.times) if (now - t < windowMs) inWindow++;
    return inWindow;
  }

  get trackedKeys(): number {
    return this.keys.size;
  }
}
