/**
 * Counts events in a fixed window of time, without a timer: the window
 * restarts at the first event after it ran out. The server uses it to bound
 * the streams a client resets per second (rapid reset, CVE-2023-44487).
 */
export class RateMeter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    /** Events allowed per window. */
    readonly limit: number,
    /** Window length, ms. */
    readonly windowMs: number,
  ) {}

  /** Records one event at `nowMs`; false once the window holds more than `limit`. */
  record(nowMs: number): boolean {
    if (nowMs - this.windowStart > this.windowMs) {
      this.windowStart = nowMs;
      this.count = 0;
    }
    return ++this.count <= this.limit;
  }
}
