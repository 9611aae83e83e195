import assert from "node:assert/strict";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { afterEach, test } from "node:test";
import { isAllZero, wipe } from "../../bytes/bytes.ts";
import { nodeKem } from "./node-kem.ts";

// node:crypto as a CommonJS object, whose functions the provider's ESM imports
// see once syncBuiltinESMExports() has run.
const nodeCrypto = createRequire(import.meta.url)("node:crypto") as Record<string, unknown>;
const originals = new Map<string, unknown>();

/** Wraps node:crypto's `name` so that every Buffer in what it returns is recorded. */
function capture(name: string, seen: Uint8Array[]): void {
  const original = nodeCrypto[name] as (...args: unknown[]) => unknown;
  originals.set(name, original);
  nodeCrypto[name] = (...args: unknown[]) => {
    const result = original(...args);
    if (result instanceof Uint8Array) seen.push(result);
    else for (const v of Object.values(result as object)) if (v instanceof Uint8Array) seen.push(v);
    return result;
  };
  syncBuiltinESMExports();
}

afterEach(() => {
  for (const [name, original] of originals) nodeCrypto[name] = original;
  originals.clear();
  syncBuiltinESMExports();
});

test("X25519: wiping the shared secret wipes node's own Buffer of it (no unwiped copy left)", () => {
  const seen: Uint8Array[] = [];
  capture("diffieHellman", seen);
  const kem = nodeKem("x25519")!;
  const pair = kem.generateKeyPair();
  const { ciphertext, sharedSecret } = kem.encapsulate(pair.publicKey);
  const other = kem.decapsulate(pair.secretKey, ciphertext);
  assert.deepEqual(other, sharedSecret);
  assert.equal(seen.length, 2);
  assert.ok(seen.every((b) => !isAllZero(b)));
  wipe(sharedSecret, other);
  assert.ok(seen.every((b) => isAllZero(b)));
});

test("ML-KEM-768 (native): the same for encapsulation and decapsulation, and the ciphertext is node's own", (t) => {
  if (typeof nodeCrypto["encapsulate"] !== "function" || nodeKem("ml-kem-768") === undefined) {
    t.skip("this Node has no native ML-KEM");
    return;
  }
  const seen: Uint8Array[] = [];
  capture("encapsulate", seen);
  capture("decapsulate", seen);
  // A KEM made after the wrapping, since it takes node's functions when made.
  const kem = nodeKem("ml-kem-768")!;
  const pair = kem.generateKeyPair();
  assert.equal(pair.publicKey.length, 1184);
  const { ciphertext, sharedSecret } = kem.encapsulate(pair.publicKey);
  const other = kem.decapsulate(pair.secretKey, ciphertext);
  assert.deepEqual(other, sharedSecret);
  // encapsulate gave a ciphertext and a shared key, decapsulate a shared key.
  assert.equal(seen.length, 3);
  const ctBuffer = seen.find((b) => b.length === 1088)!;
  assert.equal(ctBuffer.buffer, ciphertext.buffer);
  assert.ok(!Buffer.isBuffer(ciphertext));
  wipe(sharedSecret, other);
  for (const b of seen) if (b !== ctBuffer) assert.ok(isAllZero(b));
});
