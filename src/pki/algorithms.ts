/**
 * Algorithm identifiers and SubjectPublicKeyInfo for every signature scheme
 * of the registry. OIDs come from src/crypto/registry.ts (and peculiar's
 * id_* constants for hash/MGF OIDs inside RSASSA-PSS parameters).
 *
 * - ML-DSA (RFC 9881 §2, §4), SLH-DSA (RFC 9909 §3, §4), Falcon (OQS),
 *   Ed25519 (RFC 8410 §3): parameters ABSENT, key raw in the BIT STRING.
 * - ECDSA: signature OID with absent parameters (RFC 5758 §3.2); key
 *   id-ecPublicKey with namedCurve parameters (RFC 5480 §2.1.1).
 * - RSA-PSS: key rsaEncryption with NULL (RFC 3279 §2.3.1); signature
 *   id-RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1).
 */

import { ECParameters } from "@peculiar/asn1-ecc";
import { id_mgf1, id_sha256, RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { bytesEqual, toArrayBuffer } from "../bytes/bytes.ts";
import { KEY_OIDS, signatureByName, signatureByOid } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import { serializeDer } from "./der.ts";
import { PkiError } from "./types.ts";

const EC_CURVES: readonly { name: SignatureName; curveOid: string; pointBytes: number }[] = [
  // Uncompressed points only (RFC 5480 §2.2: compressed MAY be supported; TLS 1.3 uses uncompressed).
  { name: "ecdsa-p256-sha256", curveOid: KEY_OIDS.secp256r1, pointBytes: 65 },
  { name: "ecdsa-p384-sha384", curveOid: KEY_OIDS.secp384r1, pointBytes: 97 },
];

/** RSASSA-PSS salt length for SHA-256 (TLS 1.3 §4.2.3: salt = hash length). */
const RSA_PSS_SHA256_SALT_BYTES = 32;

function sha256Identifier(): AlgorithmIdentifier {
  // RFC 4055 §2.1: the NULL parameter SHOULD be omitted for SHA-2 but implementations MUST accept it.
  return new AlgorithmIdentifier({ algorithm: id_sha256 });
}

function rsaPssParameters(): ArrayBuffer {
  const params = new RsaSaPssParams({
    hashAlgorithm: sha256Identifier(),
    maskGenAlgorithm: new AlgorithmIdentifier({
      algorithm: id_mgf1,
      parameters: AsnConvert.serialize(sha256Identifier()),
    }),
    saltLength: RSA_PSS_SHA256_SALT_BYTES,
  });
  return AsnConvert.serialize(params);
}

function isRsaPss(name: SignatureName): boolean {
  return name === "rsa-pss-sha256";
}

function ecCurveOf(name: SignatureName) {
  return EC_CURVES.find((c) => c.name === name);
}

/** The AlgorithmIdentifier that goes in Certificate.signatureAlgorithm and TBSCertificate.signature. */
export function signatureAlgorithmIdentifier(name: SignatureName): AlgorithmIdentifier {
  const info = signatureByName(name);
  if (isRsaPss(name)) return new AlgorithmIdentifier({ algorithm: info.oid, parameters: rsaPssParameters() });
  return new AlgorithmIdentifier({ algorithm: info.oid });
}

/** Maps a signature AlgorithmIdentifier to a scheme name, checking its parameters are exactly as the RFCs require. */
export function signatureNameOf(id: AlgorithmIdentifier): SignatureName {
  const info = signatureByOid(id.algorithm);
  if (info === undefined) {
    throw new PkiError("unsupported-algorithm", `unsupported signature algorithm OID ${id.algorithm}`);
  }
  if (isRsaPss(info.name)) {
    const given = id.parameters ? new Uint8Array(id.parameters) : new Uint8Array(0);
    if (!rsaPssParametersAcceptable(given)) {
      throw new PkiError(
        "unsupported-algorithm",
        "RSASSA-PSS parameters other than SHA-256/MGF1-SHA-256/salt 32",
      );
    }
    return info.name;
  }
  if (id.parameters !== undefined) {
    throw new PkiError("bad-encoding", `${info.name} AlgorithmIdentifier must have absent parameters`);
  }
  return info.name;
}

function rsaPssParametersAcceptable(der: Uint8Array): boolean {
  try {
    const p = AsnConvert.parse(der, RsaSaPssParams);
    if (p.hashAlgorithm.algorithm !== id_sha256 || p.maskGenAlgorithm.algorithm !== id_mgf1) return false;
    const mgfHash = p.maskGenAlgorithm.parameters;
    if (!mgfHash) return false;
    return (
      AsnConvert.parse(mgfHash, AlgorithmIdentifier).algorithm === id_sha256 &&
      p.saltLength === RSA_PSS_SHA256_SALT_BYTES &&
      p.trailerField === 1
    );
  } catch {
    return false;
  }
}

/** The SPKI AlgorithmIdentifier for a key of scheme `name` (also used in PKCS#8). */
export function keyAlgorithmIdentifier(name: SignatureName): AlgorithmIdentifier {
  const curve = ecCurveOf(name);
  if (curve) {
    return new AlgorithmIdentifier({
      algorithm: KEY_OIDS.ecPublicKey,
      parameters: AsnConvert.serialize(new ECParameters({ namedCurve: curve.curveOid })),
    });
  }
  if (isRsaPss(name)) return new AlgorithmIdentifier({ algorithm: KEY_OIDS.rsaEncryption, parameters: null });
  return new AlgorithmIdentifier({ algorithm: signatureByName(name).oid });
}

/** Maps an SPKI/PKCS#8 key AlgorithmIdentifier to the one signature scheme that key is used with. */
export function keyAlgorithmNameOf(id: AlgorithmIdentifier): SignatureName {
  if (id.algorithm === KEY_OIDS.ecPublicKey) {
    if (!id.parameters) throw new PkiError("bad-encoding", "id-ecPublicKey without namedCurve parameters");
    let curveOid: string | undefined;
    try {
      curveOid = AsnConvert.parse(id.parameters, ECParameters).namedCurve;
    } catch (e) {
      throw new PkiError("bad-encoding", `EC parameters: ${(e as Error).message}`);
    }
    const curve = EC_CURVES.find((c) => c.curveOid === curveOid);
    if (!curve)
      throw new PkiError("unsupported-algorithm", `unsupported EC curve ${curveOid ?? "(not named)"}`);
    return curve.name;
  }
  if (id.algorithm === KEY_OIDS.rsaEncryption) {
    // RFC 3279 §2.3.1: parameters MUST be NULL.
    if (id.parameters !== null && !(id.parameters && bytesEqual(new Uint8Array(id.parameters), NULL_DER))) {
      throw new PkiError("bad-encoding", "rsaEncryption key parameters must be NULL");
    }
    return "rsa-pss-sha256";
  }
  const info = signatureByOid(id.algorithm);
  if (info === undefined || info.hash !== undefined) {
    throw new PkiError("unsupported-algorithm", `unsupported public key algorithm OID ${id.algorithm}`);
  }
  if (id.parameters !== undefined) {
    throw new PkiError("bad-encoding", `${info.name} key AlgorithmIdentifier must have absent parameters`);
  }
  return info.name;
}

const NULL_DER = new Uint8Array([0x05, 0x00]);

export function encodeSubjectPublicKeyInfo(name: SignatureName, publicKey: Uint8Array): SubjectPublicKeyInfo {
  return new SubjectPublicKeyInfo({
    algorithm: keyAlgorithmIdentifier(name),
    subjectPublicKey: toArrayBuffer(publicKey),
  });
}

export interface PublicKeyInfo {
  readonly algorithm: SignatureName;
  /** The BIT STRING contents, in the conventions of src/crypto/types.ts. */
  readonly publicKey: Uint8Array;
}

export function decodeSubjectPublicKeyInfo(spki: SubjectPublicKeyInfo): PublicKeyInfo {
  const algorithm = keyAlgorithmNameOf(spki.algorithm);
  const publicKey = new Uint8Array(spki.subjectPublicKey);
  const curve = ecCurveOf(algorithm);
  if (curve && (publicKey.length !== curve.pointBytes || publicKey[0] !== 0x04)) {
    throw new PkiError(
      "bad-encoding",
      `${algorithm} public key must be an uncompressed ${curve.pointBytes}-byte point`,
    );
  }
  return { algorithm, publicKey };
}

/** DER SubjectPublicKeyInfo bytes (for key identifiers and comparisons). */
export function subjectPublicKeyInfoDer(name: SignatureName, publicKey: Uint8Array): Uint8Array {
  return serializeDer(encodeSubjectPublicKeyInfo(name, publicKey));
}
