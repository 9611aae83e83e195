/** The pqrpc server: one port, raw TLS and TLS over WebSocket, gRPC over HTTP/2 and pqrpc/1. */
export { ServerError, type ServerErrorCode } from "./errors.ts";
export * from "./limits.ts";
export { createServer, Server } from "./server.ts";
export type {
  CloseOptions,
  ListenOptions,
  ServerAddress,
  ServerOptions,
  ServerProtocol,
  ServerStats,
} from "./server-options.ts";
