/**
 * Flow-control windows (SPEC §Flow control, after RFC 9113 §5.2 and §6.9).
 * A receive window is what we granted and not yet received; bytes return to
 * it only when the application has consumed them (or they are discarded),
 * so what a peer can make us hold is bounded by what we announced.
 */
import { MAX_WINDOW_BYTES } from "./constants.ts";

export class ReceiveWindow {
  /** Bytes the peer may still send. */
  private available: number;
  /** Bytes released by the application and not yet granted back. */
  private unannounced = 0;

  constructor(
    /** The window announced in SETTINGS, bytes. */
    readonly size: number,
  ) {
    this.available = size;
  }

  get remaining(): number {
    return this.available;
  }

  /** Bytes received and not yet granted back: what the peer makes us hold. */
  get held(): number {
    return this.size - this.available - this.unannounced;
  }

  /** Accounts `bytes` the peer sent; false if they overrun the window (FLOW_CONTROL_ERROR). */
  take(bytes: number): boolean {
    if (bytes > this.available) return false;
    this.available -= bytes;
    return true;
  }

  /**
   * Returns `bytes` to the window. Returns the WINDOW_UPDATE increment to
   * send, or 0 while less than half the window is due (unless `now`): one
   * update per half window keeps the frame count low without stalling the sender.
   */
  release(bytes: number, now = false): number {
    if (bytes <= 0) return 0;
    this.unannounced += bytes;
    if (!now && this.unannounced < this.size / 2) return 0;
    const increment = this.unannounced;
    this.available += increment;
    this.unannounced = 0;
    return increment;
  }
}

export class SendWindow {
  constructor(
    /** Bytes the peer lets us send, bytes; negative after the peer's SETTINGS shrank it (RFC 9113 §6.9.2). */
    public available: number,
  ) {}

  /** Adds a WINDOW_UPDATE increment; false if the window passes 2^31-1 (FLOW_CONTROL_ERROR). */
  grant(increment: number): boolean {
    this.available += increment;
    return this.available <= MAX_WINDOW_BYTES;
  }

  spend(bytes: number): void {
    this.available -= bytes;
  }
}
