/** Sizes of the AEADs TLS 1.3 uses (RFC 5116 §5, RFC 8439 §2.8, RFC 8446 §5.3). */
import type { AeadName } from "./types.ts";

export const AEAD_KEY_BYTES: Record<AeadName, number> = {
  "aes-128-gcm": 16,
  "aes-256-gcm": 32,
  "chacha20-poly1305": 32,
};
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
