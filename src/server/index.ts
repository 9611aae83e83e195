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
export {
  readTicketKeyFile,
  TICKET_KEY_FILE_POLL_MS,
  type TicketKeyFileWatch,
  watchTicketKeyFile,
  writeTicketKeyFile,
} from "./ticket-key-file.ts";
export {
  formatTicketKeys,
  newTicketKeys,
  parseTicketKeys,
  rotateTicketKeys,
  TicketKeyFileError,
  type TicketKeyFileErrorCode,
} from "./ticket-key-set.ts";
