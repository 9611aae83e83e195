/**
 * RFC 5869 HKDF written once over any HMAC, so every provider's HKDF is the
 * same code path and only the HMAC differs.
 */
import { wipe } from "../bytes/bytes.ts";
import { CryptoError } from "./types.ts";

/** RFC 5869 §2.3: L <= 255 * HashLen. */
const MAX_HKDF_BLOCKS = 255;

export type HmacFunction = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt means HashLen zeros. */
export function hkdfExtract(
  hmac: HmacFunction,
  outputLength: number,
  salt: Uint8Array,
  ikm: Uint8Array,
): Uint8Array {
  return hmac(salt.length === 0 ? new Uint8Array(outputLength) : salt, ikm);
}

/** RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) ‖ info ‖ i). */
export function hkdfExpand(
  hmac: HmacFunction,
  outputLength: number,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_HKDF_BLOCKS * outputLength) {
    throw new CryptoError(
      "invalid-input",
      `HKDF-Expand: length ${length} outside 0..${MAX_HKDF_BLOCKS * outputLength}`,
    );
  }
  if (length <= outputLength) {
    // One block, the case of every TLS 1.3 derivation: T(1) = HMAC(PRK, info ‖ 0x01), truncated.
    const input = new Uint8Array(info.length + 1);
    input.set(info);
    input[info.length] = 1;
    const t1 = hmac(prk, input);
    wipe(input);
    if (t1.length === length) return t1;
    const out = t1.slice(0, length);
    wipe(t1);
    return out;
  }
  const out = new Uint8Array(length);
  const blocks = Math.ceil(length / outputLength);
  const input = new Uint8Array(outputLength + info.length + 1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= blocks; i++) {
    // input = T(i-1) ‖ info ‖ i, where T(0) is empty.
    const head = previous.length;
    input.set(previous, 0);
    input.set(info, head);
    input[head + info.length] = i;
    previous = hmac(prk, input.subarray(0, head + info.length + 1));
    out.set(
      previous.subarray(0, Math.min(outputLength, length - (i - 1) * outputLength)),
      (i - 1) * outputLength,
    );
  }
  wipe(input, previous);
  return out;
}
