/**
 * The Node adapter of the sans-IO TLS engine (DESIGN.md §1.2): a
 * node:stream Duplex of application data over any carrier Duplex (a TCP
 * socket, an in-memory pair, a WebSocket stream).
 *
 * Flow control, both ways:
 * - writing: a write is acknowledged only once the carrier has accepted the
 *   records (carrier.write() true, else after its 'drain'), so a fast writer
 *   is held back by a slow network;
 * - reading: when our readable buffer is full (push() false) the carrier is
 *   paused until the consumer reads, so a slow reader holds back the peer.
 * Buffers are thus bounded by the two highWaterMarks plus one carrier chunk.
 *
 * Closing (RFC 8446 §6.1): end(), and destroy() without an error after the
 * handshake, send close_notify and then end the carrier; the peer's
 * close_notify ends our readable side. A carrier that
 * ends without close_notify is a truncation and an error. Engine failures
 * (TlsError) send their alert, then destroy this stream with that error.
 */
import { Duplex } from "node:stream";
import "../node/uninitialized-bytes.ts";
import type { NegotiatedInfo, TlsConnection } from "../tls/index.ts";
import { TransportError } from "./errors.ts";
import type { HandshakeObserver } from "./handshake-observer.ts";
import type { ReusedReadBuffer } from "./reused-read-buffer.ts";

/**
 * Time from a new connection to a finished TLS handshake, ms, unless
 * configured: on a server it also covers the first byte and a WebSocket
 * upgrade. 120 s, the server handshake timeout gRPC users already have
 * (grpc-java's ServerBuilder.handshakeTimeout, grpc-go's ConnectionTimeout,
 * gRPC core's grpc.server_handshake_timeout_ms) and Node's tls.Server
 * handshakeTimeout; a client bounds its attempts with its connect timeout.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 120_000;
/** Default readable/writable buffer of the application-data stream. */
export const DEFAULT_TLS_SOCKET_HIGH_WATER_MARK_BYTES = 64 * 1024;
/**
 * Bytes the engine wrote in answer to the peer (KeyUpdate replies, handshake
 * flights, alerts) that the carrier has not flushed yet, above which we stop
 * reading from the carrier until they are (issue 9 item 8): a peer that asks
 * for answers and never reads them cannot make us buffer without end. Our
 * own application writes do not count: they wait for 'drain' anyway, and
 * pausing reads for them could deadlock two peers that both write.
 */
export const MAX_UNFLUSHED_ANSWER_BYTES = 256 * 1024;
const EMPTY = new Uint8Array(0);
/** After a fatal alert, how long the carrier may take to flush it before it is destroyed. */
const ALERT_FLUSH_GRACE_MS = 1_000;

export interface TlsSocketOptions {
  /** Default DEFAULT_HANDSHAKE_TIMEOUT_MS (120 s); 0 disables. */
  handshakeTimeoutMs?: number;
  /** Application-data buffer per direction, bytes (default 64 KiB). */
  highWaterMark?: number;
  /** Like net.Socket: when false (default), the peer's close_notify also ends our side. */
  allowHalfOpen?: boolean;
  /** Aborts the handshake (and the connection) when signalled. */
  signal?: AbortSignal;
  /** Sees handshake bytes, the result and the end of the connection (metrics, traces, security events). */
  handshakeObserver?: HandshakeObserver;
  /**
   * The carrier reads into this one reused buffer (a net.Socket made with its
   * `onread`): reads come from it instead of 'data' events, each a view the
   * engine is done with (detachInput) before the next read rewrites it.
   */
  reusedReadBuffer?: ReusedReadBuffer;
}

/**
 * Cuts received plaintext into the pieces the reader is given, calling
 * `push` for each in order (protocol/grpc/http2-carrier.ts: node:http2 over
 * a JS stream must not be handed many frames in one chunk).
 */
export interface ReadSplitter {
  split(data: Uint8Array, push: (piece: Uint8Array) => void): void;
}

export class TlsSocket extends Duplex {
  /** node:http2 reads these two to decide the session is secure and which protocol was agreed. */
  readonly encrypted = true;
  alpnProtocol: string | false = false;
  /** Set once the handshake has been verified. */
  info: NegotiatedInfo | undefined;
  /**
   * Whether writes gathered together are packed into full records (default).
   * A protocol that needs each write in its own record turns it off before it
   * writes (node:http2 does not: its reading side cuts with readSplitter instead,
   * protocol/grpc/http2-carrier.ts).
   */
  packWrites = true;
  /** When set, received plaintext reaches the reader in the pieces it cuts, not one chunk per record. */
  readSplitter: ReadSplitter | undefined = undefined;
  /** Resolves when the handshake completes; rejects if the connection fails first. */
  readonly secured: Promise<NegotiatedInfo>;

  private resolveSecured!: (info: NegotiatedInfo) => void;
  private rejectSecured!: (error: Error) => void;
  /** Reading paused because our readable side is full (push() false). */
  private carrierPaused = false;
  /** Reading paused because the carrier holds more than MAX_UNFLUSHED_ANSWER_BYTES of our answers. */
  private answersBlocked = false;
  private unflushedAnswerBytes = 0;
  private peerEnded = false;
  /** One write waiting for the handshake (Writable calls _write/_writev one at a time). */
  private pendingWrite: { chunks: Uint8Array[]; callback: (error?: Error | null) => void } | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private alertPending = false;
  private readonly observer: HandshakeObserver | undefined;
  private readonly onAbort = () =>
    this.fail(new TransportError("aborted", "TLS connection aborted by the caller"));

  constructor(
    readonly connection: TlsConnection,
    readonly carrier: Duplex,
    options: TlsSocketOptions = {},
  ) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_TLS_SOCKET_HIGH_WATER_MARK_BYTES;
    super({ highWaterMark, allowHalfOpen: options.allowHalfOpen ?? false });
    this.observer = options.handshakeObserver;
    this.secured = new Promise((resolve, reject) => {
      this.resolveSecured = resolve;
      this.rejectSecured = reject;
    });
    // Nobody may be awaiting `secured` (e.g. node:http2 listens to events instead).
    this.secured.catch(() => {});

    const timeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(
        () =>
          this.fail(new TransportError("handshake-timeout", `TLS handshake not done after ${timeout} ms`)),
        timeout,
      );
      this.handshakeTimer.unref?.();
    }
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(this.onAbort);
      else options.signal.addEventListener("abort", this.onAbort, { once: true });
      this.once("close", () => options.signal?.removeEventListener("abort", this.onAbort));
    }

    carrier.on("data", (chunk: Uint8Array) => this.onCarrierData(chunk));
    options.reusedReadBuffer?.attach(this.onReusedRead);
    carrier.on("end", () => this.onCarrierEnd());
    carrier.on("error", (error: Error) => this.fail(error));
    carrier.on("close", () => {
      if (!this.destroyed && !this.readableEnded) this.onCarrierEnd();
    });
    // The client's engine has its ClientHello queued already.
    this.pump();
  }

  private onCarrierData(chunk: Uint8Array): void {
    if (this.destroyed) return;
    if (this.info === undefined) this.observer?.handshakeBytes("received", chunk);
    this.connection.receive(chunk);
    this.pump(true);
    if (this.unflushedAnswerBytes > MAX_UNFLUSHED_ANSWER_BYTES && !this.answersBlocked) {
      this.answersBlocked = true;
      this.carrier.pause();
    }
  }

  /** One read in the reused buffer; false stops reading (as carrier.pause() does) until _read resumes it. */
  private readonly onReusedRead = (view: Uint8Array): boolean => {
    if (this.destroyed) return false;
    try {
      this.onCarrierData(view);
    } finally {
      // The buffer is rewritten by the next read: nothing may still refer to it,
      // even when a 'data' listener threw out of onCarrierData.
      this.connection.detachInput();
    }
    return !this.carrierPaused && !this.answersBlocked;
  };

  private onAnswerFlushed(bytes: number): void {
    this.unflushedAnswerBytes -= bytes;
    if (this.answersBlocked && this.unflushedAnswerBytes <= MAX_UNFLUSHED_ANSWER_BYTES) {
      this.answersBlocked = false;
      if (!this.carrierPaused && !this.destroyed) this.carrier.resume();
    }
  }

  /**
   * Moves everything the engine has ready: records out, plaintext up, state
   * changes to events. `answers`: the records answer received input (counted
   * against MAX_UNFLUSHED_ANSWER_BYTES).
   */
  private pump(answers = false): boolean {
    let carrierReady = this.writeOut(answers);
    const conn = this.connection;
    // Records the engine held while its output waited (receivePaused) go on now that it has left.
    while (conn.receivePaused === false && conn.heldRecords && !conn.error) {
      conn.receive(EMPTY);
      carrierReady = this.writeOut(answers) && carrierReady;
    }
    if (conn.error) {
      // The engine queued the alert; writeOut() sent it. Tear down with the engine's typed error.
      this.alertPending = true;
      this.fail(conn.error);
      return carrierReady;
    }
    if (conn.handshakeComplete && this.info === undefined) this.onSecure();
    const splitter = this.readSplitter;
    for (const data of conn.takeApplicationData()) {
      if (splitter) splitter.split(data, this.pushPiece);
      else this.pushPiece(data);
    }
    if (conn.peerClosed && !this.peerEnded) {
      this.peerEnded = true;
      this.push(null);
    }
    return carrierReady;
  }

  /** Hands one piece of plaintext to the reader, pausing the carrier while our readable side is full. */
  private readonly pushPiece = (data: Uint8Array): void => {
    if (!this.push(data) && !this.carrierPaused) {
      this.carrierPaused = true;
      this.carrier.pause();
    }
  };

  /** Writes the engine's queued records; returns false when the carrier asks us to wait for 'drain'. */
  private writeOut(answers = false): boolean {
    let ready = true;
    const records = this.connection.takeOutgoing();
    // Corked, a flight of records (a whole server handshake flight) leaves in one writev, not one syscall each.
    const cork = records.length > 1 && !this.carrier.destroyed;
    if (cork) this.carrier.cork();
    for (const bytes of records) {
      if (this.carrier.destroyed || this.carrier.writableEnded) break;
      if (this.info === undefined) this.observer?.handshakeBytes("sent", bytes);
      if (answers) {
        this.unflushedAnswerBytes += bytes.length;
        ready = this.carrier.write(bytes, () => this.onAnswerFlushed(bytes.length));
      } else {
        ready = this.carrier.write(bytes);
      }
    }
    if (cork) this.carrier.uncork();
    return ready;
  }

  private onSecure(): void {
    const info = this.connection.info;
    if (!info) return;
    this.info = info;
    this.alpnProtocol = info.alpn ?? false;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.observer?.secure(info);
    this.resolveSecured(info);
    this.emit("secure", info);
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    if (pending) this.sendChunks(pending.chunks, pending.callback);
  }

  private onCarrierEnd(): void {
    if (this.destroyed || this.peerEnded) return;
    if (!this.connection.handshakeComplete) {
      this.fail(
        new TransportError("closed-during-handshake", "the carrier closed before the TLS handshake finished"),
      );
    } else {
      this.fail(new TransportError("truncated", "the carrier ended without the peer's close_notify"));
    }
  }

  private fail(error: Error): void {
    if (this.destroyed) return;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.rejectSecured(error);
    this.destroy(error);
  }

  override _read(): void {
    if (this.carrierPaused) {
      this.carrierPaused = false;
      if (!this.answersBlocked) this.carrier.resume();
    }
  }

  override _write(
    chunk: Uint8Array,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.sendChunks([chunk], callback);
  }

  /**
   * Writes buffered while the previous write waited, or corked (node:http2
   * corks its frames), go out in one carrier write (one syscall) rather than
   * one each, and, unless packWrites is off, packed into records of up to
   * 2^14 bytes (RFC 8446 §5.1) rather than one record each.
   */
  override _writev(
    chunks: { chunk: Uint8Array; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.sendChunks(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  private sendChunks(chunks: Uint8Array[], callback: (error?: Error | null) => void): void {
    if (!this.connection.handshakeComplete) {
      // Held until 'secure' (node:http2 may write its preface before the handshake ends).
      this.pendingWrite = { chunks, callback };
      return;
    }
    try {
      if (!this.packWrites) {
        // One record per write (see packWrites); still one carrier write for all.
        for (const chunk of chunks) this.connection.send(chunk);
      } else {
        this.connection.sendv(chunks);
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (this.pump()) callback();
    else this.carrier.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = () => {
      try {
        this.connection.close();
      } catch (error) {
        callback(error as Error);
        return;
      }
      this.writeOut();
      if (this.carrier.writableEnded || this.carrier.destroyed) callback();
      else this.carrier.end(() => callback());
    };
    if (this.connection.handshakeComplete) finish();
    else this.secured.then(finish, (error: Error) => callback(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (error) this.observer?.failed(error, this.info === undefined);
    this.observer?.closed();
    if (error) this.rejectSecured(error);
    else this.rejectSecured(new TransportError("closed-during-handshake", "TLS socket destroyed"));
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    pending?.callback(error ?? new TransportError("closed-during-handshake", "TLS socket destroyed"));
    // §6.1: an orderly close (destroy() without an error) of a live connection says close_notify.
    const orderly = !error && this.connection.handshakeComplete && !this.connection.closed;
    if (orderly) {
      this.connection.close();
      this.writeOut();
    }
    if ((this.alertPending || orderly) && !this.carrier.destroyed && !this.carrier.writableEnded) {
      // Let the alert (§6.2) or close_notify reach the peer, then make sure the carrier goes away.
      const timer = setTimeout(() => this.carrier.destroy(), ALERT_FLUSH_GRACE_MS);
      timer.unref?.();
      this.carrier.end(() => {
        clearTimeout(timer);
        this.carrier.destroy();
      });
    } else {
      this.carrier.destroy();
    }
    callback(error);
  }

  // Socket-like no-ops, so code written for net.Socket / tls.TLSSocket (node:http2) runs unchanged.
  setNoDelay(noDelay?: boolean): this {
    (this.carrier as Partial<{ setNoDelay(n?: boolean): unknown }>).setNoDelay?.(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, initialDelayMs?: number): this {
    (this.carrier as Partial<{ setKeepAlive(e?: boolean, d?: number): unknown }>).setKeepAlive?.(
      enable,
      initialDelayMs,
    );
    return this;
  }
  get remoteAddress(): string | undefined {
    return (this.carrier as Partial<{ remoteAddress: string }>).remoteAddress;
  }
  get remotePort(): number | undefined {
    return (this.carrier as Partial<{ remotePort: number }>).remotePort;
  }
}
