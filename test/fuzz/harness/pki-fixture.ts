/**
 * One development PKI per fuzzing process, for the targets that need real
 * keys (path validation, the seeds). Ed25519 keeps executions fast; path
 * validation does not depend on the signature algorithm beyond the
 * signature check itself.
 */
import { defaultCrypto } from "../../../src/crypto/select.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../../../src/pki/development-pki.ts";

export const crypto = defaultCrypto();

let cached: DevelopmentPki | undefined;
export function fuzzPki(): DevelopmentPki {
  cached ??= createDevelopmentPki({ algorithm: "ed25519", crypto });
  return cached;
}

/** Splits bytes into DER-sized items: each item is a 2-byte big-endian length and its bytes. */
export function lengthPrefixedItems(data: Uint8Array, maxItems: number): Uint8Array[] {
  const items: Uint8Array[] = [];
  let at = 0;
  while (at + 2 <= data.length && items.length < maxItems) {
    const n = (data[at]! << 8) | data[at + 1]!;
    items.push(data.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return items;
}
