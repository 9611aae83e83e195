/**
 * Every bound on pki input, in one place (STYLE.md: every limit a named
 * constant with a unit). Sizes are chosen from the largest algorithm we
 * support: an SLH-DSA-SHAKE-256f signature is 49,856 bytes (FIPS 205 Table 2),
 * so one certificate can approach 50 KB before any extension.
 */

/** Largest DER certificate or CSR accepted (SLH-DSA-256f signature + key + extensions). */
export const MAX_CERTIFICATE_BYTES = 128 * 1024;

/** Largest DER PKCS#8 private key accepted (ML-DSA-87 "both" form is 4,938 bytes; RSA-4096 ~2.4 KB). */
export const MAX_PRIVATE_KEY_BYTES = 16 * 1024;

/** Largest PEM text accepted by the decoder (a bundle of anchors or a chain). */
export const MAX_PEM_BYTES = 4 * 1024 * 1024;

/** Most PEM blocks read from one text. */
export const MAX_PEM_BLOCKS = 256;

/** Most certificates a peer may present in one chain (leaf included). */
export const MAX_PRESENTED_CERTIFICATES = 10;

/** Most certificates in a validated path, leaf and trust anchor included. */
export const MAX_PATH_CERTIFICATES = 8;

/** Most signature checks one path search may perform before giving up (bounds chain-building work). */
export const MAX_PATH_SIGNATURE_CHECKS = 32;

/** Most trust anchors plus configured intermediates one verifier holds. */
export const MAX_TRUST_CERTIFICATES = 1024;

/** Most extensions in one certificate. */
export const MAX_CERTIFICATE_EXTENSIONS = 64;

/** Most subjectAltName entries in one certificate. */
export const MAX_SUBJECT_ALT_NAMES = 256;
/** Permitted plus excluded subtrees in one nameConstraints extension (RFC 5280 §4.2.1.10); each is checked against every name below the CA. */
export const MAX_NAME_CONSTRAINT_SUBTREES = 256;

/** Longest DNS name (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text). */
export const MAX_DNS_NAME_CHARS = 253;

/** Length of generated serial numbers in bytes (RFC 5280 §4.1.2.2 allows up to 20; CA/B Forum wants >= 64 random bits). */
export const SERIAL_NUMBER_BYTES = 16;

/** Longest serial number accepted when parsing (RFC 5280 §4.1.2.2: 20 octets). */
export const MAX_SERIAL_NUMBER_BYTES = 20;

/** Longest validity period `certs init` and the issuer accept, in days. */
export const MAX_VALIDITY_DAYS = 100 * 365;

/** Clock skew tolerated when an issued certificate starts: notBefore is set this far in the past, in milliseconds. */
export const NOT_BEFORE_BACKDATE_MS = 60 * 60 * 1000;

/**
 * Parsed certificates a TrustStore keeps for reuse, keyed by SHA-256 of their
 * DER: a client reconnecting to the same server (or any peer sending the root
 * or an intermediate it already knows) skips re-parsing. Parsing is the
 * costliest non-signature step of a handshake (~1 ms for an ML-DSA-65 leaf);
 * path validation and every signature check still run on every handshake.
 */
export const MAX_PARSED_CERTIFICATE_CACHE_ENTRIES = 64;

/**
 * Certificate signatures a TrustStore remembers as verified (an LRU): the key
 * is SHA-256 of the signed certificate's exact DER and of its issuer's exact
 * DER, so an entry stands for "this issuer's key verifies this certificate's
 * signature", a pure function of those bytes. Only successes are kept. A hit
 * skips that one signature check (an ML-DSA-65 verify is the costliest step of
 * a client handshake after the server's signing); everything else (policy per
 * edge, validity periods at the current time, basicConstraints, keyUsage,
 * EKU, name constraints, the host name, and the CertificateVerify signature
 * over the transcript) runs on every handshake. 256 edges cover a few hundred
 * distinct peers' chains of two or three certificates; each entry is one
 * 129-character string.
 */
export const MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES = 256;
