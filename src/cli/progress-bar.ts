/** The live progress line of `pqrpc bench`: redrawn in place on a TTY, throttled. */

/** Redraws at most this often (a terminal needs no more). */
export const PROGRESS_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

export class ProgressBar {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (text: string) => void,
    /** Fraction done (0..1) and a short status text. */
    private readonly state: () => { fraction: number; text: string },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), PROGRESS_INTERVAL_MS);
    this.timer.unref();
  }

  private draw(): void {
    const { fraction, text } = this.state();
    const f = Math.max(0, Math.min(1, fraction));
    const filled = Math.round(f * BAR_WIDTH);
    this.write(
      `\r[${"=".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${text}\u001b[K`,
    );
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.write("\n");
  }
}
