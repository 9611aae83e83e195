/**
 * Provider agreement (DESIGN.md §1.3, issue 2 "Provider agreement"): what
 * one provider encapsulates or signs, every other provider decapsulates or
 * verifies; symmetric primitives agree byte for byte; and published
 * known-answer vectors pin them all to the standards.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { before, describe, test } from "node:test";
import { AEAD_NAMES, HASH_NAMES, KEM_NAMES, SIGNATURE_NAMES } from "./algorithm-names.ts";
import { algorithmIdentifier, octetString, pkcs8 } from "./der.ts";
import { allProviders, hex, toHex } from "./test-providers.ts";
import type { CryptoProvider, KemName, SignatureName } from "./types.ts";

let providers: CryptoProvider[] = [];
before(async () => {
  providers = await allProviders();
});

const MESSAGE = new TextEncoder().encode("pqrpc differential test message");

function withKem(name: KemName) {
  return providers.flatMap((p) => {
    const kem = p.kem(name);
    return kem === undefined ? [] : [kem];
  });
}

function withSignature(name: SignatureName) {
  return providers.flatMap((p) => {
    const sig = p.signature(name);
    return sig === undefined ? [] : [sig];
  });
}

describe("KEMs: every provider decapsulates what every other encapsulates", () => {
  for (const name of KEM_NAMES) {
    test(name, () => {
      const kems = withKem(name);
      assert.ok(kems.length >= 1, `no provider has ${name}`);
      if (name.startsWith("ml-kem") || name === "x25519" || name === "p256") {
        assert.ok(kems.length >= 2, `${name} should be in at least two providers`);
      }
      for (const receiver of kems) {
        const { publicKey, secretKey } = receiver.generateKeyPair();
        assert.equal(publicKey.length, receiver.publicKeyLength);
        for (const sender of kems) {
          const { ciphertext, sharedSecret } = sender.encapsulate(publicKey);
          assert.equal(ciphertext.length, sender.ciphertextLength, `${sender.provider} ciphertext`);
          assert.equal(sharedSecret.length, sender.sharedSecretLength);
          const opened = receiver.decapsulate(secretKey, ciphertext);
          assert.equal(toHex(opened), toHex(sharedSecret), `${sender.provider} -> ${receiver.provider}`);
        }
      }
    });
  }
});

/** SLH-DSA "s" variants sign in hundreds of ms in pure JS: test the "f" variants plus one "s". */
const SLH_S_CHECKED: SignatureName = "slh-dsa-sha2-128s";
const isSlowVariant = (n: SignatureName) =>
  n.startsWith("slh-dsa-") && n.endsWith("s") && n !== SLH_S_CHECKED;
/** Signing with noble is too slow to repeat for SLH-DSA; the fastest provider signs, all verify. */
/** noble's Falcon signing takes ~0.3 s on Node 20: Falcon-512 covers cross-signing for the family. */
const crossSigners = (n: SignatureName) => !n.startsWith("slh-dsa-") && n !== "falcon-1024";
/** Key generation is slow for Falcon and SLH-DSA: one provider makes the key, the others import it. */
const crossKeyMakers = (n: SignatureName) => !n.startsWith("slh-dsa-") && !n.startsWith("falcon-");

describe("signatures: every provider verifies what every other signs", () => {
  // Composites are no provider's: ./composite.test.ts crosses their component providers.
  for (const name of SIGNATURE_NAMES.filter((n) => !isSlowVariant(n) && !n.startsWith("mldsa"))) {
    test(name, () => {
      const sigs = withSignature(name);
      assert.ok(sigs.length >= 1, `no provider has ${name}`);
      const signers = crossSigners(name) ? sigs : sigs.slice(0, 1);
      for (const keyMaker of crossKeyMakers(name) ? signers : signers.slice(0, 1)) {
        const { publicKey, privateKey } = keyMaker.generateKeyPair();
        for (const signer of signers) {
          // The raw-key conventions must agree: any provider imports any provider's keys.
          assert.equal(
            toHex(signer.publicKeyFromPrivate(privateKey)),
            toHex(publicKey),
            `${signer.provider} pk`,
          );
          const signature = signer.importPrivateKey(privateKey).sign(MESSAGE);
          const tampered = signature.slice();
          tampered[tampered.length >> 1]! ^= 0x01;
          for (const verifier of sigs) {
            const key = verifier.importPublicKey(publicKey);
            const where = `${keyMaker.provider} key, ${signer.provider} signs, ${verifier.provider} verifies`;
            assert.equal(key.verify(MESSAGE, signature), true, where);
            assert.equal(key.verify(MESSAGE, tampered), false, `tampered: ${where}`);
            assert.equal(key.verify(MESSAGE.subarray(1), signature), false, `other message: ${where}`);
          }
        }
      }
    });
  }
});

describe("ML-DSA seed convention (RFC 9881 seed form)", () => {
  test("the same 32-byte seed gives the same public key in every provider", () => {
    const seed = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    for (const name of ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] as const) {
      const keys = withSignature(name).map((s) => toHex(s.publicKeyFromPrivate(seed)));
      assert.ok(keys.length >= 2);
      assert.equal(new Set(keys).size, 1, name);
    }
  });
});

describe("hashes, HMAC, HKDF and AEADs agree byte for byte", () => {
  test("hashes and incremental clones", () => {
    for (const name of HASH_NAMES) {
      const hashes = providers.flatMap((p) => p.hash(name) ?? []);
      assert.ok(hashes.length >= 2);
      const results = hashes.map((h) => {
        const state = h.create().update(MESSAGE.subarray(0, 10));
        const fork = state.clone();
        state.update(MESSAGE.subarray(10));
        return [
          toHex(h.digest(MESSAGE)),
          toHex(state.digest()),
          toHex(fork.digest()),
          toHex(h.hmac(MESSAGE.subarray(0, 7), MESSAGE)),
          toHex(
            h.hkdfExpand(
              h.hkdfExtract(new Uint8Array(0), MESSAGE),
              MESSAGE.subarray(3),
              3 * h.outputLength + 5,
            ),
          ),
        ].join("/");
      });
      assert.equal(new Set(results).size, 1, name);
      assert.equal(results[0]!.split("/")[0], results[0]!.split("/")[1], "incremental = one-shot");
    }
  });

  test("AEAD seal/open across providers, and tampering is refused", () => {
    for (const name of AEAD_NAMES) {
      const aeads = providers.flatMap((p) => p.aead(name) ?? []);
      assert.ok(aeads.length >= 2);
      const key = Uint8Array.from({ length: aeads[0]!.keyLength }, (_, i) => i * 7);
      const nonce = Uint8Array.from({ length: 12 }, (_, i) => 200 - i);
      const aad = MESSAGE.subarray(0, 13);
      const sealed = aeads.map((a) => toHex(a.importKey(key).seal(nonce, MESSAGE, aad)));
      assert.equal(new Set(sealed).size, 1, name);
      const ciphertext = hex(sealed[0]!);
      for (const a of aeads) {
        const k = a.importKey(key);
        assert.equal(toHex(k.open(nonce, ciphertext, aad)!), toHex(MESSAGE));
        const bad = ciphertext.slice();
        bad[bad.length - 1]! ^= 0x80;
        assert.equal(k.open(nonce, bad, aad), null, `${name} tag tamper`);
        assert.equal(k.open(nonce, ciphertext, MESSAGE.subarray(0, 12)), null, `${name} aad tamper`);
        assert.equal(k.open(nonce, ciphertext.subarray(0, 15), aad), null, `${name} too short`);
      }
    }
  });
});

describe("known answers", () => {
  test("RFC 5869 A.1 HKDF-SHA256 test case 1", () => {
    for (const p of providers) {
      const h = p.hash("sha256");
      if (h === undefined) continue;
      const prk = h.hkdfExtract(hex("000102030405060708090a0b0c"), hex("0b".repeat(22)));
      assert.equal(toHex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", p.name);
      const okm = h.hkdfExpand(prk, hex("f0f1f2f3f4f5f6f7f8f9"), 42);
      assert.equal(
        toHex(okm),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        p.name,
      );
    }
  });

  test("RFC 8439 §2.8.2 ChaCha20-Poly1305 AEAD", () => {
    const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const nonce = hex("070000004041424344454647");
    const aad = hex("50515253c0c1c2c3c4c5c6c7");
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected =
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
      "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
      "3ff4def08e4b7a9de576d26586cec64b6116" +
      "1ae10b594f09e26a7e902ecbd0600691";
    for (const p of providers) {
      const aead = p.aead("chacha20-poly1305");
      if (aead === undefined) continue;
      assert.equal(toHex(aead.importKey(key).seal(nonce, plaintext, aad)), expected, p.name);
    }
  });

  test("AES-GCM test cases 1 and 2 (McGrew-Viega, the NIST GCM spec)", () => {
    for (const p of providers) {
      const aead = p.aead("aes-128-gcm");
      if (aead === undefined) continue;
      const k = aead.importKey(new Uint8Array(16));
      const nonce = new Uint8Array(12);
      assert.equal(
        toHex(k.seal(nonce, new Uint8Array(0), new Uint8Array(0))),
        "58e2fccefa7e3061367f1d57a4e7455a",
      );
      assert.equal(
        toHex(k.seal(nonce, new Uint8Array(16), new Uint8Array(0))),
        "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
      );
    }
  });

  test("RFC 7748 §5.2 X25519 vector", () => {
    const scalar = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    const u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    const expected = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552";
    let checked = 0;
    for (const p of providers) {
      const kem = p.kem("x25519");
      if (kem === undefined) continue;
      // Each provider keeps X25519 secret keys in its own form: raw bytes (noble) or a KeyObject (node).
      const secretKey =
        p.name === "node"
          ? createPrivateKey({
              key: Buffer.from(pkcs8(algorithmIdentifier("1.3.101.110"), octetString(scalar))),
              format: "der",
              type: "pkcs8",
            })
          : scalar;
      assert.equal(toHex(kem.decapsulate(secretKey, u)), expected, p.name);
      checked++;
    }
    assert.ok(checked >= 2);
  });
});
