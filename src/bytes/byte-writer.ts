/**
 * The growable byte writer every wire encoder writes through (the TLS codec,
 * the pqrpc/1 frame codec, session tickets, HkdfLabel, the PSK importer).
 * Length prefixes come from `prefixed` (the length is measured from what
 * the body wrote and back-patched) or `vector`/`varintVector` (the length of
 * the bytes given), so every length field is right by construction and a
 * field too long for its prefix is an error, never a wrapped length.
 *
 * Copy or view: finish() returns a view of the bytes written (no copy); the
 * writer is done with once finished.
 */
import type { LengthBytes } from "./byte-reader.ts";
import { varintLength, writeVarint } from "./varint.ts";

/** Starting buffer when the caller gives no size hint, bytes. */
const DEFAULT_INITIAL_BYTES = 256;
/** 2^32, to split 64-bit values into two 32-bit halves. */
const TWO_TO_32 = 0x1_0000_0000;

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  /** `initialBytes`: the expected size, so most writers never grow. */
  constructor(initialBytes = DEFAULT_INITIAL_BYTES) {
    this.buf = new Uint8Array(Math.max(1, initialBytes));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    const b = this.buf;
    b[this.len++] = (v >>> 8) & 0xff;
    b[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    const b = this.buf;
    b[this.len++] = (v >>> 16) & 0xff;
    b[this.len++] = (v >>> 8) & 0xff;
    b[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    const b = this.buf;
    b[this.len++] = (v >>> 24) & 0xff;
    b[this.len++] = (v >>> 16) & 0xff;
    b[this.len++] = (v >>> 8) & 0xff;
    b[this.len++] = v & 0xff;
    return this;
  }

  /** A big-endian uint64 of a non-negative safe integer (times in ms). */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`);
    return this.u32(Math.floor(v / TWO_TO_32)).u32(v >>> 0);
  }

  /** The shortest varint form of `v` (varint.ts; at most 2^30 - 1). */
  varint(v: number): this {
    this.reserve(4);
    this.len = writeVarint(this.buf, this.len, v);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** Writes `body` behind a `lenBytes` length prefix equal to what `body` wrote. */
  prefixed(lenBytes: LengthBytes, body: (w: this) => void): this {
    this.reserve(lenBytes);
    const at = this.len;
    this.len += lenBytes;
    body(this);
    const n = this.len - at - lenBytes;
    if (n >= 2 ** (8 * lenBytes)) {
      throw new RangeError(`field of ${n} bytes does not fit a ${lenBytes}-byte length`);
    }
    for (let i = 0; i < lenBytes; i++) this.buf[at + i] = (n >>> (8 * (lenBytes - 1 - i))) & 0xff;
    return this;
  }

  /** `opaque<..>` behind a `lenBytes` length prefix (RFC 8446 §3.4). */
  vector(lenBytes: LengthBytes, data: Uint8Array): this {
    return this.prefixed(lenBytes, (w) => w.bytes(data));
  }

  /** Bytes behind their length as a varint. */
  varintVector(data: Uint8Array): this {
    this.reserve(varintLength(data.length) + data.length);
    return this.varint(data.length).bytes(data);
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written, as a view of the writer's buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /**
   * Zeroes what was written and starts over, for a writer kept and reused
   * (the key schedule's HkdfLabel, written once per derivation): views from
   * an earlier finish() then read zeros.
   */
  clear(): this {
    this.buf.fill(0, 0, this.len);
    this.len = 0;
    return this;
  }
}
