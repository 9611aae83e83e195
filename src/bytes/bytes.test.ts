import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  allocUninitialized,
  bytesEqual,
  concatBytes,
  concatChunks,
  constantTimeEqual,
  copyBytes,
  fromHex,
  isAllZero,
  plainView,
  rechunk,
  toArrayBuffer,
  toHex,
  useUninitializedAllocator,
  utf8Decode,
  utf8DecodeStrict,
  utf8Encode,
  utf8Length,
  wipe,
} from "./bytes.ts";

const of = (...b: number[]) => Uint8Array.of(...b);

test("concat: parts in order, a new array even for one part", () => {
  assert.deepEqual(concatBytes(of(1, 2), of(), of(3)), of(1, 2, 3));
  const one = of(7);
  const joined = concatChunks([one]);
  assert.deepEqual(joined, one);
  assert.notEqual(joined.buffer, one.buffer);
  assert.deepEqual(concatChunks([of(1), of(2, 3)], 3), of(1, 2, 3));
  assert.equal(concatBytes().length, 0);
});

test("rechunk joins small chunks, splits large ones, and passes a lone whole chunk through", () => {
  const chunks = [new Uint8Array(3).fill(1), new Uint8Array(4).fill(2), new Uint8Array(10).fill(3), of(4)];
  const out = rechunk(chunks, 8);
  assert.deepEqual(
    out.map((m) => m.length),
    [8, 8, 2],
  );
  assert.deepEqual(concatChunks(out), concatChunks(chunks));
  assert.deepEqual(rechunk([], 8), []);
  assert.deepEqual(rechunk([new Uint8Array(0)], 8), []);
  const lone = new Uint8Array(5);
  assert.equal(rechunk([lone], 8)[0], lone, "no copy");
  assert.throws(() => rechunk(chunks, 0), RangeError);
});

test("equality: plain and constant-time agree on every case", () => {
  const cases: [Uint8Array, Uint8Array, boolean][] = [
    [of(), of(), true],
    [of(1, 2), of(1, 2), true],
    [of(1, 2), of(1, 3), false],
    [of(1, 2), of(1), false],
    [of(0), of(), false],
  ];
  for (const [a, b, equal] of cases) {
    assert.equal(bytesEqual(a, b), equal);
    assert.equal(constantTimeEqual(a, b), equal);
  }
});

test("isAllZero and wipe", () => {
  assert.equal(isAllZero(of()), true);
  assert.equal(isAllZero(of(0, 0)), true);
  assert.equal(isAllZero(of(0, 1)), false);
  const a = of(1, 2);
  const b = of(3);
  wipe(a, undefined, b);
  assert.deepEqual([a, b], [of(0, 0), of(0)]);
});

test("copyBytes never aliases its input and always returns a plain Uint8Array", () => {
  const backing = of(9, 1, 2, 3, 9);
  const view = backing.subarray(1, 4);
  const copy = copyBytes(view);
  assert.deepEqual(copy, of(1, 2, 3));
  view[0] = 0;
  assert.equal(copy[0], 1);
  assert.equal(copyBytes(Buffer.from([5, 6])).constructor, Uint8Array, "a Buffer's copy is plain");
  // A pooled Buffer (a window into Node's shared 8 KiB slab): the copy owns exactly its bytes.
  const pooled = Buffer.from([7, 8, 9]);
  const own = copyBytes(pooled);
  assert.equal(own.buffer.byteLength, 3, "no window into the pool");
  pooled[0] = 0;
  assert.equal(own[0], 7);
  assert.deepEqual(copyBytes(of(4, 5).buffer), of(4, 5));
  assert.deepEqual(copyBytes(new Uint16Array([0x0102])).length, 2);
  const exact = toArrayBuffer(view);
  assert.equal(exact.byteLength, 3);
});

test("plainView shares the bytes of a Buffer without copying", () => {
  const buf = Buffer.from([1, 2, 3]);
  const plain = plainView(buf);
  assert.equal(plain.constructor, Uint8Array);
  buf[0] = 7;
  assert.equal(plain[0], 7);
  const u = of(1);
  assert.equal(plainView(u), u);
});

test("hex both ways, either case in; odd lengths and non-hex are RangeError", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(toHex(all), Buffer.from(all).toString("hex"));
  assert.deepEqual(fromHex(toHex(all)), all);
  assert.deepEqual(fromHex("ABcd"), of(0xab, 0xcd));
  assert.deepEqual(fromHex(""), of());
  assert.throws(() => fromHex("abc"), RangeError);
  assert.throws(() => fromHex("zz"), RangeError);
  assert.throws(() => fromHex("0g"), RangeError);
});

test("utf8: encode, lenient and strict decode, and the length without encoding", () => {
  for (const text of ["", "ascii", "é", "€uro", "😀 emoji", "\ud800 lone", "end \udc00", "a\ud83d"]) {
    assert.equal(utf8Length(text), utf8Encode(text).length, JSON.stringify(text));
    assert.equal(utf8Length(text), Buffer.byteLength(text, "utf8"), JSON.stringify(text));
  }
  assert.equal(utf8Decode(utf8Encode("héllo")), "héllo");
  assert.equal(utf8Decode(of(0xff)), "\ufffd");
  assert.throws(() => utf8DecodeStrict(of(0xff)), TypeError);
  assert.equal(utf8DecodeStrict(of(0x68, 0x69)), "hi");
});

test("src/bytes and src/errors use no node:* module and no Buffer (they run in browsers and devices)", () => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, "../errors")]) {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
      // Code only: comments may name what the code avoids.
      const source = readFileSync(join(dir, name), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      assert.doesNotMatch(source, /from "node:|require\(|\bBuffer\b|\bprocess\./, `${dir}/${name}`);
      for (const [, target] of source.matchAll(/from "(\.[^"]*)"/g)) {
        assert.match(target!, /^\.\/[\w-]+\.ts$|^\.\.\/(bytes|errors)\//, `${name} imports ${target}`);
      }
    }
  }
});

test("allocUninitialized: the installed allocator from 4 KiB on, a plain array of its own memory; zeros without one", () => {
  const asked: number[] = [];
  useUninitializedAllocator((n) => {
    asked.push(n);
    return new Uint8Array(n).fill(0xee); // stands for memory with old contents
  });
  try {
    const small = allocUninitialized(100);
    assert.deepEqual([...new Set(small)], [0], "small arrays are zero-filled, not asked for");
    const big = allocUninitialized(65536);
    assert.deepEqual(asked, [65536]);
    assert.equal(big.constructor, Uint8Array);
    assert.equal(big.length, 65536);
    assert.equal(big[0], 0xee, "contents are whatever the allocator gave: callers overwrite them");
    // concatChunks overwrites every byte of what it gets.
    const joined = concatChunks([new Uint8Array(5000).fill(1), new Uint8Array(3000).fill(2)]);
    assert.equal(joined.length, 8000);
    assert.ok(joined.subarray(0, 5000).every((b) => b === 1) && joined.subarray(5000).every((b) => b === 2));
  } finally {
    useUninitializedAllocator(undefined);
  }
  const zeroed = allocUninitialized(65536);
  assert.ok(isAllZero(zeroed), "no allocator: zero-filled");
});
