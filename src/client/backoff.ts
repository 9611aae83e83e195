/**
 * Reconnect pacing after failed connection attempts: exponential with
 * jitter, capped (the shape of gRPC's connection-backoff.md). A success
 * resets it, so a connection that was up and then dropped reconnects at once.
 */
import { RECONNECT_JITTER } from "./limits.ts";

export class Backoff {
  private failures = 0;
  private notBefore = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failed attempt at `nowMs`; returns the wait before the next one, ms. */
  fail(nowMs: number): number {
    const base = Math.min(this.initialMs * 2 ** this.failures, this.maxMs);
    this.failures++;
    const wait = Math.round(base * (1 + RECONNECT_JITTER * (2 * this.random() - 1)));
    this.notBefore = nowMs + wait;
    return wait;
  }

  succeed(): void {
    this.failures = 0;
    this.notBefore = 0;
  }

  /** Time left before an attempt may start, ms (0: now). */
  remaining(nowMs: number): number {
    return Math.max(0, this.notBefore - nowMs);
  }
}
