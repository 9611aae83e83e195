/** Errors of the client channel's configuration (call failures are RpcError UNAVAILABLE). */
import { CodedError } from "../errors/coded-error.ts";

export type ChannelErrorCode =
  /** The address is not "host:port" or "[v6]:port" with a port in 1..65535. */
  "bad-address";

export class ChannelError extends CodedError<ChannelErrorCode> {
  override readonly name = "ChannelError";
}
