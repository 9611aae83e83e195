/**
 * Static provider ranking, fastest first, from DESIGN.md §8 and
 * bench/crypto-ops.ts (interleaved medians on the project's 2-core machines):
 * - symmetric and classical: node:crypto everywhere (noble is 10-40x slower);
 * - ML-KEM, SLH-DSA: native OpenSSL (Node >= 24.7), then liboqs-wasm, then noble;
 * - ML-DSA: liboqs-wasm signs ~2x faster than OpenSSL 3.5 here (≈470 vs 890 µs
 *   for ML-DSA-65, verify ≈160 vs 230 µs), so wasm leads once loaded;
 * - Falcon: wasm verifies ~10x faster than noble and signs as fast on Node 24
 *   (noble's signing is far slower on Node 20).
 * Until `loadWasmProvider()` has run, the next available provider serves.
 */
import type { ProviderName } from "./types.ts";

export type AlgorithmKind = "hash" | "aead" | "kem" | "signature" | "random";

const NATIVE_FIRST: readonly ProviderName[] = ["node", "wasm", "noble"];
const WASM_FIRST: readonly ProviderName[] = ["wasm", "node", "noble"];
const CLASSICAL_ORDER: readonly ProviderName[] = ["node", "noble", "wasm"];

const CLASSICAL_ALGORITHMS = new Set([
  "x25519",
  "p256",
  "p384",
  "ed25519",
  "ecdsa-p256-sha256",
  "ecdsa-p384-sha384",
  "rsa-pss-sha256",
]);

export function rankProviders(kind: AlgorithmKind, name: string): readonly ProviderName[] {
  if (kind === "hash" || kind === "aead" || kind === "random") return CLASSICAL_ORDER;
  if (CLASSICAL_ALGORITHMS.has(name)) return CLASSICAL_ORDER;
  if (name.startsWith("ml-dsa-") || name.startsWith("falcon-")) return WASM_FIRST;
  return NATIVE_FIRST;
}
