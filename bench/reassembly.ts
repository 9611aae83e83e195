/**
 * Reassembly throughput of the four byte-stream parsers that cut a stream of
 * chunks into units: the TLS record deframer, the handshake joiner, the gRPC
 * envelope reader and the pqrpc/1 frame decoder. Each is fed the same bytes
 * three ways: one unit per chunk (the fast path: no copy may happen), TCP-like
 * 1,400-byte segments (units span chunks: one gathering copy each), and many
 * small units coalesced into 64 KiB chunks (one chunk, many views).
 *   npx tsx bench/reassembly.ts
 *   tools/node24/node_modules/.bin/node --import tsx bench/reassembly.ts
 */

import { concatChunks } from "../src/bytes/bytes.ts";
import { FrameType } from "../src/protocol/frames/constants.ts";
import { FrameDecoder } from "../src/protocol/frames/frame-decoder.ts";
import { encodeFrame } from "../src/protocol/frames/frame-encoder.ts";
import { EnvelopeReader } from "../src/protocol/grpc/envelope.ts";
import { HandshakeJoiner } from "../src/tls/codec/handshake-joiner.ts";
import { HandshakeType } from "../src/tls/codec/types.ts";
import { ContentType, RECORD_HEADER_BYTES, RecordDeframer } from "../src/tls/record-layer.ts";
import { bestRate } from "./best-rate.ts";

const RUN_MS = 300;
const REPEATS = 3;
const SEGMENT_BYTES = 1400;
const COALESCED_CHUNK_BYTES = 64 * 1024;
const STREAM_BYTES = 4 * 1024 * 1024;

function split(stream: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += size) out.push(stream.subarray(at, at + size));
  return out;
}

/** `count` copies of `unit`: one per chunk, 1,400-byte segments, and 64 KiB coalesced chunks. */
function shapes(unit: Uint8Array, count: number): Record<string, Uint8Array[]> {
  const units = Array.from({ length: count }, () => unit);
  const stream = concatChunks(units);
  return {
    whole: units,
    segments: split(stream, SEGMENT_BYTES),
    coalesced: split(stream, COALESCED_CHUNK_BYTES),
  };
}

function record(length: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + length).fill(0x5a);
  out.set([ContentType.application_data, 0x03, 0x03, length >>> 8, length & 0xff]);
  return out;
}

function handshakeMessage(length: number): Uint8Array {
  const out = new Uint8Array(4 + length).fill(0x5a);
  out.set([HandshakeType.finished, length >>> 16, (length >>> 8) & 0xff, length & 0xff]);
  return out;
}

function envelope(length: number): Uint8Array {
  const out = new Uint8Array(5 + length).fill(0x5a);
  out.set([0, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
  return out;
}

function frame(length: number): Uint8Array {
  return encodeFrame({
    type: FrameType.MESSAGE,
    streamId: 1,
    endStream: false,
    messageEnd: true,
    compressed: false,
    data: new Uint8Array(length).fill(0x5a),
  });
}

interface Case {
  name: string;
  unit: Uint8Array;
  feed: (chunks: Uint8Array[]) => number;
}

/** Each parser over a list of chunks: bytes of units out (so the work cannot be skipped). */
function feedRecords(chunks: Uint8Array[]): number {
  const d = new RecordDeframer();
  let n = 0;
  for (const c of chunks) {
    d.push(c);
    for (let r = d.next(); r !== undefined; r = d.next()) n += r.fragment.length;
  }
  return n;
}

function feedHandshake(chunks: Uint8Array[]): number {
  const j = new HandshakeJoiner();
  let n = 0;
  for (const c of chunks) {
    j.push(c);
    for (let m = j.next(); m !== undefined; m = j.next()) n += m.body.length;
  }
  return n;
}

function feedEnvelopes(chunks: Uint8Array[]): number {
  const r = new EnvelopeReader(4 * 1024 * 1024);
  let n = 0;
  for (const c of chunks) for (const m of r.push(c)) n += m.data.length;
  return n;
}

function feedFrames(chunks: Uint8Array[]): number {
  const d = new FrameDecoder();
  let n = 0;
  for (const c of chunks) for (const f of d.push(c)) if (f.type === FrameType.MESSAGE) n += f.data.length;
  return n;
}

const cases: Case[] = [
  ...[16 * 1024 + 17, 256].map((size) => ({
    name: `TLS records of ${size} B`,
    unit: record(size),
    feed: feedRecords,
  })),
  { name: "handshake messages of 4096 B", unit: handshakeMessage(4096), feed: feedHandshake },
  ...[64 * 1024, 256].map((size) => ({
    name: `gRPC envelopes of ${size} B`,
    unit: envelope(size),
    feed: feedEnvelopes,
  })),
  ...[16 * 1024, 256].map((size) => ({
    name: `pqrpc/1 frames of ${size} B`,
    unit: frame(size),
    feed: feedFrames,
  })),
];

console.log(`reassembly: ${STREAM_BYTES / 1024 / 1024} MiB per round, Node ${process.version}`);
console.log("stream                          one unit/chunk MB/s  1400 B segments MB/s  64 KiB chunks MB/s");
for (const c of cases) {
  const count = Math.ceil(STREAM_BYTES / c.unit.length);
  const s = shapes(c.unit, count);
  const row = ["whole", "segments", "coalesced"].map((k) => {
    const chunks = s[k]!;
    const bytes = chunks.reduce((n, p) => n + p.length, 0);
    return bestRate(bytes, () => c.feed(chunks), RUN_MS, REPEATS)
      .toFixed(0)
      .padStart(k === "whole" ? 19 : 20);
  });
  console.log(`${c.name.padEnd(31)} ${row.join("  ")}`);
}
