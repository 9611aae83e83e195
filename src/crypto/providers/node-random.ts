/**
 * The node provider's random bytes: short requests (the TLS randoms, session
 * ids, ticket nonces, cookies: 4 to 32 bytes, several per handshake) are cut
 * from a pool that one crypto.randomFillSync call refills, instead of one
 * call into the CSPRNG each; longer requests are filled directly.
 *
 * Each span is copied out and zeroed in the pool as it is handed out, so the
 * same bytes are never handed out twice and the pool holds only bytes nobody
 * has seen.
 */
import { randomFillSync } from "node:crypto";
import { CryptoError } from "../types.ts";

/** Bytes drawn from the CSPRNG per refill. */
export const RANDOM_POOL_BYTES = 4096;
/** Requests up to this many bytes come from the pool; longer ones are filled directly. */
export const MAX_POOLED_REQUEST_BYTES = 64;

/** `fill` is the CSPRNG (a parameter so that tests can watch the pool). */
export function pooledRandomBytes(
  fill: (into: Uint8Array) => void = (into) => void randomFillSync(into),
): (length: number) => Uint8Array {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  /** Bytes of the pool already handed out (zeroed), from the start. */
  let used = RANDOM_POOL_BYTES;
  return (length) => {
    if (!Number.isSafeInteger(length) || length < 0)
      throw new CryptoError("invalid-input", `randomBytes: length ${length} is not a byte count`);
    const out = new Uint8Array(length);
    if (length > MAX_POOLED_REQUEST_BYTES) {
      fill(out);
      return out;
    }
    if (used + length > RANDOM_POOL_BYTES) {
      // The unused tail is discarded: refilled over, never handed out.
      fill(pool);
      used = 0;
    }
    const span = pool.subarray(used, used + length);
    out.set(span);
    span.fill(0);
    used += length;
    return out;
  };
}
