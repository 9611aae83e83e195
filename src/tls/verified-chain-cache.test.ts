/**
 * The TrustStore's verified-signature cache seen from handshakes: a second
 * handshake with the same chain verifies no certificate signature again, on
 * the client (server chain) and the server (client chain), while the
 * CertificateVerify over each handshake's transcript is always verified.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countingCrypto, makeChild, makeRoot, totalVerifies } from "../pki/test-helpers.ts";
import { TrustStore } from "../pki/trust-store.ts";
import { HandshakeType as H } from "./codec/types.ts";
import { connectPair, pki } from "./engine-test-helpers.ts";

/** Handshake header (4 bytes) + scheme (2) + signature length (2): the signature's first byte. */
const CV_SIGNATURE_OFFSET = 8;

describe("tls: verified chains are cached, CertificateVerify never is", () => {
  it("client: the second handshake verifies only the server's CertificateVerify", () => {
    const { crypto, verifies } = countingCrypto();
    const verifier = new TrustStore({ roots: pki().ca.certificate, crypto });
    const first = connectPair({ client: { verifier } });
    assert.equal(first.client.error, undefined, first.client.error?.message);
    assert.equal(totalVerifies(verifies), 2, "leaf <- CA, then CertificateVerify");
    for (let i = 1; i <= 3; i++) {
      const again = connectPair({ client: { verifier } });
      assert.equal(again.client.error, undefined, again.client.error?.message);
      assert.equal(totalVerifies(verifies), 2 + i, "CertificateVerify only");
    }
    assert.equal(verifier.cacheStats.signatureVerifications, 1);
    assert.equal(verifier.cacheStats.signatureCacheHits, 3);
  });

  it("client: a bad CertificateVerify fails on a cache hit (decrypt_error)", () => {
    const verifier = new TrustStore({ roots: pki().ca.certificate });
    assert.equal(connectPair({ client: { verifier } }).client.error, undefined);
    const { client } = connectPair({
      client: { verifier },
      serverHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] !== H.certificate_verify) return raw;
          const out = raw.slice();
          out[CV_SIGNATURE_OFFSET] = out[CV_SIGNATURE_OFFSET]! ^ 1;
          return out;
        },
      },
    });
    assert.equal(client.error?.alertName, "decrypt_error");
    assert.ok(verifier.cacheStats.signatureCacheHits >= 1, "the chain itself came from the cache");
  });

  it("client: an expired chain fails on a cache hit (certificate_expired)", () => {
    const verifier = new TrustStore({ roots: pki().ca.certificate });
    assert.equal(connectPair({ client: { verifier } }).client.error, undefined);
    const later = Date.now() + 20 * 365 * 24 * 3600 * 1000;
    const { client } = connectPair({ client: { verifier, now: () => later } });
    assert.equal(client.error?.alertName, "certificate_expired");
    assert.equal(verifier.cacheStats.signatureVerifications, 1);
  });

  it("client: hybrid and pq-strict refuse a classical CA signature whose edge is cached", () => {
    // An ML-DSA-65 leaf signed by an ECDSA CA: verified (and cached) under compat first.
    const root = makeRoot("ecdsa-p256-sha256");
    const leaf = makeChild(
      root,
      "server",
      { extendedKeyUsage: ["serverAuth"], subjectAltNames: ["localhost"] },
      "ml-dsa-65",
    );
    const server = { certificate: { chain: [leaf.der], key: leaf.key.signingKey } };
    const verifier = new TrustStore({ roots: root.der });
    const ok = connectPair({ client: { verifier, policy: "compat" }, server });
    assert.equal(ok.client.error, undefined, ok.client.error?.message);
    assert.equal(verifier.cacheStats.cachedSignatures, 1);
    for (const policy of ["hybrid", "pq-strict"] as const) {
      const { client } = connectPair({ client: { verifier, policy }, server });
      assert.equal(client.error?.alertName, "bad_certificate", `${policy}: ${client.error?.message}`);
      assert.match(client.error?.message ?? "", /ecdsa-p256-sha256/);
    }
  });

  it("server: a client chain verified once is not verified again; its CertificateVerify always is", () => {
    const { crypto, verifies } = countingCrypto();
    const clientVerifier = new TrustStore({ roots: pki().ca.certificate, crypto });
    const run = () =>
      connectPair({
        client: { certificate: pki().client.certifiedKey },
        server: { clientAuth: "require", clientVerifier },
      });
    const first = run();
    assert.equal(first.server.error, undefined, first.server.error?.message);
    assert.equal(first.server.info?.clientAuthenticated, true);
    assert.equal(totalVerifies(verifies), 2);
    const second = run();
    assert.equal(second.server.error, undefined, second.server.error?.message);
    assert.equal(totalVerifies(verifies), 3);
    assert.equal(clientVerifier.cacheStats.signatureCacheHits, 1);
  });
});
