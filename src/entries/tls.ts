/// <reference types="node" preserve="true" />
/**
 * `pqrpc/tls`: the sans-IO TLS 1.3 engine (createTlsClient / createTlsServer:
 * bytes in, bytes out, no sockets or timers) and its Node adapter, which runs
 * the engine over any Node Duplex (tlsConnect / tlsAccept) or a TCP
 * connection (connectTls) and gives back a secured Duplex.
 */
export * from "../tls/index.ts";
export { TransportError, type TransportErrorCode } from "../transport/errors.ts";
export {
  connectTls,
  type TlsAcceptOptions,
  type TlsConnectOptions,
  tlsAccept,
  tlsConnect,
} from "../transport/tls-connect.ts";
export { TlsSocket, type TlsSocketOptions } from "../transport/tls-socket.ts";
