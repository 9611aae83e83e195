/**
 * Algorithm registry: pqrpc names <-> TLS codepoints <-> X.509 OIDs
 * (DESIGN.md §3). Everything else looks algorithms up here; no other file
 * spells a codepoint or an OID.
 */
import type { AeadName, HashName, KemName, SignatureName } from "./types.ts";

export type GroupName =
  | "X25519MLKEM768"
  | "SecP256r1MLKEM768"
  | "SecP384r1MLKEM1024"
  | "MLKEM512"
  | "MLKEM768"
  | "MLKEM1024"
  | "x25519"
  | "secp256r1"
  | "secp384r1"
  | "x25519_sntrup761";

export type GroupClass = "hybrid" | "pq" | "classical";

export interface GroupInfo {
  readonly name: GroupName;
  /** TLS NamedGroup codepoint. */
  readonly codepoint: number;
  readonly class: GroupClass;
  /**
   * The KEMs combined, in wire order: the key shares and the shared secrets
   * are concatenated in this order (draft-ietf-tls-ecdhe-mlkem: X25519MLKEM768
   * puts ML-KEM first, the NIST-curve hybrids put ECDH first).
   */
  readonly components: readonly KemName[];
}

export const GROUPS: readonly GroupInfo[] = [
  { name: "X25519MLKEM768", codepoint: 0x11ec, class: "hybrid", components: ["ml-kem-768", "x25519"] },
  { name: "SecP256r1MLKEM768", codepoint: 0x11eb, class: "hybrid", components: ["p256", "ml-kem-768"] },
  { name: "SecP384r1MLKEM1024", codepoint: 0x11ed, class: "hybrid", components: ["p384", "ml-kem-1024"] },
  { name: "MLKEM512", codepoint: 0x0200, class: "pq", components: ["ml-kem-512"] },
  { name: "MLKEM768", codepoint: 0x0201, class: "pq", components: ["ml-kem-768"] },
  { name: "MLKEM1024", codepoint: 0x0202, class: "pq", components: ["ml-kem-1024"] },
  { name: "x25519", codepoint: 0x001d, class: "classical", components: ["x25519"] },
  { name: "secp256r1", codepoint: 0x0017, class: "classical", components: ["p256"] },
  { name: "secp384r1", codepoint: 0x0018, class: "classical", components: ["p384"] },
  // OQS provider's legacy codepoint for the NTRU Prime hybrid (backup KEM family).
  { name: "x25519_sntrup761", codepoint: 0x2fb3, class: "hybrid", components: ["x25519", "sntrup761"] },
];

export type SignatureClass = "pq" | "classical" | "composite";

export interface SignatureSchemeInfo {
  readonly name: SignatureName;
  /** TLS SignatureScheme codepoint. */
  readonly codepoint: number;
  /** X.509 AlgorithmIdentifier OID for signatures and for SubjectPublicKeyInfo. */
  readonly oid: string;
  readonly class: SignatureClass;
  /** Hash named by the algorithm (ECDSA/RSA-PSS); PQ schemes sign the message itself. */
  readonly hash?: HashName;
}

const NIST_SIG = "2.16.840.1.101.3.4.3";
/** id-pkix algorithms arc used by draft-ietf-lamps-pq-composite-sigs §7. */
const COMPOSITE_SIG = "1.3.6.1.5.5.7.6";

export const SIGNATURE_SCHEMES: readonly SignatureSchemeInfo[] = [
  // RFC 9881 (ML-DSA in X.509): parameters absent; draft-ietf-tls-mldsa codepoints.
  { name: "ml-dsa-44", codepoint: 0x0904, oid: `${NIST_SIG}.17`, class: "pq" },
  { name: "ml-dsa-65", codepoint: 0x0905, oid: `${NIST_SIG}.18`, class: "pq" },
  { name: "ml-dsa-87", codepoint: 0x0906, oid: `${NIST_SIG}.19`, class: "pq" },
  // RFC 9909 (SLH-DSA in X.509); draft-reddy-tls-slhdsa codepoints in the same order.
  { name: "slh-dsa-sha2-128s", codepoint: 0x0911, oid: `${NIST_SIG}.20`, class: "pq" },
  { name: "slh-dsa-sha2-128f", codepoint: 0x0912, oid: `${NIST_SIG}.21`, class: "pq" },
  { name: "slh-dsa-sha2-192s", codepoint: 0x0913, oid: `${NIST_SIG}.22`, class: "pq" },
  { name: "slh-dsa-sha2-192f", codepoint: 0x0914, oid: `${NIST_SIG}.23`, class: "pq" },
  { name: "slh-dsa-sha2-256s", codepoint: 0x0915, oid: `${NIST_SIG}.24`, class: "pq" },
  { name: "slh-dsa-sha2-256f", codepoint: 0x0916, oid: `${NIST_SIG}.25`, class: "pq" },
  { name: "slh-dsa-shake-128s", codepoint: 0x0917, oid: `${NIST_SIG}.26`, class: "pq" },
  { name: "slh-dsa-shake-128f", codepoint: 0x0918, oid: `${NIST_SIG}.27`, class: "pq" },
  { name: "slh-dsa-shake-192s", codepoint: 0x0919, oid: `${NIST_SIG}.28`, class: "pq" },
  { name: "slh-dsa-shake-192f", codepoint: 0x091a, oid: `${NIST_SIG}.29`, class: "pq" },
  { name: "slh-dsa-shake-256s", codepoint: 0x091b, oid: `${NIST_SIG}.30`, class: "pq" },
  { name: "slh-dsa-shake-256f", codepoint: 0x091c, oid: `${NIST_SIG}.31`, class: "pq" },
  // OQS provider codepoints and OIDs (no IETF assignment yet).
  { name: "falcon-512", codepoint: 0xfed7, oid: "1.3.9999.3.11", class: "pq" },
  { name: "falcon-1024", codepoint: 0xfeda, oid: "1.3.9999.3.14", class: "pq" },
  // Classical, for compat policies and hybrid chains.
  { name: "ed25519", codepoint: 0x0807, oid: "1.3.101.112", class: "classical" },
  {
    name: "ecdsa-p256-sha256",
    codepoint: 0x0403,
    oid: "1.2.840.10045.4.3.2",
    class: "classical",
    hash: "sha256",
  },
  {
    name: "ecdsa-p384-sha384",
    codepoint: 0x0503,
    oid: "1.2.840.10045.4.3.3",
    class: "classical",
    hash: "sha384",
  },
  // rsa_pss_rsae_sha256: the key is rsaEncryption (1.2.840.113549.1.1.1); the X.509
  // signature OID is id-RSASSA-PSS (1.2.840.113549.1.1.10) with explicit parameters.
  {
    name: "rsa-pss-sha256",
    codepoint: 0x0804,
    oid: "1.2.840.113549.1.1.10",
    class: "classical",
    hash: "sha256",
  },
  // Composite ML-DSA (draft-ietf-lamps-pq-composite-sigs, §7 and Appendix: OIDs under
  // id-pkix 1.3.6.1.5.5.7.6; parameters absent). No IETF TLS codepoint exists for this
  // draft, so these are PRIVATE-USE values (RFC 8446 §4.2.3: 0xFE00-0xFFFF) picked
  // outside the ranges the OQS provider uses (0xfea0-0xfeff, 0xfe0b/0xfe0e); both peers
  // must agree, so deployments can configure them here. See ../crypto/composite.ts.
  { name: "mldsa44-ed25519-sha512", codepoint: 0xfe40, oid: `${COMPOSITE_SIG}.39`, class: "composite" },
  { name: "mldsa44-ecdsa-p256-sha256", codepoint: 0xfe41, oid: `${COMPOSITE_SIG}.40`, class: "composite" },
  { name: "mldsa65-ecdsa-p256-sha512", codepoint: 0xfe42, oid: `${COMPOSITE_SIG}.45`, class: "composite" },
  { name: "mldsa65-ecdsa-p384-sha512", codepoint: 0xfe43, oid: `${COMPOSITE_SIG}.46`, class: "composite" },
  { name: "mldsa65-ed25519-sha512", codepoint: 0xfe44, oid: `${COMPOSITE_SIG}.48`, class: "composite" },
  { name: "mldsa87-ecdsa-p384-sha512", codepoint: 0xfe45, oid: `${COMPOSITE_SIG}.49`, class: "composite" },
];

/** SubjectPublicKeyInfo algorithm OIDs for classical keys, where they differ from the signature OID. */
export const KEY_OIDS = {
  ecPublicKey: "1.2.840.10045.2.1",
  secp256r1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  rsaEncryption: "1.2.840.113549.1.1.1",
} as const;

export type CipherSuiteName =
  | "TLS_AES_128_GCM_SHA256"
  | "TLS_AES_256_GCM_SHA384"
  | "TLS_CHACHA20_POLY1305_SHA256";

export interface CipherSuiteInfo {
  readonly name: CipherSuiteName;
  readonly codepoint: number;
  readonly aead: AeadName;
  readonly hash: HashName;
}

export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  { name: "TLS_AES_256_GCM_SHA384", codepoint: 0x1302, aead: "aes-256-gcm", hash: "sha384" },
  { name: "TLS_CHACHA20_POLY1305_SHA256", codepoint: 0x1303, aead: "chacha20-poly1305", hash: "sha256" },
  { name: "TLS_AES_128_GCM_SHA256", codepoint: 0x1301, aead: "aes-128-gcm", hash: "sha256" },
];

function indexBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T> {
  return new Map(items.map((t) => [key(t), t]));
}

const groupsByName = indexBy(GROUPS, (g) => g.name);
const groupsByCode = indexBy(GROUPS, (g) => g.codepoint);
const sigsByName = indexBy(SIGNATURE_SCHEMES, (s) => s.name);
const sigsByCode = indexBy(SIGNATURE_SCHEMES, (s) => s.codepoint);
const sigsByOid = indexBy(SIGNATURE_SCHEMES, (s) => s.oid);
const suitesByName = indexBy(CIPHER_SUITES, (s) => s.name);
const suitesByCode = indexBy(CIPHER_SUITES, (s) => s.codepoint);

export const groupByName = (name: GroupName): GroupInfo => groupsByName.get(name)!;
export const groupByCodepoint = (code: number): GroupInfo | undefined => groupsByCode.get(code);
export const signatureByName = (name: SignatureName): SignatureSchemeInfo => sigsByName.get(name)!;
export const signatureByCodepoint = (code: number): SignatureSchemeInfo | undefined => sigsByCode.get(code);
export const signatureByOid = (oid: string): SignatureSchemeInfo | undefined => sigsByOid.get(oid);
export const cipherSuiteByName = (name: CipherSuiteName): CipherSuiteInfo => suitesByName.get(name)!;
export const cipherSuiteByCodepoint = (code: number): CipherSuiteInfo | undefined => suitesByCode.get(code);
