/** Every algorithm name pqrpc knows, per kind (for `describe()` and tests). */
import { AEAD_KEY_BYTES } from "./aead-params.ts";
import { KEM_SIZES } from "./kem-params.ts";
import { SIGNATURE_SCHEMES } from "./registry.ts";
import type { AeadName, HashName, KemName, SignatureName } from "./types.ts";

export const HASH_NAMES: readonly HashName[] = ["sha256", "sha384", "sha512"];
export const AEAD_NAMES = Object.keys(AEAD_KEY_BYTES) as AeadName[];
export const KEM_NAMES = Object.keys(KEM_SIZES) as KemName[];
export const SIGNATURE_NAMES: readonly SignatureName[] = SIGNATURE_SCHEMES.map((s) => s.name);
