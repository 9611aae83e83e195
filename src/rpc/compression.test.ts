import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipCompression } from "../node/gzip-compression.ts";
import { Code } from "./code.ts";
import {
  decodeMessage,
  encodeMessage,
  type MessageCodecConfig,
  negotiateSendCompression,
  resolveReceiveCompression,
} from "./message-codec.ts";
import { RpcError } from "./rpc-error.ts";

const config = (o: Partial<MessageCodecConfig>): MessageCodecConfig => ({
  maxSendBytes: 1 << 20,
  maxReceiveBytes: 1 << 20,
  sendCompression: gzipCompression,
  compressMinBytes: 16,
  receiveCompression: gzipCompression,
  ...o,
});

const hasCode = (c: number) => (e: unknown) => e instanceof RpcError && e.code === c;

describe("per-message gzip", () => {
  it("round-trips and only compresses messages at or above the threshold", async () => {
    const big = new Uint8Array(5000).fill(7);
    const wire = await encodeMessage(big, config({}));
    assert.equal(wire.compressed, true);
    assert.ok(wire.data.length < 100);
    assert.deepEqual(await decodeMessage(wire, config({})), big);
    const small = await encodeMessage(new Uint8Array(4), config({}));
    assert.equal(small.compressed, false);
  });

  it("a zip bomb fails with RESOURCE_EXHAUSTED at the receive limit", async () => {
    const bomb = await gzipCompression.compress(new Uint8Array(16 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    await assert.rejects(
      decodeMessage({ data: bomb, compressed: true }, config({ maxReceiveBytes: 1024 * 1024 })),
      hasCode(Code.RESOURCE_EXHAUSTED),
    );
  });

  it("corrupt gzip is INTERNAL; compressed flag without encoding is INTERNAL", async () => {
    await assert.rejects(
      decodeMessage({ data: new Uint8Array([1, 2, 3]), compressed: true }, config({})),
      hasCode(Code.INTERNAL),
    );
    await assert.rejects(
      decodeMessage({ data: new Uint8Array(3), compressed: true }, config({ receiveCompression: undefined })),
      hasCode(Code.INTERNAL),
    );
  });

  it("size limits apply before and after compression", async () => {
    await assert.rejects(
      encodeMessage(new Uint8Array(11), config({ maxSendBytes: 10 })),
      hasCode(Code.RESOURCE_EXHAUSTED),
    );
    await assert.rejects(
      decodeMessage({ data: new Uint8Array(11), compressed: false }, config({ maxReceiveBytes: 10 })),
      hasCode(Code.RESOURCE_EXHAUSTED),
    );
  });

  it("negotiation: unknown encodings are UNIMPLEMENTED; we send gzip only if the peer accepts it", () => {
    assert.equal(resolveReceiveCompression("identity", [gzipCompression]), undefined);
    assert.equal(resolveReceiveCompression("gzip", [gzipCompression]), gzipCompression);
    assert.throws(() => resolveReceiveCompression("br", [gzipCompression]), hasCode(Code.UNIMPLEMENTED));
    assert.equal(negotiateSendCompression(gzipCompression, ["identity"]), undefined);
    assert.equal(negotiateSendCompression(gzipCompression, ["identity", "gzip"]), gzipCompression);
  });
});
