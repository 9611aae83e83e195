/**
 * Interop with grpc-go over Go's crypto/tls (issue 9 part 4): grpc-go's own
 * interop client and server (google.golang.org/grpc/interop/client and
 * .../server, at the version test/interop/go/go.mod pins, built by
 * scripts/ensure-go-peers.sh), with their default TLS settings:
 *
 * 1. grpc-go interop client -> `pqrpc serve --interop` (gRPC over HTTP/2 on
 *    our TLS): all 14 cases, one client process per case.
 * 2. pqrpc interop client (src/interop/client-cases.ts) -> grpc-go interop
 *    server: all 14 cases.
 * 3. Under our default policy with an ML-DSA-65 chain, Go (which has no
 *    ML-DSA) is refused with a handshake_failure alert: no classical fallback.
 * 4. The grpc-go client's verdict can fail: against a server that breaks
 *    the spec, exactly the broken cases fail.
 *
 * In 1-3 every connection goes through a tap relay that reads the handshake
 * off the wire: each must negotiate X25519MLKEM768 (or, in 3, be refused
 * before any ServerHello). Apart from 3, the server runs STOCK_PEER_POLICY,
 * `pq-kex`, with an ML-DSA-65 and an ECDSA P-256 chain: the stock peer gets
 * ECDSA, and a pqrpc client on the same port gets ML-DSA-65 (see
 * stock-peer-tls.ts). Skips only when `go` is not on PATH; a failed
 * build is a failure.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { loadWasmProvider } from "../../src/crypto/index.ts";
import { createInteropClients, INTEROP_CASE_NAMES, runInteropCase } from "../../src/interop/client-cases.ts";
import { loadTrust } from "../../src/pki/load.ts";
import { createGrpcTransport } from "../../src/protocol/grpc/transport.ts";
import type { NegotiatedInfo } from "../../src/tls/index.ts";
import { DEFAULT_POLICY } from "../../src/tls/policy.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import {
  ensureGoPeers,
  GO_INSTALL_TIMEOUT_MS,
  type GoPeers,
  goMissing,
  runGoClientCases,
  startGoServer,
} from "./go-peers.ts";
import { startPqrpcServe } from "./pqrpc-serve-process.ts";
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

/** One test: 14 client processes (or 14 cases in-process) plus a server start-up, on a slow shared machine. */
const TEST_TIMEOUT_MS = 10 * 60_000;

describe(`interop with grpc-go (Go crypto/tls), ECDSA P-256 + ML-DSA-65 chains, policy ${STOCK_PEER_POLICY}`, {
  skip: goMissing(),
}, () => {
  let peers: GoPeers;
  let certs: DualCerts;

  before(
    async () => {
      peers = await ensureGoPeers();
      certs = await createDualChainCerts("pqrpc-go-");
      await loadWasmProvider();
    },
    { timeout: GO_INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it("grpc-go interop client -> pqrpc serve --interop (h2): all 14 cases on X25519MLKEM768", {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const log = (text: string) => t.diagnostic(text);
    log(
      `peer: grpc-go ${peers.versions.grpc} built with ${peers.versions.go}; install ${peers.installMs.toFixed(0)} ms`,
    );
    const server = await startPqrpcServe({ identities: dualIdentities(certs), policy: STOCK_PEER_POLICY });
    await withTapRelay(server, log, async (relay) => {
      const results = await runGoClientCases(
        peers,
        { port: relay.port, ca: certs.ca, serverName: SERVER_NAME },
        INTEROP_CASE_NAMES,
      );
      logCaseResults(log, results);
      assertAllCasesPassed(results);
      // One client process, so one connection, per case, in case order.
      assert.equal(relay.connections.length, INTEROP_CASE_NAMES.length, "one TLS connection per case");
      // timeout_on_sleeping_server's 1 ms deadline may expire before the handshake is done (the
      // client then closes the connection, whatever the server): its connection is checked apart.
      const sleeping = INTEROP_CASE_NAMES.indexOf("timeout_on_sleeping_server");
      assertHybridOnWire(
        relay.connections.filter((_, i) => i !== sleeping),
        "grpc-go client -> pqrpc",
      );
      const cut = relay.connections[sleeping]!;
      assert.equal(cut.parseError, undefined);
      assert.ok(cut.serverHello === undefined || cut.serverHello.group === EXPECTED_GROUP);
      log(
        `timeout_on_sleeping_server's connection: ${cut.clientHellos.length} ClientHello, ` +
          `${cut.serverHello ? `ServerHello ${cut.serverHello.group}` : "no ServerHello (deadline first)"}`,
      );
      const hello = relay.connections[0]!.clientHellos[0]!;
      assert.ok(hello.supportedGroups.includes(EXPECTED_GROUP), "Go offers the hybrid by default");
      assert.deepEqual(hello.alpn, ["h2"]);
      log(`wire: ${describeHandshake(relay.connections[0]!)}`);
      // The same port serves pqrpc's own clients their ML-DSA-65 chain.
      const ours = await assertPqrpcClientGetsMlDsa(server.port, certs);
      log(`pqrpc client on the same port: ${ours.group} ${ours.signatureScheme}`);
    });
  });

  it("pqrpc interop client -> grpc-go interop server: all 14 cases on X25519MLKEM768", {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const log = (text: string) => t.diagnostic(text);
    const trust = await loadTrust(certs.ca);
    const server = await startGoServer(peers, { cert: certs.cert, key: certs.key });
    await withTapRelay(server, log, async (relay) => {
      const ours: NegotiatedInfo[] = [];
      const transport = createGrpcTransport({
        authority: `https://${SERVER_NAME}:${relay.port}`,
        connect: async () => {
          const tls = await connectTls("127.0.0.1", relay.port, {
            serverName: SERVER_NAME,
            alpnProtocols: ["h2"],
            verifier: trust,
            policy: STOCK_PEER_POLICY,
          });
          ours.push(tls.info!);
          return tls;
        },
      });
      const results = [];
      try {
        const clients = createInteropClients(transport);
        for (const name of INTEROP_CASE_NAMES) results.push(await runInteropCase(name, clients));
      } finally {
        await transport.close();
      }
      logCaseResults(log, results);
      assertAllCasesPassed(results);
      assertHybridOnWire(relay.connections, "pqrpc client -> grpc-go server");
      const info = ours[0];
      assert.ok(info, "our client connected");
      assert.equal(info.group, EXPECTED_GROUP, "Go's server picks the hybrid group too");
      assert.equal(info.signatureScheme, "ecdsa-p256-sha256", "Go signs with the ECDSA chain");
      assert.equal(info.alpn, "h2");
      log(`wire: ${describeHandshake(relay.connections[0]!)}`);
      log(`pqrpc client: ${info.group} ${info.cipherSuite} ${info.signatureScheme}`);
    });
  });

  it(`under the default policy (${DEFAULT_POLICY}) with an ML-DSA-65 chain, grpc-go is refused with handshake_failure`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const result = await runAgainstDefaultPolicy(
      "pqrpc-go-mldsa-",
      (text) => t.diagnostic(text),
      (port, ca) => runGoClientCases(peers, { port, ca, serverName: SERVER_NAME }, ["empty_unary"]),
    );
    assert.equal(result?.ok, false, "no call without a signature scheme both sides accept");
    assert.match(result?.error ?? "", /remote error: tls: handshake failure/);
  });

  it("the grpc-go client's verdict can fail: a server that breaks the spec fails exactly those cases", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await startSpecBreakingServer(certs);
    try {
      const results = await runGoClientCases(
        peers,
        { port: server.port, ca: certs.ca, serverName: SERVER_NAME },
        SPEC_BREAKING_RUN,
      );
      const [metadata, status, unimplemented] = brokenCaseErrors(results);
      assert.match(metadata!, /Expected exactly one header from server/);
      assert.match(status!, /desc = some other message, want .*desc = test status message/);
      assert.match(unimplemented!, /want error code Unimplemented/);
    } finally {
      await server.close();
    }
  });
});
