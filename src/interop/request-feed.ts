/**
 * A request stream the caller feeds one message at a time: the interop cases
 * need to send the next request only after a reply (ping_pong) or to keep a
 * stream open without half-closing (the cancellation and deadline cases).
 * `close()` half-closes; an AbortSignal also ends it, so no request pump is
 * left waiting after a call ends.
 */
import { AsyncQueue } from "../rpc/async-queue.ts";

/** The cases push a handful of messages; the queue never applies backpressure to them. */
const UNBOUNDED = Number.POSITIVE_INFINITY;

type Item<T> = { readonly done: false; readonly value: T } | { readonly done: true };

export class RequestFeed<T> implements AsyncIterable<T> {
  readonly #queue = new AsyncQueue<Item<T>>(UNBOUNDED);
  #closed = false;

  constructor(signal?: AbortSignal) {
    signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Queues one request; throws after close (a case bug, not a peer error). */
  push(value: T): void {
    if (this.#closed) throw new Error("RequestFeed.push after close");
    void this.#queue.push({ done: false, value });
  }

  /** Ends the stream after the queued requests (half-close). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#queue.push({ done: true });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = await this.#queue.shift();
      if (item.done) return;
      yield item.value;
    }
  }
}
