import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "./backoff.ts";
import { RECONNECT_JITTER } from "./limits.ts";

test("waits double per failure from the initial wait, capped, and a success resets them", () => {
  const b = new Backoff(100, 1_000, () => 0.5); // 0.5: no jitter
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => b.fail(0)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  b.succeed();
  assert.equal(b.remaining(0), 0);
  assert.equal(b.fail(0), 100);
});

test("jitter spreads each wait by ±RECONNECT_JITTER, never more", () => {
  const low = new Backoff(1_000, 10_000, () => 0);
  const high = new Backoff(1_000, 10_000, () => 0.999999);
  assert.equal(low.fail(0), Math.round(1_000 * (1 - RECONNECT_JITTER)));
  assert.ok(high.fail(0) <= Math.round(1_000 * (1 + RECONNECT_JITTER)));
  assert.ok(high.fail(0) > 2_000 * (1 + RECONNECT_JITTER) - 1);
});

test("remaining() counts down from the failure on the caller's clock", () => {
  const b = new Backoff(100, 1_000, () => 0.5);
  assert.equal(b.remaining(5_000), 0, "no failure yet: an attempt may start now");
  b.fail(5_000);
  assert.equal(b.remaining(5_000), 100);
  assert.equal(b.remaining(5_060), 40);
  assert.equal(b.remaining(5_100), 0);
  assert.equal(b.remaining(9_999), 0);
});
