/** Fixed-length byte strings at the provider boundary: keys, nonces and scalars of known sizes. */
import { CryptoError } from "./types.ts";

/** Throws CryptoError("invalid-input") unless `bytes` has exactly `expected` bytes. */
export function expectLength(what: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError("invalid-input", `${what}: expected bytes`);
  if (bytes.length !== expected) {
    throw new CryptoError("invalid-input", `${what}: expected ${expected} bytes, got ${bytes.length}`);
  }
}

/** Left-pads a big-endian integer to `length` bytes (ECDSA scalars). */
export function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  if (bytes.length > length) throw new CryptoError("invalid-input", `integer longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
