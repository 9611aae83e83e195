/** Errors of pqrpc/web's own checks (TLS failures stay TlsError, carrier failures TransportError). */
import { CodedError } from "../errors/coded-error.ts";

export type WebConnectErrorCode =
  /** The address is not a ws:// or wss:// URL. */
  | "bad-url"
  /** The options are incomplete (e.g. no trust PEM). */
  | "bad-options"
  /** The server completed TLS but did not agree to ALPN "pqrpc/1" (browsers cannot speak gRPC over HTTP/2 here). */
  | "no-pqrpc";

export class WebConnectError extends CodedError<WebConnectErrorCode> {
  override readonly name = "WebConnectError";
}
