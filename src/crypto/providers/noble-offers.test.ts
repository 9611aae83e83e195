/**
 * The lazy noble provider answers "do you have X?" from NOBLE_OFFERS without
 * loading noble: the table must say exactly what the real provider offers,
 * and the stand-ins must behave as the real implementations once used.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEM_NAMES, SIGNATURE_NAMES } from "../algorithm-names.ts";
import { lazyProvider } from "./lazy.ts";
import { createNobleProvider } from "./noble.ts";
import { NOBLE_OFFERS } from "./noble-offers.ts";

describe("the noble provider's offer table", () => {
  const real = createNobleProvider();

  it("lists every KEM and signature scheme noble has, and no other", () => {
    for (const n of KEM_NAMES) assert.equal(NOBLE_OFFERS.kems.has(n), real.kem(n) !== undefined, n);
    for (const n of SIGNATURE_NAMES) {
      assert.equal(NOBLE_OFFERS.signatures.has(n), real.signature(n) !== undefined, n);
      assert.equal(
        NOBLE_OFFERS.contextStrings.has(n),
        real.signature(n)?.contextStrings === true,
        `${n} contexts`,
      );
    }
  });

  it("the lazy provider answers from the table and loads on first use", () => {
    let loads = 0;
    const lazy = lazyProvider(
      "noble",
      () => {
        loads++;
        return createNobleProvider();
      },
      NOBLE_OFFERS,
    );
    const kem = lazy.kem("ml-kem-768");
    const sig = lazy.signature("ml-dsa-44");
    assert.equal(lazy.kem("sntrup761"), undefined);
    assert.equal(kem?.publicKeyLength, real.kem("ml-kem-768")?.publicKeyLength);
    assert.equal(sig?.contextStrings, true);
    assert.equal(loads, 0, "asking loads nothing");
    const pair = kem!.generateKeyPair();
    const { ciphertext, sharedSecret } = kem!.encapsulate(pair.publicKey);
    assert.deepEqual(kem!.decapsulate(pair.secretKey, ciphertext), sharedSecret);
    const keys = sig!.generateKeyPair();
    const signed = sig!.importPrivateKey(keys.privateKey).sign(new Uint8Array([1, 2, 3]));
    assert.ok(sig!.importPublicKey(keys.publicKey).verify(new Uint8Array([1, 2, 3]), signed));
    assert.equal(loads, 1, "loaded once, on first use");
  });
});
