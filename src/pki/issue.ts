/**
 * Issuing X.509 v3 certificates (RFC 5280 §4.1) for any registry signature
 * scheme. The caller provides the subject's public key and the issuer's
 * signing key; a certificate without `issuerCertificate` is self-signed.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, Name, TBSCertificate, Time, Validity, Version } from "@peculiar/asn1-x509";
import { toArrayBuffer } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, SigningKey } from "../crypto/types.ts";
import {
  encodeSubjectPublicKeyInfo,
  type PublicKeyInfo,
  signatureAlgorithmIdentifier,
} from "./algorithms.ts";
import {
  certificatePublicKey,
  type ParsedCertificate,
  parseCertificate,
  verifyCertificateSignature,
} from "./certificate.ts";
import { serializeDer } from "./der.ts";
import { buildExtensions, type ExtendedKeyUsageName, type KeyUsageName } from "./extensions.ts";
import { MAX_VALIDITY_DAYS, NOT_BEFORE_BACKDATE_MS, SERIAL_NUMBER_BYTES } from "./limits.ts";
import { buildName, type NameInput } from "./name.ts";
import { PkiError } from "./types.ts";

/** RFC 7093 §2 method 1: key identifier = leftmost 160 bits of SHA-256(subjectPublicKey). */
const KEY_IDENTIFIER_BYTES = 20;
/** RFC 5280 §4.1.2.5: dates through 2049 as UTCTime, from 2050 as GeneralizedTime. */
const UTC_TIME_LAST_YEAR = 2049;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssueOptions {
  readonly subject: NameInput | string;
  /** The subject's public key (scheme + raw key). */
  readonly publicKey: PublicKeyInfo;
  /** The key that signs: the issuer's, or the subject's own for a self-signed certificate. */
  readonly signingKey: SigningKey;
  /** The issuer's certificate (DER or parsed); absent for a self-signed certificate. */
  readonly issuerCertificate?: Uint8Array | ParsedCertificate;
  /** Present: a CA certificate. */
  readonly ca?: { readonly pathLen?: number };
  /** Default: CA: keyCertSign + cRLSign + digitalSignature; end entity: digitalSignature. */
  readonly keyUsage?: readonly KeyUsageName[];
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  readonly subjectAltNames?: readonly string[];
  /** Default: now minus NOT_BEFORE_BACKDATE_MS. */
  readonly notBefore?: Date;
  /** Default: notBefore + validityDays. */
  readonly notAfter?: Date;
  /** Default 365. */
  readonly validityDays?: number;
  /** Positive serial number bytes; default SERIAL_NUMBER_BYTES random bytes. */
  readonly serialNumber?: Uint8Array;
  readonly crypto?: Crypto;
}

export function keyIdentifier(publicKey: Uint8Array, crypto: Crypto): Uint8Array {
  return crypto.hash("sha256").digest(publicKey).slice(0, KEY_IDENTIFIER_BYTES);
}

/** A random positive serial of exactly `SERIAL_NUMBER_BYTES` bytes in DER (RFC 5280 §4.1.2.2). */
export function randomSerialNumber(crypto: Crypto): Uint8Array {
  const serial = crypto.randomBytes(SERIAL_NUMBER_BYTES);
  // Clear the sign bit (positive) and set the next one (no leading zero to strip in DER).
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

function x509Time(date: Date): Time {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return whole.getUTCFullYear() <= UTC_TIME_LAST_YEAR
    ? new Time({ utcTime: whole })
    : new Time({ generalTime: whole });
}

/** Issues a certificate and returns its DER. Throws PkiError when the options are inconsistent. */
export function issueCertificate(options: IssueOptions): Uint8Array {
  const crypto = options.crypto ?? defaultCrypto();
  const days = options.validityDays ?? 365;
  if (!(days > 0 && days <= MAX_VALIDITY_DAYS)) {
    throw new PkiError("bad-encoding", `validity of ${days} days is outside 1..${MAX_VALIDITY_DAYS}`);
  }
  const notBefore = options.notBefore ?? new Date(Date.now() - NOT_BEFORE_BACKDATE_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  if (notAfter.getTime() <= notBefore.getTime())
    throw new PkiError("bad-encoding", "notAfter is not after notBefore");

  const issuer =
    options.issuerCertificate === undefined
      ? undefined
      : options.issuerCertificate instanceof Uint8Array
        ? parseCertificate(options.issuerCertificate)
        : options.issuerCertificate;
  if (issuer && issuer.keyAlgorithm !== options.signingKey.algorithm) {
    throw new PkiError(
      "bad-usage",
      `signing key is ${options.signingKey.algorithm} but the issuer certificate holds a ${issuer.keyAlgorithm} key`,
    );
  }
  if (!issuer && options.signingKey.algorithm !== options.publicKey.algorithm) {
    throw new PkiError("bad-usage", "a self-signed certificate must be signed by the subject's own key");
  }

  const subjectName = buildName(options.subject);
  const subjectKeyIdentifier = keyIdentifier(options.publicKey.publicKey, crypto);
  const authorityKeyIdentifier = issuer
    ? (issuer.extensions.subjectKeyIdentifier ?? keyIdentifier(issuer.publicKey, crypto))
    : subjectKeyIdentifier;
  const keyUsage =
    options.keyUsage ?? (options.ca ? ["keyCertSign", "cRLSign", "digitalSignature"] : ["digitalSignature"]);
  const signatureAlgorithm = signatureAlgorithmIdentifier(options.signingKey.algorithm);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(options.serialNumber ?? randomSerialNumber(crypto)),
    signature: signatureAlgorithm,
    // The child's issuer is the issuer's subject, byte for byte (RFC 5280 §4.1.2.4).
    issuer: issuer ? AsnConvert.parse(issuer.subjectDer, Name) : subjectName,
    validity: new Validity(),
    subject: subjectName,
    subjectPublicKeyInfo: encodeSubjectPublicKeyInfo(
      options.publicKey.algorithm,
      options.publicKey.publicKey,
    ),
    extensions: buildExtensions({
      ...(options.ca ? { ca: options.ca } : {}),
      keyUsage,
      ...(options.extendedKeyUsage ? { extendedKeyUsage: options.extendedKeyUsage } : {}),
      ...(options.subjectAltNames ? { subjectAltNames: options.subjectAltNames } : {}),
      subjectKeyIdentifier,
      authorityKeyIdentifier,
    }),
  });
  tbs.validity.notBefore = x509Time(notBefore);
  tbs.validity.notAfter = x509Time(notAfter);
  const tbsDer = serializeDer(tbs);
  const signature = options.signingKey.sign(tbsDer);
  const der = serializeDer(
    new Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: signatureAlgorithmIdentifier(options.signingKey.algorithm),
      signatureValue: toArrayBuffer(signature),
    }),
  );
  // Catch a signing key that does not belong to the issuer certificate now, not at the peer.
  const parsed = parseCertificate(der);
  const verifier = certificatePublicKey(issuer ?? parsed, crypto);
  if (!verifyCertificateSignature(parsed, verifier)) {
    throw new PkiError("bad-signature", "the signing key does not match the issuer certificate's public key");
  }
  return der;
}
