/**
 * The byte queue under every stream reassembler (the TLS record deframer,
 * the handshake joiner, the gRPC envelope reader, the pqrpc/1 frame
 * decoder): chunks of any size go in, units of known length come out.
 *
 * Copy or view (docs/ARCHITECTURE.md "Bytes: copy or view"):
 * - push() takes ownership of a chunk: the caller must not change it later.
 * - take(n) and peek(n) return a view when the n bytes lie in one held
 *   chunk (the fast path: a unit inside one chunk is never copied), and a
 *   new array gathering them when they span chunks (one copy).
 * - A chunk shorter than COALESCE_BELOW_BYTES that arrives while bytes are
 *   held is copied into the queue's own buffer instead of being held as a
 *   view, so a peer that trickles bytes one at a time costs one copy per
 *   byte, not one held view object per byte. Bytes are never copied twice
 *   on the way in, and a buffer the queue handed out is never written again.
 *
 * Bounded: push() refuses a chunk while the bytes held already exceed
 * `maxBytes`, the named limit of its user. A parser that takes every
 * complete unit after each push holds less than one unit, so only one that
 * stops draining reaches the limit.
 */
import { EMPTY_BYTES } from "./bytes.ts";

/** Chunks shorter than this are copied into the queue's buffer when they join held bytes. */
export const COALESCE_BELOW_BYTES = 1024;
/** Size of each buffer the queue copies small chunks into, bytes. */
const COALESCE_BUFFER_BYTES = 4 * COALESCE_BELOW_BYTES;

export interface ChunkQueueOptions {
  /** Bytes that may be held when a push arrives; more refuses it (the user's named limit). */
  readonly maxBytes: number;
  /** The user's error for a refused push. */
  readonly overflow: (heldBytes: number, maxBytes: number) => Error;
}

export class ChunkQueue {
  /** See ChunkQueueOptions.maxBytes; a parser whose limit changes (a new SETTINGS) updates it. */
  maxBytes: number;
  private readonly overflow: (heldBytes: number, maxBytes: number) => Error;
  private chunks: Uint8Array[] = [];
  /** Read offset into chunks[0]. */
  private offset = 0;
  private held = 0;
  /** The queue's own buffer for small chunks; the last held chunk is a view of it while `ownsLast`. */
  private spare: Uint8Array | undefined;
  private spareStart = 0;
  private spareUsed = 0;
  private ownsLast = false;

  constructor(options: ChunkQueueOptions) {
    this.maxBytes = options.maxBytes;
    this.overflow = options.overflow;
  }

  /** Bytes held. */
  get length(): number {
    return this.held;
  }

  push(chunk: Uint8Array): void {
    if (this.held > this.maxBytes) throw this.overflow(this.held, this.maxBytes);
    const n = chunk.length;
    if (n === 0) return;
    if (this.held === 0) {
      this.chunks.length = 0;
      this.offset = 0;
      this.ownsLast = false;
      this.chunks.push(chunk);
    } else if (n < COALESCE_BELOW_BYTES) {
      this.append(chunk);
    } else {
      this.ownsLast = false;
      this.chunks.push(chunk);
    }
    this.held += n;
  }

  /** Copies a small chunk behind the held bytes, into the queue's own buffer. */
  private append(chunk: Uint8Array): void {
    let spare = this.spare;
    if (!this.ownsLast || spare === undefined || this.spareUsed + chunk.length > spare.length) {
      spare = this.spare = new Uint8Array(COALESCE_BUFFER_BYTES);
      this.spareStart = 0;
      this.spareUsed = 0;
      this.chunks.push(EMPTY_BYTES);
      this.ownsLast = true;
    }
    spare.set(chunk, this.spareUsed);
    this.spareUsed += chunk.length;
    // The last chunk grows over bytes nothing else has seen: replace its view with a longer one.
    this.chunks[this.chunks.length - 1] = spare.subarray(this.spareStart, this.spareUsed);
  }

  /**
   * The chunk holding the next byte, and that byte's index in it (headOffset),
   * with no copy and no allocation: a parser reads a small header in place
   * when it lies there. Valid until the next push, take or skip.
   */
  get headChunk(): Uint8Array {
    return this.chunks[0] ?? EMPTY_BYTES;
  }

  get headOffset(): number {
    return this.offset;
  }

  /** The byte at `index` past the read position (index < length). */
  byteAt(index: number): number {
    let i = this.offset + index;
    const chunks = this.chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    throw new RangeError(`chunk queue: byte ${index} of ${this.held}`);
  }

  /** The next `n` bytes (n <= length) without removing them: a view within one chunk, else a copy. */
  peek(n: number): Uint8Array {
    this.check(n);
    if (n === 0) return EMPTY_BYTES;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.offset >= n) {
      return first.subarray(this.offset, this.offset + n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let at = this.offset;
    for (let c = 0; filled < n; c++) {
      const chunk = this.chunks[c]!;
      const part = Math.min(chunk.length - at, n - filled);
      out.set(at === 0 && part === chunk.length ? chunk : chunk.subarray(at, at + part), filled);
      filled += part;
      at = 0;
    }
    return out;
  }

  /** Removes the next `n` bytes (n <= length): a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    this.check(n);
    if (n === 0) return EMPTY_BYTES;
    const first = this.chunks[0]!;
    const offset = this.offset;
    if (first.length - offset >= n) {
      const out = offset === 0 && n === first.length ? first : first.subarray(offset, offset + n);
      this.advance(n);
      return out;
    }
    const out = this.peek(n);
    this.advance(n);
    return out;
  }

  /** Drops the next `n` bytes (n <= length). */
  skip(n: number): void {
    this.check(n);
    this.advance(n);
  }

  private check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.held) {
      throw new RangeError(`chunk queue: ${n} bytes asked, ${this.held} held`);
    }
  }

  private advance(n: number): void {
    this.held -= n;
    let left = n;
    while (left > 0) {
      const rest = this.chunks[0]!.length - this.offset;
      if (rest > left) {
        this.offset += left;
        return;
      }
      left -= rest;
      this.chunks.shift();
      this.offset = 0;
    }
    if (this.chunks.length === 0) this.ownsLast = false;
  }
}
