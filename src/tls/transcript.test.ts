import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { TlsError } from "./alert.ts";
import { Transcript } from "./transcript.ts";

const crypto = defaultCrypto();
const digest = (...parts: Uint8Array[]) => {
  const h = createHash("sha384");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const msg = (type: number, n: number) => Uint8Array.from([type, 0, 0, n, ...crypto.randomBytes(n)]);
const isInternalError = (e: unknown) => e instanceof TlsError && e.alertName === "internal_error";

describe("Transcript (RFC 8446 §4.4.1)", () => {
  test("hash() and hashWith() fork without disturbing the running hash", () => {
    const a = msg(1, 40);
    const b = msg(2, 30);
    const tr = new Transcript(crypto.hash("sha384"));
    tr.add(a);
    assert.deepEqual(tr.hash(), digest(a));
    assert.deepEqual(tr.hashWith(b), digest(a, b));
    assert.deepEqual(tr.hash(), digest(a));
    tr.add(b);
    assert.deepEqual(tr.hash(), digest(a, b));
  });

  test("message_hash replaces ClientHello1: 0xFE 00 00 Hash.length Hash(CH1)", () => {
    const ch1 = msg(1, 100);
    const hrr = msg(2, 50);
    const ch2 = msg(1, 120);
    const synthetic = Uint8Array.from([254, 0, 0, 48, ...digest(ch1)]);
    const tr = new Transcript(crypto.hash("sha384"));
    tr.add(ch1);
    tr.replaceWithMessageHash();
    tr.add(hrr);
    tr.add(ch2);
    assert.deepEqual(tr.hash(), digest(synthetic, hrr, ch2));
  });

  test("the rewrite is refused without ClientHello1, past the HRR, or twice", () => {
    const empty = new Transcript(crypto.hash("sha256"));
    assert.throws(() => empty.replaceWithMessageHash(), isInternalError);
    const late = new Transcript(crypto.hash("sha256"));
    late.add(msg(1, 5));
    late.add(msg(2, 5));
    late.add(msg(1, 5));
    assert.throws(() => late.replaceWithMessageHash(), isInternalError);
    const twice = new Transcript(crypto.hash("sha256"));
    twice.add(msg(1, 5));
    twice.replaceWithMessageHash();
    twice.add(msg(2, 5));
    assert.throws(() => twice.replaceWithMessageHash(), isInternalError);
  });

  test("adding a message does not keep a reference the caller can change", () => {
    const ch1 = msg(1, 10);
    const hrr = msg(2, 10);
    const tr = new Transcript(crypto.hash("sha256"));
    tr.add(ch1);
    tr.add(hrr);
    const expected = new Uint8Array(
      createHash("sha256")
        .update(Uint8Array.from([254, 0, 0, 32, ...createHash("sha256").update(ch1).digest()]))
        .update(hrr)
        .digest(),
    );
    hrr.fill(0xaa);
    tr.replaceWithMessageHash();
    assert.deepEqual(tr.hash(), expected);
  });
});
