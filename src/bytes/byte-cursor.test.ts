/** The shared byte cursor: writer and reader against each other and against hand-built bytes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteReader, type ReadFailure } from "./byte-reader.ts";
import { ByteWriter } from "./byte-writer.ts";
import { MAX_VARINT, readVarint, varintLength, varintSize, writeVarint } from "./varint.ts";

class Failure extends Error {
  constructor(
    readonly failure: ReadFailure,
    message: string,
  ) {
    super(message);
  }
}
const reader = (bytes: Uint8Array) => new ByteReader(bytes, "t", (f, m) => new Failure(f, m));
const fails = (failure: ReadFailure) => (e: unknown) => e instanceof Failure && e.failure === failure;
const bytes = (n: number, v = 7) => new Uint8Array(n).fill(v);

describe("ByteWriter / ByteReader", () => {
  it("write length prefixes by construction and read them back", () => {
    const w = new ByteWriter(4)
      .u8(1)
      .prefixed(2, (x) => x.u16(0xabcd).vector(1, bytes(3)))
      .u24(0x010203)
      .u32(0xffffffff)
      .u64(2 ** 53 - 1)
      .varintVector(bytes(2, 9));
    const expected = [
      [1, 0, 6, 0xab, 0xcd, 3, 7, 7, 7], // u8, then a 2-byte length over u16 + vector
      [1, 2, 3, 0xff, 0xff, 0xff, 0xff], // u24, u32
      [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // u64 2^53 - 1
      [2, 9, 9], // varint length, bytes
    ].flat();
    assert.deepEqual([...w.finish()], expected);
    const r = reader(w.finish());
    assert.equal(r.u8(), 1);
    const b = r.block(2, 0, 10, "b");
    assert.equal(b.u16(), 0xabcd);
    assert.deepEqual(b.vector(1, 1, 3, "v"), bytes(3));
    b.end();
    assert.equal(r.u24(), 0x010203);
    assert.equal(r.u32(), 0xffffffff);
    assert.equal(r.u64(), 2 ** 53 - 1);
    assert.deepEqual(r.varintVector("vv"), bytes(2, 9));
    assert.equal(r.offset, 27);
    r.end();
  });

  it("a field too long for its prefix, or a u64 that is not a safe integer, is a RangeError", () => {
    assert.throws(() => new ByteWriter().vector(1, bytes(256)), RangeError);
    assert.throws(() => new ByteWriter().prefixed(2, (w) => w.bytes(bytes(65536))), RangeError);
    assert.throws(() => new ByteWriter().u64(2 ** 53), RangeError);
    assert.throws(() => new ByteWriter().u64(-1), RangeError);
    assert.throws(() => new ByteWriter().varint(MAX_VARINT + 1), RangeError);
  });

  it("reads are views of the input, never copies", () => {
    const input = Uint8Array.of(2, 5, 6, 7);
    const r = reader(input);
    const v = r.vector(1, 0, 2, "v");
    const rest = r.rest();
    input[1] = 0;
    input[3] = 0;
    assert.deepEqual([...v, ...rest], [0, 6, 0]);
    assert.equal(v.buffer, input.buffer);
  });

  it("names each failure: short, malformed (bounds, item count, refused forms), trailing", () => {
    assert.throws(() => reader(Uint8Array.of(0, 5, 1)).vector(2, 0, 10, "f"), fails("short"));
    assert.throws(() => reader(Uint8Array.of(3, 1, 2, 3)).vector(1, 4, 10, "f"), fails("malformed"));
    assert.throws(
      () => reader(Uint8Array.of(2, 1, 2)).list(1, 0, 2, "l", (x) => x.u8(), 1),
      fails("malformed"),
    );
    assert.throws(() => reader(Uint8Array.of(1, 2)).end(), fails("trailing"));
    assert.throws(() => reader(new Uint8Array(0)).u16(), fails("short"));
    assert.throws(() => reader(bytes(8, 0xff)).u64(), fails("malformed"));
    assert.throws(() => reader(Uint8Array.of(0xc0, 0, 0, 0, 0, 0, 0, 1)).varint("v"), fails("malformed"));
    assert.throws(() => reader(Uint8Array.of(0x80, 0)).varint("v"), fails("short"));
    assert.throws(() => reader(Uint8Array.of(3, 1)).varintVector("v"), fails("short"));
    assert.throws(() => reader(Uint8Array.of(1)).bytes(2, "b"), /t: b needs 2 bytes, 1 left/);
  });
});

describe("varints (RFC 9000 §16, 1-, 2- and 4-byte forms)", () => {
  it("shortest form at each boundary, and back", () => {
    for (const value of [0, 63, 64, 16383, 16384, MAX_VARINT]) {
      const out = new Uint8Array(4);
      const end = writeVarint(out, 0, value);
      assert.equal(end, varintLength(value));
      const size = varintSize(out[0]!);
      assert.equal(size, end);
      assert.equal(readVarint(out, 0, size as 1 | 2 | 4), value);
      assert.equal(reader(out.subarray(0, end)).varint("v"), value);
    }
    assert.equal(varintSize(0xc0), 8);
    assert.throws(() => writeVarint(new Uint8Array(4), 0, -1), RangeError);
    assert.throws(() => writeVarint(new Uint8Array(4), 0, 1.5), RangeError);
  });

  it("RFC 9000 §A.1's examples that fit 30 bits", () => {
    assert.equal(reader(Uint8Array.of(0x9d, 0x7f, 0x3e, 0x7d)).varint("v"), 494878333);
    assert.equal(reader(Uint8Array.of(0x7b, 0xbd)).varint("v"), 15293);
    assert.equal(reader(Uint8Array.of(0x25)).varint("v"), 37);
    assert.equal(reader(Uint8Array.of(0x40, 0x25)).varint("v"), 37);
  });
});
