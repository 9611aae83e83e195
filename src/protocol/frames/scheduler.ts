/**
 * The order in which a connection's streams send (SPEC leaves it to the
 * sender): round robin, one frame per stream per turn, and a stream that was
 * served goes to the back of the line, so a small write budget (a carrier
 * with little room) never starves the streams behind the first ones.
 */

/** What writing one stream's next frame did. */
export type WriteOutcome =
  /** A frame of `wrote` bytes left. */
  | { wrote: number }
  /** Nothing queued: the stream leaves the line until it queues again. */
  | "idle"
  /** The stream waits (its window, or its turn to start a message); others may go. */
  | "blocked"
  /** The connection window is used up: nobody can send data. */
  | "connection-blocked";

export class RoundRobin<T> {
  private readonly line = new Set<T>();

  get size(): number {
    return this.line.size;
  }

  /** Puts `item` in line (no-op if it already is: it keeps its place). */
  add(item: T): void {
    this.line.add(item);
  }

  delete(item: T): void {
    this.line.delete(item);
  }

  clear(): void {
    this.line.clear();
  }

  /** One turn over the line, until `budget` bytes have been written; returns the bytes written (0: none could). */
  turn(write: (item: T) => WriteOutcome, budget: number): number {
    let total = 0;
    for (const item of [...this.line]) {
      if (!this.line.has(item)) continue; // an earlier write ended it (a failed stream)
      const r = write(item);
      if (r === "connection-blocked") break;
      if (r === "idle") {
        this.line.delete(item);
        continue;
      }
      if (r === "blocked") continue;
      if (this.line.delete(item)) this.line.add(item); // served: to the back
      total += r.wrote;
      if (total >= budget) break;
    }
    return total;
  }
}
