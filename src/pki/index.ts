/** pki/: X.509 with post-quantum algorithms (DESIGN.md §2). The public surface of the folder. */
export {
  decodeSubjectPublicKeyInfo,
  encodeSubjectPublicKeyInfo,
  keyAlgorithmIdentifier,
  type PublicKeyInfo,
  signatureAlgorithmIdentifier,
  signatureNameOf,
} from "./algorithms.ts";
export {
  certificatePublicKey,
  type ParsedCertificate,
  parseCertificate,
  verifyCertificateSignature,
} from "./certificate.ts";
export { type CsrOptions, createCsr, type ParsedCsr, parseCsr, verifyCsr } from "./csr.ts";
export {
  createDevelopmentPki,
  DEFAULT_DEVELOPMENT_SANS,
  type DevelopmentPki,
  type DevelopmentPkiOptions,
  type IssuedIdentity,
} from "./development-pki.ts";
export type { ExtendedKeyUsageName, KeyUsageName, ParsedExtensions } from "./extensions.ts";
export { dnsNameMatches, matchesServerName } from "./host-name.ts";
export { parseIdentity } from "./identity.ts";
export { type IssueOptions, issueCertificate, keyIdentifier, randomSerialNumber } from "./issue.ts";
export { generateKeyPair, importPrivateKey, type KeyPair, publicKeyInfo } from "./keys.ts";
export * from "./limits.ts";
export { loadIdentity, loadTrust } from "./load.ts";
export { buildName, formatName, type NameInput } from "./name.ts";
export { decodePem, decodePemBlocks, decodePemOne, encodePem, type PemBlock } from "./pem.ts";
export { type DecodedPrivateKey, decodePrivateKey, encodePrivateKey } from "./private-key.ts";
export {
  type CertificateSource,
  createVerifier,
  parseCertificates,
  TrustStore,
  type TrustStoreOptions,
} from "./trust-store.ts";
export * from "./types.ts";
