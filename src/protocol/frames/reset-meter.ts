/**
 * The reset meter: how many streams a client got reset per window of time,
 * by its own RST (rapid reset, CVE-2023-44487) or by the server because of a
 * protocol error, a refusal or an oversize request (MadeYouReset,
 * CVE-2025-8671). Both kinds start and abort server work, so both count
 * against one limit; past it the connection ends with ENHANCE_YOUR_CALM.
 */
import { RateMeter } from "./rate-meter.ts";

export type ResetCause = "peer" | "local";

export class ResetMeter {
  private readonly meter: RateMeter;
  /** Totals over the connection's life, for stats and tests. */
  peerResets = 0;
  localResets = 0;

  constructor(limit: number, windowMs: number) {
    this.meter = new RateMeter(limit, windowMs);
  }

  get limit(): number {
    return this.meter.limit;
  }

  get windowMs(): number {
    return this.meter.windowMs;
  }

  /** Records one reset at `nowMs`; false once the window holds more than the limit. */
  record(cause: ResetCause, nowMs: number): boolean {
    if (cause === "peer") this.peerResets++;
    else this.localResets++;
    return this.meter.record(nowMs);
  }
}
