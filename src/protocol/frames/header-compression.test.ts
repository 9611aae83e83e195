import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_HEADER_TABLE_BYTES } from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";
import { STATIC_TABLE } from "./header-static-table.ts";
import { fromHex, prng } from "./test-helpers.ts";

const LIMIT = 64 * 1024;

function compressionError(e: unknown): boolean {
  assert.ok(e instanceof FrameError, String(e));
  assert.equal(e.code, ErrorCode.COMPRESSION_ERROR, e.message);
  return true;
}

test("text, unicode and -bin values survive, and -bin values stay bytes", () => {
  const fields: HeaderField[] = [
    [":path", "/a.B/C"],
    ["x-greeting", "grüß dich ✓"],
    ["trace-bin", new Uint8Array([0, 255, 10, 13])],
    ["empty", ""],
  ];
  const enc = new HeaderEncoder();
  const dec = new HeaderDecoder();
  for (let i = 0; i < 3; i++) assert.deepEqual(dec.decode(enc.encode(fields), LIMIT).fields, fields);
});

test("repeated requests shrink to one byte per repeated field; per-call values stay out of the table", () => {
  const enc = new HeaderEncoder();
  const base: HeaderField[] = [
    [":path", "/pkg.Svc/Method"],
    ["user-agent", "pqrpc-node/0.1"],
    ["x-a", "1"],
  ];
  enc.encode([...base, ["grpc-timeout", "99m"]]);
  const sizeAfterFirst = enc.tableSize;
  const second = enc.encode([...base, ["grpc-timeout", "98m"]]);
  // 3 indexed fields + (1 name-index byte + 1 length + 3 value bytes).
  assert.equal(second.length, 3 + 5);
  assert.equal(enc.tableSize, sizeAfterFirst, "grpc-timeout values are never inserted");
});

test("short credentials are not inserted; long tokens are", () => {
  const enc = new HeaderEncoder();
  enc.encode([["authorization", "Bearer abc"]]);
  assert.equal(enc.tableSize, 0);
  enc.encode([["authorization", `Bearer ${"x".repeat(40)}`]]);
  assert.ok(enc.tableSize > 0);
});

test("encoder and decoder tables stay in step through eviction (random lists, small table)", () => {
  const next = prng(42);
  const enc = new HeaderEncoder(DEFAULT_HEADER_TABLE_BYTES);
  const dec = new HeaderDecoder(DEFAULT_HEADER_TABLE_BYTES);
  for (let round = 0; round < 500; round++) {
    const fields: HeaderField[] = [];
    const n = 1 + (next() % 8);
    for (let i = 0; i < n; i++) {
      const name = `x-k${next() % 40}`;
      fields.push([name, "v".repeat(next() % 300) + (next() % 5)]);
    }
    assert.deepEqual(dec.decode(enc.encode(fields), LIMIT).fields, fields, `round ${round}`);
    assert.equal(dec.tableSize, enc.tableSize);
    assert.ok(enc.tableSize <= DEFAULT_HEADER_TABLE_BYTES);
  }
});

test("a capacity raised on both sides at the same point keeps them in step", () => {
  const enc = new HeaderEncoder();
  const dec = new HeaderDecoder();
  const fields: HeaderField[] = Array.from({ length: 40 }, (_, i) => [`x-h${i}`, "y".repeat(100)] as const);
  dec.decode(enc.encode(fields), LIMIT);
  enc.setCapacity(16384);
  dec.setCapacity(16384);
  for (let i = 0; i < 3; i++) assert.deepEqual(dec.decode(enc.encode(fields), LIMIT).fields, fields);
  assert.ok(enc.tableSize > DEFAULT_HEADER_TABLE_BYTES);
});

test("an oversize list is flagged and dropped, but its insertions still apply", () => {
  const enc = new HeaderEncoder(16384);
  const dec = new HeaderDecoder(16384);
  const big: HeaderField[] = Array.from({ length: 20 }, (_, i) => [`x-big${i}`, "z".repeat(200)] as const);
  const r = dec.decode(enc.encode(big), 1024);
  assert.equal(r.oversize, true);
  assert.deepEqual(r.fields, []);
  assert.ok(r.listBytes > 1024);
  // The next block refers to entries inserted by the oversize one.
  assert.deepEqual(dec.decode(enc.encode(big.slice(0, 2)), LIMIT).fields, big.slice(0, 2));
});

test("malformed blocks are COMPRESSION_ERROR", () => {
  const bad = [
    ["index past the tables", (0x80 | STATIC_TABLE.length).toString(16)],
    ["unknown representation", "01"],
    ["literal name cut short", "100561"],
    ["value longer than the block", "4005616263"],
    ["prefix integer too long", "ffffffffff01"],
    ["upper-case name", "000141" + "00"],
    ["name with a space", "00026120" + "00"],
    ["empty name", "0000" + "00"],
  ];
  for (const [what, bytes] of bad) {
    assert.throws(() => new HeaderDecoder().decode(fromHex(bytes!), LIMIT), compressionError, what);
  }
});

test("a non-UTF-8 text value is a typed error", () => {
  assert.throws(
    () => new HeaderDecoder().decode(fromHex("0004782d6162 01ff".replace(" ", "")), LIMIT),
    (e: unknown) => e instanceof FrameError && e.code === ErrorCode.PROTOCOL_ERROR,
  );
});

test("the encoder refuses invalid names (a caller bug, not wire input)", () => {
  assert.throws(() => new HeaderEncoder().encode([["Bad Name", "x"]]), RangeError);
});

test("a name whose inserted values never come back (a per-call id) stops being inserted", () => {
  const enc = new HeaderEncoder();
  const dec = new HeaderDecoder();
  const sizes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const fields: HeaderField[] = [
      ["x-tenant", "blue"],
      ["x-call-id", `call-${1000 + i}`],
    ];
    const block = enc.encode(fields);
    assert.deepEqual(dec.decode(block, LIMIT).fields, fields);
    sizes.push(enc.tableSize);
  }
  // x-tenant once, x-call-id three times (then never again): the table stops growing.
  const entry = (n: string, v: string) => n.length + v.length + 32;
  assert.equal(sizes[9], entry("x-tenant", "blue") + 3 * entry("x-call-id", "call-1000"));
  assert.equal(sizes[3], sizes[9]);
});

test("a text value and its UTF-8 bytes are the same pair to the encoder, ASCII or not", () => {
  for (const text of ["application/grpc", "grüß ✓", ""]) {
    const asBytes = new TextEncoder().encode(text);
    const a = new HeaderEncoder();
    const b = new HeaderEncoder();
    assert.deepEqual(a.encode([["x-v", text]]), b.encode([["x-v", asBytes]]), text);
    // Each finds the pair the other form inserted: one indexed byte.
    assert.equal(a.encode([["x-v", asBytes]]).length, 1, text);
    assert.equal(b.encode([["x-v", text]]).length, 1, text);
  }
});

test("a pair indexed again decodes to the same text each time; a non-UTF-8 entry fails on each use, and not past the list bound", () => {
  const enc = new HeaderEncoder();
  const dec = new HeaderDecoder();
  const fields: HeaderField[] = [
    ["content-type", "application/grpc"],
    ["x-greeting", "grüß dich ✓"],
  ];
  for (let i = 0; i < 3; i++) assert.deepEqual(dec.decode(enc.encode(fields), LIMIT).fields, fields);
  const bad = new HeaderDecoder();
  const notUtf8 = (e: unknown) => e instanceof FrameError && e.code === ErrorCode.PROTOCOL_ERROR;
  // LITERAL_INSERT "x-a" = 0xff: inserted, then refused as text.
  assert.throws(() => bad.decode(fromHex("1003782d6101ff"), LIMIT), notUtf8);
  const indexed = Uint8Array.of(0x80 | STATIC_TABLE.length);
  assert.throws(() => bad.decode(indexed, LIMIT), notUtf8);
  assert.throws(() => bad.decode(indexed, LIMIT), notUtf8);
  assert.deepEqual(bad.decode(indexed, 1), { fields: [], listBytes: 36, oversize: true });
});

test("a name whose value changes between blocks is encoded with each block's own value", () => {
  const enc = new HeaderEncoder();
  const dec = new HeaderDecoder();
  for (const v of ["a", "b", "a", "a", "c", "b"]) {
    const fields: HeaderField[] = [
      [":path", `/svc/${v}`],
      ["x-v", v],
    ];
    assert.deepEqual(dec.decode(enc.encode(fields), LIMIT).fields, fields, v);
  }
});
