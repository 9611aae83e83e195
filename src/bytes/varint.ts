/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the
 * first byte give the length (1, 2, 4 or 8 bytes), the rest is the value,
 * big-endian. pqrpc/1 uses the 1-, 2- and 4-byte forms (values below 2^30)
 * and refuses the 8-byte form: none of its fields needs more than 30 bits,
 * and 30-bit values stay exact in JavaScript's bitwise operators.
 */

/** Largest value of the 4-byte form. */
export const MAX_VARINT = 2 ** 30 - 1;

/** Bytes the shortest encoding of `value` takes: 1, 2 or 4. */
export function varintLength(value: number): 1 | 2 | 4 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  return 4;
}

/** Bytes of the varint whose first byte is `first`: 1, 2, 4, or 8 (the form readVarint refuses). */
export function varintSize(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >>> 6)) as 1 | 2 | 4 | 8;
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
 * The value of the varint of `size` bytes (varintSize of its first byte: 1,
 * 2 or 4) at `offset`. The caller has checked the size and that the bytes
 * are there, as a cursor does before it reads.
 */
export function readVarint(buf: Uint8Array, offset: number, size: 1 | 2 | 4): number {
  const first = buf[offset]! & 0x3f;
  if (size === 1) return first;
  if (size === 2) return (first << 8) | buf[offset + 1]!;
  return first * 0x1000000 + ((buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!);
}
