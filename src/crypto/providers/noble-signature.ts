/**
 * Signatures in pure JS: ML-DSA, SLH-DSA, Falcon (@noble/post-quantum) and
 * Ed25519, ECDSA P-256/P-384 (@noble/curves). No RSA here. Raw key
 * conventions: ../types.ts. Expanded secret keys are derived once at import.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { falcon512, falcon1024 } from "@noble/post-quantum/falcon.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import * as slh from "@noble/post-quantum/slh-dsa.js";
import { wipe } from "../../bytes/bytes.ts";
import { expectLength } from "../fixed-length.ts";
import { SIGNATURE_SIZES } from "../signature-params.ts";
import type { Signature, SignatureName, SigningKey, VerifyingKey } from "../types.ts";
import { asInvalidInput } from "./invalid-input.ts";

export interface Scheme {
  keygen(): { publicKey: Uint8Array; privateKey: Uint8Array };
  publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array;
  /** Returns the signing function bound to the (expanded) key. */
  signer(privateKey: Uint8Array): (message: Uint8Array) => Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Throws when the public key is malformed. */
  checkPublicKey(publicKey: Uint8Array): void;
  /** FIPS 204 §5.2 context-string variants (ML-DSA only). */
  contextSigner?(privateKey: Uint8Array): (message: Uint8Array, context: Uint8Array) => Uint8Array;
  verifyWithContext?(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
    context: Uint8Array,
  ): boolean;
}

export interface NobleSigner {
  lengths: { seed?: number; publicKey?: number; secretKey?: number };
  keygen(seed?: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array };
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  sign(msg: Uint8Array, secretKey: Uint8Array, opts?: { context?: Uint8Array }): Uint8Array;
  verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array, opts?: { context?: Uint8Array }): boolean;
}

/** ML-DSA: the raw private key is the 32-byte seed ξ; the expanded key is derived per import. */
export function mlDsaScheme(impl: NobleSigner): Scheme {
  return {
    keygen() {
      const seed = globalThis.crypto.getRandomValues(new Uint8Array(impl.lengths.seed!));
      const { publicKey, secretKey } = impl.keygen(seed);
      wipe(secretKey);
      return { publicKey, privateKey: seed };
    },
    publicKeyFromPrivate: (seed) => impl.keygen(seed).publicKey,
    signer(seed) {
      const { secretKey } = impl.keygen(seed);
      return (message) => impl.sign(message, secretKey);
    },
    verify: (pk, msg, sig) => impl.verify(sig, msg, pk),
    checkPublicKey: () => {},
    contextSigner(seed) {
      const { secretKey } = impl.keygen(seed);
      return (message, context) => impl.sign(message, secretKey, { context });
    },
    verifyWithContext: (pk, msg, sig, context) => impl.verify(sig, msg, pk, { context }),
  };
}

/** Schemes whose raw private key is the library's secret key itself (SLH-DSA, Falcon, Ed25519). */
function directScheme(impl: NobleSigner, publicKeyFromPrivate?: (sk: Uint8Array) => Uint8Array): Scheme {
  return {
    keygen() {
      const { publicKey, secretKey } = impl.keygen();
      return { publicKey, privateKey: secretKey };
    },
    publicKeyFromPrivate: publicKeyFromPrivate ?? ((sk) => impl.getPublicKey(sk)),
    signer(sk) {
      const key = sk.slice();
      return (message) => impl.sign(message, key);
    },
    verify: (pk, msg, sig) => impl.verify(sig, msg, pk),
    checkPublicKey: () => {},
  };
}

// The curve's own hash is the one TLS pairs with it (P-256: SHA-256, P-384: SHA-384).
function ecdsaScheme(curve: typeof p256): Scheme {
  return {
    keygen() {
      const { secretKey } = curve.keygen();
      return { privateKey: secretKey, publicKey: curve.getPublicKey(secretKey, false) };
    },
    publicKeyFromPrivate: (sk) => curve.getPublicKey(sk, false),
    signer(sk) {
      const key = sk.slice();
      // DER Ecdsa-Sig-Value (RFC 8446 §4.2.3); the message is hashed with the curve's hash.
      return (message) => curve.sign(message, key, { format: "der", prehash: true });
    },
    // Accept high-S signatures: OpenSSL and node:crypto produce them and X.509/TLS allow them.
    verify: (pk, msg, sig) => curve.verify(sig, msg, pk, { format: "der", prehash: true, lowS: false }),
    checkPublicKey: (pk) => {
      curve.Point.fromBytes(pk).assertValidity();
    },
  };
}

const SLH: Partial<Record<SignatureName, NobleSigner>> = {
  "slh-dsa-sha2-128s": slh.slh_dsa_sha2_128s,
  "slh-dsa-sha2-128f": slh.slh_dsa_sha2_128f,
  "slh-dsa-sha2-192s": slh.slh_dsa_sha2_192s,
  "slh-dsa-sha2-192f": slh.slh_dsa_sha2_192f,
  "slh-dsa-sha2-256s": slh.slh_dsa_sha2_256s,
  "slh-dsa-sha2-256f": slh.slh_dsa_sha2_256f,
  "slh-dsa-shake-128s": slh.slh_dsa_shake_128s,
  "slh-dsa-shake-128f": slh.slh_dsa_shake_128f,
  "slh-dsa-shake-192s": slh.slh_dsa_shake_192s,
  "slh-dsa-shake-192f": slh.slh_dsa_shake_192f,
  "slh-dsa-shake-256s": slh.slh_dsa_shake_256s,
  "slh-dsa-shake-256f": slh.slh_dsa_shake_256f,
};

function schemeFor(name: SignatureName): Scheme | undefined {
  switch (name) {
    case "ml-dsa-44":
      return mlDsaScheme(ml_dsa44);
    case "ml-dsa-65":
      return mlDsaScheme(ml_dsa65);
    case "ml-dsa-87":
      return mlDsaScheme(ml_dsa87);
    case "falcon-512":
      return directScheme(falcon512);
    case "falcon-1024":
      return directScheme(falcon1024);
    case "ed25519":
      return directScheme(ed25519 as unknown as NobleSigner);
    case "ecdsa-p256-sha256":
      return ecdsaScheme(p256);
    case "ecdsa-p384-sha384":
      return ecdsaScheme(p384 as unknown as typeof p256);
    default: {
      const impl = SLH[name];
      // FIPS 205 §9.1: the secret key ends with PK.seed ‖ PK.root, which is the public key.
      return impl === undefined ? undefined : directScheme(impl, (sk) => sk.slice(sk.length / 2));
    }
  }
}

export function nobleSignature(name: SignatureName): Signature | undefined {
  const scheme = schemeFor(name);
  return scheme === undefined ? undefined : signatureFromScheme(name, scheme);
}

/**
 * The Signature of one scheme. Exported so that a build that needs a few algorithms (the device
 * bundle) imports those schemes alone and leaves the rest of noble out.
 */
export function signatureFromScheme(name: SignatureName, scheme: Scheme): Signature | undefined {
  const sizes = SIGNATURE_SIZES[name];
  if (sizes === undefined) return undefined;
  const checkPrivate = (raw: Uint8Array) => expectLength(`${name} private key`, raw, sizes.privateKey);
  const guard = <T>(what: string, f: () => T): T => asInvalidInput(name, what, f);
  return {
    name,
    provider: "noble",
    ...(scheme.contextSigner ? { contextStrings: true } : {}),
    generateKeyPair: () => scheme.keygen(),
    publicKeyFromPrivate(raw) {
      checkPrivate(raw);
      return guard("private key", () => scheme.publicKeyFromPrivate(raw));
    },
    importPrivateKey(raw): SigningKey {
      checkPrivate(raw);
      const sign = guard("private key", () => scheme.signer(raw));
      const withContext = scheme.contextSigner;
      if (withContext === undefined) return { algorithm: name, sign };
      const signWithContext = guard("private key", () => withContext(raw));
      return { algorithm: name, sign, signWithContext };
    },
    importPublicKey(raw): VerifyingKey {
      expectLength(`${name} public key`, raw, sizes.publicKey);
      const publicKey = raw.slice();
      guard("public key", () => scheme.checkPublicKey(publicKey));
      const withContext = scheme.verifyWithContext;
      return {
        algorithm: name,
        verify(message, signature) {
          try {
            return scheme.verify(publicKey, message, signature);
          } catch {
            return false;
          }
        },
        ...(withContext === undefined
          ? {}
          : {
              verifyWithContext(message: Uint8Array, signature: Uint8Array, context: Uint8Array) {
                try {
                  return withContext(publicKey, message, signature, context);
                } catch {
                  return false;
                }
              },
            }),
      };
    },
  };
}
