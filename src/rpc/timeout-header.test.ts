import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";
import { decodeTimeout, encodeTimeout, MAX_ENCODABLE_TIMEOUT_MS } from "./timeout-header.ts";

describe("grpc-timeout (PROTOCOL-HTTP2)", () => {
  it("encodes in the finest unit that fits 8 digits", () => {
    assert.equal(encodeTimeout(1), "1000000n");
    assert.equal(encodeTimeout(99), "99000000n");
    assert.equal(encodeTimeout(100), "100000u");
    assert.equal(encodeTimeout(5000), "5000000u");
    assert.equal(encodeTimeout(100_000), "100000m");
    assert.equal(encodeTimeout(99_999_999), "99999999m");
    assert.equal(encodeTimeout(100_000_000), "100000S");
    assert.equal(encodeTimeout(0.0015), "1500n");
  });

  it("rounds up so the server never sees less time, and caps at 99999999H", () => {
    assert.equal(encodeTimeout(12_345_678_900), "12345679S");
    assert.equal(encodeTimeout(100_000_000_500), "1666667M");
    assert.equal(encodeTimeout(Number.MAX_SAFE_INTEGER), "99999999H");
    assert.equal(encodeTimeout(MAX_ENCODABLE_TIMEOUT_MS * 10), "99999999H");
    assert.equal(encodeTimeout(0), "1n");
    assert.equal(encodeTimeout(-5), "1n");
  });

  it("every encoding has at most 8 digits and decodes to at least the input", () => {
    for (const ms of [1, 7, 123.456, 999, 1e4, 1e7, 1e8, 1e9, 1e11, 3.6e12, 1e15]) {
      const text = encodeTimeout(ms);
      assert.match(text, /^[0-9]{1,8}[HMSmun]$/);
      const back = decodeTimeout(text);
      assert.ok(back >= Math.min(ms, MAX_ENCODABLE_TIMEOUT_MS) - 1e-6, `${ms} -> ${text} -> ${back}`);
      assert.ok(back <= ms * 1.001 + 1e-6, `${ms} -> ${text} -> ${back}`);
    }
  });

  it("decodes each unit", () => {
    assert.equal(decodeTimeout("1H"), 3_600_000);
    assert.equal(decodeTimeout("2M"), 120_000);
    assert.equal(decodeTimeout("5S"), 5000);
    assert.equal(decodeTimeout("100m"), 100);
    assert.equal(decodeTimeout("250u"), 0.25);
    assert.equal(decodeTimeout("3000000n"), 3);
  });

  it("rejects malformed text with INTERNAL", () => {
    for (const bad of ["", "5", "S", "123456789S", "-1S", "1.5S", "1s", "1 S", "1SS", "1h"]) {
      assert.throws(
        () => decodeTimeout(bad),
        (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL,
        bad,
      );
    }
  });
});
