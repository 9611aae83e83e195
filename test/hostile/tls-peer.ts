/**
 * A hostile TLS client against a real server process: pqrpc's engine (or a
 * hostile peer of it, src/tls/connection.ts createHostilePeer) driven over a
 * raw TCP socket, every record it sends passing through a wire mutator, and
 * raw bytes (hand-built records) written around it. The server's answer is
 * what the engine makes of the bytes coming back: served (the handshake
 * completed and the server's first application bytes were decrypted), the
 * alert the server sent, or a close without one.
 */
import { connect as netConnect, type Socket } from "node:net";
import { concatChunks } from "../../src/bytes/bytes.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import type { TlsClientConfig } from "../../src/tls/config.ts";
import {
  createHostilePeer,
  createTlsClient,
  type PeerHooks,
  type TlsConnection,
} from "../../src/tls/connection.ts";
import { clientConfig, type WireMutator } from "../../src/tls/engine-test-helpers.ts";
import { RecordDeframer } from "../../src/tls/record-layer.ts";
import { SERVER_NAME } from "../rpc/helpers.ts";

/** How long a peer waits for the server's answer (a bound on hanging, not a speed check). */
export const TLS_ANSWER_TIMEOUT_MS = 30_000;

export type TlsOutcome =
  | { readonly kind: "served"; readonly alpn: string | undefined }
  | { readonly kind: "alert"; readonly alert: string | undefined; readonly origin: "peer" | "local" }
  | { readonly kind: "closed" };

export interface TlsPeerOptions {
  readonly client?: Partial<TlsClientConfig>;
  readonly hooks?: PeerHooks;
  /** Rewrites each record the engine sends ("client->server"), as in the in-process tests. */
  readonly wire?: WireMutator;
  /**
   * Write only the first flight (the ClientHello and what the hooks add to it): for a server
   * that must fail on it, so nothing more reaches the closed socket and no TCP reset can
   * overtake its alert.
   */
  readonly firstFlightOnly?: boolean;
  /** Stop reading the socket once served (a client that never reads). */
  readonly pauseWhenServed?: boolean;
}

export interface TlsPeer {
  readonly conn: TlsConnection;
  readonly socket: Socket;
  /** Settles once: served, the failure (with the alert), or the close. */
  readonly outcome: Promise<TlsOutcome>;
  readonly closed: Promise<void>;
  /** Writes bytes as they are, outside the engine. */
  writeRaw(bytes: Uint8Array): void;
  /** Writes what the engine queued (through the mutator). */
  flush(): void;
  /** Writes what the engine queued as one chunk (many records in one TCP write), no mutator. */
  flushCoalesced(): void;
  /** TLS records received from the server so far. */
  recordsReceived(): number;
  /** Reads again, sends close_notify and waits for the server to close (check conn.peerClosed and conn.error). */
  closeOrderly(): Promise<void>;
  /** Resolves with the outcome after the server's next failure or close (for post-handshake attacks). */
  nextFailure(): Promise<TlsOutcome>;
  destroy(): void;
}

export function tlsPeer(
  server: { readonly port: number; readonly trust: TrustStore },
  o: TlsPeerOptions = {},
): Promise<TlsPeer> {
  const config = clientConfig({
    verifier: server.trust,
    serverName: SERVER_NAME,
    alpnProtocols: ["pqrpc/1"],
    ...o.client,
  });
  const conn = o.hooks ? createHostilePeer("client", config, o.hooks) : createTlsClient(config);
  const socket = netConnect({ host: "127.0.0.1", port: server.port });
  socket.on("error", () => {});
  let sent = 0;
  let flights = 0;
  const flush = () => {
    const chunks = conn.takeOutgoing();
    if (chunks.length > 0 && o.firstFlightOnly && flights++ > 0) return;
    for (const chunk of chunks) {
      for (const c of o.wire ? [o.wire("client->server", chunk, sent++)].flat() : [chunk]) {
        if (!socket.destroyed) socket.write(c);
      }
    }
  };
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const failure = (): TlsOutcome =>
    conn.error
      ? { kind: "alert", alert: conn.error.alertName, origin: conn.error.origin }
      : { kind: "closed" };
  let served = false;
  const records = new RecordDeframer();
  let recordCount = 0;
  const waiters: ((o: TlsOutcome) => void)[] = [];
  let settle!: (o: TlsOutcome) => void;
  const outcome = new Promise<TlsOutcome>((resolve) => {
    settle = resolve;
  });
  const timer = setTimeout(() => {
    settle({ kind: "closed" });
    socket.destroy();
  }, TLS_ANSWER_TIMEOUT_MS);
  timer.unref();
  const end = () => {
    clearTimeout(timer);
    const f = failure();
    settle(f);
    for (const w of waiters.splice(0)) w(f);
  };
  socket.on("data", (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    records.push(bytes.slice());
    while (records.next()) recordCount++;
    conn.receive(bytes);
    flush();
    if (conn.error) {
      end();
      socket.destroy();
      return;
    }
    if (!served && conn.handshakeComplete && conn.takeApplicationData().length > 0) {
      served = true;
      clearTimeout(timer);
      settle({ kind: "served", alpn: conn.info?.alpn });
      if (o.pauseWhenServed) socket.pause();
    }
  });
  void closed.then(end);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => {
      flush();
      resolve({
        conn,
        socket,
        outcome,
        closed,
        writeRaw: (b) => socket.write(b),
        flush,
        flushCoalesced: () => {
          if (!socket.destroyed) socket.write(concatChunks(conn.takeOutgoing()));
        },
        recordsReceived: () => recordCount,
        nextFailure: () =>
          conn.error || socket.destroyed
            ? Promise.resolve(failure())
            : new Promise<TlsOutcome>((r) => waiters.push(r)),
        async closeOrderly() {
          socket.resume();
          conn.close();
          flush();
          await closed;
        },
        destroy: () => socket.destroy(),
      });
    });
    socket.once("error", reject);
  });
}
