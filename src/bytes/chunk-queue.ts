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
import { allocUninitialized, EMPTY_BYTES } from "./bytes.ts";

/** Chunks shorter than this are copied into the queue's buffer when they join held bytes. */
export const COALESCE_BELOW_BYTES = 1024;
/** Size of each buffer the queue copies small chunks into, bytes. */
const COALESCE_BUFFER_BYTES = 4 * COALESCE_BELOW_BYTES;
/** Consumed entries the chunk list may keep before it is trimmed. */
const MAX_CONSUMED_ENTRIES = 32;

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
  /**
   * The chunk being read, from `offset` on; the chunks after it are
   * more[moreStart..]. Keeping the head apart makes the common case (one
   * chunk at a time, cut into units) cost no array operation at all.
   */
  private head: Uint8Array = EMPTY_BYTES;
  private offset = 0;
  private more: Uint8Array[] = [];
  private moreStart = 0;
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
      this.head = chunk;
      this.offset = 0;
      this.ownsLast = false;
    } else if (n < COALESCE_BELOW_BYTES) {
      this.append(chunk);
    } else {
      this.ownsLast = false;
      this.more.push(chunk);
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
      this.more.push(EMPTY_BYTES);
      this.ownsLast = true;
    }
    spare.set(chunk, this.spareUsed);
    this.spareUsed += chunk.length;
    // The last chunk grows over bytes nothing else has seen: replace its view with a longer one
    // (same start, so a read offset into it stays right).
    const view = spare.subarray(this.spareStart, this.spareUsed);
    if (this.more.length > this.moreStart) this.more[this.more.length - 1] = view;
    else this.head = view;
  }

  /**
   * The chunk holding the next byte, and that byte's index in it (headOffset),
   * with no copy and no allocation: a parser reads a small header in place
   * when it lies there. Valid until the next push, take or skip.
   */
  get headChunk(): Uint8Array {
    return this.head;
  }

  get headOffset(): number {
    return this.offset;
  }

  /** The byte at `index` past the read position (index < length). */
  byteAt(index: number): number {
    let i = this.offset + index;
    if (i < this.head.length) return this.head[i]!;
    i -= this.head.length;
    for (let c = this.moreStart; c < this.more.length; c++) {
      const chunk = this.more[c]!;
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    throw new RangeError(`chunk queue: byte ${index} of ${this.held}`);
  }

  /** The next `n` bytes (n <= length) without removing them: a view within one chunk, else a copy. */
  peek(n: number): Uint8Array {
    this.check(n);
    if (this.head.length - this.offset >= n) return this.head.subarray(this.offset, this.offset + n);
    return this.gather(n);
  }

  /**
   * Copies the bytes held into one array of the queue's own, so the caller
   * may rewrite the chunks it pushed: a reader that reuses one read buffer
   * (TlsSocket's reusedReadBuffer) calls it before its next read. push()'s
   * ownership thus lasts until detach(). Views handed out before stay valid
   * only as long as the caller's buffer does.
   */
  detach(): void {
    const n = this.held;
    if (n === 0) return;
    const copy = this.gather(n);
    this.head = copy;
    this.offset = 0;
    this.more.length = 0;
    this.moreStart = 0;
    this.ownsLast = false;
  }

  /** A new array with the next `n` bytes (n <= length), wherever they lie. */
  private gather(n: number): Uint8Array {
    // Filled whole by the loop below (n <= length was checked).
    const out = allocUninitialized(n);
    let filled = this.head.length - this.offset;
    out.set(this.offset === 0 ? this.head : this.head.subarray(this.offset), 0);
    for (let c = this.moreStart; filled < n; c++) {
      const chunk = this.more[c]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled);
      filled += part;
    }
    return out;
  }

  /** Removes the next `n` bytes (n <= length): a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    const head = this.head;
    const offset = this.offset;
    if (head.length - offset >= n && n > 0) {
      // The fast path: no check beyond this one, no array operation.
      const out = offset === 0 && n === head.length ? head : head.subarray(offset, offset + n);
      this.advance(n);
      return out;
    }
    this.check(n);
    if (n === 0) return EMPTY_BYTES;
    const out = this.peek(n);
    this.advance(n);
    return out;
  }

  /**
   * Removes the next `n` bytes (n <= length) as views of the chunks that hold
   * them, in order, with no copy: for a consumer that joins units itself
   * (a message gathered from frames is copied once, into the message).
   */
  takeViews(n: number): Uint8Array[] {
    this.check(n);
    const out: Uint8Array[] = [];
    let left = n;
    while (left > 0) {
      const head = this.head;
      const k = Math.min(head.length - this.offset, left);
      out.push(this.offset === 0 && k === head.length ? head : head.subarray(this.offset, this.offset + k));
      this.advance(k);
      left -= k;
    }
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
    for (;;) {
      const rest = this.head.length - this.offset;
      if (rest > left) {
        this.offset += left;
        return;
      }
      left -= rest;
      // The head is used up: the next chunk, if any, becomes the head.
      if (this.moreStart < this.more.length) {
        this.head = this.more[this.moreStart++]!;
        if (this.moreStart === this.more.length) {
          this.more.length = 0;
          this.moreStart = 0;
        } else if (this.moreStart >= MAX_CONSUMED_ENTRIES) {
          // Drop the consumed entries now rather than when the list empties: they pin their buffers.
          this.more.splice(0, this.moreStart);
          this.moreStart = 0;
        }
        this.offset = 0;
        if (left === 0) return;
      } else {
        this.head = EMPTY_BYTES;
        this.offset = 0;
        this.ownsLast = false;
        return;
      }
    }
  }
}
