/**
 * Issue 3's gRPC interop acceptance checks against stock @grpc/grpc-js on
 * Node 24 (OpenSSL 3.5), with a `pqrpc certs init --alg ml-dsa-65` chain:
 *
 * 1. grpc-js client -> grpc-js server: proves the harness itself (the peer's
 *    cases and TestService agree, OpenSSL takes the ML-DSA chain, and the
 *    key exchange is X25519MLKEM768).
 * 2. pqrpc client (gRPC over HTTP/2 on our TLS) -> grpc-js server.
 * 3. grpc-js client -> pqrpc server (our TLS, node:http2, the router).
 *
 * All 14 cases of doc/interop-test-descriptions.md must pass in each.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli/main.ts";
import { loadWasmProvider } from "../../src/crypto/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { createInteropClients, INTEROP_CASE_NAMES, runInteropCase } from "../../src/interop/client-cases.ts";
import { createTestServiceHandlers } from "../../src/interop/test-service.ts";
import { loadIdentity, loadTrust } from "../../src/pki/load.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { createGrpcServerHandler } from "../../src/protocol/grpc/handler.ts";
import { createGrpcTransport } from "../../src/protocol/grpc/transport.ts";
import { Code } from "../../src/rpc/code.ts";
import { createRouter } from "../../src/rpc/router.ts";
import { RpcError } from "../../src/rpc/rpc-error.ts";
import type { ServiceHandlers } from "../../src/rpc/service-types.ts";
import type { NegotiatedInfo } from "../../src/tls/index.ts";
import type { PolicyName } from "../../src/tls/policy.ts";
import { connectTls, tlsAccept } from "../../src/transport/tls-connect.ts";
import { type GrpcJsCaseResult, runGrpcJsClient, startGrpcJsServer } from "./grpc-js-harness.ts";
import { startTapRelay } from "./tap-relay.ts";

/** The name in the dev certificate's SANs that both sides use for TLS and :authority. */
const SERVER_NAME = "localhost";

interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

async function createCerts(alg = "ml-dsa-65"): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-grpc-js-"));
  let stderr = "";
  const code = await main(["certs", "init", "--dir", dir, "--alg", alg], {
    stdout: () => {},
    stderr: (t) => (stderr += t),
  });
  assert.equal(code, 0, `pqrpc certs init failed: ${stderr}`);
  return { dir, ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

/**
 * The minimal pqrpc gRPC server: TCP -> tlsAccept (ALPN h2) -> node:http2
 * session -> the gRPC server handler -> the router with the TestService.
 */
async function startPqrpcServer(
  certs: Certs | readonly Certs[],
  handlers: Partial<ServiceHandlers<typeof TestService>> = createTestServiceHandlers(),
  policy?: PolicyName,
) {
  const router = createRouter().service(TestService, handlers);
  const grpc = createGrpcServerHandler(router);
  const h2 = http2.createServer();
  grpc.attach(h2);
  const identities = await Promise.all(
    (Array.isArray(certs) ? certs : [certs as Certs]).map((c) => loadIdentity(c.cert, c.key)),
  );
  const certificate = identities.length === 1 ? identities[0]! : identities;
  const handshakes: (NegotiatedInfo | Error)[] = [];
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    tlsAccept(socket, {
      certificate,
      alpnProtocols: ["h2"],
      ...(policy === undefined ? {} : { policy }),
    }).then(
      (tls) => {
        handshakes.push(tls.info!);
        grpc.acceptConnection(h2, tls);
      },
      (e: Error) => {
        handshakes.push(e);
        socket.destroy();
      },
    );
  });
  tcp.listen(0, "127.0.0.1");
  await once(tcp, "listening");
  return {
    port: (tcp.address() as { port: number }).port,
    handshakes,
    activeCalls: () => grpc.activeCalls,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      h2.close();
    },
  };
}

/** Asserts that every case ran and passed, listing every failure at once. */
function assertAllPassed(results: readonly Pick<GrpcJsCaseResult, "case" | "ok" | "error">[]): void {
  assert.deepEqual(
    results.map((r) => r.case),
    [...INTEROP_CASE_NAMES],
    "every case reported, in order",
  );
  const failed = results.filter((r) => !r.ok).map((r) => `${r.case}: ${r.error}`);
  assert.deepEqual(failed, [], `failed cases:\n${failed.join("\n")}`);
}

describe("gRPC interop with @grpc/grpc-js on Node 24, ML-DSA-65 chain", () => {
  let certs: Certs;
  let trust: TrustStore;

  before(async () => {
    await loadWasmProvider();
    certs = await createCerts();
    trust = await loadTrust(certs.ca);
  });
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it("harness: grpc-js client -> grpc-js server passes all cases over X25519MLKEM768", async () => {
    const server = await startGrpcJsServer({ cert: certs.cert, key: certs.key });
    try {
      const results = await runGrpcJsClient({
        port: server.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: INTEROP_CASE_NAMES,
      });
      assertAllPassed(results);
      const wire = await server.waitWire(0);
      assert.equal(wire.parseError, undefined);
      assert.equal(wire.group, "X25519MLKEM768", "OpenSSL 3.5 picks the hybrid PQ group");
      assert.deepEqual(wire.alpn, ["h2"]);
    } finally {
      await server.stop();
    }
  });

  it("pqrpc client -> grpc-js server passes all cases", async () => {
    const server = await startGrpcJsServer({ cert: certs.cert, key: certs.key });
    const transport = createGrpcTransport({
      authority: `https://${SERVER_NAME}:${server.port}`,
      connect: () =>
        connectTls("127.0.0.1", server.port, {
          serverName: SERVER_NAME,
          alpnProtocols: ["h2"],
          verifier: trust,
        }),
    });
    try {
      const clients = createInteropClients(transport);
      const results = [];
      for (const name of INTEROP_CASE_NAMES) results.push(await runInteropCase(name, clients));
      assertAllPassed(results);
      await transport.close();
      const wire = await server.waitWire(0);
      assert.equal(wire.group, "X25519MLKEM768", "our TLS and OpenSSL 3.5 agree on the hybrid PQ group");
      assert.deepEqual(wire.alpn, ["h2"]);
    } finally {
      await transport.close();
      await server.stop();
    }
  });

  it("grpc-js client -> pqrpc server passes all cases", async () => {
    const server = await startPqrpcServer(certs);
    try {
      const results = await runGrpcJsClient({
        port: server.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: INTEROP_CASE_NAMES,
      });
      assertAllPassed(results);
      const first = server.handshakes[0];
      assert.ok(first !== undefined && !(first instanceof Error), `handshake: ${String(first)}`);
      assert.equal(
        first.group,
        "X25519MLKEM768",
        "OpenSSL 3.5's client and our server agree on the hybrid group",
      );
      assert.equal(first.alpn, "h2");
      assert.equal(server.activeCalls(), 0, "no call left open on the server");
    } finally {
      await server.close();
    }
  });

  it("the grpc-js client's checks catch a server that breaks the spec", async () => {
    const server = await startPqrpcServer(certs, {
      ...createTestServiceHandlers(),
      // No Echo Metadata, the wrong status text, and a method that must stay unimplemented.
      unaryCall(req) {
        if (req.responseStatus !== undefined) throw new RpcError(Code.UNKNOWN, "some other message");
        return { payload: { body: new Uint8Array(req.responseSize) } };
      },
      unimplementedCall: () => ({}),
    });
    try {
      const results = await runGrpcJsClient({
        port: server.port,
        ca: certs.ca,
        serverName: SERVER_NAME,
        cases: ["custom_metadata", "status_code_and_message", "unimplemented_method"],
      });
      assert.deepEqual(
        results.map((r) => [r.case, r.ok]),
        [
          ["custom_metadata", false],
          ["status_code_and_message", false],
          ["unimplemented_method", false],
        ],
      );
      assert.match(results[0]?.error ?? "", /initial metadata x-grpc-test-echo-initial/);
      assert.match(results[1]?.error ?? "", /"some other message"; expected UNKNOWN "test status message"/);
      assert.match(results[2]?.error ?? "", /succeeded; expected status UNIMPLEMENTED/);
    } finally {
      await server.close();
    }
  });
});

/**
 * The migration set-up (docs/MIGRATION.md) against grpc-js on Node 24: policy pq-kex with an
 * ML-DSA-65 chain first and an ECDSA P-256 chain second. grpc-js trusts both CAs (a bundle, as a
 * client mid-migration does), so the chain it gets is the server's choice from the
 * signature_algorithms OpenSSL 3.5 offers, which the tap reads off the wire.
 */
describe("grpc-js on Node 24 -> a pqrpc server under pq-kex with ML-DSA-65 and ECDSA chains", () => {
  let mldsa: Certs;
  let ecdsa: Certs;
  let bundle: string;

  before(async () => {
    await loadWasmProvider();
    mldsa = await createCerts();
    ecdsa = await createCerts("ecdsa-p256-sha256");
    bundle = join(ecdsa.dir, "both-cas.pem");
    await writeFile(bundle, (await readFile(mldsa.ca, "utf8")) + (await readFile(ecdsa.ca, "utf8")));
  });
  after(async () => {
    for (const c of [mldsa, ecdsa]) if (c) await rm(c.dir, { recursive: true, force: true });
  });

  it("all cases pass on X25519MLKEM768 with the chain its signature_algorithms select", async (t) => {
    const server = await startPqrpcServer([mldsa, ecdsa], createTestServiceHandlers(), "pq-kex");
    const relay = await startTapRelay(server.port);
    try {
      const results = await runGrpcJsClient({
        port: relay.port,
        ca: bundle,
        serverName: SERVER_NAME,
        cases: INTEROP_CASE_NAMES,
      });
      assertAllPassed(results);
      const hello = relay.connections[0]?.clientHellos[0];
      assert.ok(hello, "the tap saw grpc-js's ClientHello");
      const offersMlDsa = hello.signatureAlgorithms.some((s) => s.startsWith("mldsa65"));
      const expected = offersMlDsa ? "ml-dsa-65" : "ecdsa-p256-sha256";
      assert.ok(server.handshakes.length > 0);
      for (const h of server.handshakes) {
        assert.ok(!(h instanceof Error), `handshake: ${String(h)}`);
        assert.equal(h.group, "X25519MLKEM768");
        assert.equal(h.signatureScheme, expected, "the first chain whose scheme grpc-js offers");
      }
      t.diagnostic(
        `grpc-js offered [${hello.signatureAlgorithms.join(", ")}]; the server chose ${expected} ` +
          `on ${server.handshakes.length} connection(s)`,
      );
    } finally {
      await relay.close();
      await server.close();
    }
  });
});
