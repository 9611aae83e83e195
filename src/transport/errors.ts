/**
 * Errors raised by transport adapters themselves (not by the TLS engine,
 * whose failures are TlsError with an alert code).
 */
import { CodedError } from "../errors/coded-error.ts";

export type TransportErrorCode =
  /** The handshake did not finish within the configured time. */
  | "handshake-timeout"
  /** The carrier stream ended or closed before the handshake finished. */
  | "closed-during-handshake"
  /** The carrier ended after the handshake without the peer's close_notify (RFC 8446 §6.1: truncation). */
  | "truncated"
  /** The caller aborted (AbortSignal). */
  | "aborted"
  /** The WebSocket peer broke the carrier's rules (a text message where only binary TLS records may travel). */
  | "websocket-protocol"
  /** The WebSocket opening handshake failed (HTTP status other than 101, bad upgrade response). */
  | "websocket-upgrade";

export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name = "TransportError";
}
