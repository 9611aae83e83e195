/** AeadKey.sealInto: byte for byte what seal() returns, in every provider, also in place. */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { allProviders } from "../test-providers.ts";
import type { AeadName, CryptoProvider } from "../types.ts";

const AEADS: readonly AeadName[] = ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"];
const SIZES = [0, 1, 15, 16, 17, 1000, 16385];

let providers: CryptoProvider[] = [];
before(async () => {
  providers = await allProviders();
});

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

test("sealInto writes exactly seal()'s output at the offset, and nothing else", () => {
  for (const name of AEADS) {
    const aeads = providers.flatMap((p) => p.aead(name) ?? []);
    assert.ok(aeads.length >= 2, `${name} in at least two providers`);
    for (const aead of aeads) {
      const key = aead.importKey(pattern(aead.keyLength, 3));
      const nonce = pattern(12, 5);
      const aad = pattern(5, 7);
      for (const size of SIZES) {
        const plaintext = pattern(size, size);
        const expected = key.seal(nonce, plaintext, aad);
        const out = new Uint8Array(size + 16 + 10).fill(0xee);
        assert.equal(key.sealInto(nonce, plaintext, aad, out, 3), size + 16);
        assert.deepEqual(out.subarray(3, 3 + size + 16), expected, `${name} ${size}`);
        assert.ok(
          out.subarray(0, 3).every((b) => b === 0xee),
          "bytes before the offset untouched",
        );
        assert.ok(
          out.subarray(3 + size + 16).every((b) => b === 0xee),
          "bytes after untouched",
        );
      }
    }
  }
});

test("sealInto in place (plaintext is the output region) gives seal()'s bytes, which open() accepts", () => {
  for (const name of AEADS) {
    for (const aead of providers.flatMap((p) => p.aead(name) ?? [])) {
      const key = aead.importKey(pattern(aead.keyLength, 9));
      const nonce = pattern(12, 1);
      const aad = pattern(5, 2);
      const plaintext = pattern(5000, 4);
      const buffer = new Uint8Array(5 + plaintext.length + 16);
      buffer.set(plaintext, 5);
      key.sealInto(nonce, buffer.subarray(5, 5 + plaintext.length), aad, buffer, 5);
      const sealed = buffer.subarray(5);
      assert.deepEqual(sealed, key.seal(nonce, plaintext, aad), name);
      assert.deepEqual(key.open(nonce, sealed, aad), plaintext, name);
    }
  }
});

test("sealInto refuses an output too small or a bad offset with a RangeError", () => {
  for (const provider of providers) {
    const aead = provider.aead("aes-128-gcm");
    if (!aead) continue;
    const key = aead.importKey(new Uint8Array(16));
    const nonce = new Uint8Array(12);
    const empty = new Uint8Array(0);
    assert.throws(() => key.sealInto(nonce, new Uint8Array(10), empty, new Uint8Array(25), 0), RangeError);
    assert.throws(() => key.sealInto(nonce, empty, empty, new Uint8Array(20), 5), RangeError);
    assert.throws(() => key.sealInto(nonce, empty, empty, new Uint8Array(20), -1), RangeError);
  }
});
