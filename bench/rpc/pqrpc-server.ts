/**
 * bench:rpc server worker: pqrpc's createServer serving grpc.testing.TestService
 * as `pqrpc serve --interop` does (both ALPNs, "h2" and "pqrpc/1", and TLS over
 * WebSocket on one port), over our PQ TLS: X25519MLKEM768 + the ML-DSA-65
 * chain in `cert`/`key`; pqrpc from the compiled dist/ (the public entry's
 * createServer; the interop handlers are a compiled fixture module).
 *   node --import tsx bench/rpc/pqrpc-server.ts '{"cert":"server.pem","key":"server.key"}'
 */
import { assertDistFresh, importDist, importDistModule } from "../pqrpc-dist.ts";
import { HOST, type ServerConfig } from "./messages.ts";
import { benchTelemetry } from "./telemetry.ts";
import { fail, readConfig, serveServer } from "./worker-io.ts";

// pqrpc as it ships: the compiled dist/ the orchestrator built (bench/pqrpc-dist.ts), not tsx-transpiled source.
assertDistFresh();
const { createServer, loadIdentity, loadWasmProvider } = await importDist(".");
const { TestService } = await importDistModule<typeof import("../../src/gen/grpc/testing/test_pb.ts")>(
  "gen/grpc/testing/test_pb.js",
);
const { createTestServiceHandlers } =
  await importDistModule<typeof import("../../src/interop/test-service.ts")>("interop/test-service.js");

/** At shutdown, calls in flight get this long to finish. */
const CLOSE_GRACE_MS = 200;
/** Handshakes in progress at once: above the client's opening parallelism (bench/rpc.ts OPEN_PARALLEL) with room. */
const BENCH_MAX_CONCURRENT_HANDSHAKES = 256;

async function main(): Promise<void> {
  const cfg = readConfig<ServerConfig>();
  if (cfg.cert === undefined || cfg.key === undefined)
    throw new Error("pqrpc server: cert and key are required");
  await loadWasmProvider();
  const identity = await loadIdentity(cfg.cert, cfg.key);
  // The connections axis opens up to cfg.maxConnections connections (its largest count plus slack
  // for the other clients' own) from the one source 127.0.0.1: the per-source limit (default 64)
  // and the global cap (default 1,024) must admit them all, and the handshake cap the clients'
  // parallel opening.
  const limits =
    cfg.maxConnections === undefined
      ? {}
      : {
          maxConnections: cfg.maxConnections,
          maxConnectionsPerSource: cfg.maxConnections,
          maxConcurrentHandshakes: BENCH_MAX_CONCURRENT_HANDSHAKES,
        };
  const server = createServer({
    identity,
    telemetry: await benchTelemetry(cfg.telemetry),
    ...limits,
  }).service(TestService, createTestServiceHandlers());
  const address = await server.listen({ port: 0, host: HOST });
  serveServer(address.port, () => server.close({ graceMs: CLOSE_GRACE_MS }));
}

main().catch(fail);
