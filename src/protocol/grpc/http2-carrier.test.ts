import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { Metadata } from "../../rpc/metadata.ts";
import { Http2FrameSplitter, http2Carrier } from "./http2-carrier.ts";
import { grpcFixture } from "./test-helpers.ts";

const HEADERS = 1;
const DATA = 0;

/** A frame header (RFC 9113 §4.1) of `type` and `length` payload bytes of `fill`. */
function frame(length: number, fill: number, type = HEADERS): Uint8Array {
  const f = new Uint8Array(9 + length).fill(fill);
  f.set([length >> 16, (length >> 8) & 0xff, length & 0xff, type, 0, 0, 0, 0, 1]);
  return f;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Splits `chunks` in order and returns the pieces as byte arrays. */
function splitAll(splitter: Http2FrameSplitter, chunks: Uint8Array[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (const c of chunks) splitter.split(c, (p) => pieces.push(new Uint8Array(p)));
  return pieces;
}

test("http2Carrier gives a carrier that can cut its reads a frame splitter, and leaves others alone", () => {
  const splitting = Object.assign(new PassThrough(), { readSplitter: undefined });
  assert.equal(http2Carrier(splitting, "client"), splitting);
  assert.ok((splitting.readSplitter as unknown) instanceof Http2FrameSplitter);
  const plain = new PassThrough();
  http2Carrier(plain, "server");
  assert.equal("readSplitter" in plain, false);
});

test("Http2FrameSplitter hands over one frame per piece, the server's preface on its own", () => {
  const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const frames = [frame(6, 1), frame(0, 2), frame(100, 3), frame(4, 4)];
  const pieces = splitAll(new Http2FrameSplitter("server"), [concat([preface, ...frames])]);
  assert.deepEqual(pieces, [preface, ...frames]);
  assert.deepEqual(splitAll(new Http2FrameSplitter("client"), [concat(frames)]), frames);
});

test("Http2FrameSplitter hands over a DATA frame's header apart from its payload", () => {
  const data = frame(50, 7, DATA);
  const empty = frame(0, 0, DATA);
  const headers = frame(5, 1);
  const pieces = splitAll(new Http2FrameSplitter("client"), [concat([headers, data, empty, headers])]);
  assert.deepEqual(pieces, [headers, data.subarray(0, 9), data.subarray(9), empty, headers]);
});

test("Http2FrameSplitter keeps frames apart when records cut them (and their headers) anywhere", () => {
  const frames = [frame(20, 1), frame(0, 2), frame(33, 3, DATA), frame(1, 4)];
  const stream = concat(frames);
  for (let cut1 = 1; cut1 < stream.length; cut1 += 1) {
    const cut2 = Math.min(stream.length, cut1 + 5);
    const chunks = [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)];
    const pieces = splitAll(new Http2FrameSplitter("client"), chunks);
    assert.deepEqual(concat(pieces), stream, `cut at ${cut1}`);
    // No piece holds bytes of two frames: each ends at or before a frame boundary.
    let offset = 0;
    const boundaries = new Set(frames.map((f) => (offset += f.length)));
    let at = 0;
    let frameEnd = frames[0]?.length ?? 0;
    for (const p of pieces) {
      assert.ok(
        at + p.length <= frameEnd,
        `piece at ${at} crosses the frame end ${frameEnd} (cut at ${cut1})`,
      );
      at += p.length;
      if (boundaries.has(at)) frameEnd = [...boundaries].find((b) => b > at) ?? stream.length;
    }
  }
});

test("both ends of a gRPC connection over our TLS cut what they read into frames", async () => {
  const fx = grpcFixture(async (call) => {
    await call.sendTrailer({ status: { code: 0, message: "", details: [] }, metadata: new Metadata() });
  });
  try {
    const call = fx.transport.openCall({
      path: "/x.Y/Z",
      metadata: new Metadata(),
      timeoutMs: undefined,
      format: "proto",
      encoding: "identity",
      acceptEncoding: [],
    });
    await call.closeSend();
    let event = await call.read();
    while (event.type !== "trailer") event = await call.read();
    assert.ok(fx.clientSockets.length > 0 && fx.serverSockets.length > 0);
    for (const s of [...fx.clientSockets, ...fx.serverSockets]) {
      assert.ok(s.readSplitter instanceof Http2FrameSplitter);
      assert.equal(s.packWrites, true, "the sender packs node:http2's writes into full records");
    }
  } finally {
    await fx.close();
  }
});
