/**
 * WriteBatch on a gathering carrier: small frames that follow one another
 * leave as one joined write, larger frames (payloads) as the views they are,
 * and the bytes arrive in order.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { JOIN_FRAME_MAX_BYTES, joinSmallRuns, WriteBatch } from "./write-batch.ts";

const filled = (n: number, v: number) => new Uint8Array(n).fill(v);

/** A carrier with _writev that records what each write() was given. */
function gatheringCarrier() {
  const writes: Uint8Array[] = [];
  const received: Uint8Array[] = [];
  const carrier = new Writable({
    writev(chunks, cb) {
      for (const c of chunks) received.push(c.chunk as Uint8Array);
      cb();
    },
    write(chunk, _enc, cb) {
      received.push(chunk as Uint8Array);
      cb();
    },
  });
  const write = carrier.write.bind(carrier) as (...args: unknown[]) => boolean;
  carrier.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
    writes.push(chunk);
    return write(chunk, ...rest);
  }) as Writable["write"];
  return { carrier, writes, received };
}

test("runs of small frames are joined into one carrier write; a payload view goes as it is", () => {
  const { carrier, writes, received } = gatheringCarrier();
  const batch = new WriteBatch(carrier as never);
  assert.equal(batch.gathers, true);
  const payload = filled(JOIN_FRAME_MAX_BYTES + 1, 9);
  const frames = [filled(9, 1), filled(30, 2), filled(5, 3), payload, filled(9, 4), filled(7, 5)];
  for (const f of frames) batch.push(f);
  batch.flush();
  assert.equal(writes.length, 3, "small run, payload, small run");
  assert.equal(writes[0]!.length, 44);
  assert.equal(writes[1]!.buffer, payload.buffer, "the payload is not copied");
  assert.equal(writes[2]!.length, 16);
  const joined = Buffer.concat(received);
  assert.deepEqual(new Uint8Array(joined), new Uint8Array(Buffer.concat(frames)));
});

test("one turn of many small frames is one carrier write", () => {
  const { carrier, writes } = gatheringCarrier();
  const batch = new WriteBatch(carrier as never);
  for (let i = 0; i < 200; i++) batch.push(filled(20 + (i % 100), i & 0xff));
  batch.flush();
  assert.equal(writes.length, 1);
});

test("joinSmallRuns keeps lone frames as they are and the order of all bytes", () => {
  const a = filled(3, 1);
  const big = filled(JOIN_FRAME_MAX_BYTES + 5, 2);
  const out = joinSmallRuns([a, big, filled(1, 3), filled(2, 4), big]);
  assert.equal(out.length, 4);
  assert.equal(out[0], a);
  assert.equal(out[1], big);
  assert.deepEqual(out[2], Uint8Array.of(3, 4, 4));
  assert.equal(out[3], big);
  assert.deepEqual(joinSmallRuns([]), []);
});
