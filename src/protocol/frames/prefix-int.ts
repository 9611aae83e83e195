/**
 * Prefix integers of RFC 7541 §5.1, as pqhc/1 uses them for table indices:
 * the low N bits of the first octet, then 7-bit continuation octets. Bounded
 * to MAX_PREFIX_INT_CONTINUATION_OCTETS continuations (values below 2^21 + prefix).
 */
import type { ByteWriter } from "../../bytes/byte-writer.ts";
import { MAX_PREFIX_INT_CONTINUATION_OCTETS } from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";

/** Writes `value` with an N-bit prefix; `pattern` holds the representation's high bits. */
export function writePrefixInt(w: ByteWriter, pattern: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    w.u8(pattern | value);
    return;
  }
  w.u8(pattern | max);
  let rest = value - max;
  while (rest >= 0x80) {
    w.u8((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  w.u8(rest);
}

/** Reads a prefix integer whose first octet is `first`; continuation octets come from `next()`. */
export function readPrefixInt(first: number, prefixBits: number, next: () => number): number {
  const max = (1 << prefixBits) - 1;
  let value = first & max;
  if (value < max) return value;
  let shift = 0;
  for (let i = 0; i < MAX_PREFIX_INT_CONTINUATION_OCTETS; i++) {
    const b = next();
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return value;
  }
  throw new FrameError(ErrorCode.COMPRESSION_ERROR, "header index longer than the allowed prefix integer");
}
