import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OctetString } from "@peculiar/asn1-schema";
import type { SignatureName } from "../crypto/types.ts";
import { keyAlgorithmIdentifier } from "./algorithms.ts";
import { MlDsaPrivateKey, MlDsaSeedAndExpanded, OneAsymmetricKey } from "./asn1-schemas.ts";
import { serializeDer } from "./der.ts";
import { generateKeyPair, importPrivateKey } from "./keys.ts";
import { decodePem, decodePemOne, encodePem } from "./pem.ts";
import { decodePrivateKey, encodePrivateKey } from "./private-key.ts";
import { PkiError } from "./types.ts";

const ALGORITHMS: SignatureName[] = [
  "ml-dsa-44",
  "ml-dsa-65",
  "ml-dsa-87",
  "slh-dsa-sha2-128f",
  "ed25519",
  "ecdsa-p256-sha256",
  "ecdsa-p384-sha384",
];

function mlDsaPkcs8(choice: MlDsaPrivateKey): Uint8Array {
  const key = new OneAsymmetricKey();
  key.privateKeyAlgorithm = keyAlgorithmIdentifier("ml-dsa-65");
  key.privateKey = new OctetString(serializeDer(choice));
  return serializeDer(key);
}

describe("PKCS#8 private keys", () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: encode, PEM, decode, import gives the same key pair`, () => {
      const pair = generateKeyPair(algorithm);
      const pem = encodePem("PRIVATE KEY", pair.pkcs8);
      const back = importPrivateKey(decodePemOne(pem, "PRIVATE KEY"));
      assert.equal(back.algorithm, algorithm);
      assert.deepEqual(back.publicKey, pair.publicKey);
      const msg = new Uint8Array([9, 8, 7]);
      assert.ok(back.signingKey.sign(msg).length > 0);
    });
  }

  it("ML-DSA is written in the RFC 9881 seed-only form", () => {
    const pair = generateKeyPair("ml-dsa-65");
    const decoded = decodePrivateKey(pair.pkcs8);
    // 30 34 02 01 00 30 0b 06 09 <oid .18> 04 22 80 20 <seed>: the RFC 9881 §6 / Appendix C.1 layout.
    assert.equal(pair.pkcs8.length, 54);
    assert.deepEqual([...pair.pkcs8.subarray(0, 2)], [0x30, 0x34]);
    assert.deepEqual([...pair.pkcs8.subarray(18, 22)], [0x04, 0x22, 0x80, 0x20]);
    assert.deepEqual(pair.pkcs8.subarray(22), decoded.privateKey);
  });

  it("ML-DSA 'both' form is read (seed taken); expandedKey-only is refused with a clear code", () => {
    const seed = new Uint8Array(32).fill(3);
    const both = new MlDsaPrivateKey();
    both.both = new MlDsaSeedAndExpanded();
    both.both.seed = new OctetString(seed);
    both.both.expandedKey = new OctetString(new Uint8Array(4032));
    assert.deepEqual(decodePrivateKey(mlDsaPkcs8(both)).privateKey, seed);
    const expanded = new MlDsaPrivateKey();
    expanded.expandedKey = new OctetString(new Uint8Array(4032));
    assert.throws(
      () => decodePrivateKey(mlDsaPkcs8(expanded)),
      (e: unknown) => (e as PkiError).code === "unsupported-algorithm",
    );
    const shortSeed = new MlDsaPrivateKey();
    shortSeed.seed = new OctetString(new Uint8Array(31));
    assert.throws(
      () => decodePrivateKey(mlDsaPkcs8(shortSeed)),
      (e: unknown) => (e as PkiError).code === "bad-encoding",
    );
  });

  it("rejects a PKCS#8 whose public key does not match, and malformed input", () => {
    const a = generateKeyPair("ed25519");
    const b = generateKeyPair("ed25519");
    const key = new OneAsymmetricKey();
    key.version = 1;
    key.privateKeyAlgorithm = keyAlgorithmIdentifier("ed25519");
    key.privateKey = new OctetString(serializeDer(new OctetString(decodePrivateKey(a.pkcs8).privateKey)));
    key.publicKey = b.publicKey.slice().buffer;
    assert.throws(() => importPrivateKey(serializeDer(key)), /does not match/);
    key.publicKey = a.publicKey.slice().buffer;
    assert.deepEqual(importPrivateKey(serializeDer(key)).publicKey, a.publicKey);
    for (const bad of [new Uint8Array([0x30, 0x00]), new Uint8Array([1, 2, 3]), a.pkcs8.subarray(0, 20)]) {
      assert.throws(
        () => decodePrivateKey(bad),
        (e: unknown) => e instanceof PkiError && e.code === "bad-encoding",
      );
    }
    assert.throws(() => encodePrivateKey("ml-dsa-65", new Uint8Array(31)), PkiError);
  });

  it("PEM: strict labels and base64, several blocks, explanatory text ignored", () => {
    const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
    const pem = `hello\n${encodePem("CERTIFICATE", der)}between\n${encodePem("CERTIFICATE", der)}`;
    assert.deepEqual(decodePem(pem, "CERTIFICATE"), [der, der]);
    assert.throws(() => decodePemOne(pem, "CERTIFICATE"), /expected one/);
    assert.throws(() => decodePem(encodePem("PRIVATE KEY", der), "CERTIFICATE"), /found "PRIVATE KEY"/);
    assert.throws(
      () => decodePem("-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n", "CERTIFICATE"),
      /base64/,
    );
    assert.throws(() => decodePem("-----BEGIN CERTIFICATE-----\nAAAA\n", "CERTIFICATE"), /no -----END/);
    assert.throws(() => decodePem("nothing here", "CERTIFICATE"), /no "CERTIFICATE"/);
    const long = encodePem("CERTIFICATE", new Uint8Array(100));
    assert.ok(long.split("\n").every((l) => l.length <= 64));
  });
});
