/**
 * The received events of one call between a node:http2 stream (push, from
 * its 'data' events) and the rpc core (shift, from `read`). It pauses the
 * stream when it holds `highWaterMark` events or `maxBufferedBytes` message
 * bytes and resumes it when the reader catches up. A paused node:http2 stream
 * stops consuming its flow-control window (RFC 9113 §5.2), so a slow reader
 * holds the peer back instead of growing this buffer.
 */
import type { Readable } from "node:stream";

/** Events (messages) held before the stream is paused. */
export const DEFAULT_INBOUND_HIGH_WATER_MARK = 16;
/** Message bytes held before the stream is paused (one message may exceed it; then it is held alone). */
export const DEFAULT_INBOUND_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Told of each event as the reader gets it (e.g. to release the bytes it held). */
export interface InboundTaker<T> {
  taken(item: T): void;
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export class InboundQueue<T> {
  readonly #source: Readable;
  readonly #highWaterMark: number;
  readonly #maxBufferedBytes: number;
  readonly #items: { item: T; bytes: number }[] = [];
  #bufferedBytes = 0;
  #waiter: Waiter<T> | undefined;
  /** The failure: its reason, or how to make it (made only when a reader asks; see failWith). */
  #error: { reason?: unknown; make?: () => unknown } | undefined;
  #pausedByUs = false;
  readonly #taker: InboundTaker<T> | undefined;

  constructor(source: Readable, highWaterMark: number, maxBufferedBytes: number, taker?: InboundTaker<T>) {
    this.#source = source;
    this.#highWaterMark = highWaterMark;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#taker = taker;
  }

  get failed(): boolean {
    return this.#error !== undefined;
  }

  get length(): number {
    return this.#items.length;
  }

  /** Adds an event (dropped once failed); `bytes` counts toward the byte bound. */
  push(item: T, bytes = 0): void {
    if (this.#error) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#taker?.taken(item);
      waiter.resolve(item);
      return;
    }
    this.#items.push({ item, bytes });
    this.#bufferedBytes += bytes;
    if (
      !this.#pausedByUs &&
      (this.#items.length >= this.#highWaterMark || this.#bufferedBytes >= this.#maxBufferedBytes)
    ) {
      this.#pausedByUs = true;
      this.#source.pause();
    }
  }

  /** The next event; one reader at a time (the rpc core never reads concurrently). */
  shift(): Promise<T> {
    const next = this.#items.shift();
    if (next !== undefined) {
      this.#bufferedBytes -= next.bytes;
      this.#maybeResume();
      this.#taker?.taken(next.item);
      return Promise.resolve(next.item);
    }
    if (this.#error) return Promise.reject(this.#reason(this.#error));
    this.#maybeResume();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Rejects the pending and every later `shift` with `reason`; buffered events are dropped. Idempotent. */
  fail(reason: unknown): void {
    this.#fail({ reason });
  }

  /**
   * fail(make()), with the reason made only if a reader is waiting or comes
   * later: a call that finished normally (most of them) never reads again,
   * and an Error costs a stack trace.
   */
  failWith(make: () => unknown): void {
    this.#fail({ make });
  }

  #fail(error: { reason?: unknown; make?: () => unknown }): void {
    if (this.#error) return;
    this.#error = error;
    this.#items.length = 0;
    this.#bufferedBytes = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter.reject(this.#reason(error));
    // Keep the stream flowing so whatever still arrives is discarded rather than held.
    this.#maybeResume(true);
  }

  #reason(error: { reason?: unknown; make?: () => unknown }): unknown {
    if (error.make !== undefined) {
      error.reason = error.make();
      error.make = undefined;
    }
    return error.reason;
  }

  #maybeResume(force = false): void {
    if (!this.#pausedByUs) return;
    if (force || (this.#items.length < this.#highWaterMark && this.#bufferedBytes < this.#maxBufferedBytes)) {
      this.#pausedByUs = false;
      this.#source.resume();
    }
  }
}
