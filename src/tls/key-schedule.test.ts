import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { TlsError } from "./alert.ts";
import {
  deriveSecret,
  exportKeyingMaterial,
  finishedMac,
  hkdfExpandLabel,
  KeySchedule,
  nextTrafficSecret,
  trafficKeys,
  verifyFinished,
} from "./key-schedule.ts";
import { simple1Rtt as t } from "./testdata/rfc8448.ts";

const crypto = defaultCrypto();
const sha256 = crypto.hash("sha256");
const sha384 = crypto.hash("sha384");
const empty = new Uint8Array(0);
const ascii = (s: string) => new TextEncoder().encode(s);

/** HkdfLabel built by hand (RFC 8446 §7.1), independent of the code under test. */
function hkdfLabel(length: number, label: string, context: Uint8Array): Uint8Array {
  const l = ascii(`tls13 ${label}`);
  return new Uint8Array([length >> 8, length & 0xff, l.length, ...l, context.length, ...context]);
}

/** RFC 5869 HKDF-Expand with node:crypto HMAC, independent of the providers. */
function expand(hash: "sha256" | "sha384", prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out: number[] = [];
  let prev = new Uint8Array(0);
  for (let i = 1; out.length < length; i++) {
    prev = new Uint8Array(createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest());
    out.push(...prev);
  }
  return Uint8Array.from(out.slice(0, length));
}

/** hkdfExpandLabel against the independent HKDF over a hand-built HkdfLabel. */
function assertExpandsLikeRfc(
  name: "sha256" | "sha384",
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): void {
  const hash = name === "sha256" ? sha256 : sha384;
  assert.deepEqual(
    hkdfExpandLabel(hash, secret, label, context, length),
    expand(name, secret, hkdfLabel(length, label, context), length),
  );
}

function throwsAlert(fn: () => unknown, alert: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TlsError && e.alertName === alert && e.origin === "local");
}

describe("HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1)", () => {
  test("the HkdfLabel matches the RFC 8448 key/iv info bytes", () => {
    // RFC 8448 §3 logs "key info" 00 10 09 74 6c 73 31 33 20 6b 65 79 00 and "iv info" 00 0c 08 ... 69 76 00.
    assert.deepEqual(
      hkdfLabel(16, "key", empty),
      Uint8Array.from(Buffer.from("001009746c733133206b657900", "hex")),
    );
    const secret = t.serverHandshakeTrafficSecret;
    assert.deepEqual(hkdfExpandLabel(sha256, secret, "key", empty, 16), t.serverHandshakeKey);
    assert.deepEqual(
      hkdfExpandLabel(sha256, secret, "iv", empty, 12),
      expand("sha256", secret, hkdfLabel(12, "iv", empty), 12),
    );
  });

  test("SHA-384 with a context, against an independent HKDF", () => {
    const secret = crypto.randomBytes(48);
    const context = crypto.randomBytes(48);
    assertExpandsLikeRfc("sha384", secret, "c hs traffic", context, 48);
    assert.deepEqual(
      deriveSecret(sha384, secret, "c hs traffic", context),
      hkdfExpandLabel(sha384, secret, "c hs traffic", context, 48),
    );
  });

  test("one reused HkdfLabel buffer: a long derivation leaves nothing for the next, multi-block lengths expand", () => {
    const secret = crypto.randomBytes(32);
    const long = crypto.randomBytes(255);
    assertExpandsLikeRfc("sha256", secret, "exporter", long, 100);
    assertExpandsLikeRfc("sha256", secret, "an application label", long.subarray(0, 7), 20);
    assert.deepEqual(hkdfExpandLabel(sha256, secret, "iv", empty, 0), new Uint8Array(0));
    assertExpandsLikeRfc("sha256", secret, "key", empty, 16);
  });

  test("out-of-range label, context and length are internal errors", () => {
    const s = new Uint8Array(32);
    throwsAlert(() => hkdfExpandLabel(sha256, s, "x".repeat(250), empty, 32), "internal_error");
    throwsAlert(() => hkdfExpandLabel(sha256, s, "key", new Uint8Array(256), 32), "internal_error");
    throwsAlert(() => hkdfExpandLabel(sha256, s, "key", empty, 65536), "internal_error");
    throwsAlert(() => hkdfExpandLabel(sha256, s, "key", empty, -1), "internal_error");
  });
});

describe("KeySchedule stages", () => {
  test("binder keys per kind (RFC 8446 §7.1, RFC 9258 §5.2)", () => {
    const psk = crypto.randomBytes(32);
    const ks = new KeySchedule(sha256);
    ks.early(psk);
    const early = ks.currentSecret();
    assert.deepEqual(early, new Uint8Array(createHmac("sha256", new Uint8Array(32)).update(psk).digest()));
    const emptyHash = new Uint8Array(createHash("sha256").digest());
    for (const kind of ["ext", "res", "imp"] as const) {
      assert.deepEqual(
        ks.binderKey(kind),
        expand("sha256", early, hkdfLabel(32, `${kind} binder`, emptyHash), 32),
      );
    }
    assert.notDeepEqual(ks.binderKey("ext"), ks.binderKey("imp"));
  });

  test("early() may be repeated before handshake() to switch PSK", () => {
    const ks = new KeySchedule(sha256);
    ks.early(crypto.randomBytes(32));
    ks.early(t.resumptionPsk);
    const fresh = new KeySchedule(sha256);
    fresh.early(t.resumptionPsk);
    assert.deepEqual(ks.binderKey("res"), fresh.binderKey("res"));
  });

  test("the PSK-free Early Secret and its salt are constants that wiping a schedule leaves intact", () => {
    const shared = crypto.randomBytes(48);
    // The explicit path: Early Secret = HKDF-Extract(0, 0) computed, not taken from the constant.
    const zeros = new Uint8Array(48);
    const early = sha384.hkdfExtract(zeros, zeros);
    const salt = deriveSecret(sha384, early, "derived", sha384.digest(empty));
    const expected = sha384.hkdfExtract(salt, shared);
    for (let round = 0; round < 2; round++) {
      const ks = new KeySchedule(sha384);
      ks.early();
      assert.deepEqual(ks.currentSecret(), early);
      ks.handshake(shared);
      assert.deepEqual(ks.currentSecret(), expected);
      ks.wipe();
    }
    // Switching PSK-free <-> PSK before handshake() takes the matching path.
    const psk = crypto.randomBytes(48);
    const a = new KeySchedule(sha384);
    a.early(psk);
    a.early();
    a.handshake(shared);
    assert.deepEqual(a.currentSecret(), expected);
    const b = new KeySchedule(sha384);
    b.early();
    b.early(psk);
    b.handshake(shared);
    const pskEarly = sha384.hkdfExtract(zeros, psk);
    const pskSalt = deriveSecret(sha384, pskEarly, "derived", sha384.digest(empty));
    assert.deepEqual(b.currentSecret(), sha384.hkdfExtract(pskSalt, shared));
  });

  test("a psk_ke handshake uses zeros for the shared secret", () => {
    const a = new KeySchedule(sha384);
    a.early(crypto.randomBytes(48));
    const early = a.currentSecret();
    a.handshake();
    const salt = deriveSecret(sha384, early, "derived", sha384.digest(empty));
    assert.deepEqual(a.currentSecret(), sha384.hkdfExtract(salt, new Uint8Array(48)));
  });

  test("calls out of order are internal errors; wipe() ends the schedule", () => {
    const th = new Uint8Array(32);
    const ks = new KeySchedule(sha256);
    throwsAlert(() => ks.binderKey("ext"), "internal_error");
    throwsAlert(() => ks.clientHandshakeTrafficSecret(th), "internal_error");
    throwsAlert(() => ks.master(), "internal_error");
    ks.handshake(new Uint8Array(32));
    throwsAlert(() => ks.early(), "internal_error");
    throwsAlert(() => ks.binderKey("res"), "internal_error");
    throwsAlert(() => ks.clientApplicationTrafficSecret(th), "internal_error");
    ks.master();
    throwsAlert(() => ks.serverHandshakeTrafficSecret(th), "internal_error");
    assert.equal(ks.resumptionMasterSecret(th).length, 32);
    ks.wipe();
    throwsAlert(() => ks.currentSecret(), "internal_error");
    throwsAlert(() => ks.exporterMasterSecret(th), "internal_error");
  });
});

describe("Finished, KeyUpdate, traffic keys, exporter", () => {
  test("finishedMac is HMAC(finished_key, transcript hash) (RFC 8446 §4.4.4)", () => {
    const base = crypto.randomBytes(48);
    const th = crypto.randomBytes(48);
    const finishedKey = expand("sha384", base, hkdfLabel(48, "finished", empty), 48);
    const expected = new Uint8Array(createHmac("sha384", finishedKey).update(th).digest());
    assert.deepEqual(finishedMac(sha384, base, th), expected);
    assert.ok(verifyFinished(sha384, base, th, expected));
    const wrong = expected.slice();
    wrong[0]! ^= 0x80;
    assert.equal(verifyFinished(sha384, base, th, wrong), false);
    assert.equal(verifyFinished(sha384, base, th, new Uint8Array(0)), false);
  });

  test('nextTrafficSecret uses the "traffic upd" label (RFC 8446 §7.2)', () => {
    const s0 = t.clientApplicationTrafficSecret;
    const s1 = nextTrafficSecret(sha256, s0);
    assert.deepEqual(s1, expand("sha256", s0, hkdfLabel(32, "traffic upd", empty), 32));
    assert.notDeepEqual(nextTrafficSecret(sha256, s1), s1);
  });

  test("trafficKeys sizes follow the AEAD (RFC 8446 §7.3)", () => {
    for (const [name, keyLength] of [
      ["aes-128-gcm", 16],
      ["aes-256-gcm", 32],
      ["chacha20-poly1305", 32],
    ] as const) {
      const k = trafficKeys(sha384, crypto.aead(name), crypto.randomBytes(48));
      assert.equal(k.key.length, keyLength);
      assert.equal(k.iv.length, 12);
    }
  });

  test("exportKeyingMaterial follows RFC 8446 §7.5", () => {
    const ems = t.exporterMasterSecret;
    const context = ascii("ctx");
    const emptyHash = new Uint8Array(createHash("sha256").digest());
    const perLabel = expand("sha256", ems, hkdfLabel(32, "EXPORTER-test", emptyHash), 32);
    const contextHash = new Uint8Array(createHash("sha256").update(context).digest());
    const expected = expand("sha256", perLabel, hkdfLabel(20, "exporter", contextHash), 20);
    assert.deepEqual(exportKeyingMaterial(sha256, ems, "EXPORTER-test", context, 20), expected);
  });
});
