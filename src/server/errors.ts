/** Errors of the server's own life cycle (a call's failures are RpcError, a handshake's TlsError). */
import { CodedError } from "../errors/coded-error.ts";

export type ServerErrorCode =
  /** listen() on a server that is already listening. */
  | "already-listening"
  /** listen() or service() on a server that has been closed. */
  | "closed"
  /** createServer or close() got an option outside its range (the message names it). */
  | "bad-options"
  /** A connection was closed or refused by one of the server's resource limits (the message names it). */
  | "limit";

export class ServerError extends CodedError<ServerErrorCode> {
  override readonly name = "ServerError";
}
