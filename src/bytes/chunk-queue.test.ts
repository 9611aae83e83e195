import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatChunks } from "./bytes.ts";
import { ChunkQueue, COALESCE_BELOW_BYTES } from "./chunk-queue.ts";

class Overflow extends Error {}
const queue = (maxBytes = 1 << 20) =>
  new ChunkQueue({ maxBytes, overflow: (held, max) => new Overflow(`${held} > ${max}`) });
const counting = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** xorshift32, so a failing case replays. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

describe("ChunkQueue", () => {
  it("a unit inside one chunk is a view of it; the whole chunk is the chunk itself", () => {
    const q = queue();
    const chunk = counting(10);
    q.push(chunk);
    assert.equal(q.peek(3).buffer, chunk.buffer);
    const a = q.take(4);
    assert.equal(a.buffer, chunk.buffer);
    assert.deepEqual([...a], [0, 1, 2, 3]);
    assert.equal(q.byteAt(0), 4);
    q.skip(1);
    assert.deepEqual([...q.take(5)], [5, 6, 7, 8, 9]);
    assert.equal(q.length, 0);
    const whole = counting(2000);
    q.push(whole);
    assert.equal(q.take(2000), whole, "no view object for a whole chunk");
  });

  it("a unit across chunks is gathered into a new array; peek leaves it in place", () => {
    const q = queue();
    const a = counting(1500);
    const b = counting(1500, 1500);
    q.push(a);
    q.push(b);
    assert.equal(q.byteAt(1600), 1600 & 0xff);
    const peeked = q.peek(2000);
    assert.equal(q.length, 3000);
    const taken = q.take(2000);
    assert.deepEqual(peeked, taken);
    assert.notEqual(taken.buffer, a.buffer);
    assert.notEqual(taken.buffer, b.buffer);
    assert.deepEqual(taken, counting(2000));
    assert.deepEqual(q.take(1000), counting(1000, 2000));
  });

  it("small chunks that join held bytes are copied once into the queue's own buffer", () => {
    const q = queue();
    q.push(counting(3));
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < 4000; i++) {
      const piece = Uint8Array.of((3 + i) & 0xff);
      pieces.push(piece);
      q.push(piece);
    }
    pieces[0]![0] = 99; // copied at push: the queue does not see this
    assert.deepEqual(q.take(3), counting(3));
    const unit = q.take(4000);
    assert.deepEqual(unit, counting(4000, 3));
    assert.equal(unit.buffer.byteLength, 4 * COALESCE_BELOW_BYTES, "one view of one queue buffer");
  });

  it("bytes handed out are never overwritten by later pushes", () => {
    const q = queue();
    q.push(counting(1));
    q.push(counting(10, 1));
    const first = q.take(11); // a view of the queue's own buffer
    q.push(counting(1, 50)); // held is 0: a view of the caller's chunk
    q.push(counting(10, 51)); // copied into a new buffer
    assert.deepEqual(first, counting(11));
    assert.deepEqual(q.take(11), counting(11, 50));
  });

  it("cut at random points, the bytes come out in order whatever the unit sizes", () => {
    const next = prng(11);
    const stream = counting(200_000);
    for (let round = 0; round < 20; round++) {
      const q = queue();
      const out: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + (next() % (next() % 2 ? 8 : 3 * COALESCE_BELOW_BYTES));
        q.push(stream.subarray(at, at + n));
        at += n;
        while (q.length > 0) {
          const want = 1 + (next() % 5000);
          if (want > q.length) break;
          out.push(q.take(want));
        }
      }
      out.push(q.take(q.length));
      assert.deepEqual(concatChunks(out), stream);
    }
  });

  it("many held chunks, consumed a little at a time, still come out in order", () => {
    const q = queue();
    const stream = counting(200 * 2000);
    for (let at = 0; at < stream.length; at += 2000) q.push(stream.subarray(at, at + 2000));
    const out: Uint8Array[] = [];
    while (q.length > 0) out.push(q.take(Math.min(1500, q.length)));
    assert.deepEqual(concatChunks(out), stream);
    assert.equal(q.headChunk.length, 0);
  });

  it("refuses a push once more than maxBytes are held, with the user's error", () => {
    const q = queue(8);
    q.push(counting(8));
    q.push(counting(4)); // 8 held: not more than the limit
    assert.throws(() => q.push(counting(1)), Overflow);
    q.take(12);
    q.push(counting(1));
    q.maxBytes = 0;
    assert.throws(() => q.push(counting(1)), Overflow);
  });

  it("asking for more than is held, or a bad count, is a RangeError", () => {
    const q = queue();
    q.push(counting(2));
    assert.throws(() => q.take(3), RangeError);
    assert.throws(() => q.peek(-1), RangeError);
    assert.throws(() => q.skip(1.5), RangeError);
    assert.throws(() => q.byteAt(2), RangeError);
    q.push(new Uint8Array(0));
    assert.equal(q.length, 2);
    q.skip(2);
    assert.equal(q.take(0).length, 0, "an empty unit (a zero-length message) from an empty queue");
    assert.equal(q.peek(0).length, 0);
  });
});

describe("ChunkQueue.detach", () => {
  it("copies the held bytes out of the pushed chunks, which the caller may then rewrite", () => {
    const reused = new Uint8Array(3000);
    const q = queue();
    // Held: the tail of a large chunk and two small ones (copied into the queue's buffer on push).
    reused.set(counting(3000));
    q.push(reused);
    q.push(counting(10, 7));
    q.push(counting(5, 9));
    assert.deepEqual(q.take(2000), counting(2000));
    q.detach();
    reused.fill(0xee);
    assert.equal(q.length, 1015);
    assert.deepEqual(q.take(1000), counting(1000, 2000));
    // Pushing after a detach: a small chunk joins the detached bytes in order.
    q.push(counting(3, 50));
    assert.deepEqual(q.take(18), concatChunks([counting(10, 7), counting(5, 9), counting(3, 50)]));
    assert.equal(q.length, 0);
  });

  it("is a no-op on an empty queue, and the queue works on after it", () => {
    const q = queue();
    q.detach();
    q.push(counting(4));
    q.detach();
    assert.deepEqual(q.takeViews(4), [counting(4)]);
  });
});
