/**
 * decode(encode(x)) = x for pqrpc/1 frames of every type (SPEC §Frame types)
 * and for pqhc/1 header blocks (SPEC §Header compression) over a run of
 * lists sharing one dynamic table pair, with the encoded stream cut anywhere.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatChunks } from "../../bytes/bytes.ts";
import { MAX_VARINT } from "../../bytes/varint.ts";
import { FrameType, MAX_GOAWAY_DEBUG_BYTES, PING_PAYLOAD_BYTES } from "./constants.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { HeaderDecoder } from "./header-decoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";

const varint = fc.integer({ min: 0, max: MAX_VARINT });
const streamId = fc.integer({ min: 1, max: MAX_VARINT });
const payload = (max: number) => fc.uint8Array({ maxLength: max });
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });

const frame: fc.Arbitrary<Frame> = fc.oneof(
  rec({
    type: fc.constant(FrameType.SETTINGS),
    ack: fc.constant(false),
    entries: fc.array(fc.tuple(varint, varint), { maxLength: 10 }),
  }),
  rec({ type: fc.constant(FrameType.SETTINGS), ack: fc.constant(true), entries: fc.constant([]) }),
  rec({ type: fc.constant(FrameType.HEADERS), streamId, endStream: fc.boolean(), block: payload(500) }),
  rec({
    type: fc.constant(FrameType.MESSAGE),
    streamId,
    endStream: fc.boolean(),
    messageEnd: fc.boolean(),
    compressed: fc.boolean(),
    data: payload(2000),
  }),
  rec({
    type: fc.constant(FrameType.TRAILERS),
    streamId,
    status: varint,
    message: fc.string({ unit: "grapheme", maxLength: 40 }),
    block: payload(200),
  }),
  rec({ type: fc.constant(FrameType.RST), streamId, code: varint }),
  rec({
    type: fc.constant(FrameType.WINDOW_UPDATE),
    streamId: fc.integer({ min: 0, max: MAX_VARINT }),
    increment: fc.integer({ min: 1, max: MAX_VARINT }),
  }),
  rec({
    type: fc.constant(FrameType.PING),
    ack: fc.boolean(),
    payload: fc.uint8Array({ minLength: PING_PAYLOAD_BYTES, maxLength: PING_PAYLOAD_BYTES }),
  }),
  rec({
    type: fc.constant(FrameType.GOAWAY),
    lastStreamId: fc.integer({ min: 0, max: MAX_VARINT }),
    code: varint,
    debug: payload(MAX_GOAWAY_DEBUG_BYTES),
  }),
) as fc.Arbitrary<Frame>;

/** Frames as plain data: decoded payloads are views (of Buffers, on a session), compared by bytes. */
const plain = (frames: readonly Frame[]) =>
  JSON.parse(JSON.stringify(frames, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)));

test("frames of every type decode to what was encoded, however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(frame, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 3000 }),
      (frames, cut) => {
        const wire = concatChunks(frames.map(encodeFrame));
        const decoder = new FrameDecoder();
        const decoded: Frame[] = [];
        for (let at = 0; at < wire.length; at += cut) decoded.push(...decoder.push(wire.slice(at, at + cut)));
        assert.deepStrictEqual(plain(decoded), plain(frames));
        assert.equal(decoder.bufferedBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

const headerName = fc.oneof(
  fc.constantFrom(":path", ":authority", "content-type", "grpc-timeout", "authorization", "user-agent", "te"),
  fc.stringMatching(/^[a-z0-9_.-]{1,30}$/),
);
const textValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const field: fc.Arbitrary<HeaderField> = fc.oneof(
  fc.tuple(headerName, textValue),
  // -bin headers carry raw bytes (SPEC §Header fields).
  fc.tuple(
    fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((n) => `${n}-bin`),
    fc.uint8Array({ maxLength: 60 }),
  ),
);

test("header lists decode to what was encoded, over one table pair and any capacity", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8192 }),
      fc.array(fc.array(field, { maxLength: 12 }), { minLength: 1, maxLength: 10 }),
      (capacity, lists) => {
        const encoder = new HeaderEncoder(capacity);
        const decoder = new HeaderDecoder(capacity);
        for (const list of lists) {
          const decoded = decoder.decode(encoder.encode(list), 1 << 20);
          assert.equal(decoded.oversize, false);
          const asBytes = (fields: readonly HeaderField[]) =>
            fields.map(([n, v]) => [n, typeof v === "string" ? v : Array.from(v)]);
          assert.deepStrictEqual(asBytes(decoded.fields), asBytes(list));
          assert.equal(decoder.tableSize, encoder.tableSize);
        }
      },
    ),
    { numRuns: 200 },
  );
});
