/**
 * TLS 1.3 with composite ML-DSA certificates (draft-ietf-lamps-pq-composite-sigs):
 * a composite chain signs CertificateVerify under "hybrid"; "pq-strict" refuses it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SignatureName } from "../crypto/types.ts";
import { createTlsClient } from "./connection.ts";
import { clientConfig, connectPair } from "./engine-test-helpers.ts";

/** RFC 8446 §6: handshake_failure. */
const HANDSHAKE_FAILURE = 40;

const COMPOSITES: readonly SignatureName[] = ["mldsa65-ecdsa-p256-sha512", "mldsa44-ed25519-sha512"];

describe("tls engine: composite ML-DSA certificates", () => {
  for (const alg of COMPOSITES) {
    it(`${alg} chain and CertificateVerify under hybrid`, () => {
      const { client, server } = connectPair({
        algorithm: alg,
        client: { policy: "hybrid" },
        server: { policy: "hybrid" },
      });
      assert.equal(client.error, undefined, client.error?.message);
      assert.equal(server.error, undefined, server.error?.message);
      assert.equal(client.info?.signatureScheme, alg);
      assert.equal(client.info?.peerCertificates.length, 2);
    });
  }

  it("compat accepts a composite chain too", () => {
    const alg: SignatureName = "mldsa87-ecdsa-p384-sha512";
    const { client } = connectPair({
      algorithm: alg,
      client: { policy: "compat" },
      server: { policy: "compat" },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(client.info?.signatureScheme, alg);
  });

  it("pq-strict refuses a server that has only a composite certificate", () => {
    const { client, server } = connectPair({
      algorithm: "mldsa65-ecdsa-p256-sha512",
      client: { policy: "pq-strict" },
      server: { policy: "hybrid" },
    });
    assert.equal(client.info, undefined);
    // RFC 8446 §4.4.2.2: no certificate matching signature_algorithms -> handshake_failure (40).
    assert.equal(server.error?.alert, HANDSHAKE_FAILURE);
    assert.equal(server.error?.origin, "local");
    assert.equal(client.error?.alert, HANDSHAKE_FAILURE);
    assert.equal(client.error?.origin, "peer");
  });

  it("pq-strict refuses to offer a composite scheme at all", () => {
    assert.throws(
      () =>
        createTlsClient(
          clientConfig({ policy: "pq-strict", signatureSchemes: ["mldsa65-ecdsa-p256-sha512"] }),
        ),
      { name: "TlsConfigError" },
    );
  });
});
