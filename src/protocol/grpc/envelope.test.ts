import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { ENVELOPE_PREFIX_BYTES, EnvelopeReader, encodeEnvelope, encodeEnvelopePrefix } from "./envelope.ts";

function rpcCode(fn: () => unknown): Code {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected RpcError, got ${String(e)}`);
    return e.code;
  }
  assert.fail("expected a failure");
}

describe("Length-Prefixed-Message", () => {
  it("encodes flag and big-endian length (PROTOCOL-HTTP2 layout)", () => {
    const env = encodeEnvelope({ data: new Uint8Array([0xaa, 0xbb, 0xcc]), compressed: true });
    assert.deepEqual([...env], [1, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc]);
    const big = encodeEnvelopePrefix({ data: new Uint8Array(0x010203), compressed: false });
    assert.deepEqual([...big], [0, 0, 0x01, 0x02, 0x03]);
  });

  it("reassembles messages split across chunks at every offset, and several per chunk", () => {
    const messages = [new Uint8Array([1, 2, 3, 4, 5, 6, 7]), new Uint8Array(0), new Uint8Array([9])];
    const wire = Buffer.concat(messages.map((data, i) => encodeEnvelope({ data, compressed: i === 2 })));
    for (let cut = 0; cut <= wire.length; cut++) {
      const reader = new EnvelopeReader(100);
      const out = [...reader.push(wire.subarray(0, cut)), ...reader.push(wire.subarray(cut))];
      assert.deepEqual(
        out.map((m) => [...m.data]),
        messages.map((m) => [...m]),
      );
      assert.deepEqual(
        out.map((m) => m.compressed),
        [false, false, true],
      );
      reader.end();
    }
    // Byte by byte.
    const reader = new EnvelopeReader(100);
    const out = [];
    for (const b of wire) out.push(...reader.push(new Uint8Array([b])));
    assert.equal(out.length, 3);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("refuses an oversized message from its prefix alone, before buffering the body", () => {
    const reader = new EnvelopeReader(10);
    assert.deepEqual(reader.push(encodeEnvelope({ data: new Uint8Array(10), compressed: false })).length, 1);
    const prefix = encodeEnvelopePrefix({ data: new Uint8Array(11), compressed: false });
    assert.equal(
      rpcCode(() => reader.push(prefix)),
      Code.RESOURCE_EXHAUSTED,
    );
    // A 4 GiB - 1 claim fails the same way without any allocation.
    const huge = new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]);
    assert.equal(
      rpcCode(() => new EnvelopeReader(4 * 1024 * 1024).push(huge)),
      Code.RESOURCE_EXHAUSTED,
    );
  });

  it("refuses a compressed flag other than 0 or 1 (INTERNAL)", () => {
    assert.equal(
      rpcCode(() => new EnvelopeReader(10).push(new Uint8Array([2, 0, 0, 0, 0]))),
      Code.INTERNAL,
    );
    // 0x80 is grpc-web's trailer frame: not valid in gRPC over HTTP/2.
    assert.equal(
      rpcCode(() => new EnvelopeReader(10).push(new Uint8Array([0x80, 0, 0, 0, 0]))),
      Code.INTERNAL,
    );
  });

  it("reports a stream that ends inside a prefix or a body as INTERNAL", () => {
    const inPrefix = new EnvelopeReader(10);
    inPrefix.push(new Uint8Array([0, 0]));
    assert.equal(
      rpcCode(() => inPrefix.end()),
      Code.INTERNAL,
    );
    const inBody = new EnvelopeReader(10);
    inBody.push(new Uint8Array([0, 0, 0, 0, 4, 1, 2]));
    assert.equal(inBody.bufferedBytes, 2);
    assert.equal(
      rpcCode(() => inBody.end()),
      Code.INTERNAL,
    );
    assert.equal(ENVELOPE_PREFIX_BYTES, 5);
  });
});
