/** The bounds check every provider's AeadKey.sealInto makes before writing. */

/** A RangeError (a caller bug, not peer input) when `out` cannot hold `length` bytes at `offset`. */
export function checkRoom(out: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new RangeError(`sealInto: ${length} bytes do not fit at offset ${offset} of ${out.length}`);
  }
}
