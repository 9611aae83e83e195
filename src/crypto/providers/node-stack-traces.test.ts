import assert from "node:assert/strict";
import { test } from "node:test";
import { CryptoError } from "../types.ts";
import { nodeKem } from "./node-kem.ts";
import { withoutStackTraces } from "./node-stack-traces.ts";

test("the call runs with stack traces off, and the limit is restored after it returns or throws", () => {
  const before = Error.stackTraceLimit;
  let during: number | undefined;
  assert.equal(
    withoutStackTraces(() => {
      during = Error.stackTraceLimit;
      return 7;
    }),
    7,
  );
  assert.equal(during, 0);
  assert.equal(Error.stackTraceLimit, before);
  assert.throws(
    () =>
      withoutStackTraces(() => {
        throw new RangeError("from inside");
      }),
    (e: unknown) => e instanceof RangeError && e.message === "from inside",
  );
  assert.equal(Error.stackTraceLimit, before);
});

test("a non-writable Error.stackTraceLimit is left alone and the call still runs", () => {
  const original = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")!;
  Object.defineProperty(Error, "stackTraceLimit", { ...original, writable: false });
  try {
    let during: number | undefined;
    assert.equal(
      withoutStackTraces(() => {
        during = Error.stackTraceLimit;
        return "ran";
      }),
      "ran",
    );
    assert.equal(during, original.value);
  } finally {
    Object.defineProperty(Error, "stackTraceLimit", original);
  }
  assert.equal(Error.stackTraceLimit, original.value);
});

test("X25519 through the node provider (its imports run under it): agreement, low-order refusal, limit kept", () => {
  const kem = nodeKem("x25519")!;
  const pair = kem.generateKeyPair();
  const peer = kem.generateKeyPair();
  const a = kem.decapsulate(pair.secretKey, peer.publicKey);
  const b = kem.decapsulate(peer.secretKey, pair.publicKey);
  assert.deepEqual(a, b);
  const before = Error.stackTraceLimit;
  // A low-order point (all zero): the agreement must fail as a CryptoError, and the limit comes back.
  assert.throws(() => kem.decapsulate(pair.secretKey, new Uint8Array(32)), CryptoError);
  assert.equal(Error.stackTraceLimit, before);
});
