/**
 * The gRPC client over node:http2 (PROTOCOL-HTTP2): a ClientTransport whose
 * calls are HTTP/2 streams on one session. The session is opened lazily
 * (from `connect`, e.g. a TlsSocket with ALPN "h2") and again after it is
 * lost; calls in flight on a lost session fail with UNAVAILABLE.
 */

import type http2 from "node:http2";
import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
} from "node:http2";
import type { Duplex } from "node:stream";
import { Code } from "../../rpc/code.ts";
import { IDENTITY } from "../../rpc/compression.ts";
import { DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../../rpc/limits.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { encodeTimeout } from "../../rpc/timeout-header.ts";
import type {
  ClientCallStream,
  ClientReadEvent,
  ClientTransport,
  RequestHead,
  ResponseTrailer,
  WireMessage,
} from "../../rpc/transport.ts";
import { contentTypeOf, isGrpcContentType } from "./content-type.ts";
import { EnvelopeReader } from "./envelope.ts";
import {
  AcceptEncodingCache,
  HEADER_CONTENT_TYPE,
  HEADER_GRPC_ACCEPT_ENCODING,
  HEADER_GRPC_ENCODING,
  HEADER_GRPC_TIMEOUT,
  HEADER_TE,
  HEADER_USER_AGENT,
  headerListBytes,
  headerValue,
  readMetadata,
  TE_TRAILERS,
  writeMetadata,
} from "./headers.ts";
import { codeFromHttpStatus, HTTP_STATUS_OK } from "./http-status.ts";
import { connectHttp2, connectWithWindows, sessionError } from "./http2-carrier.ts";
import { errorFromRstCode, H2_CANCEL, H2_NO_ERROR } from "./http2-errors.ts";
import {
  DEFAULT_INBOUND_HIGH_WATER_MARK,
  DEFAULT_INBOUND_MAX_BUFFERED_BYTES,
  InboundQueue,
} from "./inbound-queue.ts";
import { writeMessage } from "./stream-writer.ts";
import { hasStatus, readTrailer } from "./trailer-status.ts";

/**
 * How long a response that ended without a status may take to be followed by
 * the peer's RST_STREAM (which then decides the code) while we still send.
 */
export const END_WITHOUT_STATUS_GRACE_MS = 100;

/** PROTOCOL-HTTP2 "User Agents": "grpc-" Language "-" Variant "/" Version. */
export const GRPC_USER_AGENT = "grpc-node-pqrpc/0.1.0";

export interface GrpcTransportOptions {
  /**
   * Base URL of the server: its scheme and host become :scheme and
   * :authority. Default "https://localhost". Without `session` or `connect`,
   * node:http2 dials it itself (plain h2c for "http://", node's TLS for "https://").
   */
  readonly authority?: string;
  /** An open session to use (the transport does not reconnect it). */
  readonly session?: ClientHttp2Session;
  /** Opens the connection, e.g. `() => connectTls(host, port, { alpnProtocols: ["h2"], ... })`. */
  readonly connect?: () => Duplex | Promise<Duplex>;
  readonly userAgent?: string;
  /** Largest received message; checked on the 5-byte prefix before buffering. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response header or trailer block (RFC 7541 §4.1 size). */
  readonly maxMetadataBytes?: number;
  /** Received messages buffered per call before the stream is paused. */
  readonly inboundHighWaterMark?: number;
  /** SETTINGS for sessions this transport opens. */
  readonly http2Settings?: http2.Settings;
}

export interface GrpcClientTransport extends ClientTransport {
  /** Calls whose HTTP/2 stream (or its opening) is still alive. */
  readonly activeCalls: number;
  /** Closes the current session gracefully (calls in flight finish); later calls reconnect. */
  close(): Promise<void>;
}

interface ResolvedOptions {
  readonly authority: string;
  readonly userAgent: string;
  readonly maxReceiveMessageBytes: number;
  readonly maxMetadataBytes: number;
  readonly inboundHighWaterMark: number;
  /** This transport's or handler's grpc-accept-encoding values, parsed and joined once. */
  readonly acceptEncoding: AcceptEncodingCache;
}

export function createGrpcTransport(options: GrpcTransportOptions = {}): GrpcClientTransport {
  const resolved: ResolvedOptions = {
    authority: options.authority ?? "https://localhost",
    userAgent: options.userAgent ?? GRPC_USER_AGENT,
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxMetadataBytes: options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
    inboundHighWaterMark: options.inboundHighWaterMark ?? DEFAULT_INBOUND_HIGH_WATER_MARK,
    acceptEncoding: new AcceptEncodingCache(),
  };
  let current: { session: Promise<ClientHttp2Session>; live: ClientHttp2Session | undefined } | undefined;
  const active: ActiveCalls = { count: 0 };

  const open = async (): Promise<ClientHttp2Session> => {
    const connect = options.connect;
    const settings = options.http2Settings === undefined ? {} : { settings: options.http2Settings };
    const session =
      connect === undefined
        ? connectWithWindows(resolved.authority, settings)
        : connectHttp2(resolved.authority, await connect(), settings);
    // Session errors reach every stream as a close; the listener keeps them from being thrown.
    session.on("error", () => {});
    return session;
  };

  const getSession = (): Promise<ClientHttp2Session> => {
    if (options.session !== undefined) return Promise.resolve(options.session);
    const live = current?.live;
    if (current !== undefined && (live === undefined || !(live.closed || live.destroyed))) {
      return current.session;
    }
    const entry: NonNullable<typeof current> = { session: open(), live: undefined };
    current = entry;
    entry.session.then(
      (s) => {
        entry.live = s;
        const forget = () => {
          if (current === entry) current = undefined;
        };
        s.once("close", forget);
        s.once("goaway", forget);
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    return entry.session;
  };

  /** The session calls can open their stream on at once (no promise to wait for), if there is one. */
  const liveSession = (): ClientHttp2Session | undefined => {
    const s = options.session ?? current?.live;
    return s === undefined || s.closed || s.destroyed ? undefined : s;
  };

  return {
    get activeCalls() {
      return active.count;
    },
    openCall(head: RequestHead): ClientCallStream {
      active.count++;
      const live = liveSession();
      return new GrpcClientCall(head, resolved, live ?? getSession(), active);
    },
    async close() {
      const entry = current;
      current = undefined;
      const session =
        options.session ?? (entry === undefined ? undefined : await entry.session.catch(() => undefined));
      if (session === undefined || session.closed || session.destroyed) return;
      await new Promise<void>((resolve) => session.close(() => resolve()));
    },
  };
}

function requestHeaders(head: RequestHead, options: ResolvedOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": head.path,
    [HEADER_CONTENT_TYPE]: contentTypeOf(head.format),
    [HEADER_TE]: TE_TRAILERS,
  };
  writeMetadata(head.metadata, headers);
  // grpc-go's habit: an application's user-agent goes first, the library's after it.
  const custom = head.metadata.getString(HEADER_USER_AGENT);
  headers[HEADER_USER_AGENT] = custom === undefined ? options.userAgent : `${custom} ${options.userAgent}`;
  if (head.timeoutMs !== undefined) headers[HEADER_GRPC_TIMEOUT] = encodeTimeout(head.timeoutMs);
  if (head.encoding !== IDENTITY) headers[HEADER_GRPC_ENCODING] = head.encoding;
  headers[HEADER_GRPC_ACCEPT_ENCODING] = options.acceptEncoding.join(head.acceptEncoding, IDENTITY);
  return headers;
}

/** Where a GrpcClientCall's stream listeners (static, shared by all calls) find their call. */
const CALL = Symbol("pqrpc.grpcClientCall");

interface CallStream extends ClientHttp2Stream {
  [CALL]: GrpcClientCall;
}

/** A 'data', 'trailers' or 'end' event that came before 'response' (see GrpcClientCall.#deferred). */
type DeferredEvent =
  | { readonly type: "data"; readonly chunk: Buffer }
  | { readonly type: "trailers"; readonly headers: IncomingHttpHeaders }
  | { readonly type: "end" };

/** Counts a transport's calls whose stream (or its opening) is alive. */
interface ActiveCalls {
  count: number;
}

/**
 * One call: an HTTP/2 stream carrying Request-Headers, messages and EOS out, a
 * Response back. Its stream listeners are module functions that find the call
 * through the stream, and its per-stream state lives in fields: no closures
 * are made per call.
 */
class GrpcClientCall implements ClientCallStream {
  readonly #options: ResolvedOptions;
  readonly #active: ActiveCalls;
  #released = false;
  /** The opening, when it waits for a session; else made only if asked for (#opened). */
  #stream: Promise<ClientHttp2Stream | undefined> | undefined;
  /** The stream once opened (what #opened() resolves to). */
  #live: ClientHttp2Stream | undefined;
  #session: ClientHttp2Session | undefined;
  #inbound: InboundQueue<ClientReadEvent> | undefined;
  #reader: EnvelopeReader | undefined;
  /** Why the call failed (cancel, protocol error, lost stream); sends and reads reject with it. */
  #failure: RpcError | undefined;
  /** The trailer has been queued for the reader: the call is over, successfully or not. */
  #finished = false;
  /** Events produced before the stream exists (a failure to open). */
  #early: RpcError | undefined;
  #responseHeaders: IncomingHttpHeaders | undefined;
  #trailers: IncomingHttpHeaders | undefined;
  /**
   * node:http2 may emit 'data', 'trailers' and 'end' before 'response' when a whole response
   * arrives in one read (seen on Node 20 and 24 over a JS socket): they wait here until the
   * headers are in (made only when that happens).
   */
  #deferred: DeferredEvent[] | undefined;
  #headersIn = false;
  #endedWithoutStatus = false;
  #graceTimer: NodeJS.Timeout | undefined;
  /** A stream destroyed with its session's error (the connection's cause) keeps it for #lostStream. */
  #streamError: Error | undefined;

  constructor(
    head: RequestHead,
    options: ResolvedOptions,
    session: ClientHttp2Session | Promise<ClientHttp2Session>,
    active: ActiveCalls,
  ) {
    this.#options = options;
    this.#active = active;
    let headers: OutgoingHttpHeaders | undefined;
    try {
      headers = requestHeaders(head, options);
    } catch (e) {
      this.#early = RpcError.from(e, Code.INTERNAL);
    }
    // A live session: the stream opens now, without an async step and a promise per call.
    if (session instanceof Promise) this.#stream = this.#open(session, headers);
    else this.#request(session, headers);
  }

  /** What #live will be once the opening is over (undefined: the call failed before it had a stream). */
  #opened(): Promise<ClientHttp2Stream | undefined> {
    return (this.#stream ??= Promise.resolve(this.#live));
  }

  async #open(
    sessionPromise: Promise<ClientHttp2Session>,
    headers: OutgoingHttpHeaders | undefined,
  ): Promise<ClientHttp2Stream | undefined> {
    let session: ClientHttp2Session;
    try {
      session = await sessionPromise;
    } catch (e) {
      this.#fail(new RpcError(Code.UNAVAILABLE, `connection failed: ${(e as Error).message ?? String(e)}`));
      this.#release();
      return undefined;
    }
    return this.#request(session, headers);
  }

  #request(
    session: ClientHttp2Session,
    headers: OutgoingHttpHeaders | undefined,
  ): ClientHttp2Stream | undefined {
    if (this.#early !== undefined || this.#failure !== undefined || headers === undefined) {
      this.#release();
      return undefined;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers);
    } catch (e) {
      this.#fail(new RpcError(Code.UNAVAILABLE, `cannot open a stream: ${(e as Error).message}`));
      this.#release();
      return undefined;
    }
    this.#wire(stream, session);
    return stream;
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#active.count--;
  }

  send(message: WireMessage): Promise<void> {
    const stream = this.#live;
    // Not open yet, or over: the general path (waits for the opening, rejects with the failure).
    if (stream === undefined || this.#early !== undefined || this.#failure !== undefined)
      return this.#sendSlow(message);
    if (this.#finished || stream.destroyed) return RESOLVED;
    const drained = writeMessage(stream, message);
    // Taken at once (a unary request): no promise step of our own.
    if (drained === undefined) return RESOLVED;
    return drained.then(() => this.#throwIfFailed());
  }

  async #sendSlow(message: WireMessage): Promise<void> {
    const stream = await this.#writable();
    if (stream === undefined) return;
    await writeMessage(stream, message);
    this.#throwIfFailed();
  }

  closeSend(): Promise<void> {
    const stream = this.#live;
    if (stream === undefined || this.#early !== undefined || this.#failure !== undefined)
      return this.#closeSendSlow();
    if (!this.#finished && !stream.destroyed && !stream.writableEnded) stream.end();
    return RESOLVED;
  }

  async #closeSendSlow(): Promise<void> {
    const stream = await this.#writable();
    if (stream === undefined || stream.writableEnded) return;
    // An empty DATA frame with END_STREAM when nothing else is pending (PROTOCOL-HTTP2 "Requests").
    stream.end();
  }

  read(): Promise<ClientReadEvent> {
    const inbound = this.#inbound;
    if (inbound === undefined || this.#early !== undefined) return this.#readSlow();
    // #finish queued the trailer last and nothing fails the queue after it: an empty queue of a
    // finished call means the trailer was read.
    if (this.#finished && inbound.length === 0) return Promise.reject(readAfterTrailer());
    return inbound.shift();
  }

  async #readSlow(): Promise<ClientReadEvent> {
    if (this.#early !== undefined) throw this.#early;
    const stream = await this.#opened();
    const inbound = this.#inbound;
    if (stream === undefined || inbound === undefined) throw this.#failure ?? this.#early!;
    return this.read();
  }

  cancel(reason: RpcError): void {
    if (this.#finished || this.#failure !== undefined) return;
    this.#fail(reason);
    void this.#opened().then((stream) => {
      if (stream !== undefined && !stream.closed && !stream.destroyed) stream.close(H2_CANCEL);
    });
  }

  /** The stream to write on, undefined when the call is already over; rejects with the call's failure. */
  async #writable(): Promise<ClientHttp2Stream | undefined> {
    if (this.#early !== undefined) throw this.#early;
    this.#throwIfFailed();
    // Once open, no wait on the opening promise (a unary call writes right after it opened).
    const stream = this.#live ?? (await this.#opened());
    this.#throwIfFailed();
    if (this.#finished || stream === undefined || stream.destroyed) return undefined;
    return stream;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(error: RpcError): void {
    if (this.#finished || this.#failure !== undefined) return;
    this.#failure = error;
    this.#inbound?.fail(error);
  }

  #finish(trailer: ResponseTrailer, stream: ClientHttp2Stream): void {
    if (this.#finished || this.#failure !== undefined) return;
    this.#finished = true;
    this.#inbound!.push({ type: "trailer", trailer });
    // PROTOCOL-HTTP2 "Early Server Closure": trailers before our END_STREAM: reset with NO_ERROR.
    if (!stream.writableEnded && !stream.closed && !stream.destroyed) stream.close(H2_NO_ERROR);
  }

  /** Fails the call with `error` and resets the stream (our protocol error, not the server's status). */
  #abort(error: RpcError, stream: ClientHttp2Stream): void {
    this.#fail(error);
    if (!stream.closed && !stream.destroyed) stream.close(H2_CANCEL);
  }

  #wire(stream: ClientHttp2Stream, session: ClientHttp2Session): void {
    const options = this.#options;
    this.#live = stream;
    this.#session = session;
    const inbound = new InboundQueue<ClientReadEvent>(
      stream,
      options.inboundHighWaterMark,
      DEFAULT_INBOUND_MAX_BUFFERED_BYTES,
    );
    this.#inbound = inbound;
    if (this.#failure !== undefined) inbound.fail(this.#failure);
    this.#reader = new EnvelopeReader(options.maxReceiveMessageBytes);
    (stream as CallStream)[CALL] = this;
    stream.on("error", onStreamError);
    stream.on("response", onStreamResponse);
    stream.on("data", onStreamData);
    stream.on("trailers", onStreamTrailers);
    stream.on("end", onStreamEnd);
    stream.on("close", onStreamClose);
  }

  // What the stream listeners below call (not part of ClientCallStream; this class is not exported).

  streamErrored(e: Error): void {
    this.#streamError ??= e;
  }

  responseArrived(headers: IncomingHttpHeaders, stream: ClientHttp2Stream): void {
    this.#responseHeaders = headers;
    this.#response(headers, stream);
    this.#headersIn = true;
    const replay = this.#deferred;
    this.#deferred = undefined;
    if (replay !== undefined) for (const ev of replay) this.#dispatch(ev, stream);
  }

  dataArrived(chunk: Buffer, stream: ClientHttp2Stream): void {
    if (this.#headersIn) this.#data(chunk, stream);
    else this.#defer({ type: "data", chunk });
  }

  trailersArrived(headers: IncomingHttpHeaders, stream: ClientHttp2Stream): void {
    if (this.#headersIn) this.#trailersIn(headers, stream);
    else this.#defer({ type: "trailers", headers });
  }

  endArrived(stream: ClientHttp2Stream): void {
    if (this.#headersIn) this.#end(stream);
    else this.#defer({ type: "end" });
  }

  streamClosed(): void {
    this.#settleWithoutStatus();
    // Made only for a call that has not ended (an error costs a stack trace; most calls finished).
    if (!this.#finished && this.#failure === undefined) this.#fail(this.#lostStream());
    this.#release();
  }

  graceExpired(): void {
    this.#settleWithoutStatus();
  }

  #defer(ev: DeferredEvent): void {
    (this.#deferred ??= []).push(ev);
  }

  #dispatch(ev: DeferredEvent, stream: ClientHttp2Stream): void {
    if (ev.type === "data") this.#data(ev.chunk, stream);
    else if (ev.type === "trailers") this.#trailersIn(ev.headers, stream);
    else this.#end(stream);
  }

  #checkSize(block: IncomingHttpHeaders, what: string, stream: ClientHttp2Stream): boolean {
    const size = headerListBytes(block);
    const max = this.#options.maxMetadataBytes;
    if (size <= max) return true;
    this.#abort(
      new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `response ${what} of ${size} bytes exceed the limit of ${max} bytes`,
      ),
      stream,
    );
    return false;
  }

  #lostStream(): RpcError {
    const session = this.#session!;
    const stream = this.#live!;
    if (session.destroyed) {
      const cause = sessionError(session) ?? this.#streamError;
      return cause === undefined
        ? new RpcError(Code.UNAVAILABLE, "connection lost")
        : new RpcError(Code.UNAVAILABLE, `connection lost: ${cause.message}`, { cause });
    }
    const code = stream.rstCode;
    if (code !== undefined && code !== H2_NO_ERROR) return errorFromRstCode(code);
    if (code === H2_NO_ERROR && stream.destroyed) return errorFromRstCode(code);
    return new RpcError(Code.UNAVAILABLE, "stream closed without a status");
  }

  #settleWithoutStatus(): void {
    clearTimeout(this.#graceTimer);
    if (!this.#endedWithoutStatus || this.#finished || this.#failure !== undefined) return;
    const stream = this.#live!;
    if (stream.aborted || (stream.rstCode ?? H2_NO_ERROR) !== H2_NO_ERROR || this.#session!.destroyed) {
      this.#abort(this.#lostStream(), stream);
      return;
    }
    const httpStatus = Number(this.#responseHeaders?.[":status"] ?? HTTP_STATUS_OK);
    this.#finish(synthesizedTrailer(httpStatus, "ended without grpc-status"), stream);
  }

  #response(headers: IncomingHttpHeaders, stream: ClientHttp2Stream): void {
    if (!this.#checkSize(headers, "headers", stream)) return;
    try {
      if (hasStatus(headers)) {
        // Trailers-Only: the status came in the only HEADERS frame.
        this.#finish(readTrailer(headers), stream);
        return;
      }
      const httpStatus = Number(headers[":status"]);
      if (httpStatus !== HTTP_STATUS_OK) {
        this.#finish(synthesizedTrailer(httpStatus, "without grpc-status"), stream);
        return;
      }
      const contentType = headerValue(headers, HEADER_CONTENT_TYPE);
      if (!isGrpcContentType(contentType)) {
        this.#abort(
          new RpcError(
            Code.INTERNAL,
            `protocol error: response content-type ${JSON.stringify(contentType ?? "")} is not application/grpc`,
          ),
          stream,
        );
        return;
      }
      this.#inbound!.push({
        type: "header",
        head: {
          metadata: readMetadata(headers),
          encoding: headerValue(headers, HEADER_GRPC_ENCODING) ?? IDENTITY,
          acceptEncoding: this.#options.acceptEncoding.parse(
            headerValue(headers, HEADER_GRPC_ACCEPT_ENCODING),
          ),
        },
      });
    } catch (e) {
      this.#abort(RpcError.from(e, Code.INTERNAL), stream);
    }
  }

  #data(chunk: Buffer, stream: ClientHttp2Stream): void {
    if (this.#finished || this.#failure !== undefined) return;
    const inbound = this.#inbound!;
    try {
      for (const message of this.#reader!.push(chunk))
        inbound.push({ type: "message", message }, message.data.length);
    } catch (e) {
      this.#abort(RpcError.from(e, Code.INTERNAL), stream);
    }
  }

  #trailersIn(headers: IncomingHttpHeaders, stream: ClientHttp2Stream): void {
    if (this.#checkSize(headers, "trailers", stream)) this.#trailers = headers;
  }

  #end(stream: ClientHttp2Stream): void {
    if (this.#finished || this.#failure !== undefined) return;
    try {
      this.#reader!.end();
      const trailers = this.#trailers;
      if (trailers !== undefined && hasStatus(trailers)) {
        this.#finish(readTrailer(trailers), stream);
        return;
      }
      // No status. A node:http2 peer that resets a stream sends END_STREAM first and RST_STREAM
      // after it, so 'end' comes before 'aborted': decide on 'close', which comes at once if we
      // half-closed, else after the reset or, from a peer that sends none, after a grace period.
      this.#endedWithoutStatus = true;
      if (!stream.writableEnded) {
        this.#graceTimer = setTimeout(graceExpired, END_WITHOUT_STATUS_GRACE_MS, this);
        this.#graceTimer.unref();
      }
    } catch (e) {
      // A truncated message: reset, so a stream we still send on is released.
      this.#abort(RpcError.from(e, Code.INTERNAL), stream);
    }
  }
}

/** A settled promise to hand back from a send that needs no wait (one for all calls). */
const RESOLVED: Promise<void> = Promise.resolve();

function readAfterTrailer(): RpcError {
  return new RpcError(Code.INTERNAL, "read after the trailer");
}

// The stream listeners of every GrpcClientCall: one set of functions, the call found through the stream.
function onStreamError(this: CallStream, e: Error): void {
  this[CALL].streamErrored(e);
}
function onStreamResponse(this: CallStream, headers: IncomingHttpHeaders): void {
  this[CALL].responseArrived(headers, this);
}
function onStreamData(this: CallStream, chunk: Buffer): void {
  this[CALL].dataArrived(chunk, this);
}
function onStreamTrailers(this: CallStream, headers: IncomingHttpHeaders): void {
  this[CALL].trailersArrived(headers, this);
}
function onStreamEnd(this: CallStream): void {
  this[CALL].endArrived(this);
}
function onStreamClose(this: CallStream): void {
  this[CALL].streamClosed();
}
function graceExpired(call: GrpcClientCall): void {
  call.graceExpired();
}

/** A status made up locally for a response that carried none (PROTOCOL-HTTP2 "Responses"). */
function synthesizedTrailer(httpStatus: number, what: string): ResponseTrailer {
  return {
    status: {
      code: codeFromHttpStatus(httpStatus),
      message: `HTTP status ${httpStatus} response ${what}`,
      details: [],
    },
    metadata: readMetadata({}),
  };
}
