/**
 * Fuzz mode's stand-in crypto must stay consistent, or the engine targets
 * would stop at the first signature or key share and fuzz nothing deeper.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KEM_SIZES } from "../../src/crypto/kem-params.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { SIGNATURE_SIZES } from "../../src/crypto/signature-params.ts";
import { CryptoError } from "../../src/crypto/types.ts";
import { createFuzzCrypto } from "./harness/fuzz-crypto.ts";

const crypto = createFuzzCrypto();

test("fuzz-mode signatures verify under their key and fail when a byte or the key changes", () => {
  for (const name of ["ml-dsa-65", "ed25519"] as const) {
    const sizes = SIGNATURE_SIZES[name]!;
    const s = crypto.signature(name);
    const { publicKey, privateKey } = s.generateKeyPair();
    assert.equal(publicKey.length, sizes.publicKey);
    assert.deepEqual(s.publicKeyFromPrivate(privateKey), publicKey);
    const message = new TextEncoder().encode("certificate verify");
    const signature = s.importPrivateKey(privateKey).sign(message);
    assert.equal(signature.length, sizes.signature);
    const key = s.importPublicKey(publicKey);
    assert.equal(key.verify(message, signature), true);
    const flipped = signature.slice();
    flipped[flipped.length - 1]! ^= 1;
    assert.equal(key.verify(message, flipped), false);
    assert.equal(key.verify(message.subarray(1), signature), false);
    assert.equal(s.importPublicKey(s.generateKeyPair().publicKey).verify(message, signature), false);
    assert.throws(() => s.importPublicKey(publicKey.subarray(1)), CryptoError);
  }
});

test("fuzz-mode ML-KEM agrees on the secret, and a changed ciphertext yields another one", () => {
  const kem = crypto.kem("ml-kem-768");
  const { publicKey, secretKey } = kem.generateKeyPair();
  assert.equal(publicKey.length, KEM_SIZES["ml-kem-768"].publicKey);
  const { ciphertext, sharedSecret } = kem.encapsulate(publicKey);
  assert.equal(ciphertext.length, KEM_SIZES["ml-kem-768"].ciphertext);
  assert.deepEqual(kem.decapsulate(secretKey, ciphertext), sharedSecret);
  const flipped = ciphertext.slice();
  flipped[0]! ^= 1;
  assert.notDeepEqual(kem.decapsulate(secretKey, flipped), sharedSecret);
  assert.throws(() => kem.encapsulate(publicKey.subarray(1)), CryptoError);
  assert.throws(() => kem.decapsulate(secretKey, ciphertext.subarray(1)), CryptoError);
});

test("fuzz mode leaves the cheap algorithms to the real providers", () => {
  assert.equal(crypto.kem("x25519"), defaultCrypto().kem("x25519"));
  assert.equal(crypto.aead("aes-128-gcm"), defaultCrypto().aead("aes-128-gcm"));
  assert.notEqual(crypto.kem("ml-kem-768"), defaultCrypto().kem("ml-kem-768"));
  assert.notEqual(crypto.signature("ml-dsa-65"), defaultCrypto().signature("ml-dsa-65"));
});
