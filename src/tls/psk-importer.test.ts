import assert from "node:assert/strict";
import { createHash, hkdfSync } from "node:crypto";
import { describe, test } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { TlsError } from "./alert.ts";
import { encodeImportedIdentity, importPsk, TARGET_PROTOCOL_TLS13 } from "./psk-importer.ts";

const crypto = defaultCrypto();
const ascii = (s: string) => new TextEncoder().encode(s);
const isInternalError = (e: unknown) => e instanceof TlsError && e.alertName === "internal_error";

/** RFC 9258 §5.1 computed with node:crypto's one-shot HKDF, independent of the code under test. */
function reference(epskHash: "sha256" | "sha384", epsk: Uint8Array, identity: Uint8Array, length: number) {
  const label = ascii("tls13 derived psk");
  const context = createHash(epskHash).update(identity).digest();
  const info = Uint8Array.from([
    length >> 8,
    length & 0xff,
    label.length,
    ...label,
    context.length,
    ...context,
  ]);
  // HKDF(salt = empty -> HashLen zeros, IKM = epsk) = Expand(Extract(0, epsk), info, L).
  return new Uint8Array(hkdfSync(epskHash, epsk, new Uint8Array(0), info, length));
}

describe("RFC 9258 PSK importer", () => {
  test("ImportedIdentity encoding", () => {
    const r = importPsk(
      crypto.hash("sha256"),
      crypto.randomBytes(32),
      { identity: ascii("client1"), context: ascii("ctx") },
      TARGET_PROTOCOL_TLS13,
      "sha256",
    );
    assert.deepEqual(
      r.identity,
      Uint8Array.from([0, 7, ...ascii("client1"), 0, 3, ...ascii("ctx"), 0x03, 0x04, 0x00, 0x01]),
    );
    const noContext = importPsk(
      crypto.hash("sha256"),
      crypto.randomBytes(32),
      { identity: ascii("id") },
      0x0304,
      "sha384",
    );
    assert.deepEqual(
      noContext.identity,
      Uint8Array.from([0, 2, ...ascii("id"), 0, 0, 0x03, 0x04, 0x00, 0x02]),
    );
  });

  test('ipskx = HKDF-Expand-Label(HKDF-Extract(0, epsk), "derived psk", Hash(ImportedIdentity), L)', () => {
    const epsk = crypto.randomBytes(32);
    const external = { identity: ascii("device-42"), context: ascii("fleet A") };
    for (const [epskHash, target, length] of [
      ["sha256", "sha256", 32],
      ["sha256", "sha384", 48], // L follows the target KDF, HKDF the EPSK's hash
      ["sha384", "sha256", 32],
      ["sha384", "sha384", 48],
    ] as const) {
      const r = importPsk(crypto.hash(epskHash), epsk, external, TARGET_PROTOCOL_TLS13, target);
      assert.equal(r.ipsk.length, length);
      assert.deepEqual(r.ipsk, reference(epskHash, epsk, r.identity, length), `${epskHash} -> ${target}`);
    }
  });

  test("context and target KDF diversify the key", () => {
    const h = crypto.hash("sha256");
    const epsk = crypto.randomBytes(32);
    const a = importPsk(h, epsk, { identity: ascii("x") }, 0x0304, "sha256");
    const b = importPsk(h, epsk, { identity: ascii("x"), context: ascii("c") }, 0x0304, "sha256");
    const c = importPsk(h, epsk, { identity: ascii("x") }, 0x0304, "sha384");
    assert.notDeepEqual(a.ipsk, b.ipsk);
    assert.notDeepEqual(a.ipsk, c.ipsk.subarray(0, 32));
    assert.notDeepEqual(a.identity, b.identity);
    assert.deepEqual(importPsk(h, epsk, { identity: ascii("x") }, 0x0304, "sha256"), a);
  });

  test("configurations outside RFC 9258 are refused", () => {
    const h = crypto.hash("sha256");
    const epsk = crypto.randomBytes(32);
    assert.throws(
      () => importPsk(h, epsk, { identity: new Uint8Array(0) }, 0x0304, "sha256"),
      isInternalError,
    );
    assert.throws(() => importPsk(h, epsk, { identity: ascii("x") }, 0x0303, "sha256"), isInternalError);
    assert.throws(() => importPsk(h, epsk, { identity: ascii("x") }, 0x0304, "sha512"), isInternalError);
    assert.throws(
      () => importPsk(h, new Uint8Array(0), { identity: ascii("x") }, 0x0304, "sha256"),
      isInternalError,
    );
    assert.throws(
      () =>
        importPsk(
          h,
          epsk,
          { identity: new Uint8Array(40000), context: new Uint8Array(30000) },
          0x0304,
          "sha256",
        ),
      isInternalError,
    );
    assert.throws(
      () => importPsk(h, epsk, { identity: new Uint8Array(65536) }, 0x0304, "sha256"),
      isInternalError,
    );
    assert.equal(
      encodeImportedIdentity(new Uint8Array(1), new Uint8Array(0), 0x0304, 1).length,
      1 + 2 + 2 + 4,
    );
  });
});
