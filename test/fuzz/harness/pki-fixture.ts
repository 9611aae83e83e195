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
