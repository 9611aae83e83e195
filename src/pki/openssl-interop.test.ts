/**
 * Real-peer checks against OpenSSL 3.5 through Node 24 (issue 2 acceptance):
 * (a) what `pqrpc certs init` writes is loaded, verified and used for a
 *     mutually authenticated TLS 1.3 handshake by OpenSSL;
 * (b) pqrpc validates an ML-DSA-65 chain that OpenSSL signed (built without
 *     pqrpc's issuer code), rejects it with one byte flipped, and loads the
 *     PKCS#8 key OpenSSL exported (its seed + expanded "both" form).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { main } from "../cli/main.ts";
import { subjectPublicKeyInfoDer } from "./algorithms.ts";
import { parseCertificate } from "./certificate.ts";
import { importPrivateKey } from "./keys.ts";
import { decodePemOne } from "./pem.ts";
import { flipByte } from "./test-helpers.ts";
import { createVerifier } from "./trust-store.ts";
import { PkiError } from "./types.ts";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const node24 = process.env["PQRPC_NODE24"] ?? join(repo, "tools/node24/node_modules/.bin/node");
const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));
/** Generous bound for one Node 24 child (start-up + a TLS handshake) on a loaded 2-core machine. */
const CHILD_TIMEOUT_MS = 30_000;

async function node24Json(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  assert.ok(existsSync(node24), `Node 24 not found at ${node24} (run scripts/ensure-node24.sh)`);
  const { stdout } = await run(node24, [join(testdata, script), ...args], {
    cwd: repo,
    timeout: CHILD_TIMEOUT_MS,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("OpenSSL 3.5 (Node 24) interop", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  for (const alg of ["ml-dsa-65", "ecdsa-p256-sha256", "ed25519"]) {
    it(`(a) OpenSSL loads, verifies and handshakes with \`pqrpc certs init --alg ${alg}\` output`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "pqrpc-certs-"));
      dirs.push(dir);
      const errors: string[] = [];
      const code = await main(["certs", "init", "--dir", dir, "--alg", alg, "--san", "localhost,127.0.0.1"], {
        stdout: () => {},
        stderr: (t) => errors.push(t),
      });
      assert.equal(code, 0, errors.join(""));
      const r = (await node24Json("node24-check-certs.mjs", dir)) as {
        leaves: Record<
          string,
          {
            verifiedByCa: boolean;
            checkIssued: boolean;
            keyType: string;
            keyMatches: boolean;
            keyUsage: string[];
            subjectAltName: string | null;
          }
        >;
        caSelfSigned: boolean;
        caIsCa: boolean;
        caKeyType: string;
        handshake?: { authorized: boolean; protocol: string };
        clientAuthorized?: boolean;
        reply?: string;
        error?: string;
      };
      const keyType = alg === "ecdsa-p256-sha256" ? "ec" : alg;
      assert.equal(r.error, undefined);
      assert.equal(r.caSelfSigned, true);
      assert.equal(r.caIsCa, true);
      assert.equal(r.caKeyType, keyType);
      for (const [name, eku] of [
        ["server", "1.3.6.1.5.5.7.3.1"],
        ["client", "1.3.6.1.5.5.7.3.2"],
      ] as const) {
        const leaf = r.leaves[name]!;
        assert.equal(leaf.verifiedByCa, true, `${name}: leaf.verify(ca.publicKey)`);
        assert.equal(leaf.checkIssued, true);
        assert.equal(leaf.keyType, keyType);
        assert.equal(leaf.keyMatches, true, `${name}: private key matches the certificate`);
        assert.deepEqual(leaf.keyUsage, [eku]);
      }
      assert.equal(r.leaves["server"]!.subjectAltName, "DNS:localhost, IP Address:127.0.0.1");
      assert.deepEqual(r.handshake, { authorized: true, protocol: "TLSv1.3" });
      assert.equal(r.clientAuthorized, true);
      assert.equal(r.reply, "pong");
    });
  }

  it("(b) pqrpc verifies an ML-DSA-65 chain signed by OpenSSL and loads its PKCS#8 key", async () => {
    const r = (await node24Json("node24-issue-chain.mjs")) as {
      rootPem: string;
      leafPem: string;
      leafKeyPem: string;
      leafSpkiHex: string;
    };
    const verifier = createVerifier({ roots: r.rootPem });
    const leafDer = decodePemOne(r.leafPem, "CERTIFICATE");
    const peer = verifier.verify({ chain: [leafDer], serverName: "localhost", usage: "server" });
    assert.equal(peer.algorithm, "ml-dsa-65");
    assert.equal(peer.path.length, 2);
    for (const index of [-1, -200, Math.floor(leafDer.length / 3)]) {
      assert.throws(
        () =>
          verifier.verify({ chain: [flipByte(leafDer, index)], serverName: "localhost", usage: "server" }),
        (e: unknown) =>
          e instanceof PkiError && ["bad-signature", "bad-encoding", "unknown-ca"].includes(e.code),
      );
    }
    assert.throws(
      () => verifier.verify({ chain: [flipByte(leafDer, -1)], usage: "server" }),
      (e: unknown) => e instanceof PkiError && e.code === "bad-signature",
    );
    // OpenSSL writes ML-DSA PKCS#8 keys in the RFC 9881 "both" form; the seed is enough for pqrpc.
    const pair = importPrivateKey(decodePemOne(r.leafKeyPem, "PRIVATE KEY"));
    const leaf = parseCertificate(leafDer);
    assert.deepEqual(pair.publicKey, leaf.publicKey);
    assert.equal(
      Buffer.from(subjectPublicKeyInfoDer("ml-dsa-65", pair.publicKey)).toString("hex"),
      r.leafSpkiHex,
    );
    const msg = new TextEncoder().encode("CertificateVerify stand-in");
    assert.equal(peer.key.verify(msg, pair.signingKey.sign(msg)), true);
  });
});
