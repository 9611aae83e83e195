/**
 * The stream transport contract: what a wire protocol (protocol/grpc over
 * HTTP/2, protocol/frames for pqrpc/1, or the in-memory router transport)
 * provides to the protocol-neutral rpc client and router.
 *
 * Division of work:
 * - The rpc core serializes, compresses and size-checks messages, runs
 *   deadlines, interceptors and handlers, and maps errors to statuses.
 * - A transport moves one call's parts across the wire: the request head,
 *   length-delimited messages (with their compressed flag), half-close, the
 *   response head, trailers with the status, and cancellation. It owns the
 *   protocol's reserved headers (grpc-*, content-type, te, :path...): they
 *   never appear in the Metadata handed across this interface.
 *
 * Backpressure: `send` resolves when the transport can take the next message
 * (its flow-control window or socket buffer has room); the core awaits it
 * before sending more. Receiving is pull-based: a transport should stop
 * granting flow-control credit while nobody calls `read`, so a slow reader
 * slows the peer instead of growing a buffer.
 *
 * Errors: a transport reports failure by rejecting `send`/`read` with an
 * RpcError (connection lost: UNAVAILABLE; peer reset: CANCELLED; protocol
 * violation: INTERNAL; header block too large: RESOURCE_EXHAUSTED). Any other
 * rejection is treated by the core as UNAVAILABLE.
 */
import type { Code } from "./code.ts";
import type { Metadata } from "./metadata.ts";
import type { PeerInfo } from "./peer.ts";
import type { RpcError } from "./rpc-error.ts";
import type { SerializationFormat } from "./serialization.ts";
import type { ErrorDetail } from "./status-details.ts";

/** One message as it travels: already serialized, maybe compressed. */
export interface WireMessage {
  readonly data: Uint8Array;
  /** True when `data` is compressed with the call's `encoding` (the envelope's compressed flag). */
  readonly compressed: boolean;
}

/** What opens a call. gRPC maps it to :path, content-type, grpc-timeout, grpc-encoding, grpc-accept-encoding. */
export interface RequestHead {
  /** "/" service type name "/" method name, e.g. "/helloworld.Greeter/SayHello". */
  readonly path: string;
  /** Application request headers (no reserved names). */
  readonly metadata: Metadata;
  /**
   * Time left for the call in milliseconds, if it has a deadline (encode with
   * encodeTimeout). On the server side, the decoded grpc-timeout.
   */
  readonly timeoutMs: number | undefined;
  readonly format: SerializationFormat;
  /** Compression of the messages this side sends ("identity" when none). */
  readonly encoding: string;
  /** Compressions this side can decode, in preference order. */
  readonly acceptEncoding: readonly string[];
}

/** The response head: gRPC's response HEADERS frame without the reserved names. */
export interface ResponseHead {
  readonly metadata: Metadata;
  readonly encoding: string;
  readonly acceptEncoding: readonly string[];
}

/**
 * The final status of a call. On gRPC it is grpc-status, grpc-message and
 * grpc-status-details-bin (a google.rpc.Status: encode/decode it with
 * status-details.ts, whose code and message must agree with the first two).
 */
export interface CallStatus {
  readonly code: Code;
  /** Human-readable text (grpc-message, percent-decoded by the transport). */
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** The trailers: status and trailing metadata. */
export interface ResponseTrailer {
  readonly status: CallStatus;
  readonly metadata: Metadata;
}

/**
 * What the client reads, in this order: at most one "header", then any number
 * of "message", then exactly one "trailer" (after which `read` must not be
 * called again). A trailers-only response is a "trailer" without a "header".
 */
export type ClientReadEvent =
  | { readonly type: "header"; readonly head: ResponseHead }
  | { readonly type: "message"; readonly message: WireMessage }
  | { readonly type: "trailer"; readonly trailer: ResponseTrailer };

/** The client half of one call. */
export interface ClientCallStream {
  /** Sends one request message; resolves when the transport can take another. */
  send(message: WireMessage): Promise<void>;
  /** Half-close: the client sends no more messages (HTTP/2 END_STREAM). */
  closeSend(): Promise<void>;
  read(): Promise<ClientReadEvent>;
  /**
   * Abandons the call (HTTP/2 RST_STREAM CANCEL; pqrpc/1 RST). Idempotent;
   * pending and later `read`/`send` calls reject with `reason`. The reason
   * says why (CANCELLED, DEADLINE_EXCEEDED) for logs; the wire carries cancel.
   */
  cancel(reason: RpcError): void;
}

/**
 * A client transport: a connection (or pool) that opens calls. `openCall`
 * does not wait for the connection: sending and reading wait (and fail with
 * UNAVAILABLE if it cannot be made). Creating a call sends the request head.
 */
export interface ClientTransport {
  openCall(head: RequestHead): ClientCallStream;
}

/** What the server reads: any number of "message", then "end" (the client half-closed). */
export type ServerReadEvent =
  | { readonly type: "message"; readonly message: WireMessage }
  | { readonly type: "end" };

/** The server half of one call, created by the transport for each incoming request head. */
export interface ServerCallStream {
  readonly head: RequestHead;
  readonly peer: PeerInfo;
  /**
   * Aborted when the client cancels (RST_STREAM) or the connection is lost;
   * its reason is an RpcError (CANCELLED or UNAVAILABLE).
   */
  readonly signal: AbortSignal;
  /**
   * Optional, the same cancellation without an AbortSignal (the router uses
   * these when present, so a transport can make `signal` only on demand):
   * the reason once the call is aborted, and a listener run once with it.
   */
  readonly abortReason?: RpcError | undefined;
  onAbort?(listener: (reason: RpcError) => void): () => void;
  read(): Promise<ServerReadEvent>;
  /** Sends the response head; at most once, before any message. */
  sendHeader(head: ResponseHead): Promise<void>;
  /** Sends one response message (after the header); resolves when another may be sent. */
  send(message: WireMessage): Promise<void>;
  /**
   * Ends the call with trailers. Without a prior sendHeader this is a
   * trailers-only response. After it, the transport discards further input
   * from the client (gRPC servers may finish before the client half-closes).
   */
  sendTrailer(trailer: ResponseTrailer): Promise<void>;
  /**
   * The application's handler runs until `work` settles, which may be after
   * the call ended (a handler can ignore its signal, and the router answers a
   * cancelled or expired call without waiting for it). A transport that
   * bounds running handlers per connection counts the call until then:
   * otherwise every reset stream would leave one more handler running
   * (CVE-2023-44487, CVE-2025-8671). Optional: transports without the bound
   * ignore it.
   */
  holdUntil?(work: Promise<unknown>): void;
}

/** What a server protocol calls for each new call: the router's `handle`. */
export type CallHandler = (call: ServerCallStream) => Promise<void>;
