/** Errors of pqrpc/web's own checks (TLS failures stay TlsError, carrier failures TransportError). */

export type WebConnectErrorCode =
  /** The address is not a ws:// or wss:// URL. */
  | "bad-url"
  /** The options are incomplete (e.g. no trust PEM). */
  | "bad-options"
  /** The server completed TLS but did not agree to ALPN "pqrpc/1" (browsers cannot speak gRPC over HTTP/2 here). */
  | "no-pqrpc";

export class WebConnectError extends Error {
  readonly code: WebConnectErrorCode;
  constructor(code: WebConnectErrorCode, message: string) {
    super(message);
    this.name = "WebConnectError";
    this.code = code;
  }
}
