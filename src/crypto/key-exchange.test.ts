/**
 * TLS key exchange per NamedGroup: share sizes and shared-secret order
 * against draft-ietf-tls-ecdhe-mlkem (§3, and the MLKEM-only draft-ietf-tls-mlkem),
 * interoperation across providers, and rejection of malformed shares.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { keyExchange } from "./key-exchange.ts";
import { loadWasmProvider } from "./providers/wasm.ts";
import { GROUPS, type GroupName } from "./registry.ts";
import { createCrypto } from "./select.ts";
import { toHex } from "./test-providers.ts";
import { type Crypto, CryptoError, type ProviderName } from "./types.ts";

/** Client share / server share / shared secret sizes in bytes, from the drafts. */
const EXPECTED_SIZES: Record<GroupName, [number, number, number]> = {
  X25519MLKEM768: [1184 + 32, 1088 + 32, 32 + 32],
  SecP256r1MLKEM768: [65 + 1184, 65 + 1088, 32 + 32],
  SecP384r1MLKEM1024: [97 + 1568, 97 + 1568, 48 + 32],
  MLKEM512: [800, 768, 32],
  MLKEM768: [1184, 1088, 32],
  MLKEM1024: [1568, 1568, 32],
  x25519: [32, 32, 32],
  secp256r1: [65, 65, 32],
  secp384r1: [97, 97, 48],
  x25519_sntrup761: [32 + 1158, 32 + 1039, 32 + 32],
};

const isInvalidInput = (e: unknown) => e instanceof CryptoError && e.code === "invalid-input";

let cryptos: { name: ProviderName; crypto: Crypto }[] = [];
let best: Crypto;
before(async () => {
  await loadWasmProvider();
  best = createCrypto({ providers: ["node", "wasm", "noble"] });
  // Each provider on its own for the PQ part; node fills in curves for wasm.
  cryptos = [
    { name: "node", crypto: createCrypto({ providers: ["node"] }) },
    { name: "wasm", crypto: createCrypto({ providers: ["wasm", "node"] }) },
    { name: "noble", crypto: createCrypto({ providers: ["noble"] }) },
  ];
});

describe("sizes and interoperation", () => {
  for (const group of GROUPS) {
    test(group.name, () => {
      const [client, server, secret] = EXPECTED_SIZES[group.name];
      let pairs = 0;
      for (const a of cryptos) {
        for (const b of cryptos) {
          if (!group.components.every((c) => a.crypto.hasKem(c) && b.crypto.hasKem(c))) continue;
          const clientSide = keyExchange(a.crypto, group.name);
          const serverSide = keyExchange(b.crypto, group.name);
          assert.equal(clientSide.clientShareLength, client);
          assert.equal(clientSide.serverShareLength, server);
          const { share, state } = clientSide.clientShare();
          assert.equal(share.length, client);
          const response = serverSide.serverRespond(share);
          assert.equal(response.share.length, server);
          assert.equal(response.sharedSecret.length, secret);
          const clientSecret = clientSide.clientFinish(state, response.share);
          assert.equal(
            toHex(clientSecret),
            toHex(response.sharedSecret),
            `${a.name} client, ${b.name} server`,
          );
          clientSide.dispose?.(state);
          pairs++;
        }
      }
      assert.ok(pairs >= 1, `no provider pair offers ${group.name}`);
    });
  }
});

describe("hybrid component order (draft-ietf-tls-ecdhe-mlkem §3)", () => {
  for (const group of GROUPS.filter((g) => g.components.length === 2)) {
    test(`${group.name}: ${group.components.join(" ‖ ")}`, () => {
      const [first, second] = group.components.map((c) => best.kem(c));
      // Server built by hand from the components, client through keyExchange.
      const kx = keyExchange(best, group.name);
      const { share, state } = kx.clientShare();
      const pk1 = share.subarray(0, first!.publicKeyLength);
      const pk2 = share.subarray(first!.publicKeyLength);
      const e1 = first!.encapsulate(pk1);
      const e2 = second!.encapsulate(pk2);
      const secret = kx.clientFinish(state, Buffer.concat([e1.ciphertext, e2.ciphertext]));
      assert.equal(toHex(secret), toHex(e1.sharedSecret) + toHex(e2.sharedSecret));
      // Client built by hand, server through keyExchange.
      const k1 = first!.generateKeyPair();
      const k2 = second!.generateKeyPair();
      const response = kx.serverRespond(Buffer.concat([k1.publicKey, k2.publicKey]));
      const ct1 = response.share.subarray(0, first!.ciphertextLength);
      const ct2 = response.share.subarray(first!.ciphertextLength);
      assert.equal(
        toHex(response.sharedSecret),
        toHex(first!.decapsulate(k1.secretKey, ct1)) + toHex(second!.decapsulate(k2.secretKey, ct2)),
      );
    });
  }
  test("X25519MLKEM768 puts ML-KEM first, the NIST-curve hybrids put ECDH first", () => {
    const byName = new Map(GROUPS.map((g) => [g.name, g.components]));
    assert.deepEqual(byName.get("X25519MLKEM768"), ["ml-kem-768", "x25519"]);
    assert.deepEqual(byName.get("SecP256r1MLKEM768"), ["p256", "ml-kem-768"]);
    assert.deepEqual(byName.get("SecP384r1MLKEM1024"), ["p384", "ml-kem-1024"]);
  });
});

/** A P-256 point that is not on the curve: the generator's x with y + 1. */
function offCurveP256(valid: Uint8Array): Uint8Array {
  const bad = valid.slice();
  bad[64]! ^= 0x01;
  return bad;
}

/** FIPS 203 §7.2: the first 12-bit coefficient set to 4095 >= q = 3329 fails the modulus check. */
function badModulusEk(ek: Uint8Array): Uint8Array {
  const bad = ek.slice();
  bad[0] = 0xff;
  bad[1] = (bad[1]! & 0xf0) | 0x0f;
  return bad;
}

/** The provider's own Crypto, or undefined (test skipped) where it has no ML-KEM, e.g. node on Node 20. */
function pqCrypto(provider: ProviderName): Crypto | undefined {
  const { crypto } = cryptos.find((c) => c.name === provider)!;
  return crypto.hasKem("ml-kem-768") ? crypto : undefined;
}

describe("malformed shares are CryptoError(invalid-input)", () => {
  for (const provider of ["node", "wasm", "noble"] as const) {
    test(`${provider}: classical groups refuse zero, low-order and off-curve shares`, () => {
      const { crypto } = cryptos.find((c) => c.name === provider)!;
      const x = keyExchange(crypto, "x25519");
      assert.throws(() => x.serverRespond(new Uint8Array(32)), isInvalidInput);
      const { state } = x.clientShare();
      assert.throws(() => x.clientFinish(state, Uint8Array.of(1, ...new Uint8Array(31))), isInvalidInput);
      const p = keyExchange(crypto, "secp256r1");
      const point = p.clientShare().share;
      assert.throws(() => p.serverRespond(offCurveP256(point)), isInvalidInput);
      assert.throws(() => p.serverRespond(new Uint8Array(65)), isInvalidInput);
    });

    test(`${provider}: wrong lengths`, () => {
      const { crypto } = cryptos.find((c) => c.name === provider)!;
      for (const group of GROUPS) {
        if (!group.components.every((c) => crypto.hasKem(c))) continue;
        const kx = keyExchange(crypto, group.name);
        const { share, state } = kx.clientShare();
        assert.throws(() => kx.serverRespond(share.subarray(1)), isInvalidInput, group.name);
        assert.throws(() => kx.serverRespond(Buffer.concat([share, Buffer.of(0)])), isInvalidInput);
        assert.throws(() => kx.serverRespond(new Uint8Array(0)), isInvalidInput);
        const { share: reply } = kx.serverRespond(share);
        assert.throws(() => kx.clientFinish(state, reply.subarray(0, reply.length - 1)), isInvalidInput);
        assert.throws(() => kx.clientFinish({}, reply), isInvalidInput, "foreign state");
        kx.dispose?.(state);
      }
    });

    test(`${provider}: all-zero and low-order X25519 shares`, (t) => {
      const crypto = pqCrypto(provider);
      if (crypto === undefined) return t.skip(`no ML-KEM in ${provider} here`);
      const kx = keyExchange(crypto, "X25519MLKEM768");
      const { share, state } = kx.clientShare();
      const zero = share.slice();
      zero.fill(0, 1184);
      assert.throws(() => kx.serverRespond(zero), isInvalidInput);
      const one = zero.slice();
      one[1184] = 1; // u = 1 has order 4: the shared secret is zero.
      assert.throws(() => kx.serverRespond(one), isInvalidInput);
      const reply = kx.serverRespond(share).share.slice();
      reply.fill(0, 1088);
      assert.throws(() => kx.clientFinish(state, reply), isInvalidInput);
    });

    test(`${provider}: P-256 point off the curve or not uncompressed`, (t) => {
      const crypto = pqCrypto(provider);
      if (crypto === undefined) return t.skip(`no ML-KEM in ${provider} here`);
      const kx = keyExchange(crypto, "SecP256r1MLKEM768");
      const { share } = kx.clientShare();
      const offCurve = Buffer.concat([offCurveP256(share.subarray(0, 65)), share.subarray(65)]);
      assert.throws(() => kx.serverRespond(offCurve), isInvalidInput);
      const compressedTag = share.slice();
      compressedTag[0] = 0x02;
      assert.throws(() => kx.serverRespond(compressedTag), isInvalidInput);
      const classical = keyExchange(crypto, "secp256r1");
      const { state } = classical.clientShare();
      const good = classical.serverRespond(classical.clientShare().share).share;
      assert.throws(() => classical.clientFinish(state, offCurveP256(good)), isInvalidInput);
    });

    test(`${provider}: ML-KEM encapsulation key failing the FIPS 203 modulus check`, (t) => {
      const crypto = pqCrypto(provider);
      if (crypto === undefined) return t.skip(`no ML-KEM in ${provider} here`);
      for (const group of ["MLKEM768", "X25519MLKEM768"] as const) {
        const kx = keyExchange(crypto, group);
        const { share } = kx.clientShare();
        assert.throws(() => kx.serverRespond(badModulusEk(share)), isInvalidInput, group);
      }
      const kx = keyExchange(crypto, "SecP384r1MLKEM1024");
      const { share } = kx.clientShare();
      const ek = share.subarray(97);
      assert.throws(
        () => kx.serverRespond(Buffer.concat([share.subarray(0, 97), badModulusEk(ek)])),
        isInvalidInput,
      );
    });

    test(`${provider}: a tampered ML-KEM ciphertext gives a different secret (FIPS 203 implicit rejection)`, (t) => {
      const crypto = pqCrypto(provider);
      if (crypto === undefined) return t.skip(`no ML-KEM in ${provider} here`);
      const kx = keyExchange(crypto, "MLKEM768");
      const { share, state } = kx.clientShare();
      const reply = kx.serverRespond(share);
      const tampered = reply.share.slice();
      tampered[5]! ^= 0x10;
      assert.notEqual(toHex(kx.clientFinish(state, tampered)), toHex(reply.sharedSecret));
    });
  }
});
