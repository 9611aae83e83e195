/**
 * The byte cursor every wire decoder reads through: the TLS codec (RFC 8446
 * §3 vectors with 1-, 2- and 3-byte lengths), the pqrpc/1 frame codec
 * (varints, RFC 9000 §16), session tickets and the PSK importer. Every read
 * checks the bytes present first, and every length-prefixed field is read
 * by `vector`/`varintVector`/`block`, which check the declared length
 * against the field's bounds and the bytes left, so no parser counts
 * offsets by hand (the subtls idea: lengths checked by construction).
 *
 * Copy or view: every read returns a view into the input, never a copy
 * (docs/ARCHITECTURE.md "Bytes: copy or view"). A caller that keeps a field
 * beyond the input's life, or wipes it, copies it (copyBytes).
 *
 * Failures are the caller's typed errors: the reader names the kind and the
 * field, the caller's `fail` turns that into a TLS alert, a FrameError...
 */
import { readVarint, varintSize } from "./varint.ts";

/** What went wrong: bytes ran out, a value broke a rule (a bound, a refused form), or bytes were left over. */
export type ReadFailure = "short" | "malformed" | "trailing";
/** Turns a failure into the caller's error (thrown by the reader). */
export type ReadErrorFactory = (failure: ReadFailure, message: string) => Error;

/** Length-prefix widths of TLS vectors (RFC 8446 §3.4). */
export type LengthBytes = 1 | 2 | 3;

/** 2^32, to build 64-bit values from two 32-bit halves. */
const TWO_TO_32 = 0x1_0000_0000;
/** Largest high half of a 64-bit value that stays a safe integer (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1f_ffff;

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** What is being parsed, for messages ("ClientHello", "SETTINGS"). */
    readonly what: string,
    private readonly fail: ReadErrorFactory,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (this.buf.length - this.pos < n) {
      throw this.fail("short", `${this.what}: ${field} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field = "u8"): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field = "u16"): number {
    this.need(2, field);
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(field = "u24"): number {
    this.need(3, field);
    const b = this.buf;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(field = "u32"): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    const v = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }

  /** A big-endian uint64 that must be a safe integer (times in ms); larger is malformed. */
  u64(field = "u64"): number {
    this.need(8, field);
    const high = this.u32(field);
    if (high > MAX_SAFE_HIGH) {
      throw this.fail("malformed", `${this.what}: ${field} exceeds 2^53 - 1`);
    }
    return high * TWO_TO_32 + this.u32(field);
  }

  /** A varint in the 1-, 2- or 4-byte form (see varint.ts); the 8-byte form is malformed. */
  varint(field: string): number {
    this.need(1, field);
    const size = varintSize(this.buf[this.pos]!);
    if (size === 8) throw this.fail("malformed", `${this.what}: ${field} uses the 8-byte varint form`);
    this.need(size, field);
    const v = readVarint(this.buf, this.pos, size);
    this.pos += size;
    return v;
  }

  /** Exactly `n` bytes, as a view. */
  bytes(n: number, field = "bytes"): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, "rest");
  }

  private length(lenBytes: LengthBytes, min: number, max: number, field: string): number {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min || n > max) {
      throw this.fail("malformed", `${this.what}: ${field} length ${n} outside ${min}..${max}`);
    }
    this.need(n, field);
    return n;
  }

  /** `opaque field<min..max>` behind a `lenBytes` length prefix (RFC 8446 §3.4), as a view. */
  vector(lenBytes: LengthBytes, min: number, max: number, field: string): Uint8Array {
    return this.bytes(this.length(lenBytes, min, max, field), field);
  }

  /** Bytes behind a varint length prefix, as a view. */
  varintVector(field: string): Uint8Array {
    return this.bytes(this.varint(`${field} length`), field);
  }

  /** A length-prefixed block read by its own cursor (same failures); the caller must consume it (see `end`). */
  block(lenBytes: LengthBytes, min: number, max: number, field: string): ByteReader {
    return new ByteReader(this.vector(lenBytes, min, max, field), `${this.what}.${field}`, this.fail);
  }

  /** The items of a length-prefixed list, each read by `item` until the block is consumed. */
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
      if (out.length >= maxItems) throw this.fail("malformed", `${r.what}: more than ${maxItems} items`);
      out.push(item(r));
    }
    return out;
  }

  /** Asserts the input was consumed exactly: bytes left over are a "trailing" failure. */
  end(): void {
    if (this.remaining !== 0) {
      throw this.fail("trailing", `${this.what}: ${this.remaining} trailing bytes`);
    }
  }
}
