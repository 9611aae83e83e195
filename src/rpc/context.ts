/**
 * The context a handler receives with each call: the signal that fires on
 * deadline or client cancellation, the request headers, setters for the
 * response headers and trailers, and the peer (with its TLS facts).
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Metadata } from "./metadata.ts";
import type { PeerInfo } from "./peer.ts";

export interface HandlerContext {
  readonly service: DescService;
  readonly method: DescMethod;
  /**
   * Aborted at the deadline (reason: RpcError DEADLINE_EXCEEDED) or when the
   * client cancels or the connection drops (RpcError CANCELLED). Pass it to
   * anything the handler waits on.
   */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds (Date.now() clock), if the client set a timeout. */
  readonly deadline: number | undefined;
  /** Milliseconds left before the deadline, or undefined without one. */
  timeRemaining(): number | undefined;
  readonly requestHeader: Metadata;
  /** Response headers; sent before the first response message (or with the trailers if none). */
  readonly responseHeader: Metadata;
  /** Trailing metadata, sent with the status. */
  readonly responseTrailer: Metadata;
  readonly peer: PeerInfo;
}
