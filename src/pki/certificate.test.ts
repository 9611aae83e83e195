import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { signatureByName } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import { parseCertificate } from "./certificate.ts";
import { issueCertificate } from "./issue.ts";
import { generateKeyPair, publicKeyInfo } from "./keys.ts";
import { SERIAL_NUMBER_BYTES } from "./limits.ts";
import { makeChild, makeRoot } from "./test-helpers.ts";
import { createVerifier } from "./trust-store.ts";
import { PkiError } from "./types.ts";

// One self-signed certificate per family (slow schemes sign once).
const ALGORITHMS: SignatureName[] = [
  "ml-dsa-44",
  "ml-dsa-65",
  "ml-dsa-87",
  "slh-dsa-sha2-128f",
  "falcon-512",
  "ed25519",
  "ecdsa-p256-sha256",
  "ecdsa-p384-sha384",
];

describe("certificate issue and parse", () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: self-signed CA round trip with RFC-shaped identifiers`, () => {
      const root = makeRoot(algorithm, {
        subject: { organization: "pqrpc", commonName: `root ${algorithm}` },
      });
      const c = parseCertificate(root.der);
      assert.equal(c.version, 3);
      assert.equal(c.keyAlgorithm, algorithm);
      assert.equal(c.signatureAlgorithm, algorithm);
      assert.deepEqual(c.publicKey, root.key.publicKey);
      assert.equal(c.subject, `O=pqrpc, CN=root ${algorithm}`);
      assert.equal(c.issuer, c.subject);
      assert.equal(c.selfIssued, true);
      assert.deepEqual(c.extensions.basicConstraints, { ca: true });
      assert.ok(c.extensions.keyUsage?.has("keyCertSign"));
      assert.deepEqual(c.extensions.authorityKeyIdentifier, c.extensions.subjectKeyIdentifier);
      const raw = AsnConvert.parse(root.der, Certificate);
      const oid = signatureByName(algorithm).oid;
      assert.equal(raw.signatureAlgorithm.algorithm, oid);
      // RFC 9881/9909/8410/5758: signature parameters absent.
      assert.equal(raw.signatureAlgorithm.parameters, undefined);
      if (algorithm.startsWith("ecdsa")) {
        assert.equal(raw.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm, "1.2.840.10045.2.1");
      } else {
        assert.equal(raw.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm, oid);
        assert.equal(raw.tbsCertificate.subjectPublicKeyInfo.algorithm.parameters, undefined);
      }
      createVerifier({ roots: [] }); // an empty store is valid
    });
  }

  it("rsa-pss-sha256: PSS parameters round trip and verify", () => {
    const root = makeRoot("rsa-pss-sha256");
    const c = parseCertificate(root.der);
    assert.equal(c.signatureAlgorithm, "rsa-pss-sha256");
    const leaf = makeChild(root, "leaf", { extendedKeyUsage: ["clientAuth"] });
    assert.equal(
      createVerifier({ roots: root.der }).verify({ chain: [leaf.der], usage: "client" }).algorithm,
      "rsa-pss-sha256",
    );
  });

  it("leaf extensions: SAN DNS + IP, EKU, AKI = issuer SKI, positive 16-byte serial", () => {
    const root = makeRoot();
    const leaf = makeChild(root, "leaf", {
      extendedKeyUsage: ["serverAuth", "clientAuth"],
      subjectAltNames: ["Example.COM", "*.example.com", "10.0.0.1", "2001:db8::1"],
    });
    const c = parseCertificate(leaf.der);
    const r = parseCertificate(root.der);
    assert.deepEqual(c.extensions.subjectAltName?.dnsNames, ["example.com", "*.example.com"]);
    assert.deepEqual(c.extensions.subjectAltName?.ipAddresses, [
      new Uint8Array([10, 0, 0, 1]),
      new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ]);
    assert.deepEqual(c.extensions.extendedKeyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    assert.deepEqual(c.extensions.authorityKeyIdentifier, r.extensions.subjectKeyIdentifier);
    assert.deepEqual(c.extensions.basicConstraints, { ca: false });
    assert.deepEqual([...(c.extensions.keyUsage ?? [])], ["digitalSignature"]);
    assert.equal(c.issuer, "CN=test root");
    assert.equal(c.serialNumber.length, 2 * SERIAL_NUMBER_BYTES);
    assert.ok(Number.parseInt(c.serialNumber.slice(0, 2), 16) < 0x80);
    assert.notEqual(c.serialNumber, parseCertificate(makeChild(root, "leaf").der).serialNumber);
  });

  it("dates from 2050 use GeneralizedTime and round trip", () => {
    const key = generateKeyPair("ed25519");
    const notAfter = new Date("2051-02-03T04:05:06Z");
    const der = issueCertificate({
      subject: "far",
      publicKey: publicKeyInfo(key),
      signingKey: key.signingKey,
      notBefore: new Date("2049-12-31T23:59:59Z"),
      notAfter,
    });
    const c = parseCertificate(der);
    assert.equal(c.notAfter.toISOString(), notAfter.toISOString());
    assert.ok(AsnConvert.parse(der, Certificate).tbsCertificate.validity.notAfter.generalTime);
    assert.ok(AsnConvert.parse(der, Certificate).tbsCertificate.validity.notBefore.utcTime);
  });

  it("a Name attribute the DER encoder refuses (CN tagged UTCTime) is bad-encoding, not an encoder crash", () => {
    // Found by the x509-certificate fuzz target: peculiar parses the value but cannot re-encode it.
    const der = makeRoot().der.slice();
    const cnUtf8 = [0x06, 0x03, 0x55, 0x04, 0x03, 0x0c]; // OID 2.5.4.3, then the UTF8String tag
    const at = der.findIndex((_, i) => cnUtf8.every((b, j) => der[i + j] === b));
    assert.ok(at >= 0);
    der[at + cnUtf8.length - 1] = 0x17; // UTCTime
    assert.throws(
      () => parseCertificate(der),
      (e: unknown) => e instanceof PkiError && e.code === "bad-encoding" && /name/.test(e.message),
    );
  });

  it("refuses inconsistent issue options", () => {
    const root = makeRoot();
    const other = generateKeyPair("ed25519");
    const key = generateKeyPair("ecdsa-p256-sha256");
    assert.throws(
      () =>
        issueCertificate({
          subject: "x",
          publicKey: publicKeyInfo(key),
          signingKey: other.signingKey,
          issuerCertificate: root.der,
        }),
      /does not match the issuer/,
    );
    assert.throws(
      () => issueCertificate({ subject: "x", publicKey: publicKeyInfo(key), signingKey: other.signingKey }),
      /self-signed/,
    );
    assert.throws(
      () =>
        issueCertificate({
          subject: "x",
          publicKey: publicKeyInfo(key),
          signingKey: key.signingKey,
          subjectAltNames: ["bad name!"],
        }),
      /neither a DNS name nor an IP/,
    );
  });
});
