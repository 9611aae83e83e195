/** Every provider answers malformed keys with CryptoError("invalid-input") and bad signatures with false. */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { KEM_NAMES, SIGNATURE_NAMES } from "./algorithm-names.ts";
import { allProviders } from "./test-providers.ts";
import { CryptoError, type CryptoProvider } from "./types.ts";

let providers: CryptoProvider[] = [];
before(async () => {
  providers = await allProviders();
});

const isInvalidInput = (e: unknown) => e instanceof CryptoError && e.code === "invalid-input";
/** Key generation for these is slow in some providers; their key checks are length-only anyway. */
const slowKeygen = (n: string) => n.startsWith("slh-dsa-") || n.startsWith("falcon-") || n.startsWith("rsa-");

test("signature keys of the wrong size are refused; garbage signatures verify false", () => {
  for (const p of providers) {
    for (const name of SIGNATURE_NAMES) {
      const sig = p.signature(name);
      if (sig === undefined) continue;
      const where = `${p.name} ${name}`;
      assert.throws(() => sig.importPublicKey(new Uint8Array(7)), isInvalidInput, where);
      assert.throws(() => sig.importPrivateKey(new Uint8Array(7)), isInvalidInput, where);
      assert.throws(() => sig.publicKeyFromPrivate(new Uint8Array(7)), isInvalidInput, where);
      if (slowKeygen(name)) continue;
      const { publicKey } = sig.generateKeyPair();
      const key = sig.importPublicKey(publicKey);
      assert.equal(key.verify(new Uint8Array(3), new Uint8Array(0)), false, where);
      assert.equal(key.verify(new Uint8Array(3), new Uint8Array(5000).fill(0x30)), false, where);
    }
  }
});

test("KEM secret keys from elsewhere and wrong-size inputs are refused", () => {
  for (const p of providers) {
    for (const name of KEM_NAMES) {
      const kem = p.kem(name);
      if (kem === undefined) continue;
      const where = `${p.name} ${name}`;
      const { publicKey } = kem.generateKeyPair();
      const { ciphertext } = kem.encapsulate(publicKey);
      assert.throws(() => kem.decapsulate({}, ciphertext), isInvalidInput, where);
      assert.throws(() => kem.decapsulate(new Uint8Array(3), ciphertext), isInvalidInput, where);
      assert.throws(() => kem.encapsulate(publicKey.subarray(1)), isInvalidInput, where);
    }
  }
});

test("AEAD keys and nonces of the wrong size are refused", () => {
  for (const p of providers) {
    const aead = p.aead("aes-256-gcm");
    if (aead === undefined) continue;
    assert.throws(() => aead.importKey(new Uint8Array(16)), isInvalidInput, p.name);
    const key = aead.importKey(new Uint8Array(32));
    assert.throws(() => key.seal(new Uint8Array(8), new Uint8Array(1), new Uint8Array(0)), isInvalidInput);
    assert.throws(
      () => p.hash("sha256")!.hkdfExpand(new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1),
      isInvalidInput,
    );
  }
});
