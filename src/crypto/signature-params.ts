/**
 * Key and signature sizes in bytes: FIPS 204 Table 2 (ML-DSA), FIPS 205
 * Table 2 (SLH-DSA, n = 16/24/32: pk 2n, sk 4n), Falcon round 3 spec,
 * RFC 8032 (Ed25519). Signature sizes for ML-DSA/SLH-DSA/Ed25519 are exact;
 * Falcon signatures are variable up to the maximum given; ECDSA is DER.
 */
import type { SignatureName } from "./types.ts";

export interface SignatureSizes {
  readonly publicKey: number;
  readonly privateKey: number;
  /** Exact length, or the maximum for variable-length schemes. */
  readonly signature: number;
}

const slh = (n: number, signature: number): SignatureSizes => ({
  publicKey: 2 * n,
  privateKey: 4 * n,
  signature,
});

export const SIGNATURE_SIZES: Partial<Record<SignatureName, SignatureSizes>> = {
  "ml-dsa-44": { publicKey: 1312, privateKey: 32, signature: 2420 },
  "ml-dsa-65": { publicKey: 1952, privateKey: 32, signature: 3309 },
  "ml-dsa-87": { publicKey: 2592, privateKey: 32, signature: 4627 },
  "slh-dsa-sha2-128s": slh(16, 7856),
  "slh-dsa-sha2-128f": slh(16, 17088),
  "slh-dsa-sha2-192s": slh(24, 16224),
  "slh-dsa-sha2-192f": slh(24, 35664),
  "slh-dsa-sha2-256s": slh(32, 29792),
  "slh-dsa-sha2-256f": slh(32, 49856),
  "slh-dsa-shake-128s": slh(16, 7856),
  "slh-dsa-shake-128f": slh(16, 17088),
  "slh-dsa-shake-192s": slh(24, 16224),
  "slh-dsa-shake-192f": slh(24, 35664),
  "slh-dsa-shake-256s": slh(32, 29792),
  "slh-dsa-shake-256f": slh(32, 49856),
  "falcon-512": { publicKey: 897, privateKey: 1281, signature: 752 },
  "falcon-1024": { publicKey: 1793, privateKey: 2305, signature: 1462 },
  ed25519: { publicKey: 32, privateKey: 32, signature: 64 },
  "ecdsa-p256-sha256": { publicKey: 65, privateKey: 32, signature: 72 },
  "ecdsa-p384-sha384": { publicKey: 97, privateKey: 48, signature: 104 },
};

export const isMlDsa = (name: SignatureName): name is "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87" =>
  name.startsWith("ml-dsa-");
export const isSlhDsa = (name: SignatureName): boolean => name.startsWith("slh-dsa-");
