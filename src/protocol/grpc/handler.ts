/**
 * The gRPC server over node:http2 (PROTOCOL-HTTP2): turns each incoming
 * HTTP/2 stream into a ServerCallStream for a CallHandler (the router's
 * `handle`). Requests that are not gRPC, or whose call definition is
 * malformed, are answered here without reaching the handler.
 */

import type {
  Http2SecureServer,
  Http2Server,
  Http2Session,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
  ServerHttp2Session,
  ServerHttp2Stream,
} from "node:http2";
import type { Duplex } from "node:stream";
import { notifyAbort } from "../../rpc/call-signal.ts";
import { Code } from "../../rpc/code.ts";
import { IDENTITY } from "../../rpc/compression.ts";
import { DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../../rpc/limits.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { type PeerInfo, peerAddress } from "../../rpc/peer.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { SerializationFormat } from "../../rpc/serialization.ts";
import { decodeTimeout } from "../../rpc/timeout-header.ts";
import type {
  CallHandler,
  RequestHead,
  ResponseHead,
  ResponseTrailer,
  ServerCallStream,
  ServerReadEvent,
  WireMessage,
} from "../../rpc/transport.ts";
import { contentTypeOf, parseContentType } from "./content-type.ts";
import { EnvelopeReader } from "./envelope.ts";
import {
  AcceptEncodingCache,
  HEADER_CONTENT_TYPE,
  HEADER_GRPC_ACCEPT_ENCODING,
  HEADER_GRPC_ENCODING,
  HEADER_GRPC_TIMEOUT,
  HEADER_TE,
  headerListBytes,
  headerValue,
  readMetadata,
  TE_TRAILERS,
  writeMetadata,
} from "./headers.ts";
import {
  HTTP_STATUS_METHOD_NOT_ALLOWED,
  HTTP_STATUS_OK,
  HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE,
} from "./http-status.ts";
import { http2Carrier } from "./http2-carrier.ts";
import { H2_CANCEL, H2_NO_ERROR, H2_REFUSED_STREAM, h2ErrorName } from "./http2-errors.ts";
import {
  DEFAULT_INBOUND_HIGH_WATER_MARK,
  DEFAULT_INBOUND_MAX_BUFFERED_BYTES,
  InboundQueue,
} from "./inbound-queue.ts";
import { guardOf, SessionGuard, type SessionGuardOptions } from "./session-guard.ts";
import { sessionPeer, setSessionPeer } from "./session-peer.ts";
import { writeMessage } from "./stream-writer.ts";
import { writeTrailer } from "./trailer-status.ts";

export interface GrpcServerHandlerOptions {
  /** Largest received message; checked on the 5-byte prefix before buffering (RESOURCE_EXHAUSTED). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest Request-Headers block (RFC 7541 §4.1 size; PROTOCOL-HTTP2 suggests 8 KiB). */
  readonly maxMetadataBytes?: number;
  /** Received messages buffered per call before the stream is paused. */
  readonly inboundHighWaterMark?: number;
  /** Limits of each connection acceptConnection() serves: running handlers, receive budget, timeouts. */
  readonly session?: SessionGuardOptions;
}

export interface GrpcServerHandler {
  /** Serves one HTTP/2 stream: the listener of a server's or session's 'stream' event. */
  readonly handleStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
  /** Adds handleStream as the 'stream' listener of a server or a session; returns the detach function. */
  attach(target: Http2Server | Http2SecureServer | ServerHttp2Session): () => void;
  /**
   * Hands a connected socket (e.g. an accepted TlsSocket with ALPN "h2") to
   * `server` (an `http2.createServer()`), recording `peer` (default: from the
   * socket's address and TLS `info`) for its calls. Returns the new session.
   */
  acceptConnection(server: Http2Server, socket: Duplex, peer?: PeerInfo): ServerHttp2Session;
  /** Calls whose stream is still open. */
  readonly activeCalls: number;
}

interface ResolvedOptions {
  readonly maxReceiveMessageBytes: number;
  readonly maxMetadataBytes: number;
  readonly inboundHighWaterMark: number;
  /** This transport's or handler's grpc-accept-encoding values, parsed and joined once. */
  readonly acceptEncoding: AcceptEncodingCache;
}

export function createGrpcServerHandler(
  handler: CallHandler | { readonly handle: CallHandler },
  options: GrpcServerHandlerOptions = {},
): GrpcServerHandler {
  const handle = typeof handler === "function" ? handler : handler.handle;
  const resolved: ResolvedOptions = {
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxMetadataBytes: options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES,
    inboundHighWaterMark: options.inboundHighWaterMark ?? DEFAULT_INBOUND_HIGH_WATER_MARK,
    acceptEncoding: new AcceptEncodingCache(),
  };
  const active: ActiveCalls = { count: 0 };

  const handleStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    // Stream errors end in 'close', where the call sees them; the listener keeps them from being thrown.
    stream.on("error", ignoreStreamError);
    const guard = guardOf(stream);
    if (guard !== undefined) {
      guard.streamOpened(stream);
      // 'on', not 'once': a stream closes once, and once() wraps the listener per stream.
      stream.on("close", onGuardedStreamClose);
    }
    const head = parseRequest(stream, headers, resolved);
    if (head === undefined) return;
    if (guard !== undefined && !guard.startHandler()) {
      // Over the running-handler cap: the guard sent GOAWAY; this stream was not processed (RFC 9113 §8.7).
      if (!stream.destroyed) stream.close(H2_REFUSED_STREAM);
      return;
    }
    const session = stream.session ?? guard?.session;
    const peer = session === undefined ? { address: "unknown" } : sessionPeer(session);
    runHandler(handle, new GrpcServerCall(stream, head, peer, resolved, guard, active));
  };

  return {
    handleStream,
    get activeCalls() {
      return active.count;
    },
    attach(target) {
      const t = target as ServerHttp2Session;
      t.on("stream", handleStream);
      return () => {
        t.off("stream", handleStream);
      };
    },
    acceptConnection(server, socket, peer) {
      let session: ServerHttp2Session | undefined;
      const onSession = (s: ServerHttp2Session) => {
        session = s;
        setSessionPeer(
          s,
          peer ?? { address: peerAddress(socket as Parameters<typeof peerAddress>[0]) ?? "unknown" },
        );
      };
      // node:http2 creates the session and emits 'session' synchronously inside its 'connection' listener.
      server.once("session", onSession);
      server.emit("connection", http2Carrier(socket, "server"));
      server.off("session", onSession);
      if (session === undefined) throw new Error("the HTTP/2 server created no session for the connection");
      new SessionGuard(session, options.session);
      // A session error ends its streams (their calls see it); without a listener it would be thrown.
      session.on("error", () => {});
      return session;
    },
  };
}

/** Counts a handler's calls whose stream is still open. */
interface ActiveCalls {
  count: number;
}

/** Where the module-level stream listeners below find their call (no closures per call). */
const SERVER_CALL = Symbol("pqrpc.grpcServerCall");

interface CallStream extends ServerHttp2Stream {
  [SERVER_CALL]: GrpcServerCall;
}

function ignoreStreamError(): void {}

function onGuardedStreamClose(this: ServerHttp2Stream): void {
  // The stream's session is detached by now; the guard is recorded on the stream.
  guardOf(this)?.streamClosed();
}

function onCallStreamData(this: CallStream, chunk: Buffer): void {
  this[SERVER_CALL].dataArrived(chunk);
}

function onCallStreamEnd(this: CallStream): void {
  this[SERVER_CALL].endArrived();
}

function onCallStreamClose(this: CallStream): void {
  this[SERVER_CALL].streamClosed();
}

function onCallWantTrailers(this: CallStream): void {
  this[SERVER_CALL].wantTrailers();
}

/** A settled promise for the sends that need no wait (one for all calls). */
const RESOLVED: Promise<void> = Promise.resolve();

function callAlreadyFinished(): RpcError {
  return new RpcError(Code.CANCELLED, "call already finished");
}

/**
 * Runs the handler on a later microtask (a throwing or rejecting handler never escapes), then settles
 * the call: two then() steps instead of an async function's three promises per call. Not
 * queueMicrotask, which makes an AsyncResource per call on Node 20.
 */
function runHandler(handle: CallHandler, call: GrpcServerCall): void {
  // The router answers every handler failure itself; what is left is a transport failure.
  const returned = () => call.handlerReturned();
  RESOLVED.then(() => handle(call)).then(returned, returned);
}

/**
 * Checks the Call-Definition of PROTOCOL-HTTP2 "Requests" and answers a bad
 * one itself; returns the RequestHead of a valid one.
 */
function parseRequest(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  options: ResolvedOptions,
): RequestHead | undefined {
  const method = headerValue(headers, ":method");
  if (method !== "POST") {
    reject(
      stream,
      HTTP_STATUS_METHOD_NOT_ALLOWED,
      Code.INTERNAL,
      `method ${method} not allowed; gRPC uses POST`,
      {
        allow: "POST",
      },
    );
    return undefined;
  }
  const contentType = headerValue(headers, HEADER_CONTENT_TYPE);
  const format = parseContentType(contentType);
  if (format === undefined) {
    // "gRPC servers SHOULD respond with HTTP status of 415" so plain HTTP clients do not see a 200.
    reject(
      stream,
      HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE,
      Code.INTERNAL,
      `content-type ${JSON.stringify(contentType ?? "")} is not a supported gRPC content type`,
    );
    return undefined;
  }
  const size = headerListBytes(headers);
  if (size > options.maxMetadataBytes) {
    reject(
      stream,
      HTTP_STATUS_OK,
      Code.RESOURCE_EXHAUSTED,
      `request headers of ${size} bytes exceed the limit of ${options.maxMetadataBytes} bytes`,
      {},
      format,
    );
    return undefined;
  }
  const te = headerValue(headers, HEADER_TE);
  if (te !== TE_TRAILERS) {
    // TE "is used to detect incompatible proxies": one that dropped it may drop trailers too.
    reject(
      stream,
      HTTP_STATUS_OK,
      Code.INTERNAL,
      `te header must be "trailers", got ${JSON.stringify(te ?? "")}`,
      {},
      format,
    );
    return undefined;
  }
  try {
    const timeoutText = headerValue(headers, HEADER_GRPC_TIMEOUT);
    return {
      path: headerValue(headers, ":path") ?? "",
      metadata: readMetadata(headers),
      timeoutMs: timeoutText === undefined ? undefined : decodeTimeout(timeoutText),
      format,
      encoding: headerValue(headers, HEADER_GRPC_ENCODING) ?? IDENTITY,
      acceptEncoding: options.acceptEncoding.parse(headerValue(headers, HEADER_GRPC_ACCEPT_ENCODING)),
    };
  } catch (e) {
    const err = RpcError.from(e, Code.INTERNAL);
    reject(stream, HTTP_STATUS_OK, err.code, err.rawMessage, {}, format);
    return undefined;
  }
}

/** A Trailers-Only response that ends the stream, for requests that never reach the handler. */
function reject(
  stream: ServerHttp2Stream,
  httpStatus: number,
  code: Code,
  message: string,
  extra: OutgoingHttpHeaders = {},
  format: SerializationFormat = "proto",
): void {
  if (stream.destroyed || stream.headersSent) return;
  const headers = writeTrailer(
    { status: { code, message, details: [] }, metadata: new Metadata() },
    { ":status": httpStatus, [HEADER_CONTENT_TYPE]: contentTypeOf(format), ...extra },
  );
  stream.respond(headers, { endStream: true });
  closeEarly(stream);
}

/**
 * PROTOCOL-HTTP2 "Early Server Closure": after our Trailers, a client that has
 * not half-closed gets RST_STREAM NO_ERROR so the stream is released.
 */
function closeEarly(stream: ServerHttp2Stream): void {
  if (stream.readableEnded) return;
  // Let the trailers be queued ahead of the reset.
  setImmediate(resetIfOpen, stream);
  stream.resume();
}

function resetIfOpen(stream: ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(H2_NO_ERROR);
}

class GrpcServerCall implements ServerCallStream {
  readonly head: RequestHead;
  readonly peer: PeerInfo;
  /** Why the call was aborted (client reset, connection lost), once it was. */
  #abortReason: RpcError | undefined;
  /** Made only if someone reads `signal` (the router uses onAbort): most calls never need one. */
  #controller: AbortController | undefined;
  #abortListeners: Set<(reason: RpcError) => void> | undefined;
  readonly #stream: ServerHttp2Stream;
  readonly #inbound: InboundQueue<ServerReadEvent>;
  readonly #format: SerializationFormat;
  #headerSent = false;
  /** sendTrailer was called (or the stream is gone): nothing more is sent. */
  #done = false;
  /** The application's unsettled handler work (holdUntil): the call counts as running until it settled. */
  #heldWork = 0;
  #onHeldSettled: (() => void) | undefined;
  /** The router returned (handlerReturned); the handler runs on while #heldWork > 0. */
  #returned = false;
  /** The handler (or work it left behind) still runs: a reset now counts against the session. */
  #running = true;
  readonly #guard: SessionGuard | undefined;
  readonly #active: ActiveCalls;
  readonly #reader: EnvelopeReader;
  readonly #acceptEncoding: AcceptEncodingCache;
  /** node:http2 detaches stream.session once the stream is destroyed: kept to tell a lost connection. */
  readonly #session: Http2Session | undefined;
  /** The trailers sendTrailer queued for 'wantTrailers'. */
  #trailers: OutgoingHttpHeaders | undefined;
  /** The connection's receive account, when it has one, and the bytes this call holds of it. */
  readonly #account: SessionGuard["account"];
  #heldBytes = 0;

  constructor(
    stream: ServerHttp2Stream,
    head: RequestHead,
    peer: PeerInfo,
    options: ResolvedOptions,
    guard: SessionGuard | undefined,
    active: ActiveCalls,
  ) {
    this.head = head;
    this.peer = peer;
    this.#stream = stream;
    this.#format = head.format;
    this.#guard = guard;
    this.#active = active;
    active.count++;
    this.#inbound = new InboundQueue<ServerReadEvent>(
      stream,
      options.inboundHighWaterMark,
      DEFAULT_INBOUND_MAX_BUFFERED_BYTES,
      this,
    );
    this.#account = guard?.account;
    this.#acceptEncoding = options.acceptEncoding;
    this.#reader = new EnvelopeReader(
      options.maxReceiveMessageBytes,
      this.#account === undefined ? undefined : this,
    );
    this.#session = stream.session;
    (stream as CallStream)[SERVER_CALL] = this;
    stream.on("data", onCallStreamData);
    stream.on("end", onCallStreamEnd);
    stream.on("close", onCallStreamClose);
  }

  // What the stream listeners above call (not part of ServerCallStream; this class is not exported).

  dataArrived(chunk: Buffer): void {
    const inbound = this.#inbound;
    if (inbound.failed) return;
    try {
      for (const message of this.#reader.push(chunk))
        inbound.push({ type: "message", message }, message.data.length);
    } catch (e) {
      // The router answers the call with this status (RESOURCE_EXHAUSTED, INTERNAL).
      inbound.fail(RpcError.from(e, Code.INTERNAL));
      this.#releaseAll();
    }
  }

  endArrived(): void {
    const inbound = this.#inbound;
    if (inbound.failed) return;
    try {
      this.#reader.end();
      inbound.push({ type: "end" });
    } catch (e) {
      inbound.fail(RpcError.from(e, Code.INTERNAL));
    }
  }

  streamClosed(): void {
    const stream = this.#stream;
    this.#active.count--;
    if (this.#running && (stream.rstCode ?? H2_NO_ERROR) !== H2_NO_ERROR)
      this.#guard?.resetWhileHandlerRuns();
    if (this.#done) return;
    this.#done = true;
    // PROTOCOL-HTTP2 "Connection failure": for servers, open calls end with CANCELLED.
    const code = stream.rstCode;
    const session = this.#session;
    const why =
      session === undefined || session.destroyed
        ? "the connection was lost"
        : code === H2_CANCEL
          ? "the client cancelled the call"
          : `the stream was reset with ${h2ErrorName(code ?? H2_NO_ERROR)}`;
    const err = new RpcError(Code.CANCELLED, why);
    this.#inbound.fail(err);
    this.#releaseAll();
    this.#abort(err);
  }

  wantTrailers(): void {
    const stream = this.#stream;
    if (stream.destroyed) return;
    stream.sendTrailers(this.#trailers!);
    closeEarly(stream);
  }

  /** The router returned: a call it left without a status gets one; the call runs until its held work settled. */
  handlerReturned(): void {
    this.finishUnanswered();
    this.#returned = true;
    // A handler that ignored the call's end may still run: count it until it returns.
    if (this.#heldWork === 0) this.#handlerSettled();
  }

  #handlerSettled(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#guard?.handlerDone();
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get abortReason(): RpcError | undefined {
    return this.#abortReason;
  }

  onAbort(listener: (reason: RpcError) => void): () => void {
    if (this.#abortReason !== undefined) return () => {};
    const listeners = (this.#abortListeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  #abort(reason: RpcError): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    const listeners = this.#abortListeners;
    this.#abortListeners = undefined;
    if (listeners !== undefined) notifyAbort(listeners, reason);
    this.#controller?.abort(reason);
  }

  holdUntil(work: Promise<unknown>): void {
    // Only a count of unsettled work: a long stream holds one step at a time, not one per message.
    this.#heldWork++;
    const settled = (this.#onHeldSettled ??= () => {
      this.#heldWork--;
      if (this.#heldWork === 0 && this.#returned) this.#handlerSettled();
    });
    work.then(settled, settled);
  }

  read(): Promise<ServerReadEvent> {
    return this.#inbound.shift();
  }

  /** The inbound queue hands `ev` to the reader (InboundTaker; not part of ServerCallStream). */
  taken(ev: ServerReadEvent): void {
    // The handler has the message now: its bytes are the application's, no longer the receive buffer's.
    if (ev.type === "message") this.#release(ev.message.data.length);
  }

  /**
   * The EnvelopeReader's admission (EnvelopeAdmission; not part of ServerCallStream): reserve a
   * declared message length of the connection's receive account, or refuse the message.
   */
  admit(length: number): void {
    const account = this.#account!;
    let refusal = account.reserve(length);
    if (refusal?.scope === "server" && refusal.worst !== account) {
      // The server's share is used up: the connection holding the most goes (its bytes return at once), so
      // one greedy peer cannot keep every other connection's messages out; then this message may fit.
      refusal.worst.evict(refusal.heldBytes, refusal.limitBytes);
      refusal = account.reserve(length);
    }
    if (refusal === undefined) {
      this.#heldBytes += length;
      return;
    }
    if (refusal.scope === "server") refusal.worst.evict(refusal.heldBytes, refusal.limitBytes);
    const whose = refusal.scope === "server" ? "the server" : "this connection";
    throw new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `a message of ${length} bytes would take the request bytes buffered by ${whose} from ${refusal.heldBytes} past the limit of ${refusal.limitBytes}`,
    );
  }

  #release(bytes: number): void {
    const n = Math.min(bytes, this.#heldBytes);
    this.#heldBytes -= n;
    this.#account?.release(n);
  }

  #releaseAll(): void {
    this.#release(this.#heldBytes);
  }

  // sendHeader, send and sendTrailer do their work at once and hand back a settled promise (a
  // rejected one for what they throw): no async step per call for what never waits.
  sendHeader(head: ResponseHead): Promise<void> {
    try {
      this.#sendHeaderNow(head);
      return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #sendHeaderNow(head: ResponseHead): void {
    if (this.#done || this.#headerSent || this.#stream.destroyed) return;
    const headers: OutgoingHttpHeaders = {
      ":status": HTTP_STATUS_OK,
      [HEADER_CONTENT_TYPE]: contentTypeOf(this.#format),
    };
    writeMetadata(head.metadata, headers);
    if (head.encoding !== IDENTITY) headers[HEADER_GRPC_ENCODING] = head.encoding;
    if (head.acceptEncoding.length > 0)
      headers[HEADER_GRPC_ACCEPT_ENCODING] = this.#acceptEncoding.join(head.acceptEncoding);
    this.#stream.respond(headers, { waitForTrailers: true });
    this.#headerSent = true;
  }

  send(message: WireMessage): Promise<void> {
    if (this.#done || this.#stream.destroyed) return RESOLVED;
    if (!this.#headerSent)
      return Promise.reject(new RpcError(Code.INTERNAL, "response message before response headers"));
    try {
      return writeMessage(this.#stream, message) ?? RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  sendTrailer(trailer: ResponseTrailer): Promise<void> {
    try {
      this.#sendTrailerNow(trailer);
      return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #sendTrailerNow(trailer: ResponseTrailer): void {
    if (this.#done) return;
    this.#done = true;
    // After the status the call reads nothing more (servers may finish before the client half-closes).
    this.#inbound.failWith(callAlreadyFinished);
    this.#releaseAll();
    const stream = this.#stream;
    if (stream.destroyed) return;
    let trailers: OutgoingHttpHeaders;
    try {
      trailers = writeTrailer(trailer);
    } catch (e) {
      // Trailing metadata HTTP/2 cannot carry: report that instead of the intended status.
      const err = RpcError.from(e, Code.INTERNAL);
      trailers = writeTrailer({
        status: { code: Code.INTERNAL, message: err.rawMessage, details: [] },
        metadata: new Metadata(),
      });
    }
    if (!this.#headerSent) {
      // Trailers-Only: HTTP-Status Content-Type Trailers in a single HEADERS frame.
      stream.respond(
        { ":status": HTTP_STATUS_OK, [HEADER_CONTENT_TYPE]: contentTypeOf(this.#format), ...trailers },
        { endStream: true },
      );
      closeEarly(stream);
      return;
    }
    this.#trailers = trailers;
    // 'on', not 'once': node:http2 asks for trailers once per stream.
    stream.on("wantTrailers", onCallWantTrailers);
    stream.end();
  }

  /** After the handler: a call it left without a status gets INTERNAL. */
  finishUnanswered(): void {
    if (this.#done) return;
    void this.sendTrailer({
      status: { code: Code.INTERNAL, message: "the handler finished without a status", details: [] },
      metadata: new Metadata(),
    }).catch(() => {});
  }
}
