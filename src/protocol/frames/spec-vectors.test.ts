import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fromHex, toHex as hex } from "../../bytes/bytes.ts";
import { FrameType } from "./constants.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import { FRAME_VECTORS, HEADER_EXAMPLE_REQUEST, HEADER_VECTOR_NAMES } from "./spec-vectors.ts";

/** `vector NAME HEX` lines of the "## pqrpc/1 framing" chapter of docs/SPEC.md. */
function specVectors(): Map<string, string> {
  const spec = readFileSync(new URL("../../../docs/SPEC.md", import.meta.url), "utf8");
  const start = spec.indexOf("## pqrpc/1 framing");
  assert.ok(start >= 0, "SPEC.md has a '## pqrpc/1 framing' chapter");
  const next = spec.indexOf("\n## ", start + 1);
  const chapter = spec.slice(start, next < 0 ? undefined : next);
  const out = new Map<string, string>();
  for (const m of chapter.matchAll(/^vector (\S+) ([0-9a-f]+)$/gm)) {
    assert.ok(!out.has(m[1]!), `vector ${m[1]} appears once`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

const vectors = specVectors();

test("every spec vector is checked here and every checked frame is in the spec", () => {
  const expected = [...Object.keys(FRAME_VECTORS), ...HEADER_VECTOR_NAMES].sort();
  assert.deepEqual([...vectors.keys()].sort(), expected);
});

for (const [name, frame] of Object.entries(FRAME_VECTORS)) {
  test(`spec vector ${name}: encode gives the spec bytes, decode gives the frame`, () => {
    const bytes = vectors.get(name)!;
    assert.equal(hex(encodeFrame(frame)), bytes);
    const frames = new FrameDecoder().push(fromHex(bytes));
    assert.equal(frames.length, 1);
    assert.deepEqual(normalize(frames[0]!), normalize(frame));
  });
}

test("spec vectors headers-*: two requests through one encoder, and back through one decoder", () => {
  const enc = new HeaderEncoder();
  const b1 = enc.encode(HEADER_EXAMPLE_REQUEST);
  const b2 = enc.encode(HEADER_EXAMPLE_REQUEST);
  assert.equal(hex(b1), vectors.get("headers-block-1"));
  assert.equal(hex(b2), vectors.get("headers-block-2"));
  assert.equal(
    hex(encodeFrame({ type: FrameType.HEADERS, streamId: 1, endStream: false, block: b1 })),
    vectors.get("headers-frame-1"),
  );
  assert.equal(
    hex(encodeFrame({ type: FrameType.HEADERS, streamId: 3, endStream: false, block: b2 })),
    vectors.get("headers-frame-3"),
  );
  const dec = new HeaderDecoder();
  const frames = new FrameDecoder().push(
    fromHex(vectors.get("headers-frame-1")! + vectors.get("headers-frame-3")!),
  );
  assert.equal(frames.length, 2);
  for (const f of frames) {
    assert.equal(f.type, FrameType.HEADERS);
    if (f.type !== FrameType.HEADERS) return;
    assert.deepEqual(dec.decode(f.block, 8192).fields, HEADER_EXAMPLE_REQUEST);
  }
});

/** Uint8Array views compare by content. */
function normalize(f: Frame): unknown {
  return JSON.parse(JSON.stringify(f, (_k, v) => (v instanceof Uint8Array ? hex(v) : v)));
}
