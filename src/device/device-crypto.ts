/**
 * The crypto of a device: the embedded profile's algorithms in pure JS
 * (noble), and nothing else, so the device bundle carries only these:
 * SHA-256/384 with HMAC and HKDF, ChaCha20-Poly1305, ML-KEM (512/768/1024)
 * and ML-DSA-44/65 (to verify a certificate chain). Randomness is the host's
 * globalThis.crypto.getRandomValues (a small JS runtime's host provides it).
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { ml_dsa44, ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { mlKem } from "../crypto/providers/noble-kem.ts";
import { mlDsaScheme, signatureFromScheme } from "../crypto/providers/noble-signature.ts";
import { nobleAeadWith, nobleHash } from "../crypto/providers/noble-symmetric.ts";
import {
  type Aead,
  type AeadName,
  type Crypto,
  CryptoError,
  type Hash,
  type HashName,
  type Kem,
  type KemName,
  type ProviderName,
  type Signature,
  type SignatureName,
} from "../crypto/types.ts";

const KEMS: readonly KemName[] = ["ml-kem-512", "ml-kem-768", "ml-kem-1024"];
const SIGNERS = { "ml-dsa-44": ml_dsa44, "ml-dsa-65": ml_dsa65 } as const;

function unsupported(what: string): never {
  throw new CryptoError("unsupported", `${what} is not in the device's crypto`);
}

export function createDeviceCrypto(): Crypto {
  const hashes = new Map<HashName, Hash>();
  const kems = new Map<KemName, Kem>();
  const signatures = new Map<SignatureName, Signature>();
  let aead: Aead | undefined;
  const isSigner = (name: SignatureName): name is keyof typeof SIGNERS => Object.hasOwn(SIGNERS, name);
  return {
    randomBytes: (n) => randomBytes(n),
    hash(name) {
      if (name !== "sha256" && name !== "sha384") unsupported(name);
      let h = hashes.get(name);
      if (h === undefined) hashes.set(name, (h = nobleHash(name)));
      return h;
    },
    aead(name: AeadName) {
      if (name !== "chacha20-poly1305") unsupported(name);
      aead ??= nobleAeadWith(name, chacha20poly1305);
      return aead;
    },
    kem(name) {
      if (!KEMS.includes(name)) unsupported(name);
      let k = kems.get(name);
      if (k === undefined) kems.set(name, (k = mlKem(name as "ml-kem-768")));
      return k;
    },
    signature(name) {
      if (!isSigner(name)) unsupported(name);
      let s = signatures.get(name);
      if (s === undefined) {
        s = signatureFromScheme(name, mlDsaScheme(SIGNERS[name])) ?? unsupported(name);
        signatures.set(name, s);
      }
      return s;
    },
    hasKem: (name) => KEMS.includes(name),
    hasSignature: (name) => isSigner(name),
    describe() {
      const out: Record<string, ProviderName> = {};
      for (const n of [...KEMS, ...Object.keys(SIGNERS), "sha256", "sha384", "chacha20-poly1305"])
        out[n] = "noble";
      return out;
    },
  };
}
