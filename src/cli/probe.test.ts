/**
 * `pqrpc probe` against a pqrpc server (in-process) and OpenSSL 3.5 (Node 24's
 * tls, test/interop harness): negotiated parameters, the chain as parsed by
 * src/pki, verified vs not verified, resumption, and the policy refusal.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { OpensslPeer } from "../../test/interop/peer.ts";
import { loadWasmProvider } from "../crypto/index.ts";
import { type CertDir, makeCerts, runInProcess, runSpawned } from "./cli-test-helpers.ts";
import type { ProbeReport } from "./probe.ts";
import { startTestRpcServer, type TestRpcServer } from "./test-rpc-server.ts";

describe("pqrpc probe", () => {
  let mldsa: CertDir;
  let ecdsa: CertDir;
  let server: TestRpcServer;

  before(async () => {
    await loadWasmProvider();
    mldsa = await makeCerts("ml-dsa-65");
    ecdsa = await makeCerts("ecdsa-p256-sha256");
    server = await startTestRpcServer({ chain: mldsa.chain, key: mldsa.key });
  });
  after(async () => {
    await server?.close();
    for (const d of [mldsa, ecdsa]) if (d) await rm(d.dir, { recursive: true, force: true });
  });

  it("reports a pqrpc server: X25519MLKEM768, ML-DSA-65 chain verified by --ca, ALPN, resumption", async () => {
    const r = await runInProcess([
      "probe",
      `127.0.0.1:${server.port}`,
      "--servername",
      "localhost",
      "--ca",
      mldsa.ca,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as ProbeReport;
    assert.equal(p.version, "TLSv1.3");
    assert.equal(p.group, "X25519MLKEM768");
    assert.equal(p.signatureScheme, "ml-dsa-65");
    assert.equal(p.alpn, "pqrpc/1");
    assert.equal(p.helloRetryRequest, false);
    assert.match(p.cipherSuite, /^TLS_/);
    assert.equal(p.certificates.length, 2);
    const [leaf, ca] = p.certificates as Extract<ProbeReport["certificates"][number], { subject: string }>[];
    assert.equal(leaf?.subject, "O=pqrpc, CN=localhost");
    assert.equal(leaf?.keyAlgorithm, "ml-dsa-65");
    assert.equal(leaf?.publicKeyBytes, 1952, "ML-DSA-65 public key size (FIPS 204)");
    assert.equal(leaf?.signatureBytes, 3309, "ML-DSA-65 signature size (FIPS 204)");
    assert.deepEqual(leaf?.subjectAltNames, ["localhost", "127.0.0.1"]);
    assert.equal(ca?.ca, true);
    assert.equal(p.chainBytes, (leaf?.bytes ?? 0) + (ca?.bytes ?? 0));
    assert.ok(new Date(leaf!.notAfter) > new Date(leaf!.notBefore));
    assert.equal(p.verification.verified, true);
    assert.equal(p.verification.nameMatches, true);
    assert.equal(p.resumption.ticketReceived, true);
    assert.equal(p.resumption.resumed, true);
    assert.ok(p.handshakeMs > 0 && p.resumption.handshakeMs! > 0);
  });

  it("without --ca shows the chain but says it is NOT verified (text output)", async () => {
    const r = await runInProcess(["probe", `localhost:${server.port}`, "--alpn", "h2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /key exchange +X25519MLKEM768/);
    assert.match(r.stdout, /alpn +h2/);
    assert.match(r.stdout, /trust +NOT verified: no --ca given/);
    assert.match(r.stdout, /\[0\] subject +O=pqrpc, CN=localhost/);
    assert.match(r.stdout, /resumption +supported/);
    assert.doesNotMatch(r.stdout, /chains to the --ca anchor/);
  });

  it("OpenSSL 3.5 with an ECDSA chain under --policy compat: X25519MLKEM768, ecdsa, resumption", async () => {
    const peer = await OpensslPeer.start({
      role: "server",
      ecdhCurve: "X25519MLKEM768:X25519",
      cert: ecdsa.chain,
      key: ecdsa.key,
    });
    try {
      const r = await runInProcess([
        "probe",
        `localhost:${peer.port}`,
        "--policy",
        "compat",
        "--ca",
        ecdsa.ca,
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const p = JSON.parse(r.stdout) as ProbeReport;
      assert.equal(p.group, "X25519MLKEM768");
      assert.equal(p.signatureScheme, "ecdsa-p256-sha256");
      assert.equal(p.alpn, null, "the OpenSSL peer has no ALPN configured");
      assert.equal(p.verification.verified, true);
      const leaf = p.certificates[0] as { keyAlgorithm?: string };
      assert.equal(leaf.keyAlgorithm, "ecdsa-p256-sha256");
      assert.equal(p.resumption.ticketReceived, true);
      assert.equal(p.resumption.resumed, true, "OpenSSL resumes from its own ticket");
      const seen = await peer.secure(0);
      assert.equal(seen.group, "X25519MLKEM768", "OpenSSL agrees on the group");
    } finally {
      peer.stop();
    }
  });

  it("OpenSSL 3.5 with an ML-DSA-65 chain under the default policy; the ECDSA one is refused by it", async () => {
    const pq = await OpensslPeer.start({
      role: "server",
      ecdhCurve: "X25519MLKEM768",
      cert: mldsa.chain,
      key: mldsa.key,
    });
    const classical = await OpensslPeer.start({
      role: "server",
      ecdhCurve: "X25519MLKEM768",
      cert: ecdsa.chain,
      key: ecdsa.key,
    });
    try {
      const ok = await runInProcess(["probe", `localhost:${pq.port}`, "--ca", mldsa.ca, "--json"]);
      assert.equal(ok.code, 0, ok.stderr);
      const p = JSON.parse(ok.stdout) as ProbeReport;
      assert.equal(p.signatureScheme, "ml-dsa-65");
      assert.equal(p.group, "X25519MLKEM768");
      assert.equal(p.verification.verified, true);

      // Spawned as a user runs it: one line on stderr, the cause, exit code 1.
      const refused = await runSpawned(["probe", `localhost:${classical.port}`, "--ca", ecdsa.ca]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, "");
      assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^pqrpc: TLS handshake with localhost:\d+ failed: .*policy hybrid.*--policy compat/,
      );
    } finally {
      pq.stop();
      classical.stop();
    }
  });
});
