/**
 * One pqrpc/1 stream as its user sees it: an ordered send queue (HEADERS,
 * messages, end, TRAILERS — written in this order by the session's pump, so
 * header blocks are compressed in wire order) and a single-reader queue of
 * received events. Received bytes are credited back to the peer (flow
 * control) only when `read()` hands a message to the user, so a user who
 * stops reading stops the peer after one window.
 */
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

/** What the session must do for a stream; implemented by FrameSession. */
export interface StreamHost {
  scheduleSend(stream: FrameStream): void;
  resetStream(stream: FrameStream, code: ErrorCode): void;
  creditRead(stream: FrameStream, bytes: number): void;
}

export type SendItem =
  | { kind: "headers"; fields: readonly HeaderField[]; endStream: boolean; done: Settle }
  | {
      kind: "message";
      data: Uint8Array;
      offset: number;
      compressed: boolean;
      endStream: boolean;
      done: Settle;
    }
  | { kind: "end"; done: Settle }
  | { kind: "trailers"; status: number; message: string; fields: readonly HeaderField[]; done: Settle };

/** A message being gathered; `heldCredit` are its bytes not yet granted back to the peer. */
export interface PartialMessage {
  chunks: Uint8Array[];
  bytes: number;
  compressed: boolean;
  heldCredit: number;
}

export interface Settle {
  resolve(): void;
  reject(error: Error): void;
}

interface Queued {
  event: StreamEvent;
  /** Flow-control bytes to credit when the event is read. */
  credit: number;
}

function settle(): { promise: Promise<void>; done: Settle } {
  let done!: Settle;
  const promise = new Promise<void>((resolve, reject) => {
    done = { resolve, reject };
  });
  return { promise, done };
}

export class FrameStream {
  readonly id: number;
  private readonly host: StreamHost;

  // --- send side (driven by the session) ---
  readonly sendQueue: SendItem[] = [];
  /** Bytes we may still send on this stream (the peer's grant). */
  sendWindow: number;
  /** HEADERS, END_STREAM or TRAILERS queued: no more may follow. */
  sendClosed = false;
  /** Our HEADERS frame has been written. */
  headersSent = false;
  /** The END_STREAM or TRAILERS frame has been written. */
  sendFinished = false;

  // --- receive side (driven by the session) ---
  /** Bytes the peer may still send before our next WINDOW_UPDATE. */
  recvWindow: number;
  /** Bytes read by the user and not yet granted back. */
  recvUnacked = 0;
  headersReceived = false;
  recvFinished = false;
  /** A message being gathered from MESSAGE frames. */
  partial: PartialMessage | undefined;

  /** Called once if the stream fails (reset either way, connection lost): the RPC adapter aborts the call. */
  onFail: ((error: StreamError) => void) | undefined;

  private readonly inbox: Queued[] = [];
  private waiter: { resolve(e: StreamEvent | undefined): void; reject(e: Error): void } | undefined;
  private failure: StreamError | undefined;
  private ended = false;

  constructor(id: number, host: StreamHost, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.host = host;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
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

  /** Queues HEADERS (the client's request headers are sent by openStream; this is the server's response headers). */
  sendHeaders(fields: readonly HeaderField[]): Promise<void> {
    return this.enqueue((done) => ({ kind: "headers", fields, endStream: false, done }), false);
  }

  /** Queues one message; resolves once all its frames are written to the carrier (flow control and backpressure wait here). */
  send(data: Uint8Array, options: SendOptions = {}): Promise<void> {
    const endStream = options.endStream ?? false;
    return this.enqueue(
      (done) => ({
        kind: "message",
        data,
        offset: 0,
        compressed: options.compressed ?? false,
        endStream,
        done,
      }),
      endStream,
    );
  }

  /** Client: ends the request half without a message. */
  end(): Promise<void> {
    return this.enqueue((done) => ({ kind: "end", done }), true);
  }

  /** Server: ends the stream with a status (TRAILERS). */
  sendTrailers(status: number, message = "", fields: readonly HeaderField[] = []): Promise<void> {
    return this.enqueue((done) => ({ kind: "trailers", status, message, fields, done }), true);
  }

  /** Cancels the stream (RST with `code`, CANCEL by default); pending sends and reads fail. */
  reset(code: ErrorCode = ErrorCode.CANCEL): void {
    if (this.failure || (this.sendFinished && this.recvFinished)) return;
    this.host.resetStream(this, code);
  }

  /** The next received event; undefined once the peer has finished; rejects with StreamError on failure. */
  read(): Promise<StreamEvent | undefined> {
    const next = this.inbox.shift();
    if (next) {
      let credit = next.credit;
      if (this.inbox.length === 0 && this.partial && this.partial.heldCredit > 0) {
        // The reader has caught up: the message being gathered may flow again.
        credit += this.partial.heldCredit;
        this.partial.heldCredit = 0;
      }
      if (credit > 0) this.host.creditRead(this, credit);
      return Promise.resolve(next.event);
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

  // ------------------------------------------------------------ session side

  private enqueue(make: (done: Settle) => SendItem, closes: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.sendClosed)
      return Promise.reject(new Error(`stream ${this.id}: sending after the stream was ended`));
    if (closes) this.sendClosed = true;
    const { promise, done } = settle();
    this.sendQueue.push(make(done));
    this.host.scheduleSend(this);
    // A caller that fires and forgets still learns of failure through read()
    // or the session; never let an unawaited send crash the process.
    promise.catch(() => {});
    return promise;
  }

  /** Delivers a received event to the reader. */
  deliver(event: StreamEvent, credit: number): void {
    if (this.failure) return;
    const w = this.waiter;
    if (w && this.inbox.length === 0) {
      this.waiter = undefined;
      if (credit > 0) this.host.creditRead(this, credit);
      w.resolve(event);
      return;
    }
    this.inbox.push({ event, credit });
  }

  /** Marks the receive side finished: reads end after the queued events. */
  finishReceiving(): void {
    this.recvFinished = true;
    this.ended = true;
    const w = this.waiter;
    if (w && this.inbox.length === 0) {
      this.waiter = undefined;
      w.resolve(undefined);
    }
  }

  /**
   * Fails the stream: pending sends and reads reject, unread events are
   * dropped. Returns the flow-control bytes of the dropped events so the
   * session can return them to the connection window.
   */
  fail(error: StreamError): number {
    if (this.failure) return 0;
    this.failure = error;
    this.sendClosed = true;
    let dropped = 0;
    for (const q of this.inbox) dropped += q.credit;
    this.inbox.length = 0;
    for (const item of this.sendQueue) item.done.reject(error);
    this.sendQueue.length = 0;
    if (this.partial) dropped += this.partial.heldCredit;
    this.partial = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
    this.onFail?.(error);
    return dropped;
  }

  /** Drops what is left to send (the peer finished the stream); pending sends reject. */
  abandonSending(error: StreamError): void {
    this.sendClosed = true;
    this.sendFinished = true;
    for (const item of this.sendQueue) item.done.reject(error);
    this.sendQueue.length = 0;
  }
}
