/** Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs): the draft's vectors, sizes, provider mixes, tampering. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { certificatePublicKey, parseCertificate, verifyCertificateSignature } from "../pki/certificate.ts";
import { decodePrivateKey, encodePrivateKey } from "../pki/private-key.ts";
import { COMPOSITE_PARAMS, compositeParams } from "./composite.ts";
import { loadWasmProvider } from "./providers/wasm.ts";
import { signatureByName } from "./registry.ts";
import { createCrypto, defaultCrypto } from "./select.ts";
import { type Crypto, CryptoError, type SignatureName } from "./types.ts";

interface Vector {
  tcId: string;
  pk: string;
  x5c: string;
  sk: string;
  sk_pkcs8: string;
  s: string;
  sWithContext: string;
}
const VECTORS = JSON.parse(
  readFileSync(new URL("./testdata/composite-sigs-vectors.json", import.meta.url), "utf8"),
) as {
  m: string;
  ctx: string;
  tests: Vector[];
};
const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const MESSAGE = b64(VECTORS.m);
const CONTEXT = b64(VECTORS.ctx);

/** The draft's identifier for each of our names (§7), e.g. id-MLDSA65-ECDSA-P256-SHA512. */
const DRAFT_IDS: Record<string, string> = {
  "mldsa44-ed25519-sha512": "id-MLDSA44-Ed25519-SHA512",
  "mldsa44-ecdsa-p256-sha256": "id-MLDSA44-ECDSA-P256-SHA256",
  "mldsa65-ecdsa-p256-sha512": "id-MLDSA65-ECDSA-P256-SHA512",
  "mldsa65-ecdsa-p384-sha512": "id-MLDSA65-ECDSA-P384-SHA512",
  "mldsa65-ed25519-sha512": "id-MLDSA65-Ed25519-SHA512",
  "mldsa87-ecdsa-p384-sha512": "id-MLDSA87-ECDSA-P384-SHA512",
};
/** Draft "Maximum Key and Signature Sizes" table: public key, private key, signature (max for ECDSA). */
const DRAFT_SIZES: Record<string, [number, number, number]> = {
  "mldsa44-ed25519-sha512": [1344, 64, 2484],
  "mldsa44-ecdsa-p256-sha256": [1377, 83, 2492],
  "mldsa65-ecdsa-p256-sha512": [2017, 83, 3381],
  "mldsa65-ecdsa-p384-sha512": [2049, 96, 3413],
  "mldsa65-ed25519-sha512": [1984, 64, 3373],
  "mldsa87-ecdsa-p384-sha512": [2689, 96, 4731],
};
const isEcdsa = (n: string) => n.includes("ecdsa");

const vectorFor = (name: SignatureName): Vector => {
  const v = VECTORS.tests.find((t) => t.tcId === DRAFT_IDS[name]);
  assert.ok(v, `no vector for ${name}`);
  return v;
};

describe("draft test vectors (verified, not re-signed)", () => {
  const crypto = defaultCrypto();
  for (const { name } of COMPOSITE_PARAMS) {
    test(name, () => {
      const v = vectorFor(name);
      const sig = crypto.signature(name);
      const pk = b64(v.pk);
      const sk = b64(v.sk);
      const key = sig.importPublicKey(pk);
      assert.equal(key.verify(MESSAGE, b64(v.s)), true, "s over m, empty ctx");
      assert.equal(key.verifyWithContext?.(MESSAGE, b64(v.sWithContext), CONTEXT), true, "sWithContext");
      assert.equal(key.verify(MESSAGE, b64(v.sWithContext)), false, "ctx is bound");
      // Our private-key serialization agrees with the draft's: it derives the published public key.
      assert.deepEqual(sig.publicKeyFromPrivate(sk), pk);
      // PKCS#8 (§6.3): privateKey OCTET STRING = the raw serialization; we re-encode it identically.
      const decoded = decodePrivateKey(b64(v.sk_pkcs8));
      assert.equal(decoded.algorithm, name);
      assert.deepEqual(decoded.privateKey, sk);
      assert.deepEqual(encodePrivateKey(name, sk), b64(v.sk_pkcs8));
      // The self-signed certificate: composite SPKI and a composite signature over the TBS.
      const cert = parseCertificate(b64(v.x5c));
      assert.equal(cert.signatureAlgorithm, name);
      const certKey = certificatePublicKey(cert, crypto);
      assert.equal(verifyCertificateSignature(cert, certKey), true);
      // Our signatures verify under the published key too (sign with the published private key).
      const ours = sig.importPrivateKey(sk).sign(MESSAGE);
      assert.equal(key.verify(MESSAGE, ours), true);
    });
  }
});

describe("sizes follow the draft", () => {
  for (const { name } of COMPOSITE_PARAMS) {
    test(name, () => {
      const [pkBytes, skBytes, maxSigBytes] = DRAFT_SIZES[name]!;
      const sig = defaultCrypto().signature(name);
      const { publicKey, privateKey } = sig.generateKeyPair();
      assert.equal(publicKey.length, pkBytes);
      assert.equal(privateKey.length, skBytes);
      const s = sig.importPrivateKey(privateKey).sign(MESSAGE);
      if (isEcdsa(name)) assert.ok(s.length <= maxSigBytes && s.length > maxSigBytes - 10, `${s.length}`);
      else assert.equal(s.length, maxSigBytes);
      assert.equal(signatureByName(name).class, "composite");
      assert.ok(signatureByName(name).oid.startsWith("1.3.6.1.5.5.7.6."));
    });
  }
});

describe("provider mixes", () => {
  let mixes: { label: string; crypto: Crypto }[] = [];
  before(async () => {
    await loadWasmProvider();
    mixes = [
      { label: "default (wasm loaded)", crypto: createCrypto() },
      { label: "noble", crypto: createCrypto({ providers: ["noble"] }) },
      { label: "node,noble", crypto: createCrypto({ providers: ["node", "noble"] }) },
      { label: "wasm-preferred", crypto: createCrypto({ prefer: { "ml-dsa-65": "wasm" } }) },
    ];
  });

  test("every mix signs what every other verifies; tampering either half fails", () => {
    const name: SignatureName = "mldsa65-ecdsa-p256-sha512";
    const mldsaSigBytes = 3309;
    for (const signer of mixes) {
      const sig = signer.crypto.signature(name);
      const { publicKey, privateKey } = sig.generateKeyPair();
      const s = sig.importPrivateKey(privateKey).sign(MESSAGE);
      for (const verifier of mixes) {
        const where = `${signer.label} signs, ${verifier.label} verifies`;
        const key = verifier.crypto.signature(name).importPublicKey(publicKey);
        assert.equal(key.verify(MESSAGE, s), true, where);
        for (const at of [100, mldsaSigBytes + 20]) {
          const bad = s.slice();
          bad[at]! ^= 0x01;
          assert.equal(key.verify(MESSAGE, bad), false, `tampered at ${at}: ${where}`);
        }
        assert.equal(key.verify(MESSAGE.subarray(1), s), false, where);
      }
    }
  });

  test("Ed25519 composite crosses noble and node", () => {
    const name: SignatureName = "mldsa44-ed25519-sha512";
    const a = createCrypto({ providers: ["noble"] }).signature(name);
    const b = createCrypto({ providers: ["node", "noble"] }).signature(name);
    const { publicKey, privateKey } = b.generateKeyPair();
    assert.deepEqual(a.publicKeyFromPrivate(privateKey), publicKey);
    const s = a.importPrivateKey(privateKey).sign(MESSAGE);
    assert.equal(b.importPublicKey(publicKey).verify(MESSAGE, s), true);
    const swapped = s.slice();
    swapped[2420 + 5]! ^= 0x80;
    assert.equal(b.importPublicKey(publicKey).verify(MESSAGE, swapped), false);
  });

  test("a mix without context-capable ML-DSA or without the classical half has no composite", () => {
    const wasmOnly = createCrypto({ providers: ["wasm"] });
    assert.equal(wasmOnly.hasSignature("mldsa65-ecdsa-p256-sha512"), false);
    assert.throws(
      () => wasmOnly.signature("mldsa65-ecdsa-p256-sha512"),
      (e: unknown) => e instanceof CryptoError && e.code === "unsupported",
    );
  });
});

describe("malformed input", () => {
  const sig = defaultCrypto().signature("mldsa65-ecdsa-p256-sha512");
  const isInvalid = (e: unknown) => e instanceof CryptoError && e.code === "invalid-input";
  const { publicKey, privateKey } = sig.generateKeyPair();

  test("keys of the wrong size or shape are refused with invalid-input", () => {
    assert.throws(() => sig.importPublicKey(publicKey.subarray(1)), isInvalid);
    assert.throws(() => sig.importPrivateKey(privateKey.subarray(0, 32)), isInvalid);
    const badEc = privateKey.slice();
    badEc[32 + 2]! ^= 0x01; // the ECPrivateKey version INTEGER
    assert.throws(() => sig.importPrivateKey(badEc), isInvalid);
    assert.throws(() => sig.publicKeyFromPrivate(new Uint8Array(7)), isInvalid);
  });

  test("short, long or empty signatures and oversized contexts verify false", () => {
    const key = sig.importPublicKey(publicKey);
    assert.equal(key.verify(MESSAGE, new Uint8Array(0)), false);
    assert.equal(key.verify(MESSAGE, new Uint8Array(3309)), false);
    assert.equal(key.verify(MESSAGE, new Uint8Array(5000)), false);
    const s = sig.importPrivateKey(privateKey).sign(MESSAGE);
    assert.equal(key.verifyWithContext?.(MESSAGE, s, new Uint8Array(256)), false);
    assert.throws(
      () => sig.importPrivateKey(privateKey).signWithContext?.(MESSAGE, new Uint8Array(256)),
      isInvalid,
    );
  });

  test("non-composite names are not composite", () => {
    assert.equal(compositeParams("ml-dsa-65"), undefined);
  });
});
