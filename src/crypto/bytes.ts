/** Small byte helpers shared by the providers (no dependencies). */
import { CryptoError } from "./types.ts";

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time equality: the running time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Constant-time test for an all-zero value (RFC 7748 §6.1 / RFC 8446 §7.4.2 X25519 check). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/** Throws CryptoError("invalid-input") unless `bytes` has exactly `expected` bytes. */
export function expectLength(what: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError("invalid-input", `${what}: expected bytes`);
  if (bytes.length !== expected) {
    throw new CryptoError("invalid-input", `${what}: expected ${expected} bytes, got ${bytes.length}`);
  }
}

/** A plain Uint8Array copy (never a Buffer view into a shared pool). */
export function toBytes(view: Uint8Array): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Left-pads a big-endian integer to `length` bytes (ECDSA scalars). */
export function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  if (bytes.length > length) throw new CryptoError("invalid-input", `integer longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/**
 * A plain Uint8Array view of the same bytes (no copy). Some libraries test
 * `constructor.name === "Uint8Array"` and refuse Node Buffers.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
