/**
 * Entry points of the Node adapter: run a TLS handshake over a carrier
 * stream and resolve with the secured TlsSocket.
 */
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto } from "../crypto/types.ts";
import {
  createTlsClient,
  createTlsServer,
  type TlsClientConfig,
  type TlsServerConfig,
} from "../tls/index.ts";
import { KeySharePool } from "../tls/key-share-pool.ts";
import { TransportError } from "./errors.ts";
import { ReusedReadBuffer } from "./reused-read-buffer.ts";
import { TlsSocket, type TlsSocketOptions } from "./tls-socket.ts";

export type TlsConnectOptions = TlsClientConfig & TlsSocketOptions;
export type TlsAcceptOptions = TlsServerConfig & TlsSocketOptions;

/** connectTls's own options, beyond tlsConnect's. */
export interface TcpConnectOptions {
  /**
   * Read from TCP into one reused buffer of REUSED_READ_BUFFER_BYTES (64 KiB,
   * held for the connection's life) instead of a new buffer per read
   * (default true; docs/ARCHITECTURE.md "Bytes: copy or view").
   */
  reuseReadBuffer?: boolean;
}

function socketOptions(o: TlsSocketOptions): TlsSocketOptions {
  return {
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    highWaterMark: o.highWaterMark,
    allowHalfOpen: o.allowHalfOpen,
    signal: o.signal,
    handshakeObserver: o.handshakeObserver,
    reusedReadBuffer: o.reusedReadBuffer,
  };
}

/**
 * One key-share pool per Crypto for the Node adapter's connections: key
 * generation for the next handshake runs in a setImmediate (unref'd: it keeps
 * no process alive) after a handshake took a share, off the next handshake's
 * critical path. On by default here, where an event loop runs anyway; the
 * sans-IO engine itself starts no background work (tls/key-share-pool.ts).
 */
const nodePools = new WeakMap<Crypto, KeySharePool>();

function nodeKeySharePool(crypto: Crypto): KeySharePool {
  let pool = nodePools.get(crypto);
  if (!pool) {
    pool = new KeySharePool({ crypto, schedule: (work) => void setImmediate(work).unref() });
    nodePools.set(crypto, pool);
  }
  return pool;
}

/** `options` with the adapter's key-share pool, unless the caller chose one (or `false`). */
function withKeySharePool<T extends TlsClientConfig | TlsServerConfig>(options: T): T {
  if (options.keySharePool !== undefined) return options;
  const crypto = options.crypto ?? defaultCrypto();
  return { ...options, crypto, keySharePool: nodeKeySharePool(crypto) };
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
    socket = new TlsSocket(createTlsClient(withKeySharePool(options)), carrier, socketOptions(options));
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
    socket = new TlsSocket(createTlsServer(withKeySharePool(options)), carrier, socketOptions(options));
  } catch (error) {
    carrier.destroy();
    return Promise.reject(error);
  }
  return secured(socket);
}

/** TCP connect to host:port, then the client handshake; `serverName` defaults to `host`. */
export function connectTls(
  host: string,
  port: number,
  options: TlsConnectOptions & TcpConnectOptions,
): Promise<TlsSocket> {
  return new Promise((resolve, reject) => {
    const { reuseReadBuffer = true, ...tlsOptions } = options;
    const readBuffer = reuseReadBuffer ? new ReusedReadBuffer() : undefined;
    const tcp = netConnect({ host, port, ...(readBuffer ? { onread: readBuffer.onread } : {}) });
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
      tlsConnect(tcp, { serverName: host, ...tlsOptions, reusedReadBuffer: readBuffer }).then(
        resolve,
        reject,
      );
    });
  });
}
