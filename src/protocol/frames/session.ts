/**
 * The Node adapter of the pqrpc/1 connection: a FrameConnection
 * (connection.ts, sans-IO) on a Duplex carrier (the TLS socket, a TCP
 * socket, or an in-memory pair in tests). This file owns what the core must
 * not: the carrier's events, one timer armed at the core's next deadline,
 * write batching and backpressure, and the promise-based API (FrameStream).
 *
 * - backpressure: frames are taken from the core only while the carrier's
 *   buffer is under `writeBufferBytes`, so a peer that stops reading holds
 *   our memory to that bound plus one frame; unsent control frames are
 *   bounded in the core (ENHANCE_YOUR_CALM past maxControlBacklogBytes);
 * - fairness: at most PUMP_BYTES_PER_TURN are written per event-loop turn;
 * - clean-up leaves no listener or timer.
 */

import type { Duplex } from "node:stream";
import { FrameConnection } from "./connection.ts";
import { ErrorCode } from "./error-codes.ts";
import { FrameStream, type StreamHost } from "./frame-stream.ts";
import type { HeaderField } from "./header-field.ts";
import {
  CLOSE_LINGER_MS,
  DEFAULT_WRITE_BUFFER_BYTES,
  type FrameSessionOptions,
  NODE_SESSION_SETTINGS,
  PUMP_BYTES_PER_TURN,
  type SessionStats,
} from "./session-options.ts";
import type { Settings } from "./settings.ts";
import { StreamError, type StreamFailureReason } from "./stream-error.ts";
import { WriteBatch } from "./write-batch.ts";

export * from "./session-options.ts";

const CARRIER_EVENTS = ["data", "end", "error", "close", "drain"] as const;

export class FrameSession implements StreamHost {
  readonly role: "client" | "server";
  readonly connection: FrameConnection;
  private readonly carrier: Duplex;
  private readonly options: FrameSessionOptions;
  private readonly clock: () => number;
  private readonly streams = new Map<number, FrameStream>();
  private readonly out: WriteBatch;
  private readonly writeLimit: number;

  private pumpQueued = false;
  private pumping = false;
  private pumpAgain = false;
  private pumpImmediate: ReturnType<typeof setImmediate> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private finished = false;

  private readonly slotWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private readonly pings = new Map<number, { resolve(rttMs: number): void; reject(e: Error): void }>();
  private readonly listeners: Record<(typeof CARRIER_EVENTS)[number], (...args: unknown[]) => void>;

  private readonly closedPromise: Promise<StreamError | undefined>;
  private resolveClosed!: (e: StreamError | undefined) => void;

  constructor(carrier: Duplex, options: FrameSessionOptions) {
    this.carrier = carrier;
    this.role = options.role;
    this.options = options;
    this.clock = options.clock ?? (() => performance.now());
    this.connection = new FrameConnection(
      { ...options, settings: { ...NODE_SESSION_SETTINGS, ...options.settings } },
      this.clock(),
    );
    this.writeLimit = Math.max(
      options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
      carrier.writableHighWaterMark,
    );
    this.out = new WriteBatch(carrier);
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.listeners = {
      data: (chunk) => {
        this.connection.receive(chunk as Uint8Array, this.clock());
        this.process();
      },
      end: () => this.onCarrierGone("the peer ended the connection"),
      error: (e) => this.onCarrierGone(`carrier error: ${(e as Error).message}`),
      close: () => this.onCarrierGone("the connection closed"),
      drain: () => this.process(),
    };
    for (const event of CARRIER_EVENTS) carrier.on(event, this.listeners[event]);
    this.process();
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

  get stats(): SessionStats {
    const c = this.connection.stats;
    return {
      openStreams: c.openStreams,
      timers: (this.timer === undefined ? 0 : 1) + (this.pumpImmediate === undefined ? 0 : 1),
      carrierListeners: CARRIER_EVENTS.reduce(
        (n, e) => n + this.carrier.listeners(e).filter((l) => l === this.listeners[e]).length,
        0,
      ),
      bufferedWriteBytes: this.out.backlogBytes + c.controlBacklogBytes,
      bufferedReadBytes: c.bufferedReadBytes,
      pendingPings: this.pings.size,
      streamWaiters: this.slotWaiters.length,
    };
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
      if (budget <= 0 && this.connection.wantsToWrite && this.pumpImmediate === undefined) {
        this.pumpImmediate = setImmediate(() => {
          this.pumpImmediate = undefined;
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
      const room = this.writeLimit - this.out.backlogBytes;
      if (room <= 0) break; // 'drain' resumes us
      const frames = this.connection.takeOutgoing(Math.min(room, budget - written));
      if (!frames) break;
      for (const f of frames) {
        this.out.push(f);
        written += f.length;
      }
    }
    this.out.flush();
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
          if (!this.carrier.writableEnded) this.carrier.end();
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

  private onCarrierGone(detail: string): void {
    this.connection.carrierClosed(detail);
    this.process(true);
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
    if (this.pumpImmediate) clearImmediate(this.pumpImmediate);
    this.pumpImmediate = undefined;
    // The GOAWAY, if any, goes out whatever the backlog.
    for (let frames = this.connection.takeOutgoing(); frames; frames = this.connection.takeOutgoing()) {
      for (const f of frames) this.out.push(f);
    }
    this.out.flush();
    for (const event of CARRIER_EVENTS) this.carrier.off(event, this.listeners[event]);
    // Errors after we leave must not crash the process as unhandled 'error' events.
    this.carrier.on("error", ignore);
    // A dead peer (keepalive) gets nothing more; any other peer gets its
    // GOAWAY, within CLOSE_LINGER_MS (a peer that does not read is cut off then).
    const abrupt = destroyCarrier || this.carrier.writableEnded || error?.reason === "keepalive-timeout";
    if (abrupt) {
      this.carrier.destroy();
    } else {
      // Let the GOAWAY reach the peer, but never wait on a peer that does not read.
      const linger = setTimeout(() => this.carrier.destroy(), CLOSE_LINGER_MS);
      linger.unref?.();
      this.carrier.end(() => {
        clearTimeout(linger);
        this.carrier.destroy();
      });
    }
    this.options.onClose?.(error);
    this.resolveClosed(error);
  }
}

function ignore(): void {}

function goingAway(): StreamError {
  return new StreamError(ErrorCode.REFUSED_STREAM, "going-away", "the session is shutting down");
}
