import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteWriter } from "../../bytes/byte-writer.ts";
import { concatChunks } from "../../bytes/bytes.ts";
import { MAX_VARINT, writeVarint } from "../../bytes/varint.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameType } from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame, encodeFrameHeader } from "./frame-encoder.ts";
import { payloadReader } from "./payload-reader.ts";
import { FRAME_VECTORS } from "./spec-vectors.ts";
import { fromHex, hex, prng } from "./test-helpers.ts";

function frameError(code: ErrorCode, streamId?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof FrameError, `expected FrameError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.streamId, streamId);
    return true;
  };
}

test("varints: shortest form at each boundary, and back", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [63, "3f"],
    [64, "4040"],
    [16383, "7fff"],
    [16384, "80004000"],
    [MAX_VARINT, "bfffffff"],
  ];
  for (const [value, expected] of cases) {
    const out = new Uint8Array(4);
    const end = writeVarint(out, 0, value);
    assert.equal(hex(out.subarray(0, end)), expected);
    assert.equal(payloadReader(out.subarray(0, end), "t").varint("v"), value);
    assert.throws(
      () => payloadReader(out.subarray(0, end - 1), "t").varint("v"),
      frameError(ErrorCode.FRAME_SIZE_ERROR),
      "a cut varint in a payload",
    );
  }
  assert.throws(() => writeVarint(new Uint8Array(8), 0, MAX_VARINT + 1), RangeError);
  // Non-shortest forms are accepted (RFC 9000 §16 allows them).
  assert.equal(payloadReader(fromHex("4005"), "t").varint("v"), 5);
  assert.throws(
    () => payloadReader(fromHex("c000000000000001"), "t").varint("v"),
    frameError(ErrorCode.PROTOCOL_ERROR),
  );
  assert.throws(() => payloadReader(fromHex("0001"), "t").end(), frameError(ErrorCode.FRAME_SIZE_ERROR));
});

test("a byte stream of frames cut at random points decodes to the same frames", () => {
  const all = Object.values(FRAME_VECTORS).map(encodeFrame);
  const wire = Buffer.concat(all);
  const whole = new FrameDecoder().push(wire);
  assert.equal(whole.length, all.length);
  const next = prng(7);
  for (let round = 0; round < 200; round++) {
    const d = new FrameDecoder();
    const got = [];
    for (let at = 0; at < wire.length; ) {
      const n = 1 + (next() % 12);
      got.push(...d.push(wire.subarray(at, at + n)));
      at += n;
    }
    assert.equal(d.bufferedBytes, 0);
    assert.deepEqual(
      got.map((f) => hex(encodeFrame(f as never))),
      all.map(hex),
    );
  }
});

test("a frame inside one chunk is a view of it (no copy); a split one is gathered", () => {
  const data = new Uint8Array(10_000).fill(7);
  const wire = encodeFrame({
    type: FrameType.MESSAGE,
    streamId: 1,
    endStream: false,
    messageEnd: true,
    compressed: false,
    data,
  });
  const [f] = new FrameDecoder().push(wire);
  assert.ok(f && f.type === FrameType.MESSAGE);
  assert.equal(f.data.buffer, wire.buffer, "payload shares the input buffer");
  const d = new FrameDecoder();
  assert.deepEqual(d.push(wire.subarray(0, 5000)), []);
  assert.equal(d.bufferedBytes, 5000 - 4);
  const [g] = d.push(wire.subarray(5000));
  assert.ok(g && g.type === FrameType.MESSAGE);
  assert.deepEqual(g.data, data);
});

test("with messageParts, a split MESSAGE frame comes out as views of its chunks, not gathered", () => {
  const data = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
  const wire = encodeFrame({
    type: FrameType.MESSAGE,
    streamId: 3,
    endStream: true,
    messageEnd: true,
    compressed: true,
    data,
  });
  const d = new FrameDecoder(undefined, true);
  const first = wire.slice(0, 4000);
  const second = wire.slice(4000, 7000);
  const third = wire.slice(7000);
  assert.deepEqual(d.push(first), []);
  assert.deepEqual(d.push(second), []);
  const [f] = d.push(third);
  assert.ok(f && f.type === FrameType.MESSAGE);
  assert.deepEqual(
    [f.streamId, f.endStream, f.messageEnd, f.compressed, f.data.length],
    [3, true, true, true, 0],
  );
  const parts = f.parts ?? [];
  assert.deepEqual(
    parts.map((p) => p.buffer),
    [first.buffer, second.buffer, third.buffer],
    "each part is a view of the chunk it came in",
  );
  assert.deepEqual(concatChunks(parts), data);
  // A frame inside one chunk is unchanged: a view, no parts.
  const [g] = new FrameDecoder(undefined, true).push(wire);
  assert.ok(g && g.type === FrameType.MESSAGE);
  assert.equal(g.parts, undefined);
  assert.equal(g.data.buffer, wire.buffer);
});

test("a length over the maximum frame size is refused before its payload arrives", () => {
  const d = new FrameDecoder();
  assert.throws(
    () => d.push(encodeFrameHeader(FrameType.MESSAGE, 0, 1, DEFAULT_MAX_FRAME_BYTES + 1)),
    frameError(ErrorCode.FRAME_SIZE_ERROR),
  );
  const big = new FrameDecoder(1 << 20);
  assert.deepEqual(big.push(encodeFrameHeader(FrameType.MESSAGE, 0, 1, DEFAULT_MAX_FRAME_BYTES + 1)), []);
});

test("malformed frames give typed errors with the right code and scope", () => {
  const cases: [string, string, ErrorCode, number | undefined][] = [
    ["PING on a stream", "06010801020304050607 08", ErrorCode.PROTOCOL_ERROR, undefined],
    ["PING of 7 bytes", "060007 01020304050607", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["HEADERS on stream 0", "010000", ErrorCode.PROTOCOL_ERROR, undefined],
    ["MESSAGE on stream 0", "020000", ErrorCode.PROTOCOL_ERROR, undefined],
    ["RST with trailing bytes", "040102 0800", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["RST without a code", "040100", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["WINDOW_UPDATE of 0 on the connection", "05000100", ErrorCode.PROTOCOL_ERROR, undefined],
    ["SETTINGS ACK with a payload", "1000020101", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["SETTINGS with half an entry", "00000101", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["SETTINGS on a stream", "000100", ErrorCode.PROTOCOL_ERROR, undefined],
    ["GOAWAY cut short", "07000107", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["TRAILERS message longer than the payload", "030103 0005 61", ErrorCode.FRAME_SIZE_ERROR, undefined],
    ["TRAILERS message not UTF-8", "030103 0001 ff", ErrorCode.PROTOCOL_ERROR, undefined],
    ["8-byte varint stream id", "02c000000000000001 00", ErrorCode.PROTOCOL_ERROR, undefined],
  ];
  for (const [what, bytes, code, streamId] of cases) {
    assert.throws(
      () => new FrameDecoder().push(fromHex(bytes.replaceAll(" ", ""))),
      frameError(code, streamId),
      what,
    );
  }
});

test("frames of unknown types are skipped whole", () => {
  const wire = Buffer.concat([fromHex("0f0103aabbcc"), encodeFrame(FRAME_VECTORS["rst-cancel"]!)]);
  const frames = new FrameDecoder().push(wire);
  assert.deepEqual(
    frames.map((f) => f.type),
    ["unknown", FrameType.RST],
  );
});

test("the payload writer grows and keeps what was written", () => {
  const w = new ByteWriter(2);
  for (let i = 0; i < 100; i++) w.varint(i * 1000);
  const r = payloadReader(w.finish(), "t");
  for (let i = 0; i < 100; i++) assert.equal(r.varint("v"), i * 1000);
  r.end();
});
