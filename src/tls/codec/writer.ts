/**
 * A growable byte writer for TLS structures. Length prefixes are written by
 * `prefixed`, which measures what its body wrote and back-patches the length,
 * so every length field is right by construction.
 */
import type { LengthBytes } from "./reader.ts";

const INITIAL_CAPACITY_BYTES = 256;

export class ByteWriter {
  private buf = new Uint8Array(INITIAL_CAPACITY_BYTES);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
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
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
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
    if (n >= 2 ** (8 * lenBytes))
      throw new RangeError(`field of ${n} bytes does not fit a ${lenBytes}-byte length`);
    for (let i = 0; i < lenBytes; i++) this.buf[at + i] = (n >>> (8 * (lenBytes - 1 - i))) & 0xff;
    return this;
  }

  /** `opaque<..>` with a length prefix. */
  vector(lenBytes: LengthBytes, data: Uint8Array): this {
    return this.prefixed(lenBytes, (w) => w.bytes(data));
  }

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
