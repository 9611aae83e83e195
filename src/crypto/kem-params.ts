/**
 * Sizes of every KEM in bytes: FIPS 203 Table 3 (ML-KEM), RFC 7748 (X25519),
 * SEC 1 uncompressed points and x-coordinate secrets (RFC 8446 §4.2.8.2,
 * §7.4.2), and the NTRU Prime round 3 parameters (sntrup761).
 */
import type { KemName } from "./types.ts";

export interface KemSizes {
  readonly publicKey: number;
  readonly ciphertext: number;
  readonly sharedSecret: number;
}

export const KEM_SIZES: Record<KemName, KemSizes> = {
  "ml-kem-512": { publicKey: 800, ciphertext: 768, sharedSecret: 32 },
  "ml-kem-768": { publicKey: 1184, ciphertext: 1088, sharedSecret: 32 },
  "ml-kem-1024": { publicKey: 1568, ciphertext: 1568, sharedSecret: 32 },
  x25519: { publicKey: 32, ciphertext: 32, sharedSecret: 32 },
  p256: { publicKey: 65, ciphertext: 65, sharedSecret: 32 },
  p384: { publicKey: 97, ciphertext: 97, sharedSecret: 48 },
  sntrup761: { publicKey: 1158, ciphertext: 1039, sharedSecret: 32 },
};

/** First byte of an uncompressed SEC 1 point, the only form TLS 1.3 allows (RFC 8446 §4.2.8.2). */
export const UNCOMPRESSED_POINT = 0x04;
