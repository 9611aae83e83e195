/**
 * One pqrpc/1 stream as its user sees it, over a FrameConnection: sends
 * return promises settled by the connection's "sent" events, and received
 * events wait in a single-reader queue. A message's bytes are granted back
 * to the peer (flow control) only when `read()` hands it to the user, so a
 * user who stops reading stops the peer after one window. No Node API: the
 * Node and the browser adapters share it.
 */
import type { FrameConnection } from "./connection.ts";
import { ErrorCode } from "./error-codes.ts";
import type { HeaderField } from "./header-field.ts";
import type { StreamError } from "./stream-error.ts";

export type StreamEvent =
  | { type: "headers"; fields: HeaderField[] }
  | { type: "message"; data: Uint8Array; compressed: boolean }
  | { type: "trailers"; status: number; message: string; fields: HeaderField[] };

export interface SendOptions {
  /** Per-message compression flag (the bytes are already compressed by the caller). */
  compressed?: boolean;
  /** Client only: the request half ends with this message. */
  endStream?: boolean;
}

/** What a stream needs from its adapter. */
export interface StreamHost {
  readonly connection: FrameConnection;
  /** Something was queued on the connection: write it soon. */
  wake(): void;
}

interface Settle {
  resolve(): void;
  reject(error: Error): void;
}

export class FrameStream {
  readonly id: number;
  private readonly host: StreamHost;
  /** Called once if the stream fails (reset either way, connection lost): the RPC adapter aborts the call. */
  onFail: ((error: StreamError) => void) | undefined;

  private readonly inbox: StreamEvent[] = [];
  private readonly pending = new Map<number, Settle>();
  private waiter: { resolve(e: StreamEvent | undefined): void; reject(e: Error): void } | undefined;
  private failure: StreamError | undefined;
  private ended = false;

  constructor(id: number, host: StreamHost) {
    this.id = id;
    this.host = host;
  }

  /** The error that ended the stream, if it failed. */
  get error(): StreamError | undefined {
    return this.failure;
  }

  /** Events received and not yet read. */
  get bufferedEvents(): number {
    return this.inbox.length;
  }

  // ------------------------------------------------------------ user API

  /** Server: queues the response headers. */
  sendHeaders(fields: readonly HeaderField[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      return this.settledWhenSent(this.host.connection.sendHeaders(this.id, fields));
    } catch (e) {
      return refused(e);
    }
  }

  /** Queues one message; resolves once all its frames have left (flow control and backpressure wait here). */
  send(data: Uint8Array, options: SendOptions = NO_OPTIONS): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      return this.settledWhenSent(this.host.connection.sendMessage(this.id, data, options));
    } catch (e) {
      return refused(e);
    }
  }

  /** Client: ends the request half without a message. */
  end(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      return this.settledWhenSent(this.host.connection.sendEnd(this.id));
    } catch (e) {
      return refused(e);
    }
  }

  /** Server: ends the stream with a status (TRAILERS). */
  sendTrailers(status: number, message = "", fields: readonly HeaderField[] = []): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      return this.settledWhenSent(this.host.connection.sendTrailers(this.id, status, message, fields));
    } catch (e) {
      return refused(e);
    }
  }

  /** Cancels the stream (RST with `code`, CANCEL by default); pending sends and reads fail. */
  reset(code: ErrorCode = ErrorCode.CANCEL): void {
    if (this.failure) return;
    this.host.connection.resetStream(this.id, code);
    this.host.wake();
  }

  /** The next received event; undefined once the peer has finished; rejects with StreamError on failure. */
  read(): Promise<StreamEvent | undefined> {
    const next = this.inbox.shift();
    if (next) {
      if (next.type !== "trailers") this.consumed();
      return Promise.resolve(next);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error("FrameStream.read: another read is pending"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent> {
    for (;;) {
      const e = await this.read();
      if (e === undefined) return;
      yield e;
    }
  }

  // ------------------------------------------------------------ adapter side

  /** The promise of a queued send: settled by the connection's "sent" (or "unsent") event for `ticket`. */
  private settledWhenSent(ticket: number): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.pending.set(ticket, { resolve, reject }));
    this.host.wake();
    // A caller that fires and forgets still learns of failure through read()
    // or the session; never let an unawaited send crash the process.
    promise.catch(ignore);
    return promise;
  }

  private consumed(): void {
    this.host.connection.consume(this.id);
    this.host.wake();
  }

  /** A received event for the reader. */
  deliver(event: StreamEvent): void {
    if (this.failure) return;
    const w = this.waiter;
    if (w && this.inbox.length === 0) {
      this.waiter = undefined;
      if (event.type !== "trailers") this.consumed();
      w.resolve(event);
      return;
    }
    this.inbox.push(event);
  }

  /** The peer's half ended: reads end after the queued events. */
  finishReceiving(): void {
    this.ended = true;
    const w = this.waiter;
    if (w && this.inbox.length === 0) {
      this.waiter = undefined;
      w.resolve(undefined);
    }
  }

  /** The send `ticket` has left. */
  sent(ticket: number): void {
    const p = this.pending.get(ticket);
    if (!p) return; // a send the connection queued itself (implied response headers)
    this.pending.delete(ticket);
    p.resolve();
  }

  /** Queued sends were dropped (the peer finished the stream). */
  unsent(error: StreamError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** The stream failed: pending sends and reads reject, unread events are dropped. */
  fail(error: StreamError): void {
    if (this.failure) return;
    this.failure = error;
    this.inbox.length = 0;
    this.unsent(error);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
    this.onFail?.(error);
  }
}

function ignore(): void {}

const NO_OPTIONS: SendOptions = Object.freeze({});

/** A send the connection refused to queue (a state violation), as a rejected promise. */
function refused(e: unknown): Promise<never> {
  return Promise.reject(e instanceof Error ? e : new Error(String(e)));
}
