/**
 * Composite ML-DSA signatures (draft-ietf-lamps-pq-composite-sigs, editor's
 * copy "-latest" as of 2026-01, i.e. the -13/-14 construction; section numbers
 * below are that draft's): an ML-DSA signature and a classical one over the
 * same message representative, both of which must verify (§4.3).
 *
 * Built from two component `Signature`s taken from a `Crypto`, so any
 * provider mix serves the components; the ML-DSA component must support
 * FIPS 204 context strings because the draft passes the Label as ML-DSA's ctx.
 *
 * Raw conventions (src/crypto/types.ts) for composite names are the draft's
 * serializations (§5): public key = mldsaPK ‖ tradPK, private key =
 * mldsaSeed ‖ tradSK, signature = mldsaSig ‖ tradSig, with ECDSA public keys
 * uncompressed, ECDSA signatures DER, ECDSA private keys an RFC 5915
 * ECPrivateKey with namedCurve and without publicKey, Ed25519 raw (§5 list).
 */
import { concatBytes, utf8Encode, wipe } from "../bytes/bytes.ts";
import { encodeOid, octetString, sequence, tlv } from "./der.ts";
import { KEY_OIDS } from "./registry.ts";
import { SIGNATURE_SIZES } from "./signature-params.ts";
import {
  CryptoError,
  type Hash,
  type HashName,
  type Signature,
  type SignatureName,
  type SigningKey,
  type VerifyingKey,
} from "./types.ts";

/** §2.2: Prefix = ASCII "CompositeAlgorithmSignatures2025". */
export const COMPOSITE_PREFIX = utf8Encode("CompositeAlgorithmSignatures2025");
/** §4.2 / FIPS 204 §5.2: len(ctx) is one byte. */
export const MAX_CONTEXT_BYTES = 255;
/** §5: ML-DSA private keys are the 32-byte seed for every parameter set. */
const ML_DSA_SEED_BYTES = 32;

type MlDsaName = "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87";
type ClassicalName = "ed25519" | "ecdsa-p256-sha256" | "ecdsa-p384-sha384";

export interface CompositeParams {
  readonly name: SignatureName;
  readonly mldsa: MlDsaName;
  readonly classical: ClassicalName;
  /** §7 "Label": the per-algorithm domain separator, also ML-DSA's ctx. */
  readonly label: string;
  /** §7 "Pre-Hash function (PH)". */
  readonly prehash: HashName;
}

/** §7 (Algorithm Identifiers and Parameters); OIDs are in ./registry.ts. */
export const COMPOSITE_PARAMS: readonly CompositeParams[] = [
  {
    name: "mldsa44-ed25519-sha512",
    mldsa: "ml-dsa-44",
    classical: "ed25519",
    label: "COMPSIG-MLDSA44-Ed25519-SHA512",
    prehash: "sha512",
  },
  {
    name: "mldsa44-ecdsa-p256-sha256",
    mldsa: "ml-dsa-44",
    classical: "ecdsa-p256-sha256",
    label: "COMPSIG-MLDSA44-ECDSA-P256-SHA256",
    prehash: "sha256",
  },
  {
    name: "mldsa65-ecdsa-p256-sha512",
    mldsa: "ml-dsa-65",
    classical: "ecdsa-p256-sha256",
    label: "COMPSIG-MLDSA65-ECDSA-P256-SHA512",
    prehash: "sha512",
  },
  {
    name: "mldsa65-ecdsa-p384-sha512",
    mldsa: "ml-dsa-65",
    classical: "ecdsa-p384-sha384",
    label: "COMPSIG-MLDSA65-ECDSA-P384-SHA512",
    prehash: "sha512",
  },
  {
    name: "mldsa65-ed25519-sha512",
    mldsa: "ml-dsa-65",
    classical: "ed25519",
    label: "COMPSIG-MLDSA65-Ed25519-SHA512",
    prehash: "sha512",
  },
  {
    name: "mldsa87-ecdsa-p384-sha512",
    mldsa: "ml-dsa-87",
    classical: "ecdsa-p384-sha384",
    label: "COMPSIG-MLDSA87-ECDSA-P384-SHA512",
    prehash: "sha512",
  },
];

const paramsByName = new Map(COMPOSITE_PARAMS.map((p) => [p.name, p]));

export function compositeParams(name: SignatureName): CompositeParams | undefined {
  return paramsByName.get(name);
}

/** RFC 5915 §3: ecPrivkeyVer1. */
const EC_PRIVATE_KEY_VERSION = 1;
const TAG_INTEGER = 0x02;
/** RFC 5915 §3: parameters [0] EXPLICIT ECParameters. */
const TAG_EC_PARAMETERS = 0xa0;
const EC_CURVE_OIDS: Partial<Record<ClassicalName, string>> = {
  "ecdsa-p256-sha256": KEY_OIDS.secp256r1,
  "ecdsa-p384-sha384": KEY_OIDS.secp384r1,
};

/**
 * The ECPrivateKey DER the draft requires (§5: namedCurve, no publicKey). With a
 * fixed-length scalar that DER is a fixed prefix ‖ scalar ‖ fixed suffix.
 */
function ecPrivateKeyFrame(
  curveOid: string,
  scalarBytes: number,
): { prefix: Uint8Array; suffix: Uint8Array } {
  const marker = new Uint8Array(scalarBytes);
  const der = sequence(
    tlv(TAG_INTEGER, Uint8Array.of(EC_PRIVATE_KEY_VERSION)),
    octetString(marker),
    tlv(TAG_EC_PARAMETERS, encodeOid(curveOid)),
  );
  const headerBytes = der.length - scalarBytes - tlv(TAG_EC_PARAMETERS, encodeOid(curveOid)).length;
  return { prefix: der.slice(0, headerBytes), suffix: der.slice(headerBytes + scalarBytes) };
}

interface TradKeyCodec {
  /** Component raw private key -> the draft's tradSK encoding. */
  encode(raw: Uint8Array): Uint8Array;
  /** The draft's tradSK encoding -> component raw private key (a copy). */
  decode(encoded: Uint8Array): Uint8Array;
}

function tradKeyCodec(params: CompositeParams): TradKeyCodec {
  const curveOid = EC_CURVE_OIDS[params.classical];
  const scalarBytes = SIGNATURE_SIZES[params.classical]!.privateKey;
  if (curveOid === undefined) {
    // §5 EdDSA: the raw 32-byte private key.
    return {
      encode: (raw) => raw.slice(),
      decode(encoded) {
        if (encoded.length !== scalarBytes) {
          throw new CryptoError(
            "invalid-input",
            `${params.name}: Ed25519 private key must be ${scalarBytes} bytes`,
          );
        }
        return encoded.slice();
      },
    };
  }
  const { prefix, suffix } = ecPrivateKeyFrame(curveOid, scalarBytes);
  return {
    encode: (raw) => concatBytes(prefix, raw, suffix),
    decode(encoded) {
      const ok =
        encoded.length === prefix.length + scalarBytes + suffix.length &&
        prefix.every((b, i) => encoded[i] === b) &&
        suffix.every((b, i) => encoded[prefix.length + scalarBytes + i] === b);
      if (!ok) {
        throw new CryptoError(
          "invalid-input",
          `${params.name}: ECDSA component must be an RFC 5915 ECPrivateKey with namedCurve and no publicKey`,
        );
      }
      return encoded.slice(prefix.length, prefix.length + scalarBytes);
    },
  };
}

/** §2.2: M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M). */
export function messageRepresentative(
  params: CompositeParams,
  hash: Hash,
  message: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  if (context.length > MAX_CONTEXT_BYTES) {
    throw new CryptoError("invalid-input", `${params.name}: context longer than ${MAX_CONTEXT_BYTES} bytes`);
  }
  return concatBytes(
    COMPOSITE_PREFIX,
    utf8Encode(params.label),
    Uint8Array.of(context.length),
    context,
    hash.digest(message),
  );
}

const EMPTY = new Uint8Array(0);

/**
 * A composite Signature over two component Signatures. `mldsa` must have
 * contextStrings (§4.2 step 4 passes Label as ML-DSA's ctx).
 */
export function compositeSignature(
  params: CompositeParams,
  mldsa: Signature,
  classical: Signature,
  prehash: Hash,
): Signature {
  if (mldsa.name !== params.mldsa || classical.name !== params.classical || prehash.name !== params.prehash) {
    throw new CryptoError("internal", `${params.name}: wrong component algorithms`);
  }
  if (mldsa.contextStrings !== true) {
    throw new CryptoError(
      "unsupported",
      `${params.name}: the ${mldsa.provider} ${mldsa.name} lacks context strings`,
    );
  }
  const mldsaSizes = SIGNATURE_SIZES[params.mldsa]!;
  const tradSizes = SIGNATURE_SIZES[params.classical]!;
  const label = utf8Encode(params.label);
  const trad = tradKeyCodec(params);
  const name = params.name;

  const splitPrivate = (raw: Uint8Array): { seed: Uint8Array; tradRaw: Uint8Array } => {
    if (raw.length <= ML_DSA_SEED_BYTES) {
      throw new CryptoError("invalid-input", `${name} private key of ${raw.length} bytes`);
    }
    return {
      seed: raw.subarray(0, ML_DSA_SEED_BYTES),
      tradRaw: trad.decode(raw.subarray(ML_DSA_SEED_BYTES)),
    };
  };

  return {
    name,
    provider: mldsa.provider,
    contextStrings: true,
    generateKeyPair() {
      // §4.1: both component keys freshly generated, never reused.
      const m = mldsa.generateKeyPair();
      const t = classical.generateKeyPair();
      const privateKey = concatBytes(m.privateKey, trad.encode(t.privateKey));
      wipe(m.privateKey, t.privateKey);
      return { publicKey: concatBytes(m.publicKey, t.publicKey), privateKey };
    },
    publicKeyFromPrivate(raw) {
      const { seed, tradRaw } = splitPrivate(raw);
      try {
        return concatBytes(mldsa.publicKeyFromPrivate(seed), classical.publicKeyFromPrivate(tradRaw));
      } finally {
        wipe(tradRaw);
      }
    },
    importPrivateKey(raw): SigningKey {
      const { seed, tradRaw } = splitPrivate(raw);
      let tradKey: SigningKey;
      let mldsaKey: SigningKey;
      try {
        mldsaKey = mldsa.importPrivateKey(seed);
        tradKey = classical.importPrivateKey(tradRaw);
      } finally {
        wipe(tradRaw);
      }
      const signMldsa = mldsaKey.signWithContext?.bind(mldsaKey);
      if (signMldsa === undefined) throw new CryptoError("unsupported", `${name}: ML-DSA key lacks contexts`);
      // §4.2: both components sign M'; ML-DSA with ctx = Label; signature = mldsaSig ‖ tradSig (§5.3).
      const signWithContext = (message: Uint8Array, context: Uint8Array) => {
        const representative = messageRepresentative(params, prehash, message, context);
        return concatBytes(signMldsa(representative, label), tradKey.sign(representative));
      };
      return { algorithm: name, sign: (message) => signWithContext(message, EMPTY), signWithContext };
    },
    importPublicKey(raw): VerifyingKey {
      // §5.1: mldsaPK is fixed-length; our classical keys are fixed-length too, so the total is exact.
      const expected = mldsaSizes.publicKey + tradSizes.publicKey;
      if (raw.length !== expected) {
        throw new CryptoError(
          "invalid-input",
          `${name} public key of ${raw.length} bytes, expected ${expected}`,
        );
      }
      const mldsaKey = mldsa.importPublicKey(raw.subarray(0, mldsaSizes.publicKey));
      const tradKey = classical.importPublicKey(raw.subarray(mldsaSizes.publicKey));
      const verifyMldsa = mldsaKey.verifyWithContext?.bind(mldsaKey);
      if (verifyMldsa === undefined)
        throw new CryptoError("unsupported", `${name}: ML-DSA key lacks contexts`);
      // §4.3: valid only if both component signatures verify; malformed input is "invalid", never a throw.
      const verifyWithContext = (
        message: Uint8Array,
        signature: Uint8Array,
        context: Uint8Array,
      ): boolean => {
        if (context.length > MAX_CONTEXT_BYTES) return false;
        if (
          signature.length <= mldsaSizes.signature ||
          signature.length > mldsaSizes.signature + tradSizes.signature
        ) {
          return false;
        }
        const representative = messageRepresentative(params, prehash, message, context);
        return (
          verifyMldsa(representative, signature.subarray(0, mldsaSizes.signature), label) &&
          tradKey.verify(representative, signature.subarray(mldsaSizes.signature))
        );
      };
      return {
        algorithm: name,
        verify: (message, signature) => verifyWithContext(message, signature, EMPTY),
        verifyWithContext,
      };
    },
  };
}

/** Resolves the components through `resolve` (see ./select.ts); undefined when one is missing. */
export function composeSignature(
  params: CompositeParams,
  resolve: {
    mldsaWithContext(name: MlDsaName): Signature | undefined;
    signature(name: ClassicalName): Signature | undefined;
    hash(name: HashName): Hash | undefined;
  },
): Signature | undefined {
  const mldsa = resolve.mldsaWithContext(params.mldsa);
  const classical = resolve.signature(params.classical);
  const hash = resolve.hash(params.prehash);
  if (mldsa === undefined || classical === undefined || hash === undefined) return undefined;
  return compositeSignature(params, mldsa, classical, hash);
}
