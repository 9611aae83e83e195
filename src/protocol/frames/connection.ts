/**
 * The pqrpc/1 connection as a sans-IO state machine (SPEC "## pqrpc/1
 * framing"): bytes in (receive), bytes out (takeOutgoing), events out
 * (takeEvents), and the time passed in (poll / nextDeadline). No carrier,
 * timer or Node API: the Node socket adapter (session.ts) and the browser's
 * WebSocket adapter drive the same object, and tests drive it with a fake
 * clock.
 *
 * It owns: stream states (one table, stream-state.ts), flow control per
 * stream and per connection, SETTINGS and their timeouts, PING and
 * keepalive, GOAWAY draining, the stream limit (with handler accounting on a
 * server), the reset meter and the empty-frame meter, the idle timeout.
 *
 * Memory bound (issue 9): a received message holds its bytes against the
 * connection window until the application consumes it (consume()) or it is
 * discarded; a part of an unfinished message is granted back only on the
 * stream window (so a message larger than the stream window completes),
 * except for one designated message when unfinished ones fill the whole
 * connection window (designateLargestPartial). All a peer can make us hold
 * is the connection window plus one message. A server's connections also
 * draw those bytes from one server-wide receive budget (receiveBudget), so
 * many connections together cannot hold more than it.
 */
import { concatChunks, copyBytes, toHex, utf8Decode, utf8Encode, utf8Length } from "../../bytes/bytes.ts";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../../rpc/limits.ts";
import type { ConnectionBudget } from "../../rpc/receive-budget.ts";
import {
  CLOSE_LINGER_MS,
  type ConnectionEvent,
  type ConnectionOptions,
  type ConnectionStats,
  DEFAULT_MAX_CONTROL_BACKLOG_BYTES,
  DEFAULT_SERVER_IDLE_TIMEOUT_MS,
  DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
  DEFAULT_SETTINGS_TIMEOUT_MS,
  EMPTY_FRAME_WINDOW_MS,
  JOIN_PAYLOAD_MAX_BYTES,
  MAX_EMPTY_FRAMES_PER_WINDOW,
  MAX_PEER_RESETS_PER_WINDOW,
  PEER_RESET_WINDOW_MS,
} from "./connection-options.ts";
import { Flag, FrameType, MAX_GOAWAY_DEBUG_BYTES, MAX_STREAM_ID, PING_PAYLOAD_BYTES } from "./constants.ts";
import { ErrorCode, errorCodeFromWire, FrameError } from "./error-codes.ts";
import { ReceiveWindow, SendWindow } from "./flow-control.ts";
import type { Frame, GoawayFrame, HeadersFrame, MessageFrame, TrailersFrame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import {
  encodeFrame,
  encodeFrameHeader,
  encodeTrailersPayload,
  frameHeaderLength,
  writeFrameHeader,
} from "./frame-encoder.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";
import { RateMeter } from "./rate-meter.ts";
import { ResetMeter } from "./reset-meter.ts";
import { RoundRobin, type WriteOutcome } from "./scheduler.ts";
import {
  DEFAULT_SETTINGS,
  resolveSettings,
  type Settings,
  settingsFromEntries,
  settingsToEntries,
} from "./settings.ts";
import { StreamError, type StreamFailureReason } from "./stream-error.ts";
import {
  isViolation,
  requestEnded,
  responseStarted,
  type StreamInput,
  type StreamState,
  transition,
} from "./stream-state.ts";

export type ConnectionState =
  /** Streams may be opened. */
  | "open"
  /** GOAWAY sent or received: open streams finish, no new one starts. */
  | "closing"
  /** Closing and nothing left: waiting (CLOSE_LINGER_MS) for the peer to close. */
  | "drained"
  | "closed";

type SendItem =
  | { kind: "headers"; ticket: number; fields: readonly HeaderField[]; endStream: boolean }
  | {
      kind: "message";
      ticket: number;
      data: Uint8Array;
      offset: number;
      compressed: boolean;
      endStream: boolean;
    }
  | { kind: "end"; ticket: number }
  | { kind: "trailers"; ticket: number; status: number; message: string; fields: readonly HeaderField[] };

/** A message being gathered from MESSAGE frames. */
interface PartialMessage {
  chunks: Uint8Array[];
  bytes: number;
  compressed: boolean;
  /** Of `bytes`, those already granted back on the stream window. */
  streamCredited: number;
  /** Of `bytes`, those already granted back on the connection window (the designated message only). */
  connectionCredited: number;
}

/** A delivered message not yet consumed: the credit it returns when it is, and its bytes in the receive budget. */
interface Owed {
  stream: number;
  connection: number;
  bytes: number;
}

class Stream {
  state: StreamState = "idle";
  /** The state once everything queued has been sent: what the application may still queue. */
  queued: StreamState = "idle";
  readonly sendQueue: SendItem[] = [];
  readonly sendWindow: SendWindow;
  readonly recvWindow: ReceiveWindow;
  partial: PartialMessage | undefined;
  readonly owed: Owed[] = [];

  constructor(
    readonly id: number,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = new SendWindow(sendWindow);
    this.recvWindow = new ReceiveWindow(recvWindow);
  }
}

/** What writing one stream's next frame did. */
type WriteResult = WriteOutcome;

export class FrameConnection {
  readonly role: "client" | "server";
  private readonly local: Settings;
  private peer: Settings = { ...DEFAULT_SETTINGS };
  private readonly maxMessageBytes: number;
  private readonly maxControlBacklogBytes: number;
  private readonly idleTimeoutMs: number | undefined;
  private readonly goawayGraceMs: number | undefined;

  private readonly decoder: FrameDecoder;
  private readonly headerEncoder = new HeaderEncoder();
  private readonly headerDecoder = new HeaderDecoder();
  private readonly streams = new Map<number, Stream>();
  /** Streams with something to send, in round-robin order. */
  private readonly ready = new RoundRobin<Stream>();
  /** Server: delivered or unconsumed credit of streams that are no longer open. */
  private readonly owedByRetired = new Map<number, Owed[]>();
  /** Server (holdStreamsUntilReleased): stream ids whose handler has not been released. */
  private readonly held = new Set<number>();
  private readonly holdStreams: boolean;

  private state: ConnectionState = "open";
  private closeError: StreamError | undefined;
  private peerSettingsReceived = false;
  private localSettingsAcked = false;
  /** Highest stream id the peer opened (server) / we opened (client). */
  private lastStreamId = 0;
  private nextStreamId = 1;
  private goawaySent = false;
  private peerGoaway = false;

  private readonly connSendWindow = new SendWindow(DEFAULT_SETTINGS.initialConnectionWindowBytes);
  private readonly connRecvWindow: ReceiveWindow;
  /** The unfinished message let through when unfinished messages held the whole connection window. */
  private designated: Stream | undefined;

  private readonly control: Uint8Array[] = [];
  private controlBytes = 0;
  private readonly events: ConnectionEvent[] = [];
  private nextTicket = 1;

  private readonly resets = new ResetMeter(MAX_PEER_RESETS_PER_WINDOW, PEER_RESET_WINDOW_MS);
  private readonly emptyFrames = new RateMeter(MAX_EMPTY_FRAMES_PER_WINDOW, EMPTY_FRAME_WINDOW_MS);

  // --- time (all in ms on the caller's clock) ---
  private now: number;
  private settingsAckDeadline: number | undefined;
  private peerSettingsDeadline: number | undefined;
  private idleSince: number | undefined;
  private goawayDeadline: number | undefined;
  private lingerDeadline: number | undefined;
  private readonly keepalive: ConnectionOptions["keepalive"];
  private nextKeepaliveAt: number | undefined;
  private keepaliveDeadline: number | undefined;
  private keepalivePingId: number | undefined;
  private pingCounter = 0;
  private readonly pings = new Map<string, { id: number; sentAt: number }>();
  private readonly budget: ConnectionBudget | undefined;
  /** Message bytes held (gathered, or delivered and not consumed), as reserved from `budget`. */
  private budgetReserved = 0;

  constructor(options: ConnectionOptions, nowMs: number) {
    checkDurations(options);
    this.role = options.role;
    this.now = nowMs;
    this.local = resolveSettings(options.settings);
    this.maxMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
    this.maxControlBacklogBytes = options.maxControlBacklogBytes ?? DEFAULT_MAX_CONTROL_BACKLOG_BYTES;
    const idle = options.idleTimeoutMs ?? (this.role === "server" ? DEFAULT_SERVER_IDLE_TIMEOUT_MS : 0);
    this.idleTimeoutMs = idle > 0 ? idle : undefined;
    this.idleSince = nowMs;
    this.holdStreams = options.holdStreamsUntilReleased ?? false;
    this.budget = options.receiveBudget;
    this.goawayGraceMs = options.goawayGraceMs;
    this.decoder = new FrameDecoder(this.local.maxFrameBytes, true);
    // Our announced windows apply from the start: a peer that has not seen
    // our SETTINGS yet stays within the smaller defaults anyway.
    this.connRecvWindow = new ReceiveWindow(this.local.initialConnectionWindowBytes);
    this.keepalive = options.keepalive;
    if (this.keepalive) this.nextKeepaliveAt = nowMs + this.keepalive.intervalMs;
    this.settingsAckDeadline = nowMs + (options.settingsAckTimeoutMs ?? DEFAULT_SETTINGS_ACK_TIMEOUT_MS);
    this.peerSettingsDeadline = nowMs + (options.settingsTimeoutMs ?? DEFAULT_SETTINGS_TIMEOUT_MS);
    this.queueControl(
      encodeFrame({ type: FrameType.SETTINGS, ack: false, entries: settingsToEntries(this.local) }),
    );
  }

  // ================================================================ state

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** New streams may be opened. */
  get isOpen(): boolean {
    return this.state === "open";
  }

  get isClosed(): boolean {
    return this.state === "closed";
  }

  /** The error the connection ended with; undefined while open or after a clean close. */
  get error(): StreamError | undefined {
    return this.closeError;
  }

  get localSettings(): Readonly<Settings> {
    return this.local;
  }

  get peerSettings(): Readonly<Settings> {
    return this.peer;
  }

  /** Client: streams the peer still lets us open now. */
  get availableStreams(): number {
    return this.isOpen ? Math.max(0, this.peer.maxConcurrentStreams - this.streams.size) : 0;
  }

  /** The stream's state; "closed" for one that is over or never existed. */
  streamState(streamId: number): StreamState {
    return this.streams.get(streamId)?.state ?? "closed";
  }

  get stats(): ConnectionStats {
    return {
      openStreams: this.streams.size,
      heldStreams: this.held.size,
      receivedBytesHeld: this.connRecvWindow.held,
      controlBacklogBytes: this.controlBytes,
      bufferedReadBytes: this.decoder.bufferedBytes,
      pendingPings: this.pings.size,
      peerResets: this.resets.peerResets,
      localResets: this.resets.localResets,
    };
  }

  // ================================================================ driving

  /** Events since the last call, in order. */
  takeEvents(): ConnectionEvent[] {
    return this.events.splice(0);
  }

  /** Feeds bytes from the carrier. Errors become events, GOAWAY and RST frames; this never throws. */
  receive(bytes: Uint8Array, nowMs: number = this.now): void {
    this.now = Math.max(this.now, nowMs);
    if (this.isClosed) return;
    try {
      for (const frame of this.decoder.push(bytes)) {
        // A stream error ends that stream only: the frames after it in the same bytes still count.
        try {
          this.handleFrame(frame);
        } catch (e) {
          this.onFrameError(e);
        }
        if (this.isClosed) return;
      }
    } catch (e) {
      // The decoder failed (its errors are all connection errors): nothing after it can be trusted.
      this.onFrameError(e);
    }
  }

  /** The earliest time poll() has work to do, or undefined. */
  nextDeadline(): number | undefined {
    if (this.isClosed) return undefined;
    // Called on every turn of the endpoint: plain comparisons, no closure.
    let next = earlier(this.settingsAckDeadline, this.peerSettingsDeadline);
    next = earlier(next, this.keepaliveDeadline);
    if (this.keepaliveDeadline === undefined) next = earlier(next, this.nextKeepaliveAt);
    next = earlier(next, this.idleDeadline);
    next = earlier(next, this.goawayDeadline);
    return earlier(next, this.lingerDeadline);
  }

  /** When the idle timeout will close the connection, if it is counting. */
  get idleDeadline(): number | undefined {
    if (this.state !== "open" || this.idleSince === undefined || this.idleTimeoutMs === undefined)
      return undefined;
    return this.idleSince + this.idleTimeoutMs;
  }

  /** Runs what is due at `nowMs`: timeouts, keepalive PINGs, the close linger. */
  poll(nowMs: number): void {
    this.now = Math.max(this.now, nowMs);
    if (this.isClosed) return;
    const now = this.now;
    if (this.peerSettingsDeadline !== undefined && now >= this.peerSettingsDeadline) {
      this.connectionError(new FrameError(ErrorCode.SETTINGS_TIMEOUT, "the peer sent no SETTINGS"));
      return;
    }
    if (this.settingsAckDeadline !== undefined && now >= this.settingsAckDeadline) {
      this.connectionError(
        new FrameError(ErrorCode.SETTINGS_TIMEOUT, "the peer did not acknowledge SETTINGS"),
      );
      return;
    }
    if (this.keepaliveDeadline !== undefined && now >= this.keepaliveDeadline) {
      const timeout = this.keepalive?.timeoutMs ?? 0;
      this.fail(
        new StreamError(ErrorCode.KEEPALIVE_TIMEOUT, "keepalive-timeout", `no PING answer in ${timeout} ms`),
        ErrorCode.KEEPALIVE_TIMEOUT,
      );
      return;
    }
    if (this.keepalive && this.keepaliveDeadline === undefined && this.nextKeepaliveAt !== undefined) {
      if (now >= this.nextKeepaliveAt) {
        this.keepalivePingId = this.ping();
        this.keepaliveDeadline = now + this.keepalive.timeoutMs;
        this.nextKeepaliveAt = now + this.keepalive.intervalMs;
      }
    }
    const idleAt = this.idleDeadline;
    if (idleAt !== undefined && now >= idleAt) {
      // Nothing open for a whole idle period: a graceful close (item 3 of issue 9).
      this.close();
    }
    if (this.goawayDeadline !== undefined && now >= this.goawayDeadline) {
      this.goawayDeadline = undefined;
      for (const s of [...this.streams.values()]) {
        this.resetStream(s.id, ErrorCode.CANCEL, "the shutdown grace period ended");
      }
    }
    if (this.lingerDeadline !== undefined && now >= this.lingerDeadline) {
      this.teardown(undefined);
    }
  }

  /**
   * Frames to write, in order, up to about `maxBytes` (control frames first,
   * then stream frames round robin, one frame per stream per round); null
   * when nothing can be written now. Frames are produced here, not earlier,
   * so header blocks are compressed in wire order and a window or SETTINGS
   * change applies to everything not yet taken.
   */
  takeOutgoing(maxBytes = Number.POSITIVE_INFINITY): Uint8Array[] | null {
    const out: Uint8Array[] = [];
    let bytes = 0;
    while (this.control.length > 0 && bytes < maxBytes) {
      const frame = this.control.shift()!;
      this.controlBytes -= frame.length;
      out.push(frame);
      bytes += frame.length;
    }
    while (!this.isClosed && bytes < maxBytes && this.ready.size > 0) {
      const wrote = this.ready.turn((s) => this.writeNext(s, out), maxBytes - bytes);
      if (wrote === 0) break;
      bytes += wrote;
    }
    // Control frames a write produced (a RST for a header block too large to send).
    while (this.control.length > 0) {
      const frame = this.control.shift()!;
      this.controlBytes -= frame.length;
      out.push(frame);
    }
    return out.length > 0 ? out : null;
  }

  /** There are frames that takeOutgoing could return now. */
  get wantsToWrite(): boolean {
    return this.control.length > 0 || (!this.isClosed && this.ready.size > 0);
  }

  /** The carrier ended or failed: clean if we were shutting down with nothing open. */
  carrierClosed(detail: string): void {
    if (this.isClosed) return;
    const clean = this.streams.size === 0 && (this.state !== "open" || this.peerGoaway);
    this.teardown(clean ? undefined : new StreamError(ErrorCode.INTERNAL_ERROR, "connection-lost", detail));
  }

  // ================================================================ application API

  /**
   * Client: opens a stream and queues its request HEADERS. Throws StreamError
   * when no stream can be opened (limit, shutdown, ids used up): nothing
   * reached the peer, so the call is safe to retry elsewhere.
   */
  openStream(fields: readonly HeaderField[], options: { endStream?: boolean } = {}): number {
    if (this.role !== "client") throw new Error("openStream: only a client opens streams");
    if (this.state !== "open") {
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
    this.lastStreamId = id;
    const stream = this.addStream(id);
    const endStream = options.endStream ?? false;
    this.enqueue(stream, endStream ? "request-headers-end" : "request-headers", (ticket) => ({
      kind: "headers",
      ticket,
      fields,
      endStream,
    }));
    return id;
  }

  /** Server: queues the response headers. Returns the send ticket (a "sent" event follows). */
  sendHeaders(streamId: number, fields: readonly HeaderField[]): number {
    return this.enqueue(this.openFor(streamId), "response-headers", (ticket) => ({
      kind: "headers",
      ticket,
      fields,
      endStream: false,
    }));
  }

  /** Queues one message (split into frames as windows allow). Returns the send ticket. */
  sendMessage(
    streamId: number,
    data: Uint8Array,
    options: { compressed?: boolean; endStream?: boolean } = {},
  ): number {
    const s = this.openFor(streamId);
    const endStream = options.endStream ?? false;
    const input: StreamInput =
      this.role === "client" ? (endStream ? "request-end" : "request-message") : "response-message";
    if (this.role === "server" && !responseStarted(s.queued)) {
      // A response message implies (empty) response headers, which come first (SPEC §Streams).
      this.sendHeaders(streamId, []);
    }
    return this.enqueue(s, input, (ticket) => ({
      kind: "message",
      ticket,
      data,
      offset: 0,
      compressed: options.compressed ?? false,
      endStream,
    }));
  }

  /** Client: ends the request half without a message. */
  sendEnd(streamId: number): number {
    return this.enqueue(this.openFor(streamId), "request-end", (ticket) => ({ kind: "end", ticket }));
  }

  /** Server: ends the stream with a status (TRAILERS). */
  sendTrailers(streamId: number, status: number, message = "", fields: readonly HeaderField[] = []): number {
    return this.enqueue(this.openFor(streamId), "trailers", (ticket) => ({
      kind: "trailers",
      ticket,
      status,
      message,
      fields,
    }));
  }

  /** Cancels a stream: RST with `code` (CANCEL by default); its queued sends and reads fail. */
  resetStream(streamId: number, code: ErrorCode = ErrorCode.CANCEL, detail?: string): void {
    const s = this.streams.get(streamId);
    if (!s || this.isClosed) return;
    this.queueControl(rstFrame(streamId, code));
    this.failStream(s, new StreamError(code, "reset-locally", detail));
  }

  /**
   * The application has taken the stream's oldest unconsumed "stream",
   * "headers" or "message" event: a message's bytes flow again, and a
   * message being gathered gets stream credit once nothing waits unread.
   */
  consume(streamId: number): void {
    if (this.isClosed) return;
    const s = this.streams.get(streamId);
    const owed = s ? s.owed.shift() : this.owedByRetired.get(streamId)?.shift();
    if (!owed) return;
    this.releaseBudget(owed.bytes);
    if (!s && this.owedByRetired.get(streamId)?.length === 0) this.owedByRetired.delete(streamId);
    if (s) {
      let streamCredit = owed.stream;
      if (s.owed.length === 0 && s.partial) {
        // The reader caught up: the message being gathered may flow again.
        streamCredit += s.partial.bytes - s.partial.streamCredited;
        s.partial.streamCredited = s.partial.bytes;
      }
      this.creditStream(s, streamCredit);
    }
    this.creditConnection(owed.connection);
  }

  /**
   * Server (holdStreamsUntilReleased): the application is done with the
   * stream (its handler ended). Unconsumed messages are discarded and the
   * stream stops counting against the concurrent limit.
   */
  releaseStream(streamId: number): void {
    const owed = this.owedByRetired.get(streamId);
    if (owed) {
      this.owedByRetired.delete(streamId);
      let bytes = 0;
      let held = 0;
      for (const o of owed) {
        bytes += o.connection;
        held += o.bytes;
      }
      this.releaseBudget(held);
      this.creditConnection(bytes);
    }
    if (this.held.delete(streamId)) this.onStreamCountChanged();
  }

  /** Sends a PING; a "pong" event with the same id reports the round trip. */
  ping(): number {
    if (this.isClosed)
      throw this.closeError ?? new StreamError(ErrorCode.CANCEL, "connection-lost", "closed");
    const id = ++this.pingCounter;
    const payload = new Uint8Array(PING_PAYLOAD_BYTES);
    new DataView(payload.buffer).setFloat64(0, id);
    this.pings.set(toHex(payload), { id, sentAt: this.now });
    this.queueControl(encodeFrame({ type: FrameType.PING, ack: false, payload }));
    return id;
  }

  /**
   * Graceful shutdown (SPEC §Graceful shutdown): GOAWAY NO_ERROR with the
   * last stream we will process; open streams finish; then "drained".
   */
  close(): void {
    if (this.state !== "open") return;
    this.sendGoaway(ErrorCode.NO_ERROR, "");
    if (this.goawayGraceMs !== undefined) this.goawayDeadline = this.now + this.goawayGraceMs;
    this.maybeDrained();
  }

  /** Ends everything now: open streams fail with `reason`; a GOAWAY with `code` is queued. */
  abort(
    code: ErrorCode = ErrorCode.CANCEL,
    reason: StreamFailureReason = "connection-error",
    detail = "aborted",
  ): void {
    this.teardown(new StreamError(code, reason, detail));
  }

  // ================================================================ receiving

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
          this.failStream(s, new StreamError(errorCodeFromWire(f.code), "reset-by-peer"));
          if (this.role === "server") this.countReset("peer");
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
        this.countEmptyFrame("unknown-type frames");
        return;
    }
  }

  private onFrameError(e: unknown): void {
    if (this.isClosed) return;
    if (e instanceof FrameError) {
      if (e.streamId !== undefined) {
        this.streamError(e.streamId, e.code, e.message);
        return;
      }
      this.connectionError(e);
      return;
    }
    this.connectionError(new FrameError(ErrorCode.INTERNAL_ERROR, String(e)));
  }

  private countReset(cause: "peer" | "local"): void {
    if (!this.resets.record(cause, this.now)) {
      throw new FrameError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.resets.limit} stream resets in ${this.resets.windowMs} ms`,
      );
    }
  }

  private countEmptyFrame(what: string): void {
    if (!this.emptyFrames.record(this.now)) {
      throw new FrameError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${MAX_EMPTY_FRAMES_PER_WINDOW} ${what} in ${EMPTY_FRAME_WINDOW_MS} ms`,
      );
    }
  }

  private onSettings(ack: boolean, entries: readonly (readonly [number, number])[]): void {
    if (ack) {
      if (this.localSettingsAcked) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second SETTINGS ACK");
      this.localSettingsAcked = true;
      this.settingsAckDeadline = undefined;
      // Header blocks after the ACK are encoded with the larger table (SPEC §SETTINGS).
      this.headerDecoder.setCapacity(this.local.headerTableBytes);
      return;
    }
    if (this.peerSettingsReceived) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "a second SETTINGS frame");
    this.peerSettingsReceived = true;
    this.peerSettingsDeadline = undefined;
    this.peer = settingsFromEntries(entries);
    const streamDelta = this.peer.initialStreamWindowBytes - DEFAULT_SETTINGS.initialStreamWindowBytes;
    for (const s of this.streams.values()) s.sendWindow.available += streamDelta;
    this.connSendWindow.available +=
      this.peer.initialConnectionWindowBytes - DEFAULT_SETTINGS.initialConnectionWindowBytes;
    // The ACK is queued before any frame that uses the new values, so the
    // peer switches its decoder at exactly the same point in the byte stream.
    this.queueControl(encodeFrame({ type: FrameType.SETTINGS, ack: true, entries: [] }));
    this.headerEncoder.setCapacity(this.peer.headerTableBytes);
    for (const s of this.streams.values()) if (s.sendQueue.length > 0) this.ready.add(s);
    if (this.role === "client") this.events.push({ type: "slots" });
  }

  private onHeaders(f: HeadersFrame): void {
    // Decode first, whatever happens to the stream: the tables must stay in step.
    const decoded = this.headerDecoder.decode(f.block, this.local.maxHeaderListBytes);
    if (this.role === "client") {
      const s = this.knownStream(f.streamId, "HEADERS");
      if (!s) return;
      if (f.endStream) throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM from a server", f.streamId);
      this.advance(s, "response-headers");
      if (decoded.oversize) {
        throw new FrameError(ErrorCode.HEADERS_TOO_LARGE, "response headers too large", f.streamId);
      }
      s.owed.push(NOTHING_OWED);
      this.events.push({ type: "headers", streamId: s.id, fields: decoded.fields });
      return;
    }
    const existing = this.streams.get(f.streamId);
    if (existing) {
      this.advance(existing, f.endStream ? "request-headers-end" : "request-headers");
      return;
    }
    if (f.streamId % 2 === 0) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `even stream id ${f.streamId} from a client`);
    }
    if (f.streamId <= this.lastStreamId) {
      // A new stream's id must exceed every id used before (RFC 9113 §5.1.1):
      // a lower one, closed or never used, is not a frame in flight.
      throw new FrameError(
        ErrorCode.PROTOCOL_ERROR,
        `HEADERS on stream ${f.streamId}, not above the last stream ${this.lastStreamId}`,
      );
    }
    this.lastStreamId = f.streamId;
    if (decoded.oversize) {
      this.refuse(f.streamId, ErrorCode.HEADERS_TOO_LARGE);
      return;
    }
    if (this.state !== "open" || this.activeStreams >= this.local.maxConcurrentStreams) {
      this.refuse(f.streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    const s = this.addStream(f.streamId);
    s.state = s.queued = f.endStream ? "request-ended" : "open";
    if (this.holdStreams) this.held.add(s.id);
    s.owed.push(NOTHING_OWED);
    this.events.push({ type: "stream", streamId: s.id, fields: decoded.fields });
    if (f.endStream) this.events.push({ type: "end", streamId: s.id });
  }

  /** Server: answers a stream it will not process; counted, as every reset the server causes. */
  private refuse(streamId: number, code: ErrorCode): void {
    this.queueControl(rstFrame(streamId, code));
    this.countReset("local");
  }

  /** Streams counted against our MAX_CONCURRENT_STREAMS: open ones plus closed ones still held. */
  private get activeStreams(): number {
    let closedHeld = 0;
    for (const id of this.held) if (!this.streams.has(id)) closedHeld++;
    return this.streams.size + closedHeld;
  }

  private onMessage(f: MessageFrame): void {
    const parts = f.parts;
    const length = parts === undefined ? f.data.length : partsLength(parts);
    if (!this.connRecvWindow.take(length)) {
      throw new FrameError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `MESSAGE of ${length} bytes exceeds the connection window ${this.connRecvWindow.remaining}`,
      );
    }
    if (length === 0 && !f.messageEnd && !f.endStream) this.countEmptyFrame("empty MESSAGE frames");
    const s = this.knownStream(f.streamId, "MESSAGE");
    if (!s) {
      this.creditConnection(length);
      return;
    }
    if (this.role === "client" && f.endStream) {
      this.creditConnection(length);
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM from a server", f.streamId);
    }
    const input: StreamInput = this.role === "server" ? "request-message" : "response-message";
    const next = transition(s.state, input);
    if (isViolation(next)) {
      this.creditConnection(length);
      throw new FrameError(next.error, next.detail, f.streamId);
    }
    if (!s.recvWindow.take(length)) {
      this.creditConnection(length);
      throw new FrameError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `MESSAGE of ${length} bytes exceeds the stream window ${s.recvWindow.remaining}`,
        f.streamId,
      );
    }
    const p = (s.partial ??= {
      chunks: [],
      bytes: 0,
      compressed: f.compressed,
      streamCredited: 0,
      connectionCredited: 0,
    });
    if (p.bytes + length > this.maxMessageBytes) {
      // Refused as soon as it passes the limit, before its bytes are kept (RESOURCE_EXHAUSTED).
      this.creditConnection(length);
      throw new FrameError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `message exceeds the ${this.maxMessageBytes}-byte receive limit`,
        f.streamId,
      );
    }
    if (length > 0 && this.budget !== undefined) this.reserveBudget(this.budget, length, f.streamId);
    if (length > 0) {
      // The part of a message still being gathered is kept as its own bytes:
      // a view would pin the whole carrier buffer it came in, so the memory
      // a peer makes us hold would no longer be what the windows count.
      // A frame that spanned chunks brings its parts (views, not yet copied):
      // each is kept as it is when it pins next to nothing (pinsLittle: a
      // TLS record's plaintext), else copied, and the message is joined
      // once below, so most bytes are copied once rather than twice.
      if (parts === undefined) p.chunks.push(keptPart(f.data, f.messageEnd));
      else for (const part of parts) p.chunks.push(keptPart(part, f.messageEnd));
    }
    p.bytes += length;
    if (f.messageEnd) {
      s.partial = undefined;
      const data = p.chunks.length === 1 ? p.chunks[0]! : concatChunks(p.chunks, p.bytes);
      s.owed.push({
        stream: p.bytes - p.streamCredited,
        connection: p.bytes - p.connectionCredited,
        bytes: p.bytes,
      });
      if (this.designated === s) this.designated = undefined;
      this.events.push({ type: "message", streamId: s.id, data, compressed: p.compressed });
    } else if (f.endStream) {
      // A bare END_STREAM (no message) is legal only between messages (SPEC §MESSAGE).
      if (p.bytes > 0)
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, "END_STREAM inside a message", f.streamId);
      s.partial = undefined;
    } else {
      if (s.owed.length === 0) {
        // A message larger than the stream window completes only if its parts
        // are granted back on the stream as they arrive; the connection window
        // keeps holding them, so what the peer can make us buffer stays bounded.
        p.streamCredited += length;
        this.creditStream(s, length);
      }
      if (this.designated === s) {
        // Announced at once: the window may be used up by the others.
        p.connectionCredited += length;
        this.creditConnection(length, true);
      } else if (this.connRecvWindow.remaining === 0) {
        this.designateLargestPartial();
      }
    }
    if (f.endStream) {
      this.advance(s, "request-end");
      this.events.push({ type: "end", streamId: s.id });
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
    this.events.push({
      type: "trailers",
      streamId: s.id,
      status: f.status,
      message: f.message,
      fields: decoded.fields,
    });
    this.events.push({ type: "end", streamId: s.id });
    // TRAILERS finish the whole stream (SPEC §Stream states): we send nothing more.
    if (s.sendQueue.length > 0) {
      s.sendQueue.length = 0;
      this.events.push({
        type: "unsent",
        streamId: s.id,
        error: new StreamError(ErrorCode.NO_ERROR, "finished"),
      });
    }
    this.advance(s, "trailers");
  }

  private onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      if (!this.connSendWindow.grant(increment)) {
        throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, "connection window past 2^31-1");
      }
      return;
    }
    const s = this.knownStream(streamId, "WINDOW_UPDATE");
    if (!s) return;
    if (increment === 0)
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE increment of 0", streamId);
    if (!s.sendWindow.grant(increment)) {
      throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, "stream window past 2^31-1", streamId);
    }
    if (s.sendQueue.length > 0) this.ready.add(s);
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
    if (waiter.id === this.keepalivePingId) {
      this.keepaliveDeadline = undefined;
      this.keepalivePingId = undefined;
    }
    this.events.push({ type: "pong", pingId: waiter.id, rttMs: this.now - waiter.sentAt });
  }

  private onGoaway(f: GoawayFrame): void {
    this.peerGoaway = true;
    const code = errorCodeFromWire(f.code);
    const debug = utf8Decode(f.debug.subarray(0, MAX_GOAWAY_DEBUG_BYTES));
    if (this.state === "open") this.state = "closing";
    if (this.role === "client") {
      // Streams past the last id were never processed: refused, safe to retry (SPEC §GOAWAY).
      for (const s of [...this.streams.values()]) {
        if (s.id > f.lastStreamId) {
          this.failStream(s, new StreamError(ErrorCode.REFUSED_STREAM, "refused", "past the peer's GOAWAY"));
        }
      }
    }
    this.events.push({ type: "goaway", lastStreamId: f.lastStreamId, code: f.code, debug });
    if (code !== ErrorCode.NO_ERROR) {
      this.teardown(new StreamError(code, "connection-error", `peer GOAWAY: ${debug}`));
      return;
    }
    this.maybeDrained();
  }

  /** The open stream for a frame; undefined for a closed one; a never-opened id is a PROTOCOL_ERROR. */
  private knownStream(id: number, what: string): Stream | undefined {
    const s = this.streams.get(id);
    if (s) return s;
    const opened = this.role === "server" ? id <= this.lastStreamId : id < this.nextStreamId;
    if (!opened || id % 2 === 0)
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
    return undefined;
  }

  /** Applies a received frame to the stream's state; a violation is a stream error. */
  private advance(s: Stream, input: StreamInput): void {
    const next = transition(s.state, input);
    if (isViolation(next)) throw new FrameError(next.error, next.detail, s.id);
    s.state = next;
    if (next === "closed") this.retire(s);
  }

  /**
   * The connection window is used up and no message can complete: unfinished
   * messages hold it all. One of them — the largest — is let through: its
   * bytes so far and from now on are granted back as they arrive, until it
   * completes. So a connection holds at most its window plus one message
   * (maxReceiveMessageBytes), and interleaved large messages cannot stall it.
   */
  private designateLargestPartial(): void {
    if (this.designated !== undefined) return;
    let best: Stream | undefined;
    for (const s of this.streams.values()) {
      const held = s.partial ? s.partial.bytes - s.partial.connectionCredited : 0;
      if (held > 0 && (!best || held > best.partial!.bytes - best.partial!.connectionCredited)) best = s;
    }
    if (!best?.partial) return;
    this.designated = best;
    const held = best.partial.bytes - best.partial.connectionCredited;
    best.partial.connectionCredited = best.partial.bytes;
    this.creditConnection(held, true);
  }

  private creditStream(s: Stream, bytes: number): void {
    if (this.streams.get(s.id) !== s || requestEndedForUs(s, this.role)) return;
    const increment = s.recvWindow.release(bytes);
    if (increment > 0) this.queueControl(windowUpdateFrame(s.id, increment));
  }

  private creditConnection(bytes: number, now = false): void {
    if (bytes <= 0 || this.isClosed) return;
    const increment = this.connRecvWindow.release(bytes, now);
    if (increment > 0) this.queueControl(windowUpdateFrame(0, increment));
  }

  // ================================================================ sending

  private addStream(id: number): Stream {
    const s = new Stream(id, this.peer.initialStreamWindowBytes, this.local.initialStreamWindowBytes);
    this.streams.set(id, s);
    this.onStreamCountChanged();
    return s;
  }

  private openFor(streamId: number): Stream {
    const s = this.streams.get(streamId);
    if (!s) throw new Error(`stream ${streamId} is not open`);
    return s;
  }

  private enqueue(s: Stream, input: StreamInput, make: (ticket: number) => SendItem): number {
    const next = transition(s.queued, input);
    if (isViolation(next)) throw new Error(`stream ${s.id}: cannot send now (${next.detail})`);
    s.queued = next;
    const ticket = this.nextTicket++;
    s.sendQueue.push(make(ticket));
    this.ready.add(s);
    return ticket;
  }

  /** Bytes still to send of started, unfinished messages of streams other than `except`. */
  private unsentOfStartedMessages(except: Stream): number {
    let n = 0;
    for (const s of this.streams.values()) {
      const head = s.sendQueue[0];
      if (s !== except && head?.kind === "message" && head.offset > 0) n += head.data.length - head.offset;
    }
    return n;
  }

  private writeNext(s: Stream, out: Uint8Array[]): WriteResult {
    const item = s.sendQueue[0];
    if (!item) return "idle";
    switch (item.kind) {
      case "headers": {
        if (headerBlockBound(item.fields) > this.peer.maxFrameBytes) return this.tooLargeToSend(s);
        const block = this.headerEncoder.encode(item.fields);
        const frame = encodeFrame({
          type: FrameType.HEADERS,
          streamId: s.id,
          endStream: item.endStream,
          block,
        });
        out.push(frame);
        this.sent(s, item.ticket);
        this.applySent(
          s,
          this.role === "server"
            ? "response-headers"
            : item.endStream
              ? "request-headers-end"
              : "request-headers",
        );
        return { wrote: frame.length };
      }
      case "end": {
        const frame = encodeFrame({
          type: FrameType.MESSAGE,
          streamId: s.id,
          endStream: true,
          messageEnd: false,
          compressed: false,
          data: EMPTY,
        });
        out.push(frame);
        this.sent(s, item.ticket);
        this.applySent(s, "request-end");
        return { wrote: frame.length };
      }
      case "trailers": {
        const bound = headerBlockBound(item.fields) + utf8Length(item.message) + 8;
        if (bound > this.peer.maxFrameBytes) return this.tooLargeToSend(s);
        const block = this.headerEncoder.encode(item.fields);
        const payload = encodeTrailersPayload(item.status, item.message, block);
        const header = encodeFrameHeader(FrameType.TRAILERS, 0, s.id, payload.length);
        out.push(header, payload);
        this.sent(s, item.ticket);
        // TRAILERS finish the stream for both sides (SPEC §Stream states).
        const requestOpen = !requestEndedForUs(s, this.role);
        // The handler has answered: only a stream that was reset keeps its slot
        // until its handler is released, and the client may reuse this one now.
        this.held.delete(s.id);
        this.applySent(s, "trailers");
        if (requestOpen) this.events.push({ type: "end", streamId: s.id });
        return { wrote: header.length + payload.length };
      }
      case "message": {
        const remaining = item.data.length - item.offset;
        if (item.offset === 0 && remaining > 0) {
          // A receiver holds connection credit until a message is whole
          // (SPEC §Flow control), so a new message starts only if it fits
          // beside those already started: interleaved unfinished messages
          // could otherwise use up the window together and stall.
          const others = this.unsentOfStartedMessages(s);
          if (others > 0 && others + remaining > this.connSendWindow.available) return "blocked";
        }
        const n = Math.min(
          remaining,
          this.peer.maxFrameBytes,
          s.sendWindow.available,
          this.connSendWindow.available,
        );
        if (n <= 0 && remaining > 0) {
          if (this.connSendWindow.available <= 0) return "connection-blocked";
          this.ready.delete(s); // a WINDOW_UPDATE on the stream puts it back
          return "blocked";
        }
        const last = item.offset + n === item.data.length;
        const endStream = last && item.endStream;
        const flags =
          (endStream ? Flag.END_STREAM : 0) |
          (last ? Flag.MESSAGE_END : 0) |
          (item.compressed ? Flag.COMPRESSED : 0);
        const payload = item.data.subarray(item.offset, item.offset + n);
        const headerLength = frameHeaderLength(s.id, n);
        if (n <= JOIN_PAYLOAD_MAX_BYTES) {
          const frame = new Uint8Array(headerLength + n);
          frame.set(payload, writeFrameHeader(frame, 0, FrameType.MESSAGE, flags, s.id, n));
          out.push(frame);
        } else {
          out.push(encodeFrameHeader(FrameType.MESSAGE, flags, s.id, n), payload);
        }
        item.offset += n;
        s.sendWindow.spend(n);
        this.connSendWindow.spend(n);
        if (last) {
          this.sent(s, item.ticket);
          this.applySent(
            s,
            this.role === "server" ? "response-message" : endStream ? "request-end" : "request-message",
          );
        }
        return { wrote: headerLength + n };
      }
    }
  }

  private sent(s: Stream, ticket: number): void {
    s.sendQueue.shift();
    this.events.push({ type: "sent", streamId: s.id, ticket });
  }

  /** Applies a frame that left to the stream's state (checked when it was queued). */
  private applySent(s: Stream, input: StreamInput): void {
    const next = transition(s.state, input);
    if (isViolation(next)) {
      // Queue-time checks make this unreachable; fail the stream rather than send on.
      this.resetStream(s.id, ErrorCode.INTERNAL_ERROR, next.detail);
      return;
    }
    s.state = next;
    if (next === "closed") this.retire(s);
  }

  /**
   * A header block that might not fit one frame is refused before it is
   * encoded (encoding would change the compression table, and an unsent block
   * would leave the peer's table behind ours). A client stream whose HEADERS
   * never left is unknown to the peer: no RST for it.
   */
  private tooLargeToSend(s: Stream): WriteResult {
    const error = new StreamError(
      ErrorCode.HEADERS_TOO_LARGE,
      "reset-locally",
      `header block may exceed the peer's ${this.peer.maxFrameBytes}-byte frame limit`,
    );
    if (s.state !== "idle" || this.role === "server")
      this.queueControl(rstFrame(s.id, ErrorCode.HEADERS_TOO_LARGE));
    this.failStream(s, error);
    return { wrote: 0 };
  }

  /** Queues a control frame, bounded by the control backlog. */
  private queueControl(bytes: Uint8Array): void {
    if (this.isClosed) return;
    if (this.controlBytes + bytes.length > this.maxControlBacklogBytes) {
      // A peer that keeps provoking answers (PING, SETTINGS, RST) but reads nothing.
      this.teardown(
        new StreamError(
          ErrorCode.ENHANCE_YOUR_CALM,
          "connection-error",
          "control frames backlog over the limit",
        ),
      );
      return;
    }
    this.control.push(bytes);
    this.controlBytes += bytes.length;
  }

  // ================================================================ errors and shutdown

  private streamError(streamId: number, code: ErrorCode, detail: string): void {
    const s = this.streams.get(streamId);
    this.queueControl(rstFrame(streamId, code));
    if (s) this.failStream(s, new StreamError(code, "reset-locally", detail));
    // A reset the server causes costs the peer as its own RST would (MadeYouReset).
    if (this.role === "server") {
      try {
        this.countReset("local");
      } catch (e) {
        this.onFrameError(e);
      }
    }
  }

  /**
   * Takes `length` message bytes from the receive budget. Over the
   * connection's share, the stream is refused (ENHANCE_YOUR_CALM, which the
   * client reads as RESOURCE_EXHAUSTED); over the server's, the connection
   * holding the most is evicted (GOAWAY ENHANCE_YOUR_CALM, its bytes return
   * at once) and, if that was another one, this message may then fit.
   */
  private reserveBudget(budget: ConnectionBudget, length: number, streamId: number): void {
    let refusal = budget.reserve(length);
    if (refusal?.scope === "server" && refusal.worst !== budget) {
      refusal.worst.evict(refusal.heldBytes, refusal.limitBytes);
      refusal = budget.reserve(length);
    }
    if (refusal === undefined) {
      this.budgetReserved += length;
      return;
    }
    this.creditConnection(length);
    if (refusal.scope === "server") {
      if (refusal.worst !== budget) refusal.worst.evict(refusal.heldBytes, refusal.limitBytes);
      else {
        throw new FrameError(
          ErrorCode.ENHANCE_YOUR_CALM,
          `${RECEIVE_BUDGET_DETAIL}the server holds ${refusal.heldBytes} request bytes (limit ${refusal.limitBytes}); this connection ${this.budgetReserved}`,
        );
      }
    }
    const whose = refusal.scope === "server" ? "the server" : "this connection";
    throw new FrameError(
      ErrorCode.ENHANCE_YOUR_CALM,
      `${RECEIVE_BUDGET_DETAIL}${length} more message bytes would take the request bytes buffered by ${whose} from ${refusal.heldBytes} past the limit of ${refusal.limitBytes}`,
      streamId,
    );
  }

  private releaseBudget(bytes: number): void {
    if (bytes <= 0 || this.budget === undefined) return;
    const n = Math.min(bytes, this.budgetReserved);
    this.budgetReserved -= n;
    this.budget.release(n);
  }

  /** Server: evicted by the receive budget (another connection needed its share): GOAWAY ENHANCE_YOUR_CALM now. */
  evict(detail: string): void {
    this.connectionError(new FrameError(ErrorCode.ENHANCE_YOUR_CALM, RECEIVE_BUDGET_DETAIL + detail));
  }

  private connectionError(e: FrameError): void {
    this.fail(new StreamError(e.code, "connection-error", e.message), e.code, e.message);
  }

  /** Ends the connection with an error: GOAWAY `code` (if none was sent) and teardown. */
  private fail(error: StreamError, code: ErrorCode, debug = error.message): void {
    if (this.isClosed) return;
    this.goawaySent = false; // an error GOAWAY follows a graceful one
    this.sendGoaway(code, debug);
    this.teardown(error);
  }

  private sendGoaway(code: ErrorCode, debug: string): void {
    if (this.goawaySent) return;
    this.goawaySent = true;
    if (this.state === "open") this.state = "closing";
    this.queueControlUnbounded(
      encodeFrame({
        type: FrameType.GOAWAY,
        lastStreamId: this.role === "server" ? this.lastStreamId : 0,
        code,
        debug: utf8Encode(debug.slice(0, MAX_GOAWAY_DEBUG_BYTES)),
      }),
    );
  }

  /** GOAWAY always goes out, even past the backlog bound (it is the last frame). */
  private queueControlUnbounded(bytes: Uint8Array): void {
    this.control.push(bytes);
    this.controlBytes += bytes.length;
  }

  /** Fails one stream: its unread bytes return to the connection window. */
  private failStream(s: Stream, error: StreamError): void {
    let dropped = s.partial ? s.partial.bytes - s.partial.connectionCredited : 0;
    let held = s.partial ? s.partial.bytes : 0;
    if (this.designated === s) this.designated = undefined;
    for (const o of s.owed) {
      dropped += o.connection;
      held += o.bytes;
    }
    this.releaseBudget(held);
    s.owed.length = 0;
    s.partial = undefined;
    s.sendQueue.length = 0;
    s.state = "closed";
    this.events.push({ type: "stream-failed", streamId: s.id, error });
    this.retire(s);
    this.creditConnection(dropped);
  }

  private retire(s: Stream): void {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    this.ready.delete(s);
    if (s.owed.length > 0) {
      // Delivered, not yet consumed: credited when the application takes them (or releases the stream).
      this.owedByRetired.set(s.id, s.owed.splice(0));
    }
    this.onStreamCountChanged();
    if (this.role === "client") this.events.push({ type: "slots" });
    this.maybeDrained();
  }

  private onStreamCountChanged(): void {
    const busy = this.streams.size > 0 || this.held.size > 0;
    if (busy) this.idleSince = undefined;
    else this.idleSince ??= this.now;
  }

  /** Closing with nothing open: everything is queued, the adapter may end its write side. */
  private maybeDrained(): void {
    if (this.state !== "closing" || this.streams.size > 0) return;
    this.state = "drained";
    this.goawayDeadline = undefined;
    this.lingerDeadline = this.now + CLOSE_LINGER_MS;
    this.events.push({ type: "drained" });
  }

  private teardown(error: StreamError | undefined): void {
    if (this.isClosed) return;
    this.state = "closed";
    this.closeError = error;
    const streamError =
      error ?? new StreamError(ErrorCode.INTERNAL_ERROR, "connection-lost", "the connection closed");
    for (const s of [...this.streams.values()]) {
      this.events.push({ type: "stream-failed", streamId: s.id, error: streamError });
    }
    this.streams.clear();
    this.ready.clear();
    this.designated = undefined;
    this.owedByRetired.clear();
    // Whatever the connection held goes back to the server's budget at once.
    this.budget?.close();
    this.budgetReserved = 0;
    this.held.clear();
    this.pings.clear();
    this.settingsAckDeadline = this.peerSettingsDeadline = undefined;
    this.keepaliveDeadline = this.nextKeepaliveAt = undefined;
    this.goawayDeadline = this.lingerDeadline = this.idleSince = undefined;
    this.events.push({ type: "closed", error });
  }
}

/** The time options are durations in ms: finite and not negative (a mistake here would close every connection). */
/** The earlier of two optional times. */
function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || a <= b ? a : b;
}

function checkDurations(o: ConnectionOptions): void {
  const durations: [string, number | undefined][] = [
    ["settingsAckTimeoutMs", o.settingsAckTimeoutMs],
    ["settingsTimeoutMs", o.settingsTimeoutMs],
    ["idleTimeoutMs", o.idleTimeoutMs],
    ["goawayGraceMs", o.goawayGraceMs],
    ["keepalive.intervalMs", o.keepalive?.intervalMs],
    ["keepalive.timeoutMs", o.keepalive?.timeoutMs],
  ];
  for (const [name, v] of durations) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`${name}=${v}: a duration in ms, >= 0`);
  }
  if (o.keepalive && o.keepalive.intervalMs <= 0) throw new RangeError("keepalive.intervalMs must be > 0");
}

/** Our side receives nothing more on the stream: no window to grant back. */
function requestEndedForUs(s: Stream, role: "client" | "server"): boolean {
  return role === "server" ? requestEnded(s.state) : s.state === "closed";
}

/** Most bytes `fields` can take encoded (pqhc/1 worst case per field: 1 + 4 index/length bytes + 4 + 4). */
function headerBlockBound(fields: readonly HeaderField[]): number {
  let bound = 0;
  for (const [name, value] of fields) {
    bound += 13 + name.length + (typeof value === "string" ? utf8Length(value) : value.length);
  }
  return bound;
}

const EMPTY = new Uint8Array(0);

/**
 * A view that pins at most 1/64 more than its own bytes (the rest of the
 * buffer it lies in): a whole TLS record's plaintext, whose buffer holds one
 * more byte (the content type), qualifies; a slice of a larger carrier read
 * does not. So what kept views pin exceeds what the windows count by 1/64 at most.
 */
function pinsLittle(view: Uint8Array): boolean {
  return view.buffer.byteLength - view.byteLength <= view.byteLength / 64;
}

/** A part kept as it is when it is consumed now (the message ends) or pins next to nothing, else copied. */
function keptPart(part: Uint8Array, messageEnd: boolean): Uint8Array {
  return messageEnd || pinsLittle(part) ? part : copyBytes(part);
}

function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const part of parts) n += part.length;
  return n;
}
/** Headers are consumed like messages (so an unread stream gets no credit), but return none. */
/** How the errors of the receive budget begin (a server tells them from reset floods by it). */
export const RECEIVE_BUDGET_DETAIL = "receive budget: ";

const NOTHING_OWED: Owed = { stream: 0, connection: 0, bytes: 0 };

function rstFrame(streamId: number, code: ErrorCode): Uint8Array {
  return encodeFrame({ type: FrameType.RST, streamId, code });
}

function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  return encodeFrame({ type: FrameType.WINDOW_UPDATE, streamId, increment });
}
