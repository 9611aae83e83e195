/**
 * A pqrpc TLS server on loopback TCP for the interop tests: accepts
 * connections with tlsAccept, echoes application data, and records each
 * connection's outcome (negotiated info or error) for the test to await.
 */
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import type { NegotiatedInfo } from "../../src/tls/index.ts";
import { type TlsAcceptOptions, tlsAccept } from "../../src/transport/tls-connect.ts";
import { PEER_EVENT_TIMEOUT_MS } from "./peer.ts";

export type Outcome = { info: NegotiatedInfo } | { error: Error };

export class PqrpcServer {
  readonly outcomes: Outcome[] = [];
  private waiters: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(private readonly server: Server) {}

  static async start(options: TlsAcceptOptions): Promise<PqrpcServer> {
    let self: PqrpcServer | undefined;
    const server = createServer((tcp) => {
      const me = self!;
      me.sockets.add(tcp);
      tcp.on("close", () => me.sockets.delete(tcp));
      tcp.on("error", () => {});
      tlsAccept(tcp, options).then(
        (tls) => {
          tls.on("error", () => {});
          tls.pipe(tls);
          me.record({ info: tls.info! });
        },
        (error: Error) => me.record({ error }),
      );
    });
    self = new PqrpcServer(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    self.port = (server.address() as { port: number }).port;
    return self;
  }

  private record(outcome: Outcome): void {
    this.outcomes.push(outcome);
    for (const w of this.waiters.splice(0)) w();
  }

  /** The outcome of the index-th accepted connection (0-based); rejects with the handshake error. */
  async connection(index: number, timeoutMs = PEER_EVENT_TIMEOUT_MS): Promise<NegotiatedInfo> {
    const deadline = Date.now() + timeoutMs;
    while (this.outcomes.length <= index) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`pqrpc server: no outcome for connection #${index} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const outcome = this.outcomes[index]!;
    if ("error" in outcome) throw outcome.error;
    return outcome.info;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}
