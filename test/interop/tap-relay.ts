/**
 * A TCP relay on loopback in front of a TLS server, for interop tests whose
 * peers are processes we cannot ask what they negotiated (grpc-go, grpcio,
 * `pqrpc serve`): each connection's plaintext handshake is read off the wire
 * by wire-tap.mjs, independently of both TLS stacks: the client's offer
 * (groups, key shares, signature algorithms, suites, ALPN) and the server's
 * choice (group, suite, HelloRetryRequest).
 */
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import { type TapSummary, tapSocket } from "./wire-tap.mjs";

export type { TapClientHello, TapServerHello, TapSummary } from "./wire-tap.mjs";

export interface TapRelay {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /** One summary per accepted connection, in accept order (complete once the handshake is done). */
  readonly connections: readonly TapSummary[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and forwards every connection to `upstreamPort` on 127.0.0.1. */
export async function startTapRelay(upstreamPort: number): Promise<TapRelay> {
  const connections: TapSummary[] = [];
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const { duplex, summary } = tapSocket(client, "server");
    connections.push(summary);
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
    sockets.add(client).add(upstream);
    const close = () => {
      duplex.destroy();
      upstream.destroy();
    };
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", close);
    duplex.on("error", close);
    duplex.pipe(upstream).pipe(duplex);
  });
  relay.listen(0, "127.0.0.1");
  await once(relay, "listening");
  return {
    port: (relay.address() as { port: number }).port,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

/** A server process the tests started (child-process.ts ServerProcess). */
interface TappableServer {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs `body` with a tap relay in front of `server`, then closes both; on a
 * failure, `log` gets the server's output first (the reason is often there).
 */
export async function withTapRelay<T>(
  server: TappableServer,
  log: (text: string) => void,
  body: (relay: TapRelay) => Promise<T>,
): Promise<T> {
  let relay: TapRelay | undefined;
  try {
    relay = await startTapRelay(server.port);
    return await body(relay);
  } catch (e) {
    log(`server output:\n${server.output()}`);
    throw e;
  } finally {
    await relay?.close();
    await server.stop();
  }
}
