/**
 * KEMs in pure JS: ML-KEM (@noble/post-quantum, FIPS 203) and X25519 /
 * P-256 / P-384 ECDH (@noble/curves) in the TLS key_share encodings.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { isAllZero, wipe } from "../../bytes/bytes.ts";
import { expectLength } from "../fixed-length.ts";
import { KEM_SIZES, UNCOMPRESSED_POINT } from "../kem-params.ts";
import { CryptoError, type Kem, type KemName } from "../types.ts";

function kemShape(name: KemName) {
  const s = KEM_SIZES[name];
  return {
    name,
    provider: "noble" as const,
    publicKeyLength: s.publicKey,
    ciphertextLength: s.ciphertext,
    sharedSecretLength: s.sharedSecret,
  };
}

function secretBytes(name: string, secretKey: unknown, length: number): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== length) {
    throw new CryptoError("invalid-input", `${name} secret key: expected ${length} bytes`);
  }
  return secretKey;
}

const ML_KEM = { "ml-kem-512": ml_kem512, "ml-kem-768": ml_kem768, "ml-kem-1024": ml_kem1024 } as const;

/** ML-KEM (FIPS 203) over noble; exported for builds that carry only this KEM (the device bundle). */
export function mlKem(name: keyof typeof ML_KEM): Kem {
  const impl = ML_KEM[name];
  const sizes = KEM_SIZES[name];
  const secretKeyLength = impl.lengths.secretKey!;
  return {
    ...kemShape(name),
    generateKeyPair() {
      const { publicKey, secretKey } = impl.keygen();
      return { publicKey, secretKey };
    },
    encapsulate(publicKey) {
      expectLength(`${name} encapsulation key`, publicKey, sizes.publicKey);
      try {
        // noble runs the FIPS 203 §7.2 modulus check inside encapsulate.
        const { cipherText, sharedSecret } = impl.encapsulate(publicKey);
        return { ciphertext: cipherText, sharedSecret };
      } catch {
        throw new CryptoError("invalid-input", `${name} encapsulation key fails the FIPS 203 checks`);
      }
    },
    decapsulate(secretKey, ciphertext) {
      expectLength(`${name} ciphertext`, ciphertext, sizes.ciphertext);
      return impl.decapsulate(ciphertext, secretBytes(name, secretKey, secretKeyLength));
    },
  };
}

/** X25519 on raw 32-byte keys, with RFC 8446 §7.4.2's all-zero check; CryptoError(invalid-input) on bad input. */
export function x25519Agree(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  expectLength("X25519 public key", publicKey, KEM_SIZES.x25519.publicKey);
  let secret: Uint8Array;
  try {
    secret = x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    throw new CryptoError("invalid-input", "X25519 agreement failed (low-order point)");
  }
  // RFC 8446 §7.4.2: abort on an all-zero shared secret.
  if (isAllZero(secret)) throw new CryptoError("invalid-input", "X25519 shared secret is all zero");
  return secret;
}

function x25519Kem(): Kem {
  const size = KEM_SIZES.x25519.publicKey;
  const agree = x25519Agree;
  return {
    ...kemShape("x25519"),
    generateKeyPair() {
      const { secretKey, publicKey } = x25519.keygen();
      return { publicKey, secretKey };
    },
    encapsulate(publicKey) {
      const { secretKey, publicKey: ciphertext } = x25519.keygen();
      try {
        return { ciphertext, sharedSecret: agree(secretKey, publicKey) };
      } finally {
        wipe(secretKey);
      }
    },
    decapsulate: (secretKey, ciphertext) => agree(secretBytes("X25519", secretKey, size), ciphertext),
  };
}

function nistKem(name: "p256" | "p384"): Kem {
  const curve = name === "p256" ? p256 : p384;
  const sizes = KEM_SIZES[name];
  const agree = (secretKey: Uint8Array, point: Uint8Array): Uint8Array => {
    expectLength(`${name} point`, point, sizes.publicKey);
    if (point[0] !== UNCOMPRESSED_POINT)
      throw new CryptoError("invalid-input", `${name} point is not uncompressed`);
    let shared: Uint8Array;
    try {
      // fromBytes checks the point is on the curve; the result is the compressed shared point.
      shared = curve.getSharedSecret(secretKey, point, true);
    } catch {
      throw new CryptoError("invalid-input", `${name} point is not on the curve`);
    }
    // RFC 8446 §7.4.2: the shared secret is the x-coordinate.
    return shared.slice(1);
  };
  return {
    ...kemShape(name),
    generateKeyPair() {
      const { secretKey } = curve.keygen();
      return { publicKey: curve.getPublicKey(secretKey, false), secretKey };
    },
    encapsulate(publicKey) {
      const { secretKey } = curve.keygen();
      try {
        return {
          ciphertext: curve.getPublicKey(secretKey, false),
          sharedSecret: agree(secretKey, publicKey),
        };
      } finally {
        wipe(secretKey);
      }
    },
    decapsulate: (secretKey, ciphertext) =>
      agree(secretBytes(name, secretKey, sizes.sharedSecret), ciphertext),
  };
}

export function nobleKem(name: KemName): Kem | undefined {
  switch (name) {
    case "ml-kem-512":
    case "ml-kem-768":
    case "ml-kem-1024":
      return mlKem(name);
    case "x25519":
      return x25519Kem();
    case "p256":
    case "p384":
      return nistKem(name);
    default:
      return undefined;
  }
}
