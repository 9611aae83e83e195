/**
 * Byte cursors for frame payloads. Every integer is a QUIC variable-length
 * integer (RFC 9000 §16) restricted to the 1-, 2- and 4-byte forms, and every
 * read checks the bytes present, so decoders never count offsets by hand and
 * every shortfall is a FrameError naming the field.
 */
import { MAX_VARINT } from "./constants.ts";
import { ErrorCode as Codes, type ErrorCode, FrameError } from "./error-codes.ts";

/** Bytes the shortest encoding of `value` takes (RFC 9000 §16: 1, 2 or 4 here). */
export function varintLength(value: number): 1 | 2 | 4 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  return 4;
}

/** Writes the shortest form of `value` at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
    throw new RangeError(`varint out of range: ${value}`);
  }
  if (value < 0x40) {
    out[offset] = value;
    return offset + 1;
  }
  if (value < 0x4000) {
    out[offset] = 0x40 | (value >>> 8);
    out[offset + 1] = value & 0xff;
    return offset + 2;
  }
  out[offset] = 0x80 | (value >>> 24);
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
  return offset + 4;
}

/**
 * Reads a varint at `offset` of `buf` (up to `end`). Returns [value, next
 * offset], or undefined when the bytes stop early. The 8-byte form (prefix
 * 0b11) is refused: no pqrpc/1 field needs more than 30 bits.
 */
export function readVarint(
  buf: Uint8Array,
  offset: number,
  end: number,
  field: string,
): [number, number] | undefined {
  if (offset >= end) return undefined;
  const first = buf[offset]!;
  const form = first >>> 6;
  if (form === 0) return [first, offset + 1];
  if (form === 1) {
    if (offset + 2 > end) return undefined;
    return [((first & 0x3f) << 8) | buf[offset + 1]!, offset + 2];
  }
  if (form === 2) {
    if (offset + 4 > end) return undefined;
    const value =
      (first & 0x3f) * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!);
    return [value, offset + 4];
  }
  throw new FrameError(Codes.PROTOCOL_ERROR, `${field}: 8-byte varint form is not allowed`);
}

/** Reads a complete payload; any shortfall is `shortCode` (FRAME_SIZE_ERROR unless a caller says otherwise). */
export class PayloadReader {
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    /** What is being parsed, for messages. */
    readonly what: string,
    private readonly shortCode: ErrorCode = Codes.FRAME_SIZE_ERROR,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  varint(field: string): number {
    const r = readVarint(this.buf, this.pos, this.buf.length, `${this.what} ${field}`);
    if (r === undefined) throw new FrameError(this.shortCode, `${this.what}: ${field} is cut short`);
    this.pos = r[1];
    return r[0];
  }

  u8(field: string): number {
    if (this.pos >= this.buf.length)
      throw new FrameError(this.shortCode, `${this.what}: ${field} is cut short`);
    return this.buf[this.pos++]!;
  }

  /** `length` bytes, as a view (no copy). */
  bytes(length: number, field: string): Uint8Array {
    if (length > this.remaining) {
      throw new FrameError(
        this.shortCode,
        `${this.what}: ${field} declares ${length} bytes, ${this.remaining} left`,
      );
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** The rest of the payload, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, "rest");
  }

  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new FrameError(
        Codes.FRAME_SIZE_ERROR,
        `${this.what}: ${this.remaining} unexpected trailing bytes`,
      );
    }
  }
}

/** A growable writer for small payloads (settings, trailers, header blocks). */
export class PayloadWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  varint(value: number): void {
    this.ensure(4);
    this.pos = writeVarint(this.buf, this.pos, value);
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written, as a view of the internal buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
