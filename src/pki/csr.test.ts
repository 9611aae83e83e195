import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCsr, parseCsr, verifyCsr } from "./csr.ts";
import { generateKeyPair, publicKeyInfo } from "./keys.ts";
import { decodePemOne, encodePem } from "./pem.ts";
import { flipByte } from "./test-helpers.ts";
import { PkiError } from "./types.ts";

describe("PKCS#10 certification requests", () => {
  for (const algorithm of ["ml-dsa-65", "ecdsa-p256-sha256", "ed25519"] as const) {
    it(`${algorithm}: create, PEM, parse, verify; a flipped byte fails`, () => {
      const key = generateKeyPair(algorithm);
      const der = createCsr({
        subject: { organization: "pqrpc", commonName: "svc" },
        publicKey: publicKeyInfo(key),
        signingKey: key.signingKey,
        subjectAltNames: ["svc.internal", "192.168.1.9"],
      });
      const csr = parseCsr(decodePemOne(encodePem("CERTIFICATE REQUEST", der), "CERTIFICATE REQUEST"));
      assert.equal(csr.subject, "O=pqrpc, CN=svc");
      assert.equal(csr.keyAlgorithm, algorithm);
      assert.deepEqual(csr.publicKey, key.publicKey);
      assert.deepEqual(csr.subjectAltNames.dnsNames, ["svc.internal"]);
      assert.deepEqual(csr.subjectAltNames.ipAddresses, [new Uint8Array([192, 168, 1, 9])]);
      verifyCsr(csr);
      assert.throws(
        () => verifyCsr(parseCsr(flipByte(der, -2))),
        (e: unknown) => e instanceof PkiError && e.code === "bad-signature",
      );
    });
  }

  it("refuses a CSR signed by another key", () => {
    const a = generateKeyPair("ed25519");
    const b = generateKeyPair("ecdsa-p256-sha256");
    assert.throws(
      () => createCsr({ subject: "x", publicKey: publicKeyInfo(a), signingKey: b.signingKey }),
      /signed by the key/,
    );
  });
});
