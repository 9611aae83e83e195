/**
 * The server process of the hostile tests (run by harness.ts with
 * `node --expose-gc --import tsx`): a real pqrpc Server on 127.0.0.1 with
 * the demo Greeter, whose handlers count themselves, configured from
 * PQRPC_HOSTILE_CONFIG (JSON ServerOptions limits, and TLS settings: policy,
 * clientAuth with a PEM of trusted CAs, a shared ticket key file). It answers its parent on
 * the IPC channel:
 *
 *   { op: "stats" }    -> { op: "stats", ...HostileStats } (after a GC)
 *   { op: "release" }  -> held handlers return; { op: "released", count }
 *
 * A lotsOfGreetings or lotsOfReplies call with request metadata `x-hold: 1`
 * is held: its handler (or its stream) ignores cancellation and returns only
 * on "release", so a reset stream keeps its handler running (what MadeYouReset
 * exploits). A sayHello named "whoami" answers the client identity its handler
 * sees (ctx.peer.tls: resumed, ALPN, certificate hashes) as JSON. The first
 * line on stdout is "listening on 127.0.0.1:PORT".
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import type { GreeterHandlers } from "../../src/gen/helloworld/greeter_pqrpc.ts";
import type { SecurityEvent } from "../../src/observability/security-events.ts";
import { createTelemetry } from "../../src/observability/telemetry.ts";
import { loadIdentity } from "../../src/pki/load.ts";
import { TrustStore } from "../../src/pki/trust-store.ts";
import { createServer, readTicketKeyFile, type ServerOptions } from "../../src/server/index.ts";
import { TicketSealer } from "../../src/tls/ticket-sealer.ts";
import { type HostileStats, type PeerIdentity, WHOAMI } from "./hostile-stats.ts";

const CONFIG_ENV = "PQRPC_HOSTILE_CONFIG";
/** Metadata that asks lotsOfGreetings to hold (see above). */
export const HOLD_HEADER = "x-hold";

type Limits = Pick<
  ServerOptions,
  | "maxConnections"
  | "maxConnectionsPerSource"
  | "maxConcurrentHandshakes"
  | "firstByteTimeoutMs"
  | "handshakeTimeoutMs"
  | "receiveBudget"
  | "http2"
  | "maxReceiveMessageBytes"
  | "alpn"
>;

/** TLS settings a test can vary (policy-path and ticket-binding cases): PEM and key-file paths. */
interface TlsConfig {
  readonly policy?: ServerOptions["policy"];
  readonly clientAuth?: ServerOptions["clientAuth"];
  /** PEM of the CAs client certificates are verified against. */
  readonly trustRoots?: string;
  /** A ticket key file (server/ticket-key-file.ts) shared with another server process. */
  readonly ticketKeyFile?: string;
}

interface Config {
  readonly chain: string;
  readonly key: string;
  readonly limits?: Limits;
  readonly tls?: TlsConfig;
}

const config = JSON.parse(process.env[CONFIG_ENV] ?? "{}") as Config;
let running = 0;
let peak = 0;
let completed = 0;
const held: (() => void)[] = [];
const events: Record<string, number> = {};

const count = async <T>(body: () => Promise<T>): Promise<T> => {
  running++;
  if (running > peak) peak = running;
  try {
    return await body();
  } finally {
    running--;
    completed++;
  }
};

const handlers: GreeterHandlers = {
  sayHello: (req, ctx) =>
    count(async () => {
      if (req.name !== WHOAMI) return { message: `hello ${req.name}`, names: [] };
      // The client identity this handler sees (ctx.peer), for the resumption tests.
      const tls = ctx.peer.tls;
      const who: PeerIdentity = {
        resumed: tls?.resumed ?? null,
        alpn: tls?.alpn ?? null,
        certificates: (tls?.certificates ?? []).map((c) => createHash("sha256").update(c).digest("hex")),
      };
      return { message: JSON.stringify(who), names: [] };
    }),
  lotsOfReplies(req, ctx) {
    return (async function* () {
      running++;
      if (running > peak) peak = running;
      try {
        // Held inside the stream: the router's call has ended long before this generator returns.
        if (ctx.requestHeader.getString(HOLD_HEADER) === "1")
          await new Promise<void>((resolve) => held.push(resolve));
        for (let i = 0; i < Number(req.count); i++) yield { message: `${req.name} ${i}`, names: [] };
      } finally {
        running--;
        completed++;
      }
    })();
  },
  lotsOfGreetings: (reqs, ctx) =>
    count(async () => {
      if (ctx.requestHeader.getString(HOLD_HEADER) === "1") {
        await new Promise<void>((resolve) => held.push(resolve));
        return { message: "held", names: [] };
      }
      let n = 0;
      for await (const _ of reqs) n++;
      return { message: `hello ${n}`, names: [] };
    }),
  chat(reqs) {
    return (async function* () {
      running++;
      if (running > peak) peak = running;
      try {
        for await (const r of reqs) yield { message: `echo ${r.name}`, names: [] };
      } finally {
        running--;
        completed++;
      }
    })();
  },
};

const identity = await loadIdentity(config.chain, config.key);
const telemetry = createTelemetry({
  security: {
    onEvent: (e: SecurityEvent) => {
      const key = e.reason === undefined ? e.kind : `${e.kind}:${e.reason}`;
      events[key] = (events[key] ?? 0) + 1;
    },
  },
});
const tls = config.tls ?? {};
let sessionTickets: TicketSealer | undefined;
if (tls.ticketKeyFile !== undefined) {
  sessionTickets = new TicketSealer(defaultCrypto());
  sessionTickets.setKeys(await readTicketKeyFile(tls.ticketKeyFile));
}
const server = createServer({
  identity,
  telemetry,
  ...config.limits,
  ...(tls.policy ? { policy: tls.policy } : {}),
  ...(tls.clientAuth ? { clientAuth: tls.clientAuth } : {}),
  ...(tls.trustRoots ? { trust: new TrustStore({ roots: await readFile(tls.trustRoots, "utf8") }) } : {}),
  ...(sessionTickets ? { sessionTickets } : {}),
}).service(Greeter, handlers);
const { port } = await server.listen({ port: 0, host: "127.0.0.1" });

const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (m: { op?: string }) => {
  if (m.op === "stats") {
    gc?.();
    const mem = process.memoryUsage();
    const reply: HostileStats & { op: "stats" } = {
      op: "stats",
      server: server.stats,
      runningHandlers: running,
      peakHandlers: peak,
      completedHandlers: completed,
      heldHandlers: held.length,
      events: { ...events },
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      handles: process.getActiveResourcesInfo().length,
    };
    process.send?.(reply);
  } else if (m.op === "release") {
    const all = held.splice(0);
    for (const r of all) r();
    process.send?.({ op: "released", count: all.length });
  } else if (m.op === "reset-peak") {
    peak = running;
    process.send?.({ op: "peak-reset" });
  }
});
process.once("SIGTERM", () => {
  for (const r of held.splice(0)) r();
  void server.close({ graceMs: 0 }).then(() => process.exit(0));
});
process.stdout.write(`listening on 127.0.0.1:${port}\n`);
