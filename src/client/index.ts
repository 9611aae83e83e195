/** The pqrpc client channel: connect() to a server over PQ TLS, on TCP or WebSocket, pqrpc/1 or h2. */
export { type HostPort, parseAddress } from "./address.ts";
export { Channel, type ChannelStats, connect, createChannel } from "./channel.ts";
export type { ConnectOptions } from "./connect-options.ts";
export { ChannelError, type ChannelErrorCode } from "./errors.ts";
export * from "./limits.ts";
