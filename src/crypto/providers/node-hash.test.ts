import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { test } from "node:test";
import { toHex as hex } from "../../bytes/bytes.ts";
import type { HashName } from "../types.ts";
import { nodeHash } from "./node-hash.ts";

test("RFC 2104 HMAC matches node:crypto createHmac for keys around every block size", () => {
  // Data past 1 KiB takes a buffer of its own; keys and data get shorter as well as
  // longer from one call to the next, so a kept buffer's leftovers would show.
  const data = new Uint8Array(1500).map((_, i) => (i * 7) & 0xff);
  const keyLengths = [0, 1, 32, 48, 63, 64, 65, 127, 128, 129, 131, 200];
  for (const name of ["sha256", "sha384", "sha512"] as HashName[]) {
    const h = nodeHash(name);
    for (const keyLength of [...keyLengths, ...keyLengths.toReversed()]) {
      const key = new Uint8Array(keyLength).map((_, i) => (i * 13 + 1) & 0xff);
      for (const n of [0, 1, 77, 300, 1500, 2]) {
        const expected = createHmac(name, key).update(data.subarray(0, n)).digest("hex");
        assert.equal(hex(h.hmac(key, data.subarray(0, n))), expected, `${name} key ${keyLength} data ${n}`);
      }
    }
  }
});

test("RFC 4231 test case 6 (131-byte key, longer than the SHA-384 block)", () => {
  const key = new Uint8Array(131).fill(0xaa);
  const data = new TextEncoder().encode("Test Using Larger Than Block-Size Key - Hash Key First");
  assert.equal(
    hex(nodeHash("sha384").hmac(key, data)),
    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
  );
});

test("incremental digests, taken through a latin1 string, equal node's Buffer digests byte for byte", () => {
  // Inputs whose digests cover every byte value 0x00-0xff across the loop, so a
  // lossy string conversion (UTF-8, or a sign slip above 0x7f) would show.
  const seen = new Set<number>();
  for (const name of ["sha256", "sha384", "sha512"] as HashName[]) {
    const h = nodeHash(name);
    for (let n = 0; n < 300; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      const state = h.create().update(data.subarray(0, n >> 1));
      const fork = state.clone();
      state.update(data.subarray(n >> 1));
      const whole = state.digest();
      const half = fork.digest();
      assert.ok(whole instanceof Uint8Array && !Buffer.isBuffer(whole));
      assert.equal(hex(whole), createHash(name).update(data).digest("hex"), `${name} ${n}`);
      assert.equal(
        hex(half),
        createHash(name)
          .update(data.subarray(0, n >> 1))
          .digest("hex"),
      );
      for (const b of whole) seen.add(b);
    }
  }
  assert.equal(seen.size, 256);
});
