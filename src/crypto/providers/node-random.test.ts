import assert from "node:assert/strict";
import { test } from "node:test";
import { isAllZero } from "../../bytes/bytes.ts";
import { MAX_POOLED_REQUEST_BYTES, pooledRandomBytes, RANDOM_POOL_BYTES } from "./node-random.ts";

/** A CSPRNG stand-in that writes a running counter (mod 251, never 0) and keeps the buffers it filled. */
function watchedFill() {
  const filled: Uint8Array[] = [];
  let next = 1;
  const fill = (into: Uint8Array) => {
    filled.push(into);
    for (let i = 0; i < into.length; i++) into[i] = next++ % 251 || 251;
  };
  return { fill, filled };
}

test("short requests are cut from one pool, each span zeroed there as it is handed out", () => {
  const { fill, filled } = watchedFill();
  const random = pooledRandomBytes(fill);
  const a = random(32);
  const b = random(32);
  assert.equal(filled.length, 1, "one refill serves both");
  const pool = filled[0]!;
  assert.equal(pool.length, RANDOM_POOL_BYTES);
  assert.deepEqual(
    [...a],
    Array.from({ length: 32 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    [...b],
    Array.from({ length: 32 }, (_, i) => i + 33),
  );
  assert.ok(isAllZero(pool.subarray(0, 64)), "handed-out bytes are zeroed in the pool");
  assert.ok(!isAllZero(pool.subarray(64, 65)), "the rest is still there");
  // Copies, not views: changing one changes neither the pool nor the next.
  a.fill(0xee);
  assert.ok(isAllZero(pool.subarray(0, 32)));
  assert.notEqual(a.buffer, pool.buffer);
});

test("a request past the pool's end refills it rather than handing out bytes twice", () => {
  const { fill, filled } = watchedFill();
  const random = pooledRandomBytes(fill);
  const seen: Uint8Array[] = [];
  let total = 0;
  while (filled.length < 2) {
    seen.push(random(MAX_POOLED_REQUEST_BYTES - 1));
    total += MAX_POOLED_REQUEST_BYTES - 1;
  }
  assert.ok(total > RANDOM_POOL_BYTES);
  const first = seen[seen.length - 2]!;
  const last = seen[seen.length - 1]!;
  assert.notDeepEqual(first, last);
  assert.equal(last[0], (RANDOM_POOL_BYTES + 1) % 251, "the new span starts at the second fill's first byte");
});

test("long requests are filled directly, zero-length and invalid lengths", () => {
  const { fill, filled } = watchedFill();
  const random = pooledRandomBytes(fill);
  const long = random(MAX_POOLED_REQUEST_BYTES + 1);
  assert.equal(long.length, MAX_POOLED_REQUEST_BYTES + 1);
  assert.equal(filled.length, 1);
  assert.equal(filled[0], long, "filled in place, no pool involved");
  assert.equal(random(0).length, 0);
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => random(bad), { code: "invalid-input" });
});

test("the default CSPRNG: outputs differ and have the lengths asked for", () => {
  const random = pooledRandomBytes();
  const outs = Array.from({ length: 200 }, () => random(32));
  assert.equal(new Set(outs.map((o) => Buffer.from(o).toString("hex"))).size, outs.length);
  assert.equal(random(1000).length, 1000);
});
