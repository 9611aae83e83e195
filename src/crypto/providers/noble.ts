/**
 * The `noble` provider (DESIGN.md §1.3): audited pure JS that runs on every
 * JavaScript runtime. The slowest choice, ranked last for what others offer,
 * but it is the reference the differential tests hold the others to.
 */
import { randomBytes } from "@noble/hashes/utils.js";
import type { AeadName, CryptoProvider, HashName, KemName, SignatureName } from "../types.ts";
import { memoize } from "./memoize.ts";
import { nobleKem } from "./noble-kem.ts";
import { nobleSignature } from "./noble-signature.ts";
import { nobleAead, nobleHash } from "./noble-symmetric.ts";

export function createNobleProvider(): CryptoProvider {
  return {
    name: "noble",
    randomBytes: (length) => randomBytes(length),
    hash: memoize((name: HashName) => nobleHash(name)),
    aead: memoize((name: AeadName) => nobleAead(name)),
    kem: memoize((name: KemName) => nobleKem(name)),
    signature: memoize((name: SignatureName) => nobleSignature(name)),
  };
}
