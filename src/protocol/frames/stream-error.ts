/**
 * Why a stream or a call on it failed, as the session reports it. `code` is
 * the pqrpc/1 error code (sent or received); `reason` says where it came
 * from, which is what the RPC layer needs to choose a status
 * (see rpc-status.ts).
 */
import { CodedError } from "../../errors/coded-error.ts";
import { type ErrorCode, errorCodeName } from "./error-codes.ts";

export type StreamFailureReason =
  /** The peer sent RST with `code`. */
  | "reset-by-peer"
  /** We reset the stream (our RST carried `code`). */
  | "reset-locally"
  /** The peer refused the stream before processing it (REFUSED_STREAM, or past GOAWAY's last stream id): safe to retry. */
  | "refused"
  /** The peer's concurrent stream limit is reached; nothing was sent. */
  | "stream-limit"
  /** The session is shutting down (GOAWAY sent or received); nothing was sent. */
  | "going-away"
  /** The stream ids of this connection are used up; nothing was sent. */
  | "ids-exhausted"
  /** The carrier ended or failed mid-stream. */
  | "connection-lost"
  /** A protocol violation ended the connection (ours or the peer's GOAWAY `code`). */
  | "connection-error"
  /** Keepalive PING got no answer in time. */
  | "keepalive-timeout"
  /** The stream was finished by the peer's TRAILERS while we still had data to send. */
  | "finished";

export class StreamError extends CodedError<ErrorCode> {
  override readonly name = "StreamError";
  readonly reason: StreamFailureReason;
  constructor(code: ErrorCode, reason: StreamFailureReason, detail?: string) {
    super(code, `stream ${reason} (${errorCodeName(code)})${detail ? `: ${detail}` : ""}`);
    this.reason = reason;
  }
}
