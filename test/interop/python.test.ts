/**
 * Interop with Python's grpcio (issue 9 part 4): our Python interop client
 * (test/interop/python/interop_client.py: gRPC's 14 named cases written with
 * stock grpcio APIs and its default TLS settings, BoringSSL), installed with
 * grpcio by scripts/ensure-python-peers.sh:
 *
 * 1. grpcio client -> `pqrpc serve --interop` (gRPC over HTTP/2 on our TLS):
 *    all 14 cases.
 * 2. Harness: grpcio client -> grpc-go's interop server (when Go is here):
 *    the client's cases agree with a server nobody here wrote.
 * 3. The client's verdict can fail: against a server that breaks the spec,
 *    exactly the broken cases fail.
 *
 * Every connection goes through a tap relay that reads the handshake off the
 * wire: each must negotiate X25519MLKEM768. The chain is ECDSA P-256 under
 * STOCK_PEER_POLICY, `compat` until the pq-kex policy exists (why: see
 * stock-peer-tls.ts). Skips only when `python3` is not on PATH; a failed
 * install is a failure.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { INTEROP_CASE_NAMES } from "../../src/interop/client-cases.ts";
import { ensureGoPeers, GO_INSTALL_TIMEOUT_MS, goMissing, startGoServer } from "./go-peers.ts";
import { startPqrpcServe } from "./pqrpc-serve-process.ts";
import {
  ensurePythonPeers,
  PYTHON_INSTALL_TIMEOUT_MS,
  type PythonPeers,
  pythonMissing,
  runPythonClient,
} from "./python-peers.ts";
import { BROKEN_CASES, startSpecBreakingServer } from "./spec-breaking-server.ts";
import {
  assertAllCasesPassed,
  assertHybridOnWire,
  type Certs,
  createStockPeerCerts,
  describeHandshake,
  EXPECTED_GROUP,
  SERVER_NAME,
  STOCK_PEER_POLICY,
} from "./stock-peer-tls.ts";
import { startTapRelay } from "./tap-relay.ts";

/** One test: a server start-up and one client run of 14 cases, on a slow shared machine. */
const TEST_TIMEOUT_MS = 10 * 60_000;

describe(`interop with Python grpcio (BoringSSL), ECDSA P-256 chain, policy ${STOCK_PEER_POLICY}`, {
  skip: pythonMissing(),
}, () => {
  let peers: PythonPeers;
  let certs: Certs;

  before(
    async () => {
      peers = await ensurePythonPeers();
      certs = await createStockPeerCerts("pqrpc-python-");
    },
    { timeout: PYTHON_INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it("grpcio client -> pqrpc serve --interop (h2): all 14 cases on X25519MLKEM768", {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const v = peers.versions;
    t.diagnostic(
      `peer: grpcio ${v.grpcio}, protobuf ${v.protobuf}, Python ${v.python}; install ${peers.installMs.toFixed(0)} ms`,
    );
    const server = await startPqrpcServe({ cert: certs.cert, key: certs.key, policy: STOCK_PEER_POLICY });
    const relay = await startTapRelay(server.port);
    try {
      const results = await runPythonClient(peers, {
        port: relay.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: INTEROP_CASE_NAMES,
      });
      for (const r of results)
        t.diagnostic(`${r.case}: ${r.ok ? "ok" : r.error} (${r.durationMs.toFixed(0)} ms)`);
      assertAllCasesPassed(results);
      assertHybridOnWire(relay.connections, "grpcio client -> pqrpc");
      const hello = relay.connections[0]!.clientHellos[0]!;
      assert.ok(hello.supportedGroups.includes(EXPECTED_GROUP), "grpcio offers the hybrid by default");
      assert.deepEqual(hello.alpn, ["h2"]);
      t.diagnostic(
        `wire (${relay.connections.length} connection(s)): ${describeHandshake(relay.connections[0]!)}`,
      );
    } catch (e) {
      t.diagnostic(`pqrpc serve output:\n${server.output()}`);
      throw e;
    } finally {
      await relay.close();
      await server.stop();
    }
  });

  it("harness: grpcio client -> grpc-go interop server passes all cases on X25519MLKEM768", {
    skip: goMissing(),
    timeout: GO_INSTALL_TIMEOUT_MS + TEST_TIMEOUT_MS,
  }, async (t) => {
    const go = await ensureGoPeers();
    const server = await startGoServer(go, { cert: certs.cert, key: certs.key });
    const relay = await startTapRelay(server.port);
    try {
      const results = await runPythonClient(peers, {
        port: relay.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: INTEROP_CASE_NAMES,
      });
      assertAllCasesPassed(results);
      assertHybridOnWire(relay.connections, "grpcio client -> grpc-go server");
      t.diagnostic(`wire: ${describeHandshake(relay.connections[0]!)}`);
    } catch (e) {
      t.diagnostic(`grpc-go server log:\n${server.output()}`);
      throw e;
    } finally {
      await relay.close();
      await server.stop();
    }
  });

  it("the grpcio client's verdict can fail: a server that breaks the spec fails exactly those cases", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startSpecBreakingServer(certs);
    try {
      const results = await runPythonClient(peers, {
        port: server.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: [...BROKEN_CASES, "empty_unary"],
      });
      assert.deepEqual(
        results.map((r) => [r.case, r.ok]),
        [
          ["custom_metadata", false],
          ["status_code_and_message", false],
          ["unimplemented_method", false],
          ["empty_unary", true],
        ],
      );
      assert.match(
        results[0]?.error ?? "",
        /UnaryCall initial metadata x-grpc-test-echo-initial is None, expected 'test_initial_metadata_value'/,
      );
      assert.match(
        results[1]?.error ?? "",
        /UnaryCall ended with UNKNOWN "some other message"; expected UNKNOWN "test status message"/,
      );
      assert.match(
        results[2]?.error ?? "",
        /TestService\/UnimplementedCall succeeded; expected status UNIMPLEMENTED/,
      );
    } finally {
      await server.close();
    }
  });
});
