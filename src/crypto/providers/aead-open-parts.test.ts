/**
 * AeadKey.openParts, where a provider has it: the plaintext open() gives for
 * the joined ciphertext, for any cut into parts; null (never a throw, never
 * plaintext) for a changed tag, ciphertext or additional data.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { allProviders } from "../test-providers.ts";
import type { AeadKey, AeadName, CryptoProvider } from "../types.ts";

const AEADS: readonly AeadName[] = ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"];
const SIZES = [0, 1, 16, 17, 1000, 16385];

let providers: CryptoProvider[] = [];
before(async () => {
  providers = await allProviders();
});

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

/** `body` cut at `cuts` (ascending), as views. */
function cutAt(body: Uint8Array, cuts: number[]): Uint8Array[] {
  const bounds = [0, ...cuts, body.length];
  return bounds.slice(1).map((end, i) => body.subarray(bounds[i]!, end));
}

function keysWithOpenParts(): { label: string; key: AeadKey & Required<Pick<AeadKey, "openParts">> }[] {
  const out = [];
  for (const name of AEADS) {
    for (const p of providers) {
      const aead = p.aead(name);
      const key = aead?.importKey(pattern(aead.keyLength, 3));
      if (key?.openParts)
        out.push({ label: `${p.name} ${name}`, key: key as AeadKey & Required<Pick<AeadKey, "openParts">> });
    }
  }
  return out;
}

test("the node provider offers openParts for every AEAD", () => {
  const labels = keysWithOpenParts().map((k) => k.label);
  for (const name of AEADS) assert.ok(labels.includes(`node ${name}`), `node ${name}`);
});

test("openParts gives open()'s plaintext for the ciphertext cut into 1 to 3 parts", () => {
  const nonce = pattern(12, 5);
  const aad = pattern(5, 7);
  for (const { label, key } of keysWithOpenParts()) {
    for (const size of SIZES) {
      const plaintext = pattern(size, size);
      const sealed = key.seal(nonce, plaintext, aad);
      const body = sealed.subarray(0, size);
      const tag = sealed.subarray(size);
      const cuts = [[], [0], [size >> 1], [1, size >> 1], [size >> 2, size - 1], [size]].filter((c) =>
        c.every((x, i) => x >= 0 && x <= size && (i === 0 || x >= c[i - 1]!)),
      );
      for (const c of cuts) {
        const opened = key.openParts(nonce, aad, cutAt(body, c), tag);
        assert.deepEqual(opened, plaintext, `${label} ${size} cut ${c}`);
      }
    }
  }
});

test("openParts returns null for a changed tag, ciphertext byte or additional data", () => {
  const nonce = pattern(12, 5);
  const aad = pattern(5, 7);
  for (const { label, key } of keysWithOpenParts()) {
    const size = 100;
    const sealed = key.seal(nonce, pattern(size, 1), aad);
    const body = sealed.slice(0, size);
    const tag = sealed.slice(size);
    const badTag = tag.slice();
    badTag[15]! ^= 1;
    assert.equal(key.openParts(nonce, aad, cutAt(body, [40]), badTag), null, `${label} tag`);
    const badBody = body.slice();
    badBody[70]! ^= 1;
    assert.equal(key.openParts(nonce, aad, cutAt(badBody, [40]), tag), null, `${label} body`);
    const badAad = aad.slice();
    badAad[0]! ^= 1;
    assert.equal(key.openParts(nonce, badAad, cutAt(body, [40]), tag), null, `${label} aad`);
    assert.equal(
      key.openParts(nonce, aad, cutAt(body, [40]), tag.subarray(0, 15)),
      null,
      `${label} short tag`,
    );
    assert.deepEqual(key.openParts(nonce, aad, cutAt(body, [40]), tag), pattern(size, 1), `${label} intact`);
  }
});
