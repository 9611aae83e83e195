/**
 * The TLS setting of the interop tests with stock gRPC stacks in other
 * languages (go.test.ts: grpc-go on Go's crypto/tls; python.test.ts: grpcio
 * on BoringSSL), in one place, and the checks they share.
 *
 * Both stacks offer X25519MLKEM768 by default, and neither has ML-DSA
 * certificates: Go 1.26's crypto/tls knows no ML-DSA SignatureScheme, and
 * grpcio's BoringSSL offers only ECDSA and RSA schemes. So the server runs the
 * migration set-up of docs/MIGRATION.md: policy `pq-kex` (a hybrid or PQ key
 * exchange required, classical certificate signatures allowed) with two
 * chains, ML-DSA-65 first and ECDSA P-256 second. Each handshake gets the
 * first chain whose signature the client offers: the stock peers get ECDSA,
 * and a pqrpc client on the same port gets ML-DSA-65, which the tests check
 * too. Every test asserts the hybrid key exchange on the wire.
 */
import assert from "node:assert/strict";
import { mkdtemp, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { INTEROP_CASE_NAMES } from "../../src/interop/client-cases.ts";
import { loadTrust } from "../../src/pki/load.ts";
import type { NegotiatedInfo } from "../../src/tls/index.ts";
import type { PolicyName } from "../../src/tls/policy.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import type { TapSummary } from "./tap-relay.ts";

/** Policy of pqrpc's side in these tests: PQ key exchange required, classical chains allowed. */
export const STOCK_PEER_POLICY: PolicyName = "pq-kex";
/** `pqrpc certs init --alg`: a chain that Go's crypto/tls and BoringSSL verify. */
export const STOCK_PEER_CERT_ALG = "ecdsa-p256-sha256";
/** The key exchange every connection must negotiate (the peers' default hybrid). */
export const EXPECTED_GROUP = "X25519MLKEM768";
/** The name in the certificate's SANs that clients verify and send as :authority. */
export const SERVER_NAME = "localhost";

export interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** `pqrpc certs init --alg ALG` (default ecdsa-p256-sha256) into a new temporary directory. */
export async function createStockPeerCerts(prefix: string, alg = STOCK_PEER_CERT_ALG): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let stderr = "";
  const code = await main(
    ["certs", "init", "--dir", dir, "--alg", alg, "--san", `${SERVER_NAME},127.0.0.1`],
    { stdout: () => {}, stderr: (t) => (stderr += t) },
  );
  assert.equal(code, 0, `pqrpc certs init failed: ${stderr}`);
  return { dir, ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

/** The chains of a migrating server: `pq` (ML-DSA-65) for pqrpc clients, and the ECDSA one (the Certs fields). */
export interface DualCerts extends Certs {
  readonly pq: Certs;
}

/** An ECDSA P-256 chain and an ML-DSA-65 chain, each with its own CA, under one temporary directory. */
export async function createDualChainCerts(prefix: string): Promise<DualCerts> {
  const ecdsa = await createStockPeerCerts(prefix);
  const pq = await createStockPeerCerts(prefix, "ml-dsa-65");
  // One directory to remove: the ML-DSA one moves inside the ECDSA one.
  const pqDir = join(ecdsa.dir, "ml-dsa-65");
  await rename(pq.dir, pqDir);
  return {
    ...ecdsa,
    pq: {
      dir: pqDir,
      ca: join(pqDir, "ca.pem"),
      cert: join(pqDir, "server.pem"),
      key: join(pqDir, "server.key"),
    },
  };
}

/** The server's identities in preference order: ML-DSA-65 first, so every client that takes it gets it. */
export function dualIdentities(certs: DualCerts): readonly { cert: string; key: string }[] {
  return [certs.pq, certs];
}

/**
 * A pqrpc client at its default policy, trusting only the ML-DSA-65 CA, connects to the same
 * port the stock peer used and gets the ML-DSA-65 chain over the hybrid group.
 */
export async function assertPqrpcClientGetsMlDsa(port: number, certs: DualCerts): Promise<NegotiatedInfo> {
  const tls = await connectTls("127.0.0.1", port, {
    serverName: SERVER_NAME,
    alpnProtocols: ["h2"],
    verifier: await loadTrust(certs.pq.ca),
  });
  try {
    const info = tls.info!;
    assert.equal(info.group, EXPECTED_GROUP, "a pqrpc client's group");
    assert.equal(info.signatureScheme, "ml-dsa-65", "a pqrpc client gets the ML-DSA-65 chain");
    return info;
  } finally {
    tls.destroy();
  }
}

export interface CaseResult {
  readonly case: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

/** Logs each case's outcome and time (test diagnostics become the run's record). */
export function logCaseResults(log: (text: string) => void, results: readonly CaseResult[]): void {
  for (const r of results) log(`${r.case}: ${r.ok ? "ok" : r.error} (${r.durationMs.toFixed(0)} ms)`);
}

/** Every one of the 14 cases reported, in order, and passed; lists every failure at once. */
export function assertAllCasesPassed(results: readonly CaseResult[]): void {
  assert.deepEqual(
    results.map((r) => r.case),
    [...INTEROP_CASE_NAMES],
    "every case reported, in order",
  );
  const failed = results.filter((r) => !r.ok).map((r) => `${r.case}: ${r.error}`);
  assert.deepEqual(failed, [], `failed cases:\n${failed.join("\n")}`);
}

/** Every tapped connection completed a full handshake on EXPECTED_GROUP, without HelloRetryRequest. */
export function assertHybridOnWire(connections: readonly TapSummary[], what: string): void {
  assert.ok(connections.length > 0, `${what}: no connection went through the tap`);
  connections.forEach((c, i) => {
    assert.equal(c.parseError, undefined, `${what}, connection ${i}: the tap could not parse the handshake`);
    assert.equal(c.clientHellos.length, 1, `${what}, connection ${i}: one ClientHello`);
    assert.equal(c.helloRetry, undefined, `${what}, connection ${i}: a HelloRetryRequest was needed`);
    assert.equal(c.serverHello?.group, EXPECTED_GROUP, `${what}, connection ${i}: negotiated group`);
    assert.equal(c.serverHello?.psk, false, `${what}, connection ${i}: a full handshake, not a resumption`);
  });
}

/**
 * Every tapped connection offered the hybrid but no ML-DSA signature scheme,
 * and got no ServerHello: the server refused it before choosing anything.
 */
export function assertRefusedBeforeServerHello(connections: readonly TapSummary[], what: string): void {
  assert.ok(connections.length > 0, `${what}: no connection went through the tap`);
  connections.forEach((c, i) => {
    const hello = c.clientHellos[0];
    assert.ok(hello, `${what}, connection ${i}: a ClientHello`);
    assert.ok(hello.supportedGroups.includes(EXPECTED_GROUP), `${what}, connection ${i}: offered the hybrid`);
    const mldsa = hello.signatureAlgorithms.filter((s) => s.startsWith("mldsa"));
    assert.deepEqual(mldsa, [], `${what}, connection ${i}: offered no ML-DSA signature scheme`);
    assert.equal(c.serverHello, undefined, `${what}, connection ${i}: no ServerHello`);
  });
}

/** One line for the test log: what the client offered and what the server chose. */
export function describeHandshake(c: TapSummary): string {
  const hello = c.clientHellos[0];
  if (!hello) return "no ClientHello seen";
  const shares = hello.keyShares.map((k) => `${k.group} (${k.bytes} B)`).join(", ");
  return [
    `offered groups [${hello.supportedGroups.join(", ")}]`,
    `key shares [${shares}]`,
    `signature algorithms [${hello.signatureAlgorithms.join(", ")}]`,
    `suites [${hello.cipherSuites.join(", ")}]`,
    `ALPN [${hello.alpn.join(", ")}]`,
    `-> server chose ${c.serverHello?.group} ${c.serverHello?.cipherSuite}` +
      `${c.helloRetry ? " after HelloRetryRequest" : ""}`,
  ].join("; ");
}
