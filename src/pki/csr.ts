/**
 * PKCS#10 certification requests (RFC 2986), with the requested
 * subjectAltName carried in a PKCS#9 extensionRequest attribute
 * (RFC 2985 §5.4.2), signed by the subject's own key.
 */
import { CertificationRequest, CertificationRequestInfo } from "@peculiar/asn1-csr";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Attribute, Extensions } from "@peculiar/asn1-x509";
import { toArrayBuffer } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, SignatureName, SigningKey } from "../crypto/types.ts";
import {
  decodeSubjectPublicKeyInfo,
  encodeSubjectPublicKeyInfo,
  type PublicKeyInfo,
  signatureAlgorithmIdentifier,
  signatureNameOf,
} from "./algorithms.ts";
import { parseDer, serializeDer } from "./der.ts";
import { parseExtensions, subjectAltNameExtension } from "./extensions.ts";
import { MAX_CERTIFICATE_BYTES } from "./limits.ts";
import { buildName, formatName, type NameInput, nameDer } from "./name.ts";
import { PkiError } from "./types.ts";

/** PKCS#9 extensionRequest attribute (RFC 2985 §5.4.2). */
const ID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

export interface CsrOptions {
  readonly subject: NameInput | string;
  readonly publicKey: PublicKeyInfo;
  /** The subject's private key: a CSR proves possession of it. */
  readonly signingKey: SigningKey;
  readonly subjectAltNames?: readonly string[];
}

export function createCsr(options: CsrOptions): Uint8Array {
  if (options.signingKey.algorithm !== options.publicKey.algorithm) {
    throw new PkiError("bad-usage", "a CSR must be signed by the key it requests a certificate for");
  }
  const info = new CertificationRequestInfo({
    subject: buildName(options.subject),
    subjectPKInfo: encodeSubjectPublicKeyInfo(options.publicKey.algorithm, options.publicKey.publicKey),
  });
  if (options.subjectAltNames && options.subjectAltNames.length > 0) {
    // Only the SAN extension is requested: the issuer decides constraints and usages.
    const requested = new Extensions([subjectAltNameExtension(options.subjectAltNames)]);
    info.attributes.push(
      new Attribute({ type: ID_EXTENSION_REQUEST, values: [AsnConvert.serialize(requested)] }),
    );
  }
  const infoDer = serializeDer(info);
  const signature = options.signingKey.sign(infoDer);
  return serializeDer(
    new CertificationRequest({
      certificationRequestInfo: info,
      signatureAlgorithm: signatureAlgorithmIdentifier(options.signingKey.algorithm),
      signature: toArrayBuffer(signature),
    }),
  );
}

export interface ParsedCsr {
  readonly der: Uint8Array;
  readonly subject: string;
  readonly subjectDer: Uint8Array;
  readonly keyAlgorithm: SignatureName;
  readonly publicKey: Uint8Array;
  readonly signatureAlgorithm: SignatureName;
  readonly subjectAltNames: {
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly Uint8Array[];
  };
  /** The signed CertificationRequestInfo bytes. */
  readonly info: Uint8Array;
  readonly signature: Uint8Array;
}

export function parseCsr(der: Uint8Array): ParsedCsr {
  const csr = parseDer(der, CertificationRequest, "certification request", MAX_CERTIFICATE_BYTES);
  if (!csr.certificationRequestInfoRaw) throw new PkiError("bad-encoding", "CSR info bytes unavailable");
  const info = csr.certificationRequestInfo;
  if (info.version !== 0)
    throw new PkiError("bad-encoding", `CSR version ${info.version}, expected 0 (RFC 2986 §4.1)`);
  const key = decodeSubjectPublicKeyInfo(info.subjectPKInfo);
  let subjectAltNames: ParsedCsr["subjectAltNames"] = { dnsNames: [], ipAddresses: [] };
  for (const attr of info.attributes) {
    if (attr.type !== ID_EXTENSION_REQUEST) continue;
    if (attr.values.length !== 1) throw new PkiError("bad-encoding", "extensionRequest must hold one value");
    const extensions = parseDer(
      new Uint8Array(attr.values[0]!),
      Extensions,
      "extensionRequest",
      MAX_CERTIFICATE_BYTES,
    );
    subjectAltNames = parseExtensions(extensions).subjectAltName ?? subjectAltNames;
  }
  return {
    der,
    subject: formatName(info.subject),
    subjectDer: nameDer(info.subject),
    keyAlgorithm: key.algorithm,
    publicKey: key.publicKey,
    signatureAlgorithm: signatureNameOf(csr.signatureAlgorithm),
    subjectAltNames,
    info: new Uint8Array(csr.certificationRequestInfoRaw),
    signature: new Uint8Array(csr.signature),
  };
}

/** Checks the CSR's self-signature (proof of possession); throws PkiError("bad-signature") when it fails. */
export function verifyCsr(csr: ParsedCsr, crypto: Crypto = defaultCrypto()): void {
  if (csr.signatureAlgorithm !== csr.keyAlgorithm) {
    throw new PkiError(
      "bad-signature",
      `CSR signed with ${csr.signatureAlgorithm} but its key is ${csr.keyAlgorithm}`,
    );
  }
  if (!crypto.hasSignature(csr.keyAlgorithm))
    throw new PkiError("unsupported-algorithm", `no provider for ${csr.keyAlgorithm}`);
  let ok: boolean;
  try {
    ok = crypto.signature(csr.keyAlgorithm).importPublicKey(csr.publicKey).verify(csr.info, csr.signature);
  } catch (e) {
    throw new PkiError("bad-encoding", `CSR public key: ${(e as Error).message}`);
  }
  if (!ok) throw new PkiError("bad-signature", "the CSR signature does not verify with its own public key");
}
