/**
 * PKCS#8 private keys (RFC 5208 / RFC 5958 OneAsymmetricKey) for every
 * signature scheme, in the raw conventions of src/crypto/types.ts:
 * - ML-DSA: RFC 9881 §6 CHOICE; we write `seed [0]` only (the form RFC 9881
 *   recommends) and read seed, both (seed taken), but not expandedKey alone
 *   (the seed cannot be recovered from it).
 * - SLH-DSA: RFC 9909 §6: the raw FIPS 205 private key is the privateKey contents.
 * - Falcon: the liboqs secret key as the privateKey contents (no standard yet).
 * - Ed25519: RFC 8410 §7: CurvePrivateKey ::= OCTET STRING inside privateKey.
 * - ECDSA: RFC 5915 ECPrivateKey inside privateKey (RFC 5915 §2 / RFC 5480 params in the AlgorithmIdentifier).
 * - RSA: RFC 8017 RSAPrivateKey inside privateKey.
 * - Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs §6.3): the raw
 *   mldsaSeed ‖ tradSK serialization as the privateKey contents.
 */

import { ECPrivateKey } from "@peculiar/asn1-ecc";
import { OctetString } from "@peculiar/asn1-schema";
import { toArrayBuffer } from "../bytes/bytes.ts";
import { signatureByName } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import { keyAlgorithmIdentifier, keyAlgorithmNameOf } from "./algorithms.ts";
import { MlDsaPrivateKey, OneAsymmetricKey } from "./asn1-schemas.ts";
import { parseDer, serializeDer } from "./der.ts";
import { MAX_PRIVATE_KEY_BYTES } from "./limits.ts";
import { PkiError } from "./types.ts";

/** FIPS 204: ML-DSA key generation seed ξ is 32 bytes. */
const ML_DSA_SEED_BYTES = 32;
/** FIPS 205 Table 2: private key = 4n bytes for n = 16, 24, 32. */
const SLH_DSA_PRIVATE_KEY_BYTES = [64, 96, 128];
const ED25519_SEED_BYTES = 32;
const EC_SCALAR_BYTES: Partial<Record<SignatureName, number>> = {
  "ecdsa-p256-sha256": 32,
  "ecdsa-p384-sha384": 48,
};
/** RFC 5915 §3: ecPrivkeyVer1. */
const EC_PRIVATE_KEY_VERSION = 1;

export interface DecodedPrivateKey {
  readonly algorithm: SignatureName;
  /** Raw private key per src/crypto/types.ts. The caller owns it and should wipe it after import. */
  readonly privateKey: Uint8Array;
  /** The public key, when the encoding carried one (RFC 5958 publicKey or RFC 5915 publicKey). */
  readonly publicKey?: Uint8Array;
}

function family(
  name: SignatureName,
): "ml-dsa" | "slh-dsa" | "falcon" | "ed25519" | "ecdsa" | "rsa" | "composite" {
  if (signatureByName(name).class === "composite") return "composite";
  if (name.startsWith("ml-dsa")) return "ml-dsa";
  if (name.startsWith("slh-dsa")) return "slh-dsa";
  if (name.startsWith("falcon")) return "falcon";
  if (name.startsWith("ecdsa")) return "ecdsa";
  if (name.startsWith("rsa")) return "rsa";
  return "ed25519";
}

/** Encodes a raw private key as PKCS#8 DER. `publicKey` is used for ECDSA (RFC 5915 publicKey field). */
export function encodePrivateKey(
  algorithm: SignatureName,
  privateKey: Uint8Array,
  publicKey?: Uint8Array,
): Uint8Array {
  let inner: Uint8Array;
  switch (family(algorithm)) {
    case "ml-dsa": {
      if (privateKey.length !== ML_DSA_SEED_BYTES) {
        throw new PkiError("bad-encoding", `ML-DSA seed must be ${ML_DSA_SEED_BYTES} bytes`);
      }
      const choice = new MlDsaPrivateKey();
      choice.seed = new OctetString(privateKey);
      inner = serializeDer(choice);
      break;
    }
    case "ed25519":
      inner = serializeDer(new OctetString(privateKey));
      break;
    case "ecdsa":
      inner = serializeDer(
        new ECPrivateKey({
          version: EC_PRIVATE_KEY_VERSION,
          privateKey: new OctetString(privateKey),
          ...(publicKey ? { publicKey: toArrayBuffer(publicKey) } : {}),
        }),
      );
      break;
    default:
      inner = privateKey;
  }
  const key = new OneAsymmetricKey();
  key.privateKeyAlgorithm = keyAlgorithmIdentifier(algorithm);
  key.privateKey = new OctetString(inner);
  const der = serializeDer(key);
  if (inner !== privateKey) inner.fill(0);
  return der;
}

/** Decodes PKCS#8 DER into the raw private key. Throws PkiError("bad-encoding" | "unsupported-algorithm"). */
export function decodePrivateKey(der: Uint8Array): DecodedPrivateKey {
  const info = parseDer(der, OneAsymmetricKey, "PKCS#8 private key", MAX_PRIVATE_KEY_BYTES);
  if (info.version !== 0 && info.version !== 1) {
    throw new PkiError("bad-encoding", `PKCS#8 version ${info.version}, expected 0 or 1`);
  }
  const algorithm = keyAlgorithmNameOf(info.privateKeyAlgorithm);
  const contents = new Uint8Array(info.privateKey.buffer);
  const outerPublic = info.publicKey ? new Uint8Array(info.publicKey) : undefined;
  const withPublic = (privateKey: Uint8Array, publicKey = outerPublic): DecodedPrivateKey =>
    publicKey ? { algorithm, privateKey, publicKey } : { algorithm, privateKey };
  switch (family(algorithm)) {
    case "ml-dsa":
      return withPublic(decodeMlDsa(contents));
    case "slh-dsa":
      if (!SLH_DSA_PRIVATE_KEY_BYTES.includes(contents.length)) {
        throw new PkiError("bad-encoding", `SLH-DSA private key of ${contents.length} bytes`);
      }
      return withPublic(contents.slice());
    case "ed25519": {
      const seed = new Uint8Array(parseDer(contents, OctetString, "Ed25519 CurvePrivateKey", 64).buffer);
      if (seed.length !== ED25519_SEED_BYTES)
        throw new PkiError("bad-encoding", "Ed25519 private key must be 32 bytes");
      return withPublic(seed.slice());
    }
    case "ecdsa": {
      const ec = parseDer(contents, ECPrivateKey, "ECPrivateKey", MAX_PRIVATE_KEY_BYTES);
      const scalar = new Uint8Array(ec.privateKey.buffer);
      if (ec.version !== EC_PRIVATE_KEY_VERSION || scalar.length !== EC_SCALAR_BYTES[algorithm]) {
        throw new PkiError(
          "bad-encoding",
          `ECPrivateKey for ${algorithm} has a wrong version or scalar length`,
        );
      }
      return withPublic(scalar.slice(), ec.publicKey ? new Uint8Array(ec.publicKey) : outerPublic);
    }
    case "composite":
      // draft-ietf-lamps-pq-composite-sigs §6.3: privateKey holds mldsaSeed ‖ tradSK, no further wrapping.
      if (contents.length <= ML_DSA_SEED_BYTES) {
        throw new PkiError("bad-encoding", `composite private key of ${contents.length} bytes`);
      }
      return withPublic(contents.slice());
    default:
      return withPublic(contents.slice());
  }
}

function decodeMlDsa(contents: Uint8Array): Uint8Array {
  const choice = parseDer(contents, MlDsaPrivateKey, "ML-DSA private key", MAX_PRIVATE_KEY_BYTES);
  const seed = choice.seed ?? choice.both?.seed;
  if (seed === undefined) {
    throw new PkiError(
      "unsupported-algorithm",
      "ML-DSA private key in expandedKey-only form: the seed is needed (export it with the seed, RFC 9881 §6)",
    );
  }
  const bytes = new Uint8Array(seed.buffer);
  if (bytes.length !== ML_DSA_SEED_BYTES) {
    throw new PkiError("bad-encoding", `ML-DSA seed of ${bytes.length} bytes, expected ${ML_DSA_SEED_BYTES}`);
  }
  return bytes.slice();
}
