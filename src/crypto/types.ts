/**
 * The one interface through which every layer reaches cryptography
 * (DESIGN.md §1.3). Providers (`node`, `wasm`, `noble`) implement parts of it;
 * `Crypto` (see ./select.ts) is the per-algorithm choice among them.
 *
 * Every operation is synchronous: the TLS engine is sans-IO and runs its
 * handshake to completion on each input without awaiting. Providers that need
 * asynchronous set-up (WebAssembly) do it once, before they are offered.
 *
 * Byte conventions (all raw, never PEM/DER unless stated):
 * - KEM public keys, ciphertexts and shared secrets are the FIPS 203 / liboqs
 *   encodings; ECDH "KEMs" use the TLS key_share encodings (X25519: 32 bytes;
 *   NIST curves: uncompressed point 0x04 ‖ X ‖ Y).
 * - Signature public keys are the SubjectPublicKeyInfo BIT STRING contents
 *   (ML-DSA / SLH-DSA / Falcon / Ed25519: raw key; ECDSA: uncompressed point;
 *   RSA: PKCS#1 RSAPublicKey DER).
 * - Signature private keys: ML-DSA: the 32-byte seed ξ (RFC 9881 seed form);
 *   SLH-DSA: the FIPS 205 private key (SK.seed ‖ SK.prf ‖ PK.seed ‖ PK.root);
 *   Falcon: the liboqs/noble secret key encoding; Ed25519: the 32-byte seed;
 *   ECDSA: the 32/48-byte big-endian scalar; RSA: PKCS#1 RSAPrivateKey DER.
 * - ECDSA signatures are DER (as TLS and X.509 carry them); RSA signatures are
 *   RSASSA-PSS with MGF1 and salt length = hash length.
 */
import { CodedError } from "../errors/coded-error.ts";

export type ProviderName = "node" | "wasm" | "noble";

export type HashName = "sha256" | "sha384" | "sha512";

/**
 * An incremental hash; `clone` lets the TLS transcript fork at each message.
 * For public data (the transcript): a provider may pass the digest through
 * memory it cannot wipe (node-hash.ts), so secrets go through Hash.digest or
 * Hash.hmac instead.
 */
export interface HashState {
  update(data: Uint8Array): this;
  digest(): Uint8Array;
  clone(): HashState;
}

export interface Hash {
  readonly name: HashName;
  /** Output length in bytes. */
  readonly outputLength: number;
  digest(data: Uint8Array): Uint8Array;
  create(): HashState;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF-Extract. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF-Expand; `length` at most 255 * outputLength. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

export type AeadName = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/** An AEAD bound to one key; cheap to call once per record. */
export interface AeadKey {
  /** Returns ciphertext ‖ 16-byte tag. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Like seal, but writes ciphertext ‖ tag into `out` at `offset` (which must
   * have plaintext.length + 16 bytes of room) and returns the bytes written.
   * `plaintext` may be the very bytes of `out` at `offset` (sealing in place),
   * so the TLS record layer can assemble a record in its final buffer.
   */
  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): number;
  /**
   * Optional. Like seal, but returns the ciphertext and the 16-byte tag as
   * two arrays the provider made itself, so a caller that writes them out as
   * they are (the TLS record layer: header, ciphertext, tag) copies nothing
   * after encryption. `plaintext` is only read. Providers whose seal works in
   * the caller's buffer anyway (the pure-JS ones) leave it out, and callers
   * use sealInto.
   */
  sealDetached?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Uint8Array, Uint8Array];
  /** Returns the plaintext, or null when authentication fails (never throws for a bad tag). */
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

export interface Aead {
  readonly name: AeadName;
  readonly keyLength: number;
  readonly nonceLength: 12;
  readonly tagLength: 16;
  importKey(key: Uint8Array): AeadKey;
}

export type KemName = "ml-kem-512" | "ml-kem-768" | "ml-kem-1024" | "x25519" | "p256" | "p384" | "sntrup761";

export interface KemKeyPair {
  publicKey: Uint8Array;
  /** Opaque to callers; only the same Kem object may use it. Wipe with `fill(0)` after use when it is bytes. */
  secretKey: unknown;
}

/**
 * A key-encapsulation mechanism. ECDH fits this shape: "encapsulate" makes an
 * ephemeral key pair and returns its public key as the ciphertext.
 * Every method throws `CryptoError("invalid-input")` for malformed lengths or
 * points, so the TLS layer can answer with illegal_parameter.
 */
export interface Kem {
  readonly name: KemName;
  readonly provider: ProviderName;
  readonly publicKeyLength: number;
  readonly ciphertextLength: number;
  readonly sharedSecretLength: number;
  generateKeyPair(): KemKeyPair;
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(secretKey: unknown, ciphertext: Uint8Array): Uint8Array;
}

export type SignatureName =
  | "ml-dsa-44"
  | "ml-dsa-65"
  | "ml-dsa-87"
  | "slh-dsa-sha2-128s"
  | "slh-dsa-sha2-128f"
  | "slh-dsa-sha2-192s"
  | "slh-dsa-sha2-192f"
  | "slh-dsa-sha2-256s"
  | "slh-dsa-sha2-256f"
  | "slh-dsa-shake-128s"
  | "slh-dsa-shake-128f"
  | "slh-dsa-shake-192s"
  | "slh-dsa-shake-192f"
  | "slh-dsa-shake-256s"
  | "slh-dsa-shake-256f"
  | "falcon-512"
  | "falcon-1024"
  | "ed25519"
  | "ecdsa-p256-sha256"
  | "ecdsa-p384-sha384"
  | "rsa-pss-sha256"
  // Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs-latest, §7); see ./composite.ts.
  | "mldsa44-ed25519-sha512"
  | "mldsa44-ecdsa-p256-sha256"
  | "mldsa65-ecdsa-p256-sha512"
  | "mldsa65-ecdsa-p384-sha512"
  | "mldsa65-ed25519-sha512"
  | "mldsa87-ecdsa-p384-sha512";

export interface SigningKey {
  readonly algorithm: SignatureName;
  sign(message: Uint8Array): Uint8Array;
  /**
   * FIPS 204 §5.2 / FIPS 205 §10.2 signing with a context string (at most 255
   * bytes). Present only where the provider supports contexts (see
   * Signature.contextStrings); composite ML-DSA needs it for its ML-DSA half.
   */
  signWithContext?(message: Uint8Array, context: Uint8Array): Uint8Array;
}

export interface VerifyingKey {
  readonly algorithm: SignatureName;
  /** False for a wrong or malformed signature; never throws for bad signature bytes. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
  /** The counterpart of SigningKey.signWithContext; false (never a throw) for a bad signature. */
  verifyWithContext?(message: Uint8Array, signature: Uint8Array, context: Uint8Array): boolean;
}

export interface Signature {
  readonly name: SignatureName;
  readonly provider: ProviderName;
  /** True when this provider's keys offer signWithContext / verifyWithContext. */
  readonly contextStrings?: boolean;
  /** Raw key pair in the conventions above. */
  generateKeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  /** Derives the public key from a raw private key (used when loading PKCS#8). */
  publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array;
  importPrivateKey(privateKey: Uint8Array): SigningKey;
  /** Throws CryptoError("invalid-input") when the key is malformed. */
  importPublicKey(publicKey: Uint8Array): VerifyingKey;
}

/** What one provider offers; absent entries mean "not available here". */
export interface CryptoProvider {
  readonly name: ProviderName;
  randomBytes(length: number): Uint8Array;
  hash(name: HashName): Hash | undefined;
  aead(name: AeadName): Aead | undefined;
  kem(name: KemName): Kem | undefined;
  signature(name: SignatureName): Signature | undefined;
}

export type CryptoErrorCode = "invalid-input" | "unsupported" | "internal";

export class CryptoError extends CodedError<CryptoErrorCode> {
  override readonly name = "CryptoError";
}

/**
 * The per-algorithm choice among providers that the rest of pqrpc uses
 * (implemented in ./select.ts). Lookups throw CryptoError("unsupported") when
 * no loaded provider has the algorithm; `has*` asks without throwing.
 */
export interface Crypto {
  randomBytes(length: number): Uint8Array;
  hash(name: HashName): Hash;
  aead(name: AeadName): Aead;
  kem(name: KemName): Kem;
  signature(name: SignatureName): Signature;
  hasKem(name: KemName): boolean;
  hasSignature(name: SignatureName): boolean;
  /** Which provider serves each algorithm (for logs, `pqrpc probe`, benchmarks). */
  describe(): Record<string, ProviderName>;
}
