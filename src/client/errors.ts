/** Errors of the client channel's configuration (call failures are RpcError UNAVAILABLE). */

export type ChannelErrorCode =
  /** The address is not "host:port" or "[v6]:port" with a port in 1..65535. */
  "bad-address";

export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  constructor(code: ChannelErrorCode, message: string) {
    super(message);
    this.name = "ChannelError";
    this.code = code;
  }
}
