/**
 * Fuzz mode (after BoringSSL's BORINGSSL_UNSAFE_FUZZER_MODE): a Crypto for
 * the fuzz targets only, never registered as a provider and never shipped,
 * in which ML-KEM and the signatures the targets use (ML-DSA, Ed25519) cost
 * one SHA-256 instead of a lattice or curve operation. They stay consistent
 * (a key pair agrees with itself, a signature verifies under its key, a
 * changed byte fails) and keep the real encodings' lengths, so the TLS
 * engine and the path validator run the same parsing and state-machine code
 * as with real crypto; only the arithmetic is gone, and with it 95% of an
 * engine execution. Everything else (hashes, HKDF, AEAD, X25519, ECDSA,
 * randomness) is the real provider's.
 *
 * It is UNSAFE by design: anyone can forge a signature (it is a hash of the
 * public key and the message) and recover a shared secret from the
 * ciphertext. FUZZ_REAL_CRYPTO=1 turns it off, for a run that checks the
 * real providers under the same targets (at 1/20 of the speed).
 */
import { bytesEqual, concatChunks } from "../../../src/bytes/bytes.ts";
import { expectLength } from "../../../src/crypto/fixed-length.ts";
import { KEM_SIZES } from "../../../src/crypto/kem-params.ts";
import { defaultCrypto } from "../../../src/crypto/select.ts";
import { SIGNATURE_SIZES } from "../../../src/crypto/signature-params.ts";
import type {
  Crypto,
  Kem,
  KemName,
  Signature,
  SignatureName,
  SigningKey,
  VerifyingKey,
} from "../../../src/crypto/types.ts";

/** The KEMs and signatures fuzz mode replaces: the ones whose arithmetic dominates an execution. */
const CHEAP_KEMS: readonly KemName[] = ["ml-kem-512", "ml-kem-768", "ml-kem-1024"];
const CHEAP_SIGNATURES: readonly SignatureName[] = ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87", "ed25519"];
const SECRET_BYTES = 32;
/** ProviderName has no entry for a test stand-in; only metric labels (src/observability) read it. */
const PROVIDER_LABEL = "noble";
const encoder = new TextEncoder();

/** Crypto with cheap, consistent stand-ins for the costly algorithms (see the module comment). */
export function createFuzzCrypto(real: Crypto = defaultCrypto()): Crypto {
  const sha256 = real.hash("sha256");
  /** SHA-256 of the parts, repeated to `length` bytes: a cheap deterministic function of them. */
  const derive = (length: number, label: string, ...parts: Uint8Array[]): Uint8Array => {
    const digest = sha256.digest(concatChunks([encoder.encode(label), ...parts]));
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += digest.length) out.set(digest.subarray(0, length - at), at);
    return out;
  };
  const kems = new Map<KemName, Kem>();
  const signatures = new Map<SignatureName, Signature>();

  const cheapKem = (name: KemName): Kem => {
    const sizes = KEM_SIZES[name];
    const publicKeyOf = (secret: Uint8Array) => derive(sizes.publicKey, "fuzz-kem-pk", secret);
    // The shared secret travels masked by a function of the public key: decapsulation re-derives the mask.
    const mask = (publicKey: Uint8Array) => derive(sizes.sharedSecret, "fuzz-kem-mask", publicKey);
    const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ b[i]!);
    return {
      name,
      provider: PROVIDER_LABEL,
      publicKeyLength: sizes.publicKey,
      ciphertextLength: sizes.ciphertext,
      sharedSecretLength: sizes.sharedSecret,
      generateKeyPair() {
        const secretKey = real.randomBytes(SECRET_BYTES);
        return { publicKey: publicKeyOf(secretKey), secretKey };
      },
      encapsulate(publicKey) {
        expectLength(`${name} public key`, publicKey, sizes.publicKey);
        const sharedSecret = real.randomBytes(sizes.sharedSecret);
        const ciphertext = derive(sizes.ciphertext, "fuzz-kem-ct", publicKey);
        ciphertext.set(xor(sharedSecret, mask(publicKey)));
        return { ciphertext, sharedSecret };
      },
      decapsulate(secretKey, ciphertext) {
        expectLength(`${name} ciphertext`, ciphertext, sizes.ciphertext);
        // Like ML-KEM's implicit rejection, a wrong ciphertext yields a wrong secret, not an error.
        return xor(ciphertext.subarray(0, sizes.sharedSecret), mask(publicKeyOf(secretKey as Uint8Array)));
      },
    };
  };

  const cheapSignature = (name: SignatureName): Signature => {
    const sizes = SIGNATURE_SIZES[name]!;
    const publicKeyFromPrivate = (privateKey: Uint8Array) => {
      expectLength(`${name} private key`, privateKey, sizes.privateKey);
      return derive(sizes.publicKey, "fuzz-sig-pk", privateKey);
    };
    const signatureOf = (publicKey: Uint8Array, message: Uint8Array) =>
      derive(sizes.signature, "fuzz-sig", publicKey, message);
    return {
      name,
      provider: PROVIDER_LABEL,
      generateKeyPair() {
        const privateKey = real.randomBytes(sizes.privateKey);
        return { publicKey: publicKeyFromPrivate(privateKey), privateKey };
      },
      publicKeyFromPrivate,
      importPrivateKey(privateKey): SigningKey {
        const publicKey = publicKeyFromPrivate(privateKey);
        return { algorithm: name, sign: (message) => signatureOf(publicKey, message) };
      },
      importPublicKey(publicKey): VerifyingKey {
        expectLength(`${name} public key`, publicKey, sizes.publicKey);
        const key = publicKey.slice();
        return {
          algorithm: name,
          verify: (message, signature) => bytesEqual(signature, signatureOf(key, message)),
        };
      },
    };
  };

  return {
    randomBytes: (length) => real.randomBytes(length),
    hash: (name) => real.hash(name),
    aead: (name) => real.aead(name),
    kem(name) {
      if (!CHEAP_KEMS.includes(name)) return real.kem(name);
      let kem = kems.get(name);
      if (kem === undefined) kems.set(name, (kem = cheapKem(name)));
      return kem;
    },
    signature(name) {
      if (!CHEAP_SIGNATURES.includes(name)) return real.signature(name);
      let signature = signatures.get(name);
      if (signature === undefined) signatures.set(name, (signature = cheapSignature(name)));
      return signature;
    },
    hasKem: (name) => CHEAP_KEMS.includes(name) || real.hasKem(name),
    hasSignature: (name) => CHEAP_SIGNATURES.includes(name) || real.hasSignature(name),
    describe: () => real.describe(),
  };
}

let cached: Crypto | undefined;

/** The fuzz targets' Crypto: fuzz mode unless FUZZ_REAL_CRYPTO=1 asks for the real providers. */
export function fuzzCrypto(): Crypto {
  cached ??= process.env.FUZZ_REAL_CRYPTO === "1" ? defaultCrypto() : createFuzzCrypto();
  return cached;
}
