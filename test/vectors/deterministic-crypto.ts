/**
 * A Crypto whose every random byte comes from one seed, so a handshake
 * replays to the same bytes on every run, runtime and provider (the vectors
 * under vectors/ depend on it). Test and tooling only: a seeded DRBG is the
 * opposite of what a real connection needs.
 *
 * The DRBG is HMAC_DRBG with HMAC-SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2):
 * instantiated with entropy_input = seed, nonce = empty, personalization =
 * the UTF-8 label, never reseeded, no additional input. A port reproduces a
 * vector by running the same DRBG and drawing the same lengths in the same
 * order (docs/DEVICES.md "Vectors for ports" lists the draws).
 *
 * Key generation and encapsulation draw their randomness from it too:
 * - ML-KEM (FIPS 203): KeyGen's d ‖ z = 64 DRBG bytes (ML-KEM.KeyGen_internal),
 *   Encaps' m = 32 DRBG bytes (ML-KEM.Encaps_internal).
 * - X25519: the 32-byte private scalar (RFC 7748 §5 clamps it).
 * - ML-DSA (FIPS 204): KeyGen's ξ = 32 DRBG bytes; signing is the
 *   deterministic variant (rnd = 0^32, §3.4), so it draws nothing.
 * Hashes and AEADs have no randomness and come from the process's Crypto.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { concatBytes, toHex, utf8Encode } from "../../src/bytes/bytes.ts";
import { x25519Agree } from "../../src/crypto/providers/noble-kem.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import {
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
} from "../../src/crypto/types.ts";

/** SP 800-90A Rev. 1 Table 2: at most 2^19 bits (65536 bytes) per generate call. */
export const MAX_DRBG_REQUEST_BYTES = 65536;
/** SP 800-90A Rev. 1 Table 2: reseed_interval for HMAC_DRBG; we never reseed, so this bounds a run. */
export const MAX_DRBG_REQUESTS = 2 ** 48;

/** What a DRBG request was for (recorded in the vectors, so a port can line its draws up). */
export type DrawPurpose =
  | "random"
  | "ml-kem keygen d||z"
  | "ml-kem encaps m"
  | "x25519 private key"
  | "ml-dsa keygen xi";

export interface Draw {
  purpose: DrawPurpose;
  bytes: number;
  /** The bytes drawn, lowercase hex (a port may inject these instead of running the DRBG). */
  hex: string;
}

/** HMAC_DRBG over HMAC-SHA-256 (SP 800-90A Rev. 1 §10.1.2), without reseeding or additional input. */
export class HmacDrbg {
  /** Every request so far, in order. */
  readonly draws: Draw[] = [];
  private key: Uint8Array;
  private value: Uint8Array;
  private requests = 0;

  constructor(
    private readonly hash: Hash,
    seed: Uint8Array,
    personalization: Uint8Array,
  ) {
    // §10.1.2.3: Key = 0x00..00, V = 0x01..01, then Update(entropy ‖ nonce ‖ personalization).
    this.key = new Uint8Array(hash.outputLength);
    this.value = new Uint8Array(hash.outputLength).fill(1);
    this.update(concatBytes(seed, personalization));
  }

  /** §10.1.2.2 HMAC_DRBG_Update. */
  private update(provided: Uint8Array): void {
    this.key = this.hash.hmac(this.key, concatBytes(this.value, new Uint8Array([0]), provided));
    this.value = this.hash.hmac(this.key, this.value);
    if (provided.length === 0) return;
    this.key = this.hash.hmac(this.key, concatBytes(this.value, new Uint8Array([1]), provided));
    this.value = this.hash.hmac(this.key, this.value);
  }

  /** §10.1.2.5 HMAC_DRBG_Generate. */
  generate(length: number, purpose: DrawPurpose = "random"): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > MAX_DRBG_REQUEST_BYTES) {
      throw new CryptoError(
        "invalid-input",
        `DRBG request of ${length} bytes outside 0..${MAX_DRBG_REQUEST_BYTES}`,
      );
    }
    if (++this.requests > MAX_DRBG_REQUESTS)
      throw new CryptoError("internal", "DRBG reseed interval exhausted");
    const out = new Uint8Array(length);
    for (let filled = 0; filled < length; filled += this.value.length) {
      this.value = this.hash.hmac(this.key, this.value);
      out.set(this.value.subarray(0, Math.min(this.value.length, length - filled)), filled);
    }
    this.update(new Uint8Array(0));
    this.draws.push({ purpose, bytes: length, hex: toHex(out) });
    return out;
  }
}

const ML_KEM = { "ml-kem-512": ml_kem512, "ml-kem-768": ml_kem768, "ml-kem-1024": ml_kem1024 } as const;
const ML_DSA = { "ml-dsa-44": ml_dsa44, "ml-dsa-65": ml_dsa65, "ml-dsa-87": ml_dsa87 } as const;
/** FIPS 203 §6.1: KeyGen_internal takes d and z, 32 bytes each. */
const ML_KEM_KEYGEN_SEED_BYTES = 64;
/** FIPS 203 §6.2: Encaps_internal takes the 32-byte message m. */
const ML_KEM_ENCAPS_RANDOM_BYTES = 32;
/** FIPS 204 §6.1: KeyGen_internal takes the 32-byte seed ξ. */
const ML_DSA_SEED_BYTES = 32;
const X25519_SCALAR_BYTES = 32;

/** The process's KEM, with keygen and encapsulation fed from the DRBG. */
function seededKem(base: Kem, drbg: HmacDrbg): Kem {
  const name = base.name;
  if (name === "x25519") {
    // The base KEM's secret keys are its own (node: a KeyObject), so the agreement is noble's on raw bytes.
    const agree = (secretKey: unknown, publicKey: Uint8Array): Uint8Array => {
      if (!(secretKey instanceof Uint8Array) || secretKey.length !== X25519_SCALAR_BYTES) {
        throw new CryptoError("invalid-input", "X25519 secret key: expected 32 bytes");
      }
      return x25519Agree(secretKey, publicKey);
    };
    return {
      ...base,
      generateKeyPair() {
        const secretKey = drbg.generate(X25519_SCALAR_BYTES, "x25519 private key");
        return { publicKey: x25519.getPublicKey(secretKey), secretKey };
      },
      encapsulate(publicKey) {
        const secretKey = drbg.generate(X25519_SCALAR_BYTES, "x25519 private key");
        return { ciphertext: x25519.getPublicKey(secretKey), sharedSecret: agree(secretKey, publicKey) };
      },
      decapsulate: agree,
    };
  }
  if (name === "ml-kem-512" || name === "ml-kem-768" || name === "ml-kem-1024") {
    const impl = ML_KEM[name];
    return {
      ...base,
      generateKeyPair() {
        const { publicKey, secretKey } = impl.keygen(
          drbg.generate(ML_KEM_KEYGEN_SEED_BYTES, "ml-kem keygen d||z"),
        );
        return { publicKey, secretKey };
      },
      encapsulate(publicKey) {
        if (publicKey.length !== base.publicKeyLength) {
          throw new CryptoError(
            "invalid-input",
            `${name} encapsulation key: expected ${base.publicKeyLength} bytes`,
          );
        }
        try {
          const { cipherText, sharedSecret } = impl.encapsulate(
            publicKey,
            drbg.generate(ML_KEM_ENCAPS_RANDOM_BYTES, "ml-kem encaps m"),
          );
          return { ciphertext: cipherText, sharedSecret };
        } catch {
          throw new CryptoError("invalid-input", `${name} encapsulation key fails the FIPS 203 checks`);
        }
      },
      decapsulate: (secretKey, ciphertext) => {
        if (!(secretKey instanceof Uint8Array)) throw new CryptoError("invalid-input", `${name} secret key`);
        if (ciphertext.length !== base.ciphertextLength) {
          throw new CryptoError(
            "invalid-input",
            `${name} ciphertext: expected ${base.ciphertextLength} bytes`,
          );
        }
        return impl.decapsulate(ciphertext, secretKey);
      },
    };
  }
  throw new CryptoError("unsupported", `deterministic crypto has no seeded ${name}`);
}

/** ML-DSA with ξ from the DRBG and deterministic signing; verification is the process's. */
function seededMlDsa(base: Signature, drbg: HmacDrbg): Signature {
  const impl = ML_DSA[base.name as keyof typeof ML_DSA];
  const signer = (seed: Uint8Array) => {
    const { secretKey } = impl.keygen(seed);
    return (message: Uint8Array) => impl.sign(message, secretKey, { extraEntropy: false });
  };
  return {
    name: base.name,
    provider: base.provider,
    generateKeyPair() {
      const seed = drbg.generate(ML_DSA_SEED_BYTES, "ml-dsa keygen xi");
      return { publicKey: impl.keygen(seed).publicKey, privateKey: seed };
    },
    publicKeyFromPrivate: (seed) => impl.keygen(seed).publicKey,
    importPrivateKey(seed) {
      if (seed.length !== ML_DSA_SEED_BYTES) {
        throw new CryptoError(
          "invalid-input",
          `${base.name} private key: expected the ${ML_DSA_SEED_BYTES}-byte seed`,
        );
      }
      return { algorithm: base.name, sign: signer(seed.slice()) };
    },
    importPublicKey: (publicKey) => base.importPublicKey(publicKey),
  };
}

/**
 * A Crypto drawing every random byte from HMAC_DRBG(seed, label). KEMs
 * without a seeded form here (P-256, sntrup761) and signatures other than
 * ML-DSA are unsupported, so a vector can never pick up hidden randomness.
 */
export interface DeterministicCrypto extends Crypto {
  /** The DRBG requests made so far, in order. */
  readonly draws: readonly Draw[];
}

export function deterministicCrypto(seed: Uint8Array, label: string): DeterministicCrypto {
  const base = defaultCrypto();
  const drbg = new HmacDrbg(base.hash("sha256"), seed, utf8Encode(label));
  const kems = new Map<KemName, Kem>();
  const signatures = new Map<SignatureName, Signature>();
  const seededKemNames: readonly KemName[] = ["x25519", "ml-kem-512", "ml-kem-768", "ml-kem-1024"];
  const kem = (name: KemName): Kem => {
    if (!seededKemNames.includes(name))
      throw new CryptoError("unsupported", `deterministic crypto has no seeded ${name}`);
    let k = kems.get(name);
    if (k === undefined) {
      k = seededKem(base.kem(name), drbg);
      kems.set(name, k);
    }
    return k;
  };
  const signature = (name: SignatureName): Signature => {
    if (!(name in ML_DSA)) throw new CryptoError("unsupported", `deterministic crypto has no seeded ${name}`);
    let s = signatures.get(name);
    if (s === undefined) {
      s = seededMlDsa(base.signature(name), drbg);
      signatures.set(name, s);
    }
    return s;
  };
  return {
    draws: drbg.draws,
    randomBytes: (length) => drbg.generate(length),
    hash: (name: HashName) => base.hash(name),
    aead: (name: AeadName) => base.aead(name),
    kem,
    signature,
    hasKem: (name) => seededKemNames.includes(name) && base.hasKem(name),
    hasSignature: (name) => name in ML_DSA && base.hasSignature(name),
    describe(): Record<string, ProviderName> {
      return base.describe();
    },
  };
}
