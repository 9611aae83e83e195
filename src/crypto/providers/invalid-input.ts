import { CryptoError } from "../types.ts";

/**
 * Runs a provider call on caller-supplied key bytes; whatever the library
 * throws for malformed input becomes CryptoError("invalid-input") naming the
 * algorithm and what was rejected, so upper layers (TLS: illegal_parameter /
 * decrypt_error; pki: bad-encoding) map it without knowing the library.
 */
export function asInvalidInput<T>(algorithm: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError("invalid-input", `${algorithm} ${what} rejected: ${(e as Error).message}`);
  }
}
