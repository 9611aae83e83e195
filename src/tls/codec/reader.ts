/**
 * A byte cursor for TLS structures (RFC 8446 §3). Every length-prefixed field
 * is read through `vector`/`block`, which check the declared length against
 * the bytes present and against the field's bounds, so parsers never count
 * offsets by hand. Every failure is a `decode_error` naming the field.
 */
import { fatal } from "../alert.ts";

export type LengthBytes = 1 | 2 | 3;

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** What is being parsed, for error messages. */
    readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (this.remaining < n) {
      throw fatal("decode_error", `${this.what}: ${field} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field = "u8"): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field = "u16"): number {
    this.need(2, field);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(field = "u24"): number {
    this.need(3, field);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(field = "u32"): number {
    this.need(4, field);
    const v =
      this.buf[this.pos]! * 0x1000000 +
      ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** Exactly `n` bytes (a copy, so callers may keep or wipe it). */
  bytes(n: number, field = "bytes"): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private length(lenBytes: LengthBytes, min: number, max: number, field: string): number {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min || n > max) {
      throw fatal("decode_error", `${this.what}: ${field} length ${n} outside ${min}..${max}`);
    }
    this.need(n, field);
    return n;
  }

  /** `opaque field<min..max>` with a `lenBytes` length prefix (§3.4). */
  vector(lenBytes: LengthBytes, min: number, max: number, field: string): Uint8Array {
    return this.bytes(this.length(lenBytes, min, max, field), field);
  }

  /** A length-prefixed block read by its own cursor; the caller must consume it (see `end`). */
  block(lenBytes: LengthBytes, min: number, max: number, field: string): ByteReader {
    return new ByteReader(this.vector(lenBytes, min, max, field), `${this.what}.${field}`);
  }

  /** Items of a length-prefixed list, each read by `item` until the block is consumed. */
  list<T>(
    lenBytes: LengthBytes,
    min: number,
    max: number,
    field: string,
    item: (r: ByteReader) => T,
    maxItems = Number.POSITIVE_INFINITY,
  ): T[] {
    const r = this.block(lenBytes, min, max, field);
    const out: T[] = [];
    while (r.remaining > 0) {
      if (out.length >= maxItems) throw fatal("decode_error", `${r.what}: more than ${maxItems} items`);
      out.push(item(r));
    }
    return out;
  }

  /** Asserts the structure was consumed exactly: trailing bytes are a decode_error. */
  end(): void {
    if (this.remaining !== 0) throw fatal("decode_error", `${this.what}: ${this.remaining} trailing bytes`);
  }
}
