/** readVarint(writeVarint(v)) = v over the whole 30-bit range, in the shortest form (SPEC §Varints). */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MAX_VARINT, readVarint, varintLength, varintSize, writeVarint } from "./varint.ts";

test("varints round-trip in their shortest form", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_VARINT }), fc.integer({ min: 0, max: 8 }), (value, offset) => {
      const buf = new Uint8Array(offset + 4);
      const end = writeVarint(buf, offset, value);
      const size = varintSize(buf[offset]!);
      assert.equal(size, varintLength(value));
      assert.equal(end - offset, size);
      assert.equal(readVarint(buf, offset, size as 1 | 2 | 4), value);
    }),
    { numRuns: 2000 },
  );
  assert.throws(() => writeVarint(new Uint8Array(4), 0, MAX_VARINT + 1), RangeError);
});
