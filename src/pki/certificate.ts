/**
 * Parsed X.509 v3 certificates (RFC 5280 §4.1): the fields path validation
 * and `pqrpc certs show` need, extracted once, with the exact TBSCertificate
 * bytes kept for signature verification.
 */
import { Certificate, id_ce_subjectAltName } from "@peculiar/asn1-x509";
import { bytesEqual, toHex } from "../bytes/bytes.ts";
import type { Crypto, SignatureName, VerifyingKey } from "../crypto/types.ts";
import { decodeSubjectPublicKeyInfo, signatureNameOf } from "./algorithms.ts";
import { parseDer, reserializeDer } from "./der.ts";
import { type ParsedExtensions, parseExtensions } from "./extensions.ts";
import { MAX_CERTIFICATE_BYTES, MAX_SERIAL_NUMBER_BYTES } from "./limits.ts";
import { formatName, nameDer } from "./name.ts";
import { PkiError } from "./types.ts";

/** RFC 5280 §4.1.2.1: Version ::= INTEGER { v1(0), v2(1), v3(2) }. */
const X509_V3 = 2;

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The exact DER of the TBSCertificate the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: number;
  /** Serial number, lowercase hex of its DER INTEGER contents. */
  readonly serialNumber: string;
  readonly issuer: string;
  readonly subject: string;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject key's scheme and raw key. */
  readonly keyAlgorithm: SignatureName;
  readonly publicKey: Uint8Array;
  /** The scheme the issuer signed with. */
  readonly signatureAlgorithm: SignatureName;
  readonly signature: Uint8Array;
  readonly extensions: ParsedExtensions;
  /** True when the subject and issuer names are equal (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const cert = parseDer(der, Certificate, "certificate", MAX_CERTIFICATE_BYTES);
  const tbsCert = cert.tbsCertificate;
  if (!cert.tbsCertificateRaw)
    throw new PkiError("bad-encoding", "certificate: TBSCertificate bytes unavailable");
  const version = tbsCert.version;
  if (version !== X509_V3 && tbsCert.extensions !== undefined) {
    throw new PkiError("bad-encoding", `certificate version ${version + 1} must not carry extensions`);
  }
  const serial = new Uint8Array(tbsCert.serialNumber);
  if (serial.length === 0 || serial.length > MAX_SERIAL_NUMBER_BYTES) {
    throw new PkiError("bad-encoding", `serial number of ${serial.length} bytes`);
  }
  const signatureAlgorithm = signatureNameOf(cert.signatureAlgorithm);
  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST be the same as TBSCertificate.signature.
  const outerAlgorithm = reserializeDer(cert.signatureAlgorithm, "signatureAlgorithm");
  if (!bytesEqual(outerAlgorithm, reserializeDer(tbsCert.signature, "TBSCertificate.signature"))) {
    throw new PkiError("bad-encoding", "signatureAlgorithm differs from TBSCertificate.signature");
  }
  const key = decodeSubjectPublicKeyInfo(tbsCert.subjectPublicKeyInfo);
  const extensions = parseExtensions(tbsCert.extensions);
  const subjectDer = nameDer(tbsCert.subject);
  const issuerDer = nameDer(tbsCert.issuer);
  // RFC 5280 §4.2.1.6: an empty subject requires a (critical) subjectAltName.
  if (tbsCert.subject.length === 0 && !tbsCert.extensions?.some((e) => e.extnID === id_ce_subjectAltName)) {
    throw new PkiError("bad-encoding", "empty subject without subjectAltName");
  }
  let notBefore: Date;
  let notAfter: Date;
  try {
    notBefore = tbsCert.validity.notBefore.getTime();
    notAfter = tbsCert.validity.notAfter.getTime();
  } catch (e) {
    throw new PkiError("bad-encoding", `validity: ${(e as Error).message}`);
  }
  return {
    der,
    tbs: new Uint8Array(cert.tbsCertificateRaw),
    version: version + 1,
    serialNumber: toHex(serial),
    issuer: formatName(tbsCert.issuer),
    subject: formatName(tbsCert.subject),
    issuerDer,
    subjectDer,
    notBefore,
    notAfter,
    keyAlgorithm: key.algorithm,
    publicKey: key.publicKey,
    signatureAlgorithm,
    signature: new Uint8Array(cert.signatureValue),
    extensions,
    selfIssued: bytesEqual(subjectDer, issuerDer),
  };
}

/** The certificate's subject key, imported for verification. */
export function certificatePublicKey(cert: ParsedCertificate, crypto: Crypto): VerifyingKey {
  if (!crypto.hasSignature(cert.keyAlgorithm)) {
    throw new PkiError("unsupported-algorithm", `no provider for ${cert.keyAlgorithm}`);
  }
  try {
    return crypto.signature(cert.keyAlgorithm).importPublicKey(cert.publicKey);
  } catch (e) {
    throw new PkiError("bad-encoding", `${cert.keyAlgorithm} public key: ${(e as Error).message}`);
  }
}

/** True when `issuerKey` verifies `cert`'s signature and its algorithm matches the certificate's signatureAlgorithm. */
export function verifyCertificateSignature(cert: ParsedCertificate, issuerKey: VerifyingKey): boolean {
  if (issuerKey.algorithm !== cert.signatureAlgorithm) return false;
  return issuerKey.verify(cert.tbs, cert.signature);
}
