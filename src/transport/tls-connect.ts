/**
 * Entry points of the Node adapter: run a TLS handshake over a carrier
 * stream and resolve with the secured TlsSocket.
 */
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import {
  createTlsClient,
  createTlsServer,
  type TlsClientConfig,
  type TlsServerConfig,
} from "../tls/index.ts";
import { TransportError } from "./errors.ts";
import { TlsSocket, type TlsSocketOptions } from "./tls-socket.ts";

export type TlsConnectOptions = TlsClientConfig & TlsSocketOptions;
export type TlsAcceptOptions = TlsServerConfig & TlsSocketOptions;

function socketOptions(o: TlsSocketOptions): TlsSocketOptions {
  return {
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    highWaterMark: o.highWaterMark,
    allowHalfOpen: o.allowHalfOpen,
    signal: o.signal,
    handshakeObserver: o.handshakeObserver,
  };
}

/** Resolves once secure; a handshake failure is reported through the promise only. */
async function secured(socket: TlsSocket): Promise<TlsSocket> {
  // Until the caller holds the socket, nobody else can listen for 'error': keep it from crashing the process.
  const reportedByPromise = () => {};
  socket.on("error", reportedByPromise);
  try {
    await socket.secured;
  } catch (error) {
    // The listener stays: the 'error' event of the failed socket may still be on its way.
    socket.destroy();
    throw error;
  }
  socket.off("error", reportedByPromise);
  return socket;
}

/** Client handshake over `carrier`; resolves once the server is verified. */
export function tlsConnect(carrier: Duplex, options: TlsConnectOptions): Promise<TlsSocket> {
  // createTlsClient throws TlsConfigError for a bad configuration: the caller's bug, reported as a rejection.
  let socket: TlsSocket;
  try {
    socket = new TlsSocket(createTlsClient(options), carrier, socketOptions(options));
  } catch (error) {
    carrier.destroy();
    return Promise.reject(error);
  }
  return secured(socket);
}

/** Server handshake over `carrier` (an accepted connection). */
export function tlsAccept(carrier: Duplex, options: TlsAcceptOptions): Promise<TlsSocket> {
  let socket: TlsSocket;
  try {
    socket = new TlsSocket(createTlsServer(options), carrier, socketOptions(options));
  } catch (error) {
    carrier.destroy();
    return Promise.reject(error);
  }
  return secured(socket);
}

/** TCP connect to host:port, then the client handshake; `serverName` defaults to `host`. */
export function connectTls(host: string, port: number, options: TlsConnectOptions): Promise<TlsSocket> {
  return new Promise((resolve, reject) => {
    const tcp = netConnect({ host, port });
    const onAbort = () => {
      tcp.destroy();
      reject(new TransportError("aborted", `connect to ${host}:${port} aborted`));
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    tcp.once("error", reject);
    tcp.once("connect", () => {
      options.signal?.removeEventListener("abort", onAbort);
      tcp.off("error", reject);
      tcp.setNoDelay(true);
      tlsConnect(tcp, { serverName: host, ...options }).then(resolve, reject);
    });
  });
}
