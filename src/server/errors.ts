/** Errors of the server's own life cycle (a call's failures are RpcError, a handshake's TlsError). */

export type ServerErrorCode =
  /** listen() on a server that is already listening. */
  | "already-listening"
  /** listen() or service() on a server that has been closed. */
  | "closed";

export class ServerError extends Error {
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string) {
    super(message);
    this.name = "ServerError";
    this.code = code;
  }
}
