/**
 * A bounded FIFO between a producer and a consumer in one process: `push`
 * resolves once the queue is at or below its high-water mark (backpressure),
 * `shift` waits for an item, `fail` rejects every pending and later call.
 * Used by the in-memory router transport; protocol adapters may use it for
 * their per-stream inbound queues.
 */
export class AsyncQueue<T> {
  readonly #items: T[] = [];
  readonly #highWaterMark: number;
  #readers: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  #writers: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #error: { reason: unknown } | undefined;

  /** `highWaterMark`: items buffered before `push` stops resolving immediately. */
  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  get length(): number {
    return this.#items.length;
  }

  get failed(): boolean {
    return this.#error !== undefined;
  }

  push(item: T): Promise<void> {
    if (this.#error) return Promise.reject(this.#error.reason);
    const reader = this.#readers.shift();
    if (reader) {
      reader.resolve(item);
      return Promise.resolve();
    }
    this.#items.push(item);
    if (this.#items.length <= this.#highWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => this.#writers.push({ resolve, reject }));
  }

  shift(): Promise<T> {
    if (this.#items.length > 0) {
      const item = this.#items.shift()!;
      if (this.#items.length <= this.#highWaterMark) this.#releaseWriter();
      return Promise.resolve(item);
    }
    if (this.#error) return Promise.reject(this.#error.reason);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  /** Rejects pending and future calls with `reason`; buffered items are dropped. Idempotent. */
  fail(reason: unknown): void {
    if (this.#error) return;
    this.#error = { reason };
    this.#items.length = 0;
    for (const r of this.#readers) r.reject(reason);
    for (const w of this.#writers) w.reject(reason);
    this.#readers = [];
    this.#writers = [];
  }

  #releaseWriter(): void {
    this.#writers.shift()?.resolve();
  }
}
