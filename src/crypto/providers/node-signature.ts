/**
 * Signatures from node:crypto: Ed25519, ECDSA, RSA-PSS everywhere; ML-DSA
 * (FIPS 204) and SLH-DSA (FIPS 205) natively on Node >= 24.7. Raw keys (see
 * ../types.ts) are wrapped in DER once at import; the resulting KeyObject is
 * kept in the SigningKey/VerifyingKey so repeated use costs no re-import.
 */
import {
  constants,
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { copyBytes, wipe } from "../../bytes/bytes.ts";
import { algorithmIdentifier, octetString, pkcs8, spki, tlv } from "../der.ts";
import { expectLength, leftPad } from "../fixed-length.ts";
import { KEY_OIDS, signatureByName } from "../registry.ts";
import { isMlDsa, isSlhDsa, SIGNATURE_SIZES } from "../signature-params.ts";
import {
  CryptoError,
  type Signature,
  type SignatureName,
  type SigningKey,
  type VerifyingKey,
} from "../types.ts";
import { nodeSupportsKeyType } from "./node-kem.ts";
import { withoutStackTraces } from "./node-stack-traces.ts";

/** RFC 9881 §6: ML-DSA-PrivateKey seed form is `[0] IMPLICIT OCTET STRING (SIZE (32))`. */
const ML_DSA_SEED_TAG = 0x80;
/** RSA modulus for generated keys (bits): NIST SP 800-57 112-bit strength floor. */
const RSA_MODULUS_BITS = 2048;
/** RFC 8446 §4.2.3: RSASSA-PSS salt length equals the digest length (SHA-256: 32 bytes). */
const RSA_PSS_SALT_BYTES = 32;

interface Codec {
  /** node:crypto digest name for sign/verify, or null for schemes that sign the message itself. */
  readonly digest: string | null;
  readonly options: Record<string, unknown>;
  generate(): { publicKey: Uint8Array; privateKey: Uint8Array };
  privateKeyObject(raw: Uint8Array): KeyObject;
  publicKeyObject(raw: Uint8Array): KeyObject;
  publicFromPrivateObject(key: KeyObject): Uint8Array;
}

function tail(der: Uint8Array, length: number): Uint8Array {
  return copyBytes(der.subarray(der.length - length));
}

function exportSpki(key: KeyObject): Uint8Array {
  return key.export({ format: "der", type: "spki" });
}

function importSpki(der: Uint8Array): KeyObject {
  const key = Buffer.from(der);
  return withoutStackTraces(() => createPublicKey({ key, format: "der", type: "spki" }));
}

function importPkcs8(der: Uint8Array): KeyObject {
  const buf = Buffer.from(der);
  try {
    return withoutStackTraces(() => createPrivateKey({ key: buf, format: "der", type: "pkcs8" }));
  } finally {
    wipe(buf);
  }
}

function sizesOf(name: SignatureName) {
  const s = SIGNATURE_SIZES[name];
  if (s === undefined) throw new CryptoError("internal", `no sizes for ${name}`);
  return s;
}

function mlDsaCodec(name: SignatureName): Codec {
  const sizes = sizesOf(name);
  const alg = algorithmIdentifier(signatureByName(name).oid);
  const codec: Codec = {
    digest: null,
    options: {},
    generate() {
      const privateKey = new Uint8Array(randomBytes(sizes.privateKey));
      return { privateKey, publicKey: codec.publicFromPrivateObject(codec.privateKeyObject(privateKey)) };
    },
    privateKeyObject(seed) {
      expectLength(`${name} seed`, seed, sizes.privateKey);
      return importPkcs8(pkcs8(alg, tlv(ML_DSA_SEED_TAG, seed)));
    },
    publicKeyObject(raw) {
      expectLength(`${name} public key`, raw, sizes.publicKey);
      return importSpki(spki(alg, raw));
    },
    publicFromPrivateObject: (key) => tail(exportSpki(createPublicKey(key)), sizes.publicKey),
  };
  return codec;
}

function slhDsaCodec(name: SignatureName): Codec {
  const sizes = sizesOf(name);
  const alg = algorithmIdentifier(signatureByName(name).oid);
  return {
    digest: null,
    options: {},
    generate() {
      const { privateKey } = generateKeyPairSync(name as "ed25519");
      // RFC 9909 §6: the PKCS#8 privateKey OCTET STRING holds the FIPS 205 key itself.
      const raw = tail(privateKey.export({ format: "der", type: "pkcs8" }), sizes.privateKey);
      return { privateKey: raw, publicKey: raw.slice(sizes.privateKey - sizes.publicKey) };
    },
    privateKeyObject(raw) {
      expectLength(`${name} private key`, raw, sizes.privateKey);
      return importPkcs8(pkcs8(alg, raw));
    },
    publicKeyObject(raw) {
      expectLength(`${name} public key`, raw, sizes.publicKey);
      return importSpki(spki(alg, raw));
    },
    publicFromPrivateObject: (key) => tail(exportSpki(createPublicKey(key)), sizes.publicKey),
  };
}

function ed25519Codec(): Codec {
  const sizes = sizesOf("ed25519");
  const alg = algorithmIdentifier(signatureByName("ed25519").oid);
  return {
    digest: null,
    options: {},
    generate() {
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      return {
        publicKey: tail(exportSpki(publicKey), sizes.publicKey),
        privateKey: tail(privateKey.export({ format: "der", type: "pkcs8" }), sizes.privateKey),
      };
    },
    // RFC 8410 §7: CurvePrivateKey is an OCTET STRING inside the PKCS#8 OCTET STRING.
    privateKeyObject(seed) {
      expectLength("ed25519 private key", seed, sizes.privateKey);
      return importPkcs8(pkcs8(alg, octetString(seed)));
    },
    publicKeyObject(raw) {
      expectLength("ed25519 public key", raw, sizes.publicKey);
      return importSpki(spki(alg, raw));
    },
    publicFromPrivateObject: (key) => tail(exportSpki(createPublicKey(key)), sizes.publicKey),
  };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function ecdsaCodec(name: "ecdsa-p256-sha256" | "ecdsa-p384-sha384"): Codec {
  const sizes = sizesOf(name);
  const p256 = name === "ecdsa-p256-sha256";
  const nodeCurve = p256 ? "prime256v1" : "secp384r1";
  const jwkCurve = p256 ? "P-256" : "P-384";
  const alg = algorithmIdentifier(KEY_OIDS.ecPublicKey, p256 ? KEY_OIDS.secp256r1 : KEY_OIDS.secp384r1);
  const coordinate = (sizes.publicKey - 1) / 2;
  return {
    digest: p256 ? "sha256" : "sha384",
    // TLS 1.3 and X.509 carry ECDSA signatures as DER Ecdsa-Sig-Value (RFC 8446 §4.2.3).
    options: { dsaEncoding: "der" },
    generate() {
      const ecdh = createECDH(nodeCurve);
      const publicKey = copyBytes(ecdh.generateKeys());
      return { publicKey, privateKey: leftPad(copyBytes(ecdh.getPrivateKey()), sizes.privateKey) };
    },
    privateKeyObject(d) {
      expectLength(`${name} private key`, d, sizes.privateKey);
      const ecdh = createECDH(nodeCurve);
      ecdh.setPrivateKey(d);
      const point = ecdh.getPublicKey();
      return createPrivateKey({
        key: {
          kty: "EC",
          crv: jwkCurve,
          d: base64url(d),
          x: base64url(point.subarray(1, 1 + coordinate)),
          y: base64url(point.subarray(1 + coordinate)),
        },
        format: "jwk",
      });
    },
    publicKeyObject(point) {
      expectLength(`${name} public key`, point, sizes.publicKey);
      return importSpki(spki(alg, point));
    },
    publicFromPrivateObject: (key) => tail(exportSpki(createPublicKey(key)), sizes.publicKey),
  };
}

function rsaPssCodec(): Codec {
  return {
    digest: "sha256",
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: RSA_PSS_SALT_BYTES },
    generate() {
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: RSA_MODULUS_BITS });
      return {
        publicKey: new Uint8Array(publicKey.export({ format: "der", type: "pkcs1" })),
        privateKey: new Uint8Array(privateKey.export({ format: "der", type: "pkcs1" })),
      };
    },
    privateKeyObject: (der) => createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs1" }),
    publicKeyObject: (der) => {
      const key = Buffer.from(der);
      return withoutStackTraces(() => createPublicKey({ key, format: "der", type: "pkcs1" }));
    },
    publicFromPrivateObject: (key) =>
      new Uint8Array(createPublicKey(key).export({ format: "der", type: "pkcs1" })),
  };
}

function wrapImport<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError("invalid-input", `${what} rejected: ${(e as Error).message}`);
  }
}

function fromCodec(name: SignatureName, codec: Codec): Signature {
  // FIPS 204 §5.2 context strings: node:crypto takes `context` for ML-DSA (Node >= 24.7).
  const contexts = isMlDsa(name);
  return {
    name,
    provider: "node",
    ...(contexts ? { contextStrings: true } : {}),
    generateKeyPair: () => codec.generate(),
    publicKeyFromPrivate: (raw) =>
      wrapImport(`${name} private key`, () => codec.publicFromPrivateObject(codec.privateKeyObject(raw))),
    importPrivateKey(raw): SigningKey {
      const key = wrapImport(`${name} private key`, () => codec.privateKeyObject(raw));
      const options = { key, ...codec.options };
      const signer: SigningKey = {
        algorithm: name,
        sign: (message) => new Uint8Array(withoutStackTraces(() => sign(codec.digest, message, options))),
      };
      if (contexts) {
        signer.signWithContext = (message, context) =>
          new Uint8Array(withoutStackTraces(() => sign(codec.digest, message, { ...options, context })));
      }
      return signer;
    },
    importPublicKey(raw): VerifyingKey {
      const key = wrapImport(`${name} public key`, () => codec.publicKeyObject(raw));
      const options = { key, ...codec.options };
      const verifier: VerifyingKey = {
        algorithm: name,
        verify(message, signature) {
          try {
            return withoutStackTraces(() => verify(codec.digest, message, options, signature));
          } catch {
            return false;
          }
        },
      };
      if (contexts) {
        verifier.verifyWithContext = (message, signature, context) => {
          try {
            return withoutStackTraces(() =>
              verify(codec.digest, message, { ...options, context }, signature),
            );
          } catch {
            return false;
          }
        };
      }
      return verifier;
    },
  };
}

function codecFor(name: SignatureName): Codec | undefined {
  if (isMlDsa(name)) return nodeSupportsKeyType("ml-dsa-44") ? mlDsaCodec(name) : undefined;
  if (isSlhDsa(name)) return nodeSupportsKeyType("slh-dsa-sha2-128f") ? slhDsaCodec(name) : undefined;
  switch (name) {
    case "ed25519":
      return ed25519Codec();
    case "ecdsa-p256-sha256":
    case "ecdsa-p384-sha384":
      return ecdsaCodec(name);
    case "rsa-pss-sha256":
      return rsaPssCodec();
    default:
      return undefined;
  }
}

export function nodeSignature(name: SignatureName): Signature | undefined {
  const codec = codecFor(name);
  return codec === undefined ? undefined : fromCodec(name, codec);
}
