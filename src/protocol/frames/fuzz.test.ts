/**
 * Robustness: random, truncated and bit-flipped input to the frame decoder
 * and the header decoder never throws anything but FrameError and never
 * loops (each case is bounded by its input length).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FrameError } from "./error-codes.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import { FRAME_VECTORS, HEADER_EXAMPLE_REQUEST } from "./spec-vectors.ts";
import { prng, randomBytes } from "./test-helpers.ts";

function onlyFrameErrors(run: () => void, what: string): void {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof FrameError, `${what}: threw ${String(e)}`);
  }
}

const valid = Buffer.concat(Object.values(FRAME_VECTORS).map(encodeFrame));

test("random bytes into the frame decoder: FrameError or frames, nothing else", () => {
  const next = prng(1234);
  for (let i = 0; i < 3000; i++) {
    const input = randomBytes(next, next() % 200);
    onlyFrameErrors(() => {
      const d = new FrameDecoder();
      for (let at = 0; at < input.length; at += 1 + (next() % 16))
        d.push(input.subarray(at, at + 1 + (next() % 16)));
    }, `case ${i}`);
  }
});

test("bit flips and truncations of valid frames: FrameError or frames", () => {
  const next = prng(99);
  for (let i = 0; i < 3000; i++) {
    const input = new Uint8Array(valid.subarray(0, next() % (valid.length + 1)));
    for (let f = 0; f < 1 + (next() % 3); f++) {
      if (input.length > 0) input[next() % input.length]! ^= 1 << (next() % 8);
    }
    onlyFrameErrors(() => new FrameDecoder().push(input), `case ${i}`);
  }
});

test("random and mutated header blocks: FrameError or fields", () => {
  const next = prng(555);
  const block = new HeaderEncoder().encode(HEADER_EXAMPLE_REQUEST);
  for (let i = 0; i < 3000; i++) {
    const input =
      i % 2 === 0
        ? randomBytes(next, next() % 120)
        : new Uint8Array(block.subarray(0, next() % (block.length + 1)));
    if (i % 2 === 1 && input.length > 0) input[next() % input.length]! ^= 1 << (next() % 8);
    onlyFrameErrors(() => new HeaderDecoder().decode(input, 8192), `case ${i}`);
  }
});
