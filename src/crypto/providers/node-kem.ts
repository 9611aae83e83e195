/**
 * KEMs from node:crypto: X25519 and the NIST curves as ECDH "KEMs", and
 * ML-KEM (FIPS 203) natively where the running Node has it (>= 24.7 with
 * OpenSSL 3.5). Secret keys are node objects kept opaque to callers.
 */
import * as nodeCrypto from "node:crypto";
import { createECDH, diffieHellman, type ECDH, generateKeyPairSync, KeyObject } from "node:crypto";
import { copyBytes, isAllZero } from "../../bytes/bytes.ts";
import { algorithmIdentifier } from "../der.ts";
import { expectLength } from "../fixed-length.ts";
import { KEM_SIZES, UNCOMPRESSED_POINT } from "../kem-params.ts";
import { CryptoError, type Kem, type KemName } from "../types.ts";
import { generateOkpPair, generateRawPublicPair, handOver, importRawPublic } from "./node-raw-keys.ts";

/** RFC 8410 §3 id-X25519. */
const X25519_ALGORITHM = algorithmIdentifier("1.3.101.110");
/** FIPS 203 / RFC 9935 ML-KEM OIDs under NIST's kems arc. */
const ML_KEM_OID = {
  "ml-kem-512": "2.16.840.1.101.3.4.4.1",
  "ml-kem-768": "2.16.840.1.101.3.4.4.2",
  "ml-kem-1024": "2.16.840.1.101.3.4.4.3",
} as const;
type MlKemName = keyof typeof ML_KEM_OID;

function kemShape(name: KemName) {
  const s = KEM_SIZES[name];
  return {
    name,
    provider: "node" as const,
    publicKeyLength: s.publicKey,
    ciphertextLength: s.ciphertext,
    sharedSecretLength: s.sharedSecret,
  };
}

function x25519Kem(): Kem {
  const importPublic = (pk: Uint8Array): KeyObject => {
    expectLength("X25519 public key", pk, KEM_SIZES.x25519.publicKey);
    try {
      return importRawPublic("x25519", X25519_ALGORITHM, pk);
    } catch {
      throw new CryptoError("invalid-input", "X25519 public key rejected");
    }
  };
  const agree = (privateKey: KeyObject, publicKey: KeyObject): Uint8Array => {
    let secret: Uint8Array;
    try {
      secret = handOver(diffieHellman({ privateKey, publicKey }));
    } catch {
      throw new CryptoError("invalid-input", "X25519 agreement failed (low-order point)");
    }
    // RFC 8446 §7.4.2 / RFC 7748 §6.1: an all-zero result must abort.
    if (isAllZero(secret)) throw new CryptoError("invalid-input", "X25519 shared secret is all zero");
    return secret;
  };
  return {
    ...kemShape("x25519"),
    generateKeyPair() {
      const { publicKey, privateKey } = generateOkpPair("x25519", KEM_SIZES.x25519.publicKey);
      return { publicKey, secretKey: privateKey };
    },
    encapsulate(publicKey) {
      const peer = importPublic(publicKey);
      const eph = generateOkpPair("x25519", KEM_SIZES.x25519.publicKey);
      const sharedSecret = agree(eph.privateKey, peer);
      return { ciphertext: eph.publicKey, sharedSecret };
    },
    decapsulate(secretKey, ciphertext) {
      if (!(secretKey instanceof KeyObject))
        throw new CryptoError("invalid-input", "X25519 secret key: wrong object");
      return agree(secretKey, importPublic(ciphertext));
    },
  };
}

function nistCurveKem(name: "p256" | "p384", curve: string): Kem {
  const sizes = KEM_SIZES[name];
  const agree = (ecdh: ECDH, peer: Uint8Array): Uint8Array => {
    expectLength(`${name} point`, peer, sizes.publicKey);
    if (peer[0] !== UNCOMPRESSED_POINT)
      throw new CryptoError("invalid-input", `${name} point is not uncompressed`);
    try {
      // computeSecret checks that the point is on the curve and returns the x-coordinate (RFC 8446 §7.4.2).
      return handOver(ecdh.computeSecret(peer));
    } catch {
      throw new CryptoError("invalid-input", `${name} point is not on the curve`);
    }
  };
  return {
    ...kemShape(name),
    generateKeyPair() {
      const ecdh = createECDH(curve);
      return { publicKey: copyBytes(ecdh.generateKeys()), secretKey: ecdh };
    },
    encapsulate(publicKey) {
      const ecdh = createECDH(curve);
      const ciphertext = copyBytes(ecdh.generateKeys());
      return { ciphertext, sharedSecret: agree(ecdh, publicKey) };
    },
    decapsulate(secretKey, ciphertext) {
      if (typeof (secretKey as ECDH | null)?.computeSecret !== "function") {
        throw new CryptoError("invalid-input", `${name} secret key: wrong object`);
      }
      return agree(secretKey as ECDH, ciphertext);
    },
  };
}

type NativeKem = {
  encapsulate(key: KeyObject): { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate(key: KeyObject, ciphertext: Uint8Array): Buffer;
};
const native = nodeCrypto as unknown as Partial<NativeKem>;

function mlKem(name: MlKemName): Kem {
  const sizes = KEM_SIZES[name];
  const algorithm = algorithmIdentifier(ML_KEM_OID[name]);
  const { encapsulate, decapsulate } = native as NativeKem;
  return {
    ...kemShape(name),
    generateKeyPair() {
      const { publicKey, privateKey } = generateRawPublicPair(name, sizes.publicKey);
      return { publicKey, secretKey: privateKey };
    },
    encapsulate(publicKey) {
      expectLength(`${name} encapsulation key`, publicKey, sizes.publicKey);
      let key: KeyObject;
      try {
        // OpenSSL runs the FIPS 203 §7.2 modulus check on import.
        key = importRawPublic(name, algorithm, publicKey);
      } catch {
        throw new CryptoError("invalid-input", `${name} encapsulation key fails the FIPS 203 checks`);
      }
      const { sharedKey, ciphertext } = encapsulate(key);
      return { ciphertext: handOver(ciphertext), sharedSecret: handOver(sharedKey) };
    },
    decapsulate(secretKey, ciphertext) {
      expectLength(`${name} ciphertext`, ciphertext, sizes.ciphertext);
      if (!(secretKey instanceof KeyObject))
        throw new CryptoError("invalid-input", `${name} secret key: wrong object`);
      return handOver(decapsulate(secretKey, ciphertext));
    },
  };
}

const supportCache = new Map<string, boolean>();

/** Whether this Node's OpenSSL knows the key type (probed once with a key generation). */
export function nodeSupportsKeyType(type: string): boolean {
  let ok = supportCache.get(type);
  if (ok === undefined) {
    try {
      generateKeyPairSync(type as "x25519");
      ok = true;
    } catch {
      ok = false;
    }
    supportCache.set(type, ok);
  }
  return ok;
}

const hasNativeKem = (): boolean =>
  typeof native.encapsulate === "function" && typeof native.decapsulate === "function";

export function nodeKem(name: KemName): Kem | undefined {
  switch (name) {
    case "x25519":
      return x25519Kem();
    case "p256":
      return nistCurveKem("p256", "prime256v1");
    case "p384":
      return nistCurveKem("p384", "secp384r1");
    case "ml-kem-512":
    case "ml-kem-768":
    case "ml-kem-1024":
      return hasNativeKem() && nodeSupportsKeyType(name) ? mlKem(name) : undefined;
    default:
      return undefined;
  }
}
