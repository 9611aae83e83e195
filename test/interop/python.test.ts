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
 * 3. Under our default policy with an ML-DSA-65 chain, grpcio (which has no
 *    ML-DSA) is refused with a handshake_failure alert: no classical fallback.
 * 4. The client's verdict can fail: against a server that breaks the spec,
 *    exactly the broken cases fail.
 *
 * In 1-3 every connection goes through a tap relay that reads the handshake
 * off the wire: each must negotiate X25519MLKEM768 (or, in 3, be refused
 * before any ServerHello). Apart from 3, the server runs STOCK_PEER_POLICY,
 * `pq-kex`, with an ML-DSA-65 and an ECDSA P-256 chain: the stock peer gets
 * ECDSA, and a pqrpc client on the same port gets ML-DSA-65 (see
 * stock-peer-tls.ts). Skips only when `python3` is not on PATH; a failed
 * install is a failure.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { INTEROP_CASE_NAMES } from "../../src/interop/client-cases.ts";
import { DEFAULT_POLICY } from "../../src/tls/policy.ts";
import { ensureGoPeers, GO_INSTALL_TIMEOUT_MS, goMissing, startGoServer } from "./go-peers.ts";
import { startPqrpcServe } from "./pqrpc-serve-process.ts";
import {
  ensurePythonPeers,
  PYTHON_INSTALL_TIMEOUT_MS,
  type PythonPeers,
  pythonMissing,
  runPythonClient,
} from "./python-peers.ts";
import { runAgainstDefaultPolicy } from "./refused-by-default-policy.ts";
import { brokenCaseErrors, SPEC_BREAKING_RUN, startSpecBreakingServer } from "./spec-breaking-server.ts";
import {
  assertAllCasesPassed,
  assertHybridOnWire,
  assertPqrpcClientGetsMlDsa,
  createDualChainCerts,
  type DualCerts,
  describeHandshake,
  dualIdentities,
  EXPECTED_GROUP,
  logCaseResults,
  SERVER_NAME,
  STOCK_PEER_POLICY,
} from "./stock-peer-tls.ts";
import { withTapRelay } from "./tap-relay.ts";

/** One test: a server start-up and one client run of 14 cases, on a slow shared machine. */
const TEST_TIMEOUT_MS = 10 * 60_000;

describe(`interop with Python grpcio (BoringSSL), ECDSA P-256 + ML-DSA-65 chains, policy ${STOCK_PEER_POLICY}`, {
  skip: pythonMissing(),
}, () => {
  let peers: PythonPeers;
  let certs: DualCerts;

  before(
    async () => {
      peers = await ensurePythonPeers();
      certs = await createDualChainCerts("pqrpc-python-");
    },
    { timeout: PYTHON_INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });
  /** One client run (one channel) against 127.0.0.1:port. */
  const runCases = (port: number, cases: readonly string[] = INTEROP_CASE_NAMES) =>
    runPythonClient(peers, { port, ca: certs.ca, serverName: SERVER_NAME, cases });

  it("grpcio client -> pqrpc serve --interop (h2): all 14 cases on X25519MLKEM768", {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const log = (text: string) => t.diagnostic(text);
    const v = peers.versions;
    log(
      `peer: grpcio ${v.grpcio}, protobuf ${v.protobuf}, Python ${v.python}; install ${peers.installMs.toFixed(0)} ms`,
    );
    const server = await startPqrpcServe({ identities: dualIdentities(certs), policy: STOCK_PEER_POLICY });
    await withTapRelay(server, log, async (relay) => {
      const results = await runCases(relay.port);
      logCaseResults(log, results);
      assertAllCasesPassed(results);
      assertHybridOnWire(relay.connections, "grpcio client -> pqrpc");
      const hello = relay.connections[0]!.clientHellos[0]!;
      assert.ok(hello.supportedGroups.includes(EXPECTED_GROUP), "grpcio offers the hybrid by default");
      assert.deepEqual(hello.alpn, ["h2"]);
      log(`wire (${relay.connections.length} connection(s)): ${describeHandshake(relay.connections[0]!)}`);
      // The same port serves pqrpc's own clients their ML-DSA-65 chain.
      const ours = await assertPqrpcClientGetsMlDsa(server.port, certs);
      log(`pqrpc client on the same port: ${ours.group} ${ours.signatureScheme}`);
    });
  });

  it("harness: grpcio client -> grpc-go interop server passes all cases on X25519MLKEM768", {
    skip: goMissing(),
    timeout: GO_INSTALL_TIMEOUT_MS + TEST_TIMEOUT_MS,
  }, async (t) => {
    const log = (text: string) => t.diagnostic(text);
    const go = await ensureGoPeers();
    const server = await startGoServer(go, { cert: certs.cert, key: certs.key });
    await withTapRelay(server, log, async (relay) => {
      const results = await runCases(relay.port);
      assertAllCasesPassed(results);
      assertHybridOnWire(relay.connections, "grpcio client -> grpc-go server");
      log(`wire: ${describeHandshake(relay.connections[0]!)}`);
    });
  });

  it(`under the default policy (${DEFAULT_POLICY}) with an ML-DSA-65 chain, grpcio is refused with handshake_failure`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const result = await runAgainstDefaultPolicy(
      "pqrpc-python-mldsa-",
      (text) => t.diagnostic(text),
      (port, ca) => runPythonClient(peers, { port, ca, serverName: SERVER_NAME, cases: ["empty_unary"] }),
    );
    assert.equal(result?.ok, false, "no call without a signature scheme both sides accept");
    assert.match(result?.error ?? "", /UNAVAILABLE .*SSLV3_ALERT_HANDSHAKE_FAILURE/);
  });

  it("the grpcio client's verdict can fail: a server that breaks the spec fails exactly those cases", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startSpecBreakingServer(certs);
    try {
      const [metadata, status, unimplemented] = brokenCaseErrors(
        await runCases(server.port, SPEC_BREAKING_RUN),
      );
      assert.match(
        metadata!,
        /UnaryCall initial metadata x-grpc-test-echo-initial is None, expected 'test_initial_metadata_value'/,
      );
      assert.match(
        status!,
        /UnaryCall ended with UNKNOWN "some other message"; expected UNKNOWN "test status message"/,
      );
      assert.match(unimplemented!, /TestService\/UnimplementedCall succeeded; expected status UNIMPLEMENTED/);
    } finally {
      await server.close();
    }
  });
});
