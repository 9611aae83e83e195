/**
 * The native TLS side of bench:handshake (node:tls, i.e. OpenSSL 3.5 on
 * Node 24), shared by the one-at-a-time rows (bench/handshake.ts) and the
 * saturation rows (bench/handshake-saturation.ts), so that both measure the
 * same configuration as pqrpc: TLS 1.3 only, X25519MLKEM768, one cipher
 * suite, the same PEM chain files, no Nagle delay on either end.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import tls from "node:tls";

/** The key exchange and suite every handshake row (pqrpc and native) uses. */
export const GROUP = "X25519MLKEM768";
export const SUITE = "TLS_AES_256_GCM_SHA384";

/** A server's chain and key, and the CA its clients trust, as PEM files. */
export interface ChainFiles {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** Whether this runtime's node:tls can do X25519MLKEM768 (OpenSSL 3.5, Node 24). */
export function hasNativePqTls(): boolean {
  const [major] = process.versions.node.split(".").map(Number);
  return (major ?? 0) >= 24 && process.versions.openssl.startsWith("3.5");
}

export function nativeDetail(): string {
  return `OpenSSL ${process.versions.openssl}, ${GROUP}, ${SUITE}`;
}

/**
 * A node:tls server on the chain in `files`. Handshake failures of clients
 * (a client gone mid-handshake under load) are swallowed; every secured
 * connection is drained and goes to `onSecure`.
 */
export function createNativeServer(files: ChainFiles, onSecure: (s: tls.TLSSocket) => void): tls.Server {
  const server = tls.createServer({
    key: readFileSync(files.key),
    cert: readFileSync(files.cert),
    ecdhCurve: GROUP,
    minVersion: "TLSv1.3",
    ciphers: SUITE,
  });
  // As pqrpc's server (and the client): no Nagle delay on the handshake flights.
  server.on("connection", (tcp: Socket) => tcp.setNoDelay(true));
  server.on("secureConnection", (s) => {
    s.on("data", () => {});
    s.on("error", () => {});
    onSecure(s);
  });
  server.on("tlsClientError", () => {});
  return server;
}

export interface NativeClientOptions {
  readonly port: number;
  /** The trusted CA (PEM), read once by the caller. */
  readonly ca: Buffer;
  /** A session from an earlier connection's "session" event: resume with it. */
  readonly session?: Buffer | undefined;
}

/**
 * Starts a node:tls client handshake to 127.0.0.1 (server name "localhost")
 * and returns the socket with a promise that settles when the handshake is
 * verified (or fails; the socket is then destroyed). Nothing else is attached:
 * the caller listens for "session" and closes.
 */
export function connectNative(options: NativeClientOptions): {
  socket: tls.TLSSocket;
  secured: Promise<void>;
} {
  const socket = tls.connect({
    host: "127.0.0.1",
    port: options.port,
    servername: "localhost",
    ca: options.ca,
    ecdhCurve: GROUP,
    minVersion: "TLSv1.3",
    ciphers: SUITE,
    ...(options.session ? { session: options.session } : {}),
  });
  socket.setNoDelay(true);
  const secured = new Promise<void>((res, rej) => socket.once("secureConnect", res).once("error", rej));
  secured.catch(() => socket.destroy());
  return { socket, secured };
}

/** Sends close_notify and resolves once the TCP connection has closed (the caller bounds the wait). */
export function endNative(socket: tls.TLSSocket): Promise<unknown> {
  const closed = once(socket, "close");
  socket.on("error", () => {});
  socket.resume();
  socket.end();
  return closed;
}
