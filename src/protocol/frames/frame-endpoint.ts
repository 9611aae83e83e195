/**
 * What every adapter of the pqrpc/1 connection shares, whatever carries its
 * bytes (a Node Duplex in session.ts, the browser's WebSocket in
 * src/web/web-frame-session.ts): it drives a FrameConnection (connection.ts,
 * sans-IO) — one timer armed at the core's next deadline, the core's events
 * dispatched to promise-based FrameStreams, PING and stream-slot waiters —
 * and writes through a FrameCarrier, which is all an adapter implements.
 *
 * - backpressure: frames are taken from the core only while the carrier has
 *   room, so a peer that stops reading holds our memory to the carrier's
 *   bound plus one frame; unsent control frames are bounded in the core
 *   (ENHANCE_YOUR_CALM past maxControlBacklogBytes);
 * - fairness: at most PUMP_BYTES_PER_TURN are written per event-loop turn;
 * - clean-up leaves no timer.
 */
import { FrameConnection } from "./connection.ts";
import type { ConnectionOptions } from "./connection-options.ts";
import { ErrorCode } from "./error-codes.ts";
import { FrameStream, type StreamHost } from "./frame-stream.ts";
import type { HeaderField } from "./header-field.ts";
import type { Settings } from "./settings.ts";
import { StreamError, type StreamFailureReason } from "./stream-error.ts";

/** Bytes written in one event-loop turn before yielding (fairness with reads and other connections). */
export const PUMP_BYTES_PER_TURN = 1024 * 1024;

/** What an adapter provides: where frames go. */
export interface FrameCarrier {
  /** Bytes the carrier takes now before it is over its buffer bound (<= 0: call resume() when it drains). */
  writableRoom(): number;
  /** Writes frames, in order (one carrier write where it can gather them). */
  write(frames: readonly Uint8Array[]): void;
  /** Ends our side: everything is sent (a graceful close has drained). */
  end(): void;
  /** Lets the carrier go: at once (abrupt: a dead or vanished peer), or once what was written has left. */
  release(abrupt: boolean): void;
  /** Runs `fn` on a later turn of the event loop; returns its cancel. */
  later(fn: () => void): () => void;
}

export interface FrameEndpointOptions extends ConnectionOptions {
  /** Milliseconds for the connection's deadlines; default performance.now. */
  clock?: () => number;
  /** Server: a new stream with its request headers (read them with stream.read()). */
  onStream?: (stream: FrameStream) => void;
  /** The peer sent GOAWAY. */
  onGoaway?: (info: { lastStreamId: number; code: number; debug: string }) => void;
  /** The session ended; `error` is set unless it closed cleanly. */
  onClose?: (error: StreamError | undefined) => void;
}

export class FrameEndpoint implements StreamHost {
  readonly role: "client" | "server";
  readonly connection: FrameConnection;
  private readonly carrier: FrameCarrier;
  private readonly options: FrameEndpointOptions;
  private readonly clock: () => number;
  private readonly streams = new Map<number, FrameStream>();

  private pumpQueued = false;
  private pumping = false;
  private pumpAgain = false;
  private cancelLater: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private finished = false;

  private readonly slotWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private readonly pings = new Map<number, { resolve(rttMs: number): void; reject(e: Error): void }>();

  private readonly closedPromise: Promise<StreamError | undefined>;
  private resolveClosed!: (e: StreamError | undefined) => void;

  constructor(carrier: FrameCarrier, options: FrameEndpointOptions) {
    this.carrier = carrier;
    this.role = options.role;
    this.options = options;
    this.clock = options.clock ?? (() => performance.now());
    this.connection = new FrameConnection(options, this.clock());
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Starts: sends our SETTINGS. An adapter calls it once its carrier events are wired. */
  protected start(): void {
    this.process();
  }

  /** Bytes from the carrier. */
  protected receiveBytes(chunk: Uint8Array): void {
    this.connection.receive(chunk, this.clock());
    this.process();
  }

  /** The carrier has room again. */
  protected resume(): void {
    this.process();
  }

  /** The carrier ended or failed. */
  protected carrierGone(detail: string): void {
    this.connection.carrierClosed(detail);
    this.process(true);
  }

  // ================================================================ public API

  /** Resolves when the session has ended: undefined if cleanly, else the error. */
  get closed(): Promise<StreamError | undefined> {
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  get peerSettings(): Readonly<Settings> {
    return this.connection.peerSettings;
  }

  /** Streams the peer still lets us open now. */
  get availableStreams(): number {
    return this.connection.availableStreams;
  }

  /** PINGs waiting for their answer. */
  protected get pendingPings(): number {
    return this.pings.size;
  }

  /** Callers waiting for a stream slot. */
  protected get streamWaiters(): number {
    return this.slotWaiters.length;
  }

  /** Timers and deferred turns the endpoint holds. */
  protected get timers(): number {
    return (this.timer === undefined ? 0 : 1) + (this.cancelLater === undefined ? 0 : 1);
  }

  /**
   * Client: opens a stream and queues its request HEADERS. Throws StreamError
   * synchronously when no stream can be opened (limit, shutdown, ids used up).
   */
  openStream(headers: readonly HeaderField[], options: { endStream?: boolean } = {}): FrameStream {
    const id = this.connection.openStream(headers, options);
    const stream = new FrameStream(id, this);
    this.streams.set(id, stream);
    this.wake();
    return stream;
  }

  /**
   * Client: resolves when a stream may be opened (the peer's concurrent limit
   * has room); rejects with StreamError "going-away" once the session is
   * shutting down. Waiters are woken in order as streams finish.
   */
  whenStreamAvailable(): Promise<void> {
    if (!this.isOpen) return Promise.reject(goingAway());
    if (this.availableStreams > 0 && this.slotWaiters.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.slotWaiters.push({ resolve, reject }));
  }

  /** Sends a PING; resolves with the round-trip time in ms. */
  ping(): Promise<number> {
    if (this.connection.isClosed) {
      return Promise.reject(this.connection.error ?? new Error("session closed"));
    }
    const id = this.connection.ping();
    const promise = new Promise<number>((resolve, reject) => this.pings.set(id, { resolve, reject }));
    this.wake();
    return promise;
  }

  /** Graceful shutdown (SPEC §Graceful shutdown); resolves when the session has closed. */
  close(): Promise<StreamError | undefined> {
    this.connection.close();
    this.process();
    return this.closedPromise;
  }

  /** Ends everything now: open streams fail with `reason`, the carrier is destroyed. */
  destroy(
    code: ErrorCode = ErrorCode.CANCEL,
    reason: StreamFailureReason = "connection-error",
    detail = "destroyed",
  ): void {
    this.connection.abort(code, reason, detail);
    this.process(true);
  }

  /** Server: the handler of `stream` has ended; it stops counting against the stream limit. */
  release(stream: FrameStream): void {
    this.connection.releaseStream(stream.id);
    this.wake();
  }

  // ================================================================ StreamHost

  /** Queues one pump for the end of this tick, so one tick's frames leave in one carrier write. */
  /** Server: the receive budget evicts this connection (GOAWAY ENHANCE_YOUR_CALM). */
  evict(detail: string): void {
    this.connection.evict(detail);
    this.wake();
  }

  wake(): void {
    if (this.pumpQueued || this.finished) return;
    this.pumpQueued = true;
    queueMicrotask(this.runQueued);
  }

  private readonly runQueued = (): void => {
    this.pumpQueued = false;
    this.process();
  };

  // ================================================================ driving the core

  /** Dispatches the core's events, writes what it has, and re-arms the timer. */
  private process(destroyCarrier = false): void {
    if (this.finished) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      let budget = PUMP_BYTES_PER_TURN;
      do {
        this.pumpAgain = false;
        this.dispatch(destroyCarrier);
        if (this.finished) return;
        budget -= this.write(budget);
        this.dispatch(destroyCarrier);
        if (this.finished) return;
      } while (this.pumpAgain);
      if (budget <= 0 && this.connection.wantsToWrite && this.cancelLater === undefined) {
        this.cancelLater = this.carrier.later(() => {
          this.cancelLater = undefined;
          this.process();
        });
      }
      this.armTimer();
    } finally {
      this.pumping = false;
    }
  }

  /** Writes frames while the carrier has room; returns the bytes written. */
  private write(budget: number): number {
    let written = 0;
    while (written < budget) {
      const room = this.carrier.writableRoom();
      if (room <= 0) break; // resume() continues
      const frames = this.connection.takeOutgoing(Math.min(room, budget - written));
      if (!frames) break;
      this.carrier.write(frames);
      for (const f of frames) written += f.length;
    }
    return written;
  }

  private dispatch(destroyCarrier: boolean): void {
    const events = this.connection.takeEvents();
    for (const e of events) {
      switch (e.type) {
        case "stream": {
          const stream = new FrameStream(e.streamId, this);
          this.streams.set(e.streamId, stream);
          stream.deliver({ type: "headers", fields: e.fields });
          this.options.onStream?.(stream);
          break;
        }
        case "headers":
          this.streams.get(e.streamId)?.deliver({ type: "headers", fields: e.fields });
          break;
        case "message":
          this.streams.get(e.streamId)?.deliver({ type: "message", data: e.data, compressed: e.compressed });
          break;
        case "trailers":
          this.streams
            .get(e.streamId)
            ?.deliver({ type: "trailers", status: e.status, message: e.message, fields: e.fields });
          break;
        case "end":
          this.streams.get(e.streamId)?.finishReceiving();
          break;
        case "sent":
          this.streams.get(e.streamId)?.sent(e.ticket);
          break;
        case "unsent":
          this.streams.get(e.streamId)?.unsent(e.error);
          break;
        case "stream-failed":
          this.streams.get(e.streamId)?.fail(e.error);
          this.streams.delete(e.streamId);
          break;
        case "slots":
          this.wakeSlotWaiters();
          break;
        case "pong": {
          const p = this.pings.get(e.pingId);
          this.pings.delete(e.pingId);
          p?.resolve(e.rttMs);
          break;
        }
        case "goaway":
          this.wakeSlotWaiters();
          this.options.onGoaway?.({ lastStreamId: e.lastStreamId, code: e.code, debug: e.debug });
          break;
        case "drained":
          this.write(Number.POSITIVE_INFINITY);
          this.carrier.end();
          break;
        case "closed":
          this.finish(e.error, destroyCarrier);
          return;
      }
    }
    // After the whole batch (a later event may still be for it): a stream
    // the core has closed gets no more events and needs no entry here.
    for (const e of events) {
      if ("streamId" in e && this.connection.streamState(e.streamId) === "closed")
        this.streams.delete(e.streamId);
    }
  }

  private wakeSlotWaiters(): void {
    if (!this.isOpen) {
      const error = goingAway();
      for (const w of this.slotWaiters.splice(0)) w.reject(error);
      return;
    }
    // As many waiters as there are free slots; one that finds the slot taken
    // by the time it runs simply waits again (see the client transport).
    let free = this.availableStreams;
    while (free > 0 && this.slotWaiters.length > 0) {
      this.slotWaiters.shift()!.resolve();
      free--;
    }
  }

  private armTimer(): void {
    const at = this.connection.nextDeadline();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.connection.poll(this.clock());
        this.process();
      },
      Math.max(0, Math.ceil(at - this.clock())),
    );
    // An idle connection alone does not keep the process alive (its carrier does, if it should).
    if (at === this.connection.idleDeadline) this.timer.unref?.();
  }

  /** The core has closed: send its last frames, fail what waits, let go of the carrier. */
  private finish(error: StreamError | undefined, destroyCarrier: boolean): void {
    this.finished = true;
    // Streams were failed by the core's events; anything left is dropped.
    this.streams.clear();
    const waitError =
      error ?? new StreamError(ErrorCode.INTERNAL_ERROR, "connection-lost", "the connection closed");
    for (const p of this.pings.values()) p.reject(waitError);
    this.pings.clear();
    for (const w of this.slotWaiters.splice(0)) w.reject(waitError);
    clearTimeout(this.timer);
    this.timer = this.timerAt = undefined;
    this.cancelLater?.();
    this.cancelLater = undefined;
    // The GOAWAY, if any, goes out whatever the backlog.
    for (let frames = this.connection.takeOutgoing(); frames; frames = this.connection.takeOutgoing()) {
      this.carrier.write(frames);
    }
    // A dead peer (keepalive) gets nothing more; any other peer gets its GOAWAY.
    this.carrier.release(destroyCarrier || error?.reason === "keepalive-timeout");
    this.options.onClose?.(error);
    this.resolveClosed(error);
  }
}

function goingAway(): StreamError {
  return new StreamError(ErrorCode.REFUSED_STREAM, "going-away", "the session is shutting down");
}
