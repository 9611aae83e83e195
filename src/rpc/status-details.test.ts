import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, codeFromWire, codeName, isCode } from "./code.ts";
import { MAX_STATUS_DETAILS } from "./limits.ts";
import { RpcError } from "./rpc-error.ts";
import { decodeStatus, encodeStatus, StatusDecodeError } from "./status-details.ts";

describe("status codes", () => {
  it("has the 17 gRPC codes with their wire numbers", () => {
    assert.equal(Object.keys(Code).length, 17);
    assert.equal(Code.OK, 0);
    assert.equal(Code.DEADLINE_EXCEEDED, 4);
    assert.equal(Code.RESOURCE_EXHAUSTED, 8);
    assert.equal(Code.UNIMPLEMENTED, 12);
    assert.equal(Code.UNAUTHENTICATED, 16);
    assert.equal(codeName(Code.DATA_LOSS), "DATA_LOSS");
    assert.equal(isCode(17), false);
    assert.equal(codeFromWire(99), Code.UNKNOWN);
    assert.equal(codeFromWire(14), Code.UNAVAILABLE);
  });

  it("RpcError formats its message and maps abort reasons", () => {
    const e = new RpcError(Code.NOT_FOUND, "gone");
    assert.equal(e.message, "[NOT_FOUND] gone");
    assert.equal(e.rawMessage, "gone");
    assert.equal(RpcError.from(new DOMException("x", "TimeoutError")).code, Code.DEADLINE_EXCEEDED);
    assert.equal(RpcError.from(new DOMException("x", "AbortError")).code, Code.CANCELLED);
    assert.equal(RpcError.from(new Error("boom"), Code.INTERNAL).code, Code.INTERNAL);
    assert.equal(RpcError.from(e), e);
  });
});

describe("google.rpc.Status codec", () => {
  it("round-trips code, message and details", () => {
    const status = {
      code: Code.FAILED_PRECONDITION,
      message: "ünïcode message",
      details: [
        { type: "google.rpc.RetryInfo", value: new Uint8Array([8, 1]) },
        { type: "x.Empty", value: new Uint8Array(0) },
      ],
    };
    assert.deepEqual(decodeStatus(encodeStatus(status)), status);
  });

  it("matches the protobuf encoding byte for byte", () => {
    // code=5, message="hi", one Any{type_url, value=[1]}: hand-assembled per the proto wire format.
    const typeUrl = "type.googleapis.com/a.B";
    const any = [0x0a, typeUrl.length, ...Buffer.from(typeUrl), 0x12, 0x01, 0x01];
    const expected = new Uint8Array([0x08, 0x05, 0x12, 0x02, 0x68, 0x69, 0x1a, any.length, ...any]);
    const encoded = encodeStatus({
      code: Code.NOT_FOUND,
      message: "hi",
      details: [{ type: "a.B", value: new Uint8Array([1]) }],
    });
    assert.deepEqual(encoded, expected);
  });

  it("skips unknown fields, maps unknown codes to UNKNOWN, rejects garbage and detail floods", () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.Varint).int32(42).tag(9, WireType.LengthDelimited).string("future");
    assert.deepEqual(decodeStatus(w.finish()), { code: Code.UNKNOWN, message: "", details: [] });
    assert.throws(() => decodeStatus(new Uint8Array([0x12, 0x05, 0x61])), StatusDecodeError);
    const flood = new BinaryWriter();
    for (let i = 0; i <= MAX_STATUS_DETAILS; i++)
      flood.tag(3, WireType.LengthDelimited).bytes(new Uint8Array(0));
    assert.throws(() => decodeStatus(flood.finish()), /more than/);
  });
});
