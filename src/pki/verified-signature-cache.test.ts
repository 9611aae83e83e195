/**
 * The TrustStore's verified-signature cache (limits.ts
 * MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES): a chain verified once is not
 * verified again, and everything that is not a signature over fixed bytes is
 * still checked on every call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES } from "./limits.ts";
import {
  countingCrypto,
  flipByte,
  makeChild,
  makeRoot,
  makeServerLeaf,
  totalVerifies as total,
} from "./test-helpers.ts";
import { TrustStore } from "./trust-store.ts";
import { PkiError, type PkiErrorCode } from "./types.ts";

const DAY = 24 * 3600 * 1000;

function expectCode(code: PkiErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof PkiError && e.code === code);
}

describe("TrustStore verified-signature cache", () => {
  const root = makeRoot();
  const intermediate = makeChild(root, "int", { ca: {} });
  const leaf = makeServerLeaf(intermediate);
  const chain = [leaf.der, intermediate.der];
  const request = { chain, serverName: "localhost", usage: "server" as const };

  it("a chain verified once is not verified again: same result, no signature check", () => {
    const { crypto, verifies } = countingCrypto();
    const store = new TrustStore({ roots: root.der, crypto });
    const first = store.verify(request);
    assert.equal(total(verifies), 2, "leaf <- intermediate and intermediate <- root");
    assert.deepEqual(store.cacheStats, {
      signatureVerifications: 2,
      signatureCacheHits: 0,
      cachedSignatures: 2,
    });
    const second = store.verify(request);
    assert.equal(total(verifies), 2, "no verify call on the second validation");
    assert.deepEqual(store.cacheStats, {
      signatureVerifications: 2,
      signatureCacheHits: 2,
      cachedSignatures: 2,
    });
    assert.deepEqual(second.path, first.path);
    assert.deepEqual(second.pathSignatures, first.pathSignatures);
    assert.equal(second.algorithm, first.algorithm);
    // The leaf key handed back still verifies (it is what checks CertificateVerify, never cached).
    const message = Uint8Array.of(1, 2, 3);
    assert.equal(second.key.verify(message, leaf.key.signingKey.sign(message)), true);
    assert.equal(second.key.verify(message, flipByte(leaf.key.signingKey.sign(message), 3)), false);
  });

  it("a bad signature is never cached, and a good certificate with the same name is checked on its own", () => {
    const { crypto, verifies } = countingCrypto();
    const store = new TrustStore({ roots: root.der, crypto });
    // The last byte of the DER is in the signature BIT STRING.
    const forged = flipByte(leaf.der, -1);
    for (let i = 1; i <= 3; i++) {
      expectCode("bad-signature", () => store.verify({ ...request, chain: [forged, intermediate.der] }));
      // The search starts at the leaf: its edge fails, so nothing above it is tried.
      assert.equal(store.cacheStats.cachedSignatures, 0, "the failed edge is not remembered");
      assert.equal(store.cacheStats.signatureVerifications, i, "the forged edge is verified every time");
      assert.equal(total(verifies), i);
    }
    store.verify(request);
    assert.equal(total(verifies), 3 + 2, "the genuine leaf's signature is verified: no entry stood for it");
    assert.equal(store.cacheStats.cachedSignatures, 2);
    // And the forged leaf still fails with the genuine chain's edges cached.
    expectCode("bad-signature", () => store.verify({ ...request, chain: [forged, intermediate.der] }));
    assert.equal(total(verifies), 6);
  });

  it("validity periods are checked against the request's time on a cache hit", () => {
    const store = new TrustStore({ roots: root.der });
    store.verify(request);
    const hits = store.cacheStats.signatureCacheHits;
    expectCode("expired", () => store.verify({ ...request, now: new Date(Date.now() + 400 * DAY) }));
    expectCode("expired", () => store.verify({ ...request, now: new Date(Date.now() - 2 * DAY) }));
    assert.ok(store.cacheStats.signatureCacheHits > hits, "the refusals came after cache hits");
    // A store whose clock has moved on refuses too (its default time is read per call).
    let now = Date.now();
    const clocked = new TrustStore({ roots: root.der, now: () => new Date(now) });
    clocked.verify(request);
    now += 400 * DAY;
    expectCode("expired", () => clocked.verify(request));
  });

  it("host name, usage and the policy's signature algorithms are checked on a cache hit", () => {
    const store = new TrustStore({ roots: root.der });
    store.verify(request);
    expectCode("name-mismatch", () => store.verify({ ...request, serverName: "other.example" }));
    expectCode("bad-usage", () => store.verify({ ...request, usage: "client" }));
    expectCode("disallowed-key", () => store.verify({ ...request, acceptSignature: (a) => a !== "ed25519" }));
    assert.equal(store.cacheStats.signatureVerifications, 2, "no new signature check was needed for these");
    store.verify(request);
  });

  it("pq-strict style policies refuse a classical CA signature over a PQ leaf on a cache hit", () => {
    const classicalRoot = makeRoot("ecdsa-p256-sha256");
    const pqLeaf = makeChild(
      classicalRoot,
      "server",
      { extendedKeyUsage: ["serverAuth"], subjectAltNames: ["localhost"] },
      "ml-dsa-65",
    );
    const store = new TrustStore({ roots: classicalRoot.der });
    const r = { chain: [pqLeaf.der], serverName: "localhost", usage: "server" as const };
    assert.deepEqual(store.verify(r).pathSignatures, ["ecdsa-p256-sha256"]);
    assert.equal(store.cacheStats.cachedSignatures, 1);
    expectCode("disallowed-signature", () =>
      store.verify({ ...r, acceptSignature: (a) => a === "ml-dsa-65" }),
    );
  });

  it("another trust store has its own cache: a chain cached by one is not trusted by another", () => {
    const store = new TrustStore({ roots: root.der });
    store.verify(request);
    const otherRoot = makeRoot();
    const other = new TrustStore({ roots: otherRoot.der });
    expectCode("unknown-ca", () => other.verify(request));
    // A same-named root with another key: the cached edge (tied to the real root's DER) does not apply.
    const impostor = makeRoot("ed25519", { subject: "test root" });
    const fooled = new TrustStore({ roots: impostor.der });
    assert.throws(() => fooled.verify(request), PkiError);
    // The same roots again: a fresh store verifies from scratch.
    const again = new TrustStore({ roots: root.der });
    again.verify(request);
    assert.equal(again.cacheStats.signatureVerifications, 2);
  });

  it(`is bounded by MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES (${MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES}), least recently used out`, () => {
    const store = new TrustStore({ roots: root.der });
    const leaves = Array.from({ length: MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES + 2 }, () =>
      makeServerLeaf(root),
    );
    const verifyLeaf = (i: number) => store.verify({ chain: [leaves[i]!.der], usage: "server" });
    verifyLeaf(0);
    verifyLeaf(1);
    for (let i = 2; i < leaves.length; i++) {
      verifyLeaf(0); // kept in use: never the least recent
      verifyLeaf(i);
      assert.ok(store.cacheStats.cachedSignatures <= MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES);
    }
    assert.equal(store.cacheStats.cachedSignatures, MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES);
    let checks = store.cacheStats.signatureVerifications;
    verifyLeaf(0);
    assert.equal(store.cacheStats.signatureVerifications, checks, "the leaf in use stayed cached");
    verifyLeaf(1);
    assert.equal(store.cacheStats.signatureVerifications, checks + 1, "the least recent leaf was evicted");
    checks = store.cacheStats.signatureVerifications;
    verifyLeaf(leaves.length - 1);
    assert.equal(store.cacheStats.signatureVerifications, checks);
  });
});
