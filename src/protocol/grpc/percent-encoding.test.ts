import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentDecode, percentEncode } from "./percent-encoding.ts";

describe("grpc-message percent-encoding", () => {
  it("leaves space and VCHAR except % unencoded", () => {
    assert.equal(percentEncode("plain text: ok! ~"), "plain text: ok! ~");
  });

  it("encodes %, controls and UTF-8 bytes as upper-case %XX", () => {
    // gRPC interop special_status_message uses this kind of text.
    assert.equal(percentEncode("100%\t\r\n"), "100%25%09%0D%0A");
    assert.equal(percentEncode("é😀"), "%C3%A9%F0%9F%98%80");
  });

  it("round-trips arbitrary text", () => {
    const text = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n % %25";
    assert.equal(percentDecode(percentEncode(text)), text);
  });

  it("decodes lower-case hex, and keeps broken escapes as-is instead of failing", () => {
    assert.equal(percentDecode("%c3%a9"), "é");
    assert.equal(percentDecode("50% off %zz %4"), "50% off %zz %4");
    // A decoded byte sequence that is not UTF-8 becomes U+FFFD, never an exception.
    assert.equal(percentDecode("bad %FF byte"), "bad \uFFFD byte");
    // A sender that put raw non-ASCII in the value: kept.
    assert.equal(percentDecode("caf\u00e9 %21"), "café !");
  });
});
