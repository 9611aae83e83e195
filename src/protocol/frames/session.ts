/**
 * The pqrpc/1 multiplexing session over a Node Duplex (the TLS socket, a TCP
 * socket, or an in-memory pair in tests). The codec stays sans-IO; this file
 * is the Node adapter that owns the carrier, the timers and the scheduling:
 *
 * - streams: client-initiated, odd ids, increasing (SPEC §Streams);
 * - flow control per stream and per connection (SPEC §Flow control): a
 *   sender waits for window; a peer sending past its window is a
 *   FLOW_CONTROL_ERROR;
 * - backpressure: data frames are written only while the carrier's buffer is
 *   under `writeBufferBytes`, so a peer that stops reading holds our memory
 *   to that bound plus one frame; control frames past `maxControlBacklogBytes`
 *   end the connection (ENHANCE_YOUR_CALM) instead of queueing forever;
 * - concurrent stream limit (REFUSED_STREAM), keepalive PING with timeout,
 *   GOAWAY graceful shutdown, and clean-up that leaves no listener or timer.
 */

import type { Duplex } from "node:stream";
import { concatChunks, toHex, utf8Decode, utf8Encode, utf8Length } from "../../bytes/bytes.ts";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../../rpc/limits.ts";
import {
  Flag,
  FrameType,
  MAX_GOAWAY_DEBUG_BYTES,
  MAX_STREAM_ID,
  MAX_WINDOW_BYTES,
  PING_PAYLOAD_BYTES,
} from "./constants.ts";
import { ErrorCode, errorCodeFromWire, FrameError } from "./error-codes.ts";
import type { Frame, GoawayFrame, HeadersFrame, MessageFrame, TrailersFrame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import {
  encodeFrame,
  encodeFrameHeader,
  encodeTrailersPayload,
  frameHeaderLength,
  writeFrameHeader,
} from "./frame-encoder.ts";
import { FrameStream, type StreamHost } from "./frame-stream.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";
import { RateMeter } from "./rate-meter.ts";
import {
  CLOSE_LINGER_MS,
  DEFAULT_MAX_CONTROL_BACKLOG_BYTES,
  DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
  DEFAULT_WRITE_BUFFER_BYTES,
  type FrameSessionOptions,
  type KeepaliveOptions,
  MAX_PEER_RESETS_PER_WINDOW,
  NODE_SESSION_SETTINGS,
  PEER_RESET_WINDOW_MS,
  PUMP_BYTES_PER_TURN,
  type SessionStats,
} from "./session-options.ts";
import {
  DEFAULT_SETTINGS,
  resolveSettings,
  type Settings,
  settingsFromEntries,
  settingsToEntries,
} from "./settings.ts";
import { StreamError, type StreamFailureReason } from "./stream-error.ts";
import { WriteBatch } from "./write-batch.ts";

export * from "./session-options.ts";

type SessionState = "open" | "closing" | "closed";

const CARRIER_EVENTS = ["data", "end", "error", "close", "drain"] as const;

export class FrameSession implements StreamHost {
  readonly role: "client" | "server";
  private readonly carrier: Duplex;
  private readonly local: Settings;
  private peer: Settings = { ...DEFAULT_SETTINGS };
  private readonly options: FrameSessionOptions;

  private readonly decoder: FrameDecoder;
  private readonly headerEncoder = new HeaderEncoder();
  private readonly headerDecoder = new HeaderDecoder();
  private readonly streams = new Map<number, FrameStream>();
  /** Streams with something to send. */
  private readonly ready = new Set<FrameStream>();

  private state: SessionState = "open";
  private peerSettingsReceived = false;
  private localSettingsAcked = false;
  /** Highest stream id the peer opened (server) / we opened (client). */
  private lastPeerStreamId = 0;
  private nextStreamId = 1;
  private goawaySent = false;
  private peerGoaway: GoawayFrame | undefined;

  private connSendWindow = DEFAULT_SETTINGS.initialConnectionWindowBytes;
  private connRecvWindow: number;
  private connRecvUnacked = 0;

  private readonly out: WriteBatch;
  /** A pump is queued as a microtask (see schedulePump). */
  private pumpQueued = false;
  private pumping = false;
  private pumpAgain = false;
  private readonly writeLimit: number;

  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private keepaliveDeadline: ReturnType<typeof setTimeout> | undefined;
  private settingsTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private pumpImmediate: ReturnType<typeof setImmediate> | undefined;
  private pingCounter = 0;
  private readonly slotWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private readonly peerResets = new RateMeter(MAX_PEER_RESETS_PER_WINDOW, PEER_RESET_WINDOW_MS);
  private readonly pings = new Map<
    string,
    { resolve(rttMs: number): void; reject(e: Error): void; sentAt: number }
  >();
  private readonly listeners: Record<(typeof CARRIER_EVENTS)[number], (...args: unknown[]) => void>;

  private closeError: StreamError | undefined;
  private readonly closedPromise: Promise<StreamError | undefined>;
  private resolveClosed!: (e: StreamError | undefined) => void;

  constructor(carrier: Duplex, options: FrameSessionOptions) {
    this.carrier = carrier;
    this.role = options.role;
    this.options = options;
    this.local = resolveSettings({ ...NODE_SESSION_SETTINGS, ...options.settings });
    this.decoder = new FrameDecoder(this.local.maxFrameBytes);
    // We enforce our announced windows from the start: a peer that has not
    // seen our SETTINGS yet stays within the smaller defaults anyway.
    this.connRecvWindow = this.local.initialConnectionWindowBytes;
    this.writeLimit = Math.max(
      options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
      carrier.writableHighWaterMark,
    );
    this.out = new WriteBatch(carrier);
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });

    this.listeners = {
      data: (chunk) => this.onData(chunk as Uint8Array),
      end: () => this.onCarrierGone("the peer ended the connection"),
      error: (e) => this.onCarrierGone(`carrier error: ${(e as Error).message}`),
      close: () => this.onCarrierGone("the connection closed"),
      drain: () => this.pump(),
    };
    for (const event of CARRIER_EVENTS) carrier.on(event, this.listeners[event]);

    this.queueControl(
      encodeFrame({ type: FrameType.SETTINGS, ack: false, entries: settingsToEntries(this.local) }),
    );
    this.settingsTimer = setTimeout(() => {
      this.settingsTimer = undefined;
      this.connectionError(
        new FrameError(ErrorCode.SETTINGS_TIMEOUT, "the peer did not acknowledge SETTINGS"),
      );
    }, options.settingsAckTimeoutMs ?? DEFAULT_SETTINGS_ACK_TIMEOUT_MS);
    if (options.keepalive) this.startKeepalive(options.keepalive);
  }

  // ================================================================ public API

  /** A method, not a field test, so TypeScript does not narrow `state` across calls that change it. */
  private get isClosed(): boolean {
    return this.state === "closed";
  }

  /** Resolves when the session has ended: undefined if cleanly, else the error. */
  get closed(): Promise<StreamError | undefined> {
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return this.state === "open" && !this.goawaySent && this.peerGoaway === undefined;
  }

  get peerSettings(): Readonly<Settings> {
    return this.peer;
  }

  get stats(): SessionStats {
    const timers = [
      this.keepaliveTimer,
      this.keepaliveDeadline,
      this.settingsTimer,
      this.lingerTimer,
      this.pumpImmediate,
    ];
    return {
      openStreams: this.streams.size,
      timers: timers.filter((t) => t !== undefined).length,
      carrierListeners: CARRIER_EVENTS.reduce(
        (n, e) => n + this.carrier.listeners(e).filter((l) => l === this.listeners[e]).length,
        0,
      ),
      bufferedWriteBytes: this.out.backlogBytes,
      bufferedReadBytes: this.decoder.bufferedBytes,
      pendingPings: this.pings.size,
      streamWaiters: this.slotWaiters.length,
    };
  }

  /**
   * Client: opens a stream and queues its request HEADERS. Throws StreamError
   * synchronously when no stream can be opened (limit, shutdown, ids used up):
   * nothing reached the peer, so the call is safe to retry elsewhere.
   */
  openStream(headers: readonly HeaderField[], options: { endStream?: boolean } = {}): FrameStream {
    if (this.role !== "client") throw new Error("openStream: only a client opens streams");
    if (this.state !== "open" || this.goawaySent || this.peerGoaway) {
      throw new StreamError(ErrorCode.REFUSED_STREAM, "going-away", "the session is shutting down");
    }
    if (this.nextStreamId > MAX_STREAM_ID) {
      throw new StreamError(ErrorCode.REFUSED_STREAM, "ids-exhausted", "open a new connection");
    }
    if (this.streams.size >= this.peer.maxConcurrentStreams) {
      throw new StreamError(
        ErrorCode.REFUSED_STREAM,
        "stream-limit",
        `the peer allows ${this.peer.maxConcurrentStreams} concurrent streams`,
      );
    }
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    this.lastPeerStreamId = id;
    const stream = new FrameStream(
      id,
      this,
      this.peer.initialStreamWindowBytes,
      this.local.initialStreamWindowBytes,
    );
    this.streams.set(id, stream);
    const endStream = options.endStream ?? false;
    stream.sendQueue.push({
      kind: "headers",
      fields: headers,
      endStream,
      done: { resolve: () => {}, reject: () => {} },
    });
    if (endStream) stream.sendClosed = true;
    this.scheduleSend(stream);
    return stream;
  }

  /**
   * Client: resolves when a stream may be opened (the peer's concurrent limit
   * has room); rejects with StreamError "going-away" once the session is
   * shutting down. Waiters are woken in order as streams finish.
   */
  whenStreamAvailable(): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(
        new StreamError(ErrorCode.REFUSED_STREAM, "going-away", "the session is shutting down"),
      );
    }
    if (this.availableStreams > 0 && this.slotWaiters.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.slotWaiters.push({ resolve, reject }));
  }

  private wakeSlotWaiters(): void {
    if (!this.isOpen) {
      const error = new StreamError(ErrorCode.REFUSED_STREAM, "going-away", "the session is shutting down");
      for (const w of this.slotWaiters.splice(0)) w.reject(error);
      return;
    }
    // Wake as many waiters as there are free slots; one that finds the slot
    // taken by the time it runs simply waits again (see the client transport).
    let free = this.availableStreams;
    while (free > 0 && this.slotWaiters.length > 0) {
      this.slotWaiters.shift()!.resolve();
      free--;
    }
  }

  /** Streams the peer still lets us open now. */
  get availableStreams(): number {
    return this.isOpen ? Math.max(0, this.peer.maxConcurrentStreams - this.streams.size) : 0;
  }

  /** Sends a PING; resolves with the round-trip time in ms. */
  ping(): Promise<number> {
    if (this.isClosed) return Promise.reject(this.closeError ?? new Error("session closed"));
    const payload = this.nextPingPayload();
    const key = toHex(payload);
    return new Promise((resolve, reject) => {
      this.pings.set(key, { resolve, reject, sentAt: performance.now() });
      this.queueControl(encodeFrame({ type: FrameType.PING, ack: false, payload }));
    });
  }

  /**
   * Graceful shutdown (SPEC §GOAWAY): announce the last stream we will
   * process, let open streams finish, then end the carrier. Resolves when the
   * session has closed.
   */
  close(): Promise<StreamError | undefined> {
    if (this.state === "open") {
      this.sendGoaway(ErrorCode.NO_ERROR, "");
      this.maybeFinish();
    }
    return this.closedPromise;
  }

  /** Ends everything now: open streams fail with `reason`, the carrier is destroyed. */
  destroy(
    code: ErrorCode = ErrorCode.CANCEL,
    reason: StreamFailureReason = "connection-error",
    detail = "destroyed",
  ): void {
    this.teardown(new StreamError(code, reason, detail), true);
  }

  // ================================================================ StreamHost

  scheduleSend(stream: FrameStream): void {
    if (this.isClosed) return;
    this.ready.add(stream);
    this.schedulePump();
  }

  /**
   * Queues one pump for the end of this tick: every frame produced in the
   * same tick (a unary call's HEADERS, MESSAGE and end; a response and its
   * TRAILERS; control answers to a batch of received frames) then leaves in
   * one carrier write, i.e. one TLS record and one syscall, instead of one
   * each. A microtask, not a timer: it runs before any I/O, so no latency is
   * added. Backpressure is unchanged: the pump itself checks the carrier.
   */
  private schedulePump(): void {
    if (this.pumpQueued || this.isClosed) return;
    this.pumpQueued = true;
    queueMicrotask(this.runQueuedPump);
  }

  private readonly runQueuedPump = (): void => {
    this.pumpQueued = false;
    this.pump();
  };

  resetStream(stream: FrameStream, code: ErrorCode): void {
    if (this.streams.get(stream.id) === stream) this.queueControl(rstFrame(stream.id, code));
    this.closeStream(stream, new StreamError(code, "reset-locally"));
  }

  creditRead(stream: FrameStream, bytes: number): void {
    if (this.isClosed) return;
    if (!stream.recvFinished && this.streams.get(stream.id) === stream) {
      stream.recvUnacked += bytes;
      if (stream.recvUnacked >= this.local.initialStreamWindowBytes / 2) {
        this.queueControl(windowUpdateFrame(stream.id, stream.recvUnacked));
        stream.recvWindow += stream.recvUnacked;
        stream.recvUnacked = 0;
      }
    }
    this.creditConnection(bytes);
  }

  // ================================================================ receiving

  private onData(chunk: Uint8Array): void {
    if (this.isClosed) return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        this.handleFrame(frame);
        if (this.isClosed) return;
      }
    } catch (e) {
      if (e instanceof FrameError) {
        if (e.streamId !== undefined) this.streamError(e.streamId, e.code, e.message);
        else this.connectionError(e);
      } else {
        this.connectionError(new FrameError(ErrorCode.INTERNAL_ERROR, String(e)));
      }
    }
  }

  private handleFrame(f: Frame): void {
    if (!this.peerSettingsReceived && !(f.type === FrameType.SETTINGS && !f.ack)) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "the first frame must be SETTINGS");
    }
    switch (f.type) {
      case FrameType.SETTINGS:
        this.onSettings(f.ack, f.entries);
        return;
      case FrameType.HEADERS:
        this.onHeaders(f);
        return;
      case FrameType.MESSAGE:
        this.onMessage(f);
        return;
      case FrameType.TRAILERS:
        this.onTrailers(f);
        return;
      case FrameType.RST: {
        const s = this.knownStream(f.streamId, "RST");
        if (s) {
          this.closeStream(s, new StreamError(errorCodeFromWire(f.code), "reset-by-peer"));
          if (this.role === "server") this.countPeerReset();
        }
        return;
      }
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(f.streamId, f.increment);
        return;
      case FrameType.PING:
        this.onPing(f.ack, f.payload);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(f);
        return;
      case "unknown":
        return;
    }
  }

  private countPeerReset(): void {
    if (!this.peerResets.record(performance.now())) {
      throw new FrameError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${MAX_PEER_RESETS_PER_WINDOW} stream resets in ${PEER_RESET_WINDOW_MS} ms`,
      );
    }
  }

  private onSettings(ack: boolean, entries: readonly (readonly [number, number])[]): void {
    if (ack) {
      if (this.localSettingsAcked) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second SETTINGS ACK");
      this.localSettingsAcked = true;
      clearTimeout(this.settingsTimer);
      this.settingsTimer = undefined;
      // Header blocks after the ACK are encoded with the larger table (SPEC §SETTINGS).
      this.headerDecoder.setCapacity(this.local.headerTableBytes);
      return;
    }
    if (this.peerSettingsReceived) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second SETTINGS frame");
    this.peerSettingsReceived = true;
    this.peer = settingsFromEntries(entries);
    const streamDelta = this.peer.initialStreamWindowBytes - DEFAULT_SETTINGS.initialStreamWindowBytes;
    for (const s of this.streams.values()) s.sendWindow += streamDelta;
    this.connSendWindow +=
      this.peer.initialConnectionWindowBytes - DEFAULT_SETTINGS.initialConnectionWindowBytes;
    // The ACK is queued before any frame that uses the new values, so the
    // peer switches its decoder at exactly the same point in the byte stream.
    this.queueControl(encodeFrame({ type: FrameType.SETTINGS, ack: true, entries: [] }));
    this.headerEncoder.setCapacity(this.peer.headerTableBytes);
    for (const s of this.streams.values()) if (s.sendQueue.length > 0) this.ready.add(s);
    if (this.slotWaiters.length > 0) this.wakeSlotWaiters();
    this.pump();
  }

  private onHeaders(f: HeadersFrame): void {
    // Decode first, whatever happens to the stream: the table must stay in step.
    const decoded = this.headerDecoder.decode(f.block, this.local.maxHeaderListBytes);
    if (this.role === "server") {
      const existing = this.streams.get(f.streamId);
      if (existing)
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second HEADERS on a stream", f.streamId);
      if (f.streamId <= this.lastPeerStreamId) return; // a stream we already closed
      if (f.streamId % 2 === 0)
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, `even stream id ${f.streamId} from a client`);
      this.lastPeerStreamId = f.streamId;
      if (decoded.oversize) {
        this.queueControl(rstFrame(f.streamId, ErrorCode.HEADERS_TOO_LARGE));
        return;
      }
      if (this.goawaySent || this.state !== "open" || this.streams.size >= this.local.maxConcurrentStreams) {
        this.queueControl(rstFrame(f.streamId, ErrorCode.REFUSED_STREAM));
        return;
      }
      const stream = new FrameStream(
        f.streamId,
        this,
        this.peer.initialStreamWindowBytes,
        this.local.initialStreamWindowBytes,
      );
      this.streams.set(f.streamId, stream);
      stream.headersReceived = true;
      stream.deliver({ type: "headers", fields: decoded.fields }, 0);
      if (f.endStream) stream.finishReceiving();
      this.options.onStream?.(stream);
      return;
    }
    const s = this.knownStream(f.streamId, "HEADERS");
    if (!s) return;
    if (f.endStream) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM from a server", f.streamId);
    if (s.headersReceived) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second HEADERS", f.streamId);
    if (decoded.oversize)
      throw new FrameError(ErrorCode.HEADERS_TOO_LARGE, "response headers too large", f.streamId);
    s.headersReceived = true;
    s.deliver({ type: "headers", fields: decoded.fields }, 0);
  }

  private onMessage(f: MessageFrame): void {
    const length = f.data.length;
    if (length > this.connRecvWindow) {
      throw new FrameError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `MESSAGE of ${length} bytes exceeds the connection window ${this.connRecvWindow}`,
      );
    }
    this.connRecvWindow -= length;
    const s = this.knownStream(f.streamId, "MESSAGE");
    if (!s) {
      this.creditConnection(length);
      return;
    }
    if (s.recvFinished) {
      this.creditConnection(length);
      throw new FrameError(ErrorCode.STREAM_CLOSED, "MESSAGE after the end of the stream", f.streamId);
    }
    if (!s.headersReceived) {
      this.creditConnection(length);
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "MESSAGE before HEADERS", f.streamId);
    }
    if (length > s.recvWindow) {
      this.creditConnection(length);
      throw new FrameError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `MESSAGE of ${length} bytes exceeds the stream window ${s.recvWindow}`,
        f.streamId,
      );
    }
    s.recvWindow -= length;
    if (f.endStream && this.role === "client") {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM from a server", f.streamId);
    }
    const p = (s.partial ??= { chunks: [], bytes: 0, compressed: f.compressed, heldCredit: 0 });
    if (p.bytes + length > (this.options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES)) {
      this.creditConnection(length);
      throw new FrameError(ErrorCode.MESSAGE_TOO_LARGE, "message exceeds the receive limit", f.streamId);
    }
    if (length > 0) p.chunks.push(f.data);
    p.bytes += length;
    if (f.messageEnd) {
      s.partial = undefined;
      const data = p.chunks.length === 1 ? p.chunks[0]! : concatChunks(p.chunks, p.bytes);
      s.deliver({ type: "message", data, compressed: p.compressed }, p.heldCredit + length);
    } else if (f.endStream) {
      // A bare END_STREAM (no message) is legal only between messages (SPEC §MESSAGE).
      if (p.bytes > 0)
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM inside a message", f.streamId);
      s.partial = undefined;
    } else if (s.bufferedEvents === 0) {
      // A message larger than the window can only complete if its parts are
      // granted back as they arrive; the reader is keeping up, so they are.
      // (Bounded by the message limit; held back while events wait unread.)
      this.creditRead(s, length);
    } else {
      p.heldCredit += length;
    }
    if (f.endStream) {
      s.finishReceiving();
      this.maybeRetire(s);
    }
  }

  private onTrailers(f: TrailersFrame): void {
    const decoded = this.headerDecoder.decode(f.block, this.local.maxHeaderListBytes);
    if (this.role === "server") throw new FrameError(ErrorCode.PROTOCOL_ERROR, "TRAILERS from a client");
    const s = this.knownStream(f.streamId, "TRAILERS");
    if (!s) return;
    if (s.partial && s.partial.bytes > 0) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "TRAILERS inside a message", f.streamId);
    }
    s.partial = undefined;
    if (decoded.oversize) throw new FrameError(ErrorCode.HEADERS_TOO_LARGE, "trailers too large", f.streamId);
    s.deliver({ type: "trailers", status: f.status, message: f.message, fields: decoded.fields }, 0);
    s.finishReceiving();
    // TRAILERS finish the whole stream (SPEC §Stream states): we send nothing more.
    if (!s.sendFinished) s.abandonSending(new StreamError(ErrorCode.NO_ERROR, "finished"));
    this.retire(s);
  }

  private onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_BYTES) {
        throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, "connection window past 2^31-1");
      }
      this.pump();
      return;
    }
    const s = this.knownStream(streamId, "WINDOW_UPDATE");
    if (!s) return;
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_BYTES) {
      throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, "stream window past 2^31-1", streamId);
    }
    if (s.sendQueue.length > 0) this.scheduleSend(s);
  }

  private onPing(ack: boolean, payload: Uint8Array): void {
    if (!ack) {
      this.queueControl(encodeFrame({ type: FrameType.PING, ack: true, payload }));
      return;
    }
    const key = toHex(payload);
    const waiter = this.pings.get(key);
    if (!waiter) return; // an answer to a PING we gave up on
    this.pings.delete(key);
    waiter.resolve(performance.now() - waiter.sentAt);
  }

  private onGoaway(f: GoawayFrame): void {
    this.peerGoaway = f;
    const code = errorCodeFromWire(f.code);
    if (this.role === "client") {
      // Streams past the last id were never processed: refused, safe to retry (SPEC §GOAWAY).
      for (const s of [...this.streams.values()]) {
        if (s.id > f.lastStreamId) {
          this.closeStream(s, new StreamError(ErrorCode.REFUSED_STREAM, "refused", "past the peer's GOAWAY"));
        }
      }
    }
    this.wakeSlotWaiters(); // now not open: the waiters fail as going-away
    const debug = utf8Decode(f.debug.subarray(0, MAX_GOAWAY_DEBUG_BYTES));
    this.options.onGoaway?.({ lastStreamId: f.lastStreamId, code: f.code, debug });
    if (code !== ErrorCode.NO_ERROR) {
      this.teardown(new StreamError(code, "connection-error", `peer GOAWAY: ${debug}`), false);
      return;
    }
    if (this.state === "open") this.state = "closing";
    this.maybeFinish();
  }

  /** The open stream for a frame, undefined for a closed one; a never-opened id is a PROTOCOL_ERROR. */
  private knownStream(id: number, what: string): FrameStream | undefined {
    const s = this.streams.get(id);
    if (s) return s;
    const opened = this.role === "server" ? id <= this.lastPeerStreamId : id < this.nextStreamId;
    if (!opened || id % 2 === 0)
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
    return undefined;
  }

  private creditConnection(bytes: number): void {
    if (bytes === 0 || this.isClosed) return;
    this.connRecvUnacked += bytes;
    if (this.connRecvUnacked >= this.local.initialConnectionWindowBytes / 2) {
      this.queueControl(windowUpdateFrame(0, this.connRecvUnacked));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
  }

  // ================================================================ sending

  /**
   * Writes queued stream items while the carrier has room: round robin, one
   * frame per stream per round, data frames bounded by both windows and the
   * peer's max frame size. Re-entrant calls (a synchronous carrier delivering
   * the peer's answer inside our write) only ask for another pass.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (this.isClosed) return;
    this.pumping = true;
    let budget = PUMP_BYTES_PER_TURN;
    try {
      do {
        this.pumpAgain = false;
        while (budget > 0 && this.ready.size > 0 && !this.isClosed) {
          if (this.out.backlogBytes >= this.writeLimit) {
            this.out.flush();
            if (this.carrier.writableLength >= this.writeLimit) break; // 'drain' resumes us
          }
          const wrote = this.writeRound();
          if (wrote < 0) break;
          budget -= wrote;
        }
        this.out.flush();
      } while (this.pumpAgain && budget > 0 && !this.isClosed);
    } finally {
      this.pumping = false;
    }
    if (budget <= 0 && this.ready.size > 0 && this.pumpImmediate === undefined && !this.isClosed) {
      this.pumpImmediate = setImmediate(() => {
        this.pumpImmediate = undefined;
        this.pump();
      });
    }
  }

  /** One frame from each ready stream; returns bytes written, or -1 when nothing could be written. */
  private writeRound(): number {
    let total = 0;
    let progressed = false;
    for (const s of this.ready) {
      const r = this.writeNext(s);
      if (r === "conn-blocked") return progressed ? total : -1;
      if (r >= 0) {
        progressed = true;
        total += r;
      }
      if (this.out.backlogBytes >= this.writeLimit) break;
    }
    return progressed ? total : -1;
  }

  /** Writes the next frame of `s`: its byte count, -1 if the stream is idle or blocked, or "conn-blocked". */
  private writeNext(s: FrameStream): number | "conn-blocked" {
    const item = s.sendQueue[0];
    if (!item || s.error) {
      this.ready.delete(s);
      return -1;
    }
    switch (item.kind) {
      case "headers": {
        if (headerBlockBound(item.fields) > this.peer.maxFrameBytes) return this.tooLargeToSend(s, item.done);
        const block = this.headerEncoder.encode(item.fields);
        const frame = encodeFrame({
          type: FrameType.HEADERS,
          streamId: s.id,
          endStream: item.endStream,
          block,
        });
        this.out.push(frame);
        s.headersSent = true;
        s.sendQueue.shift();
        item.done.resolve();
        if (item.endStream) this.sendEnded(s);
        return frame.length;
      }
      case "end": {
        const frame = encodeFrame({
          type: FrameType.MESSAGE,
          streamId: s.id,
          endStream: true,
          messageEnd: false,
          compressed: false,
          data: new Uint8Array(0),
        });
        this.out.push(frame);
        s.sendQueue.shift();
        item.done.resolve();
        this.sendEnded(s);
        return frame.length;
      }
      case "trailers": {
        const bound = headerBlockBound(item.fields) + utf8Length(item.message) + 8;
        if (bound > this.peer.maxFrameBytes) return this.tooLargeToSend(s, item.done);
        const block = this.headerEncoder.encode(item.fields);
        const payload = encodeTrailersPayload(item.status, item.message, block);
        const header = encodeFrameHeader(FrameType.TRAILERS, 0, s.id, payload.length);
        this.out.push(header);
        this.out.push(payload);
        s.sendQueue.shift();
        item.done.resolve();
        s.sendFinished = true;
        // TRAILERS finish the stream for both sides (SPEC §Stream states).
        if (!s.recvFinished) s.finishReceiving();
        this.retire(s);
        return header.length + payload.length;
      }
      case "message": {
        let written = 0;
        if (!s.headersSent) {
          // A response message implies (empty) response headers, which must come first (SPEC §Streams).
          const frame = encodeFrame({
            type: FrameType.HEADERS,
            streamId: s.id,
            endStream: false,
            block: EMPTY,
          });
          this.out.push(frame);
          s.headersSent = true;
          written = frame.length;
        }
        const remaining = item.data.length - item.offset;
        const n = Math.min(remaining, this.peer.maxFrameBytes, s.sendWindow, this.connSendWindow);
        if (n < remaining && n <= 0) {
          if (written > 0) return written;
          if (this.connSendWindow <= 0) return "conn-blocked";
          this.ready.delete(s); // WINDOW_UPDATE on the stream puts it back
          return -1;
        }
        const last = item.offset + n === item.data.length;
        const endStream = last && item.endStream;
        const flags =
          (endStream ? Flag.END_STREAM : 0) |
          (last ? Flag.MESSAGE_END : 0) |
          (item.compressed ? Flag.COMPRESSED : 0);
        const payload = item.data.subarray(item.offset, item.offset + n);
        const headerLength = frameHeaderLength(s.id, n);
        if (n <= 1024 || !this.out.gathers) {
          // Small payloads: header and payload in one buffer (one small copy).
          const frame = new Uint8Array(headerLength + n);
          frame.set(payload, writeFrameHeader(frame, 0, FrameType.MESSAGE, flags, s.id, n));
          this.out.push(frame);
        } else {
          this.out.push(encodeFrameHeader(FrameType.MESSAGE, flags, s.id, n));
          this.out.push(payload);
        }
        item.offset += n;
        s.sendWindow -= n;
        this.connSendWindow -= n;
        if (last) {
          s.sendQueue.shift();
          item.done.resolve();
          if (endStream) this.sendEnded(s);
        }
        return written + headerLength + n;
      }
    }
  }

  /**
   * A header block that might not fit in one frame is refused before it is
   * encoded (encoding would change the compression table, and an unsent block
   * would leave the peer's table behind ours). A client stream whose HEADERS
   * never left is unknown to the peer: no RST for it.
   */
  private tooLargeToSend(s: FrameStream, done: { reject(e: Error): void }): number {
    const error = new StreamError(
      ErrorCode.HEADERS_TOO_LARGE,
      "reset-locally",
      `header block may exceed the peer's ${this.peer.maxFrameBytes}-byte frame limit`,
    );
    done.reject(error);
    s.sendQueue.shift();
    if (s.headersSent || this.role === "server")
      this.queueControl(rstFrame(s.id, ErrorCode.HEADERS_TOO_LARGE));
    this.closeStream(s, error);
    return 0;
  }

  private sendEnded(s: FrameStream): void {
    s.sendFinished = true;
    this.maybeRetire(s);
  }

  /** Queues a control frame and writes it soon (same tick), bounded by the control backlog. */
  private queueControl(bytes: Uint8Array): void {
    if (this.isClosed) return;
    const backlog = this.out.backlogBytes;
    if (backlog > (this.options.maxControlBacklogBytes ?? DEFAULT_MAX_CONTROL_BACKLOG_BYTES)) {
      // A peer that keeps provoking answers (PING, SETTINGS, RST) but reads nothing.
      this.teardown(
        new StreamError(
          ErrorCode.ENHANCE_YOUR_CALM,
          "connection-error",
          "control frames backlog over the limit",
        ),
        true,
      );
      return;
    }
    this.out.push(bytes);
    // The queued pump flushes control frames with whatever data this tick produced.
    this.schedulePump();
  }

  // ================================================================ errors and shutdown

  private streamError(streamId: number, code: ErrorCode, detail: string): void {
    const s = this.streams.get(streamId);
    this.queueControl(rstFrame(streamId, code));
    if (s) this.closeStream(s, new StreamError(code, "reset-locally", detail));
  }

  private connectionError(e: FrameError): void {
    if (this.isClosed) return;
    this.sendGoaway(e.code, e.message);
    this.teardown(new StreamError(e.code, "connection-error", e.message), false);
  }

  private sendGoaway(code: ErrorCode, debug: string): void {
    if (this.goawaySent) return;
    this.goawaySent = true;
    if (this.state === "open") this.state = "closing";
    this.wakeSlotWaiters();
    const frame = encodeFrame({
      type: FrameType.GOAWAY,
      lastStreamId: this.role === "server" ? this.lastPeerStreamId : 0,
      code,
      debug: utf8Encode(debug.slice(0, MAX_GOAWAY_DEBUG_BYTES)),
    });
    this.out.push(frame);
    this.out.flush();
  }

  /** Removes a failed stream and returns its unread bytes to the connection window. */
  private closeStream(s: FrameStream, error: StreamError): void {
    const dropped = s.fail(error);
    this.retire(s);
    this.creditConnection(dropped);
  }

  private maybeRetire(s: FrameStream): void {
    if (s.sendFinished && s.recvFinished) this.retire(s);
  }

  private retire(s: FrameStream): void {
    if (this.streams.get(s.id) === s) this.streams.delete(s.id);
    this.ready.delete(s);
    if (this.slotWaiters.length > 0) this.wakeSlotWaiters();
    this.maybeFinish();
  }

  /** After GOAWAY (either way), ends the carrier once the last stream is done. */
  private maybeFinish(): void {
    if (this.state !== "closing" || this.streams.size > 0) return;
    this.out.flush();
    if (!this.carrier.writableEnded) this.carrier.end();
    if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.teardown(undefined, true);
      }, CLOSE_LINGER_MS);
    }
  }

  private onCarrierGone(detail: string): void {
    if (this.isClosed) return;
    const clean = this.streams.size === 0 && (this.state === "closing" || this.peerGoaway !== undefined);
    this.teardown(
      clean && this.closeError === undefined
        ? undefined
        : new StreamError(ErrorCode.INTERNAL_ERROR, "connection-lost", detail),
      true,
    );
  }

  /** Fails what is open, stops timers, removes our listeners, and ends or destroys the carrier. */
  private teardown(error: StreamError | undefined, destroyCarrier: boolean): void {
    if (this.isClosed) return;
    this.state = "closed";
    this.closeError = error;
    const streamError =
      error ?? new StreamError(ErrorCode.INTERNAL_ERROR, "connection-lost", "the connection closed");
    for (const s of [...this.streams.values()]) s.fail(streamError);
    this.streams.clear();
    this.ready.clear();
    for (const p of this.pings.values()) p.reject(streamError);
    this.pings.clear();
    for (const w of this.slotWaiters.splice(0)) w.reject(streamError);
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.keepaliveDeadline);
    clearTimeout(this.settingsTimer);
    clearTimeout(this.lingerTimer);
    if (this.pumpImmediate) clearImmediate(this.pumpImmediate);
    this.keepaliveTimer = this.keepaliveDeadline = this.settingsTimer = this.lingerTimer = undefined;
    this.pumpImmediate = undefined;
    this.out.flush();
    for (const event of CARRIER_EVENTS) this.carrier.off(event, this.listeners[event]);
    // Errors after we leave must not crash the process as unhandled 'error' events.
    this.carrier.on("error", ignore);
    if (destroyCarrier || this.carrier.writableEnded) this.carrier.destroy();
    else this.carrier.end(() => this.carrier.destroy());
    this.options.onClose?.(error);
    this.resolveClosed(error);
  }

  // ================================================================ keepalive

  private startKeepalive(k: KeepaliveOptions): void {
    this.keepaliveTimer = setInterval(() => {
      if (this.keepaliveDeadline !== undefined || this.isClosed) return;
      const payload = this.nextPingPayload();
      const key = toHex(payload);
      this.pings.set(key, {
        resolve: () => {
          clearTimeout(this.keepaliveDeadline);
          this.keepaliveDeadline = undefined;
        },
        reject: () => {},
        sentAt: performance.now(),
      });
      this.queueControl(encodeFrame({ type: FrameType.PING, ack: false, payload }));
      this.keepaliveDeadline = setTimeout(() => {
        this.keepaliveDeadline = undefined;
        this.pings.delete(key);
        this.teardown(
          new StreamError(
            ErrorCode.KEEPALIVE_TIMEOUT,
            "keepalive-timeout",
            `no PING answer in ${k.timeoutMs} ms`,
          ),
          true,
        );
      }, k.timeoutMs);
    }, k.intervalMs);
  }

  private nextPingPayload(): Uint8Array {
    const payload = new Uint8Array(PING_PAYLOAD_BYTES);
    new DataView(payload.buffer).setFloat64(0, ++this.pingCounter);
    return payload;
  }
}

function ignore(): void {}

/** Most bytes `fields` can take encoded (pqhc/1 worst case per field: 1 + 4 index/length bytes + 4 + 4). */
function headerBlockBound(fields: readonly HeaderField[]): number {
  let bound = 0;
  for (const [name, value] of fields) {
    bound += 13 + name.length + (typeof value === "string" ? utf8Length(value) : value.length);
  }
  return bound;
}

const EMPTY = new Uint8Array(0);

function rstFrame(streamId: number, code: ErrorCode): Uint8Array {
  return encodeFrame({ type: FrameType.RST, streamId, code });
}

function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  return encodeFrame({ type: FrameType.WINDOW_UPDATE, streamId, increment });
}
