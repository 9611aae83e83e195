/**
 * The `node` provider (DESIGN.md §1.3): node:crypto for hashes, HKDF, AEADs,
 * X25519/P-256/P-384, Ed25519/ECDSA/RSA-PSS everywhere, and ML-KEM, ML-DSA,
 * SLH-DSA natively when the running Node (>= 24.7, OpenSSL 3.5) has them.
 */
import type { AeadName, CryptoProvider, HashName, KemName, SignatureName } from "../types.ts";
import { memoize } from "./memoize.ts";
import { nodeAead } from "./node-aead.ts";
import { nodeHash } from "./node-hash.ts";
import { nodeKem } from "./node-kem.ts";
import { pooledRandomBytes } from "./node-random.ts";
import { nodeSignature } from "./node-signature.ts";

export function createNodeProvider(): CryptoProvider {
  return {
    name: "node",
    randomBytes: pooledRandomBytes(),
    hash: memoize((name: HashName) => nodeHash(name)),
    aead: memoize((name: AeadName) => nodeAead(name)),
    kem: memoize((name: KemName) => nodeKem(name)),
    signature: memoize((name: SignatureName) => nodeSignature(name)),
  };
}
