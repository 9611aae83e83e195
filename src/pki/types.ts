/**
 * The contract between pki/ and tls/: TLS asks pki to validate a peer's chain
 * and gets back the key that must verify CertificateVerify; a local identity
 * is a DER chain plus a signing key.
 */

import type { SignatureName, SigningKey, VerifyingKey } from "../crypto/types.ts";
import { CodedError } from "../errors/coded-error.ts";

/** A certificate chain (leaf first, DER) and the private key of its leaf. */
export interface CertifiedKey {
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

export type PkiErrorCode =
  | "bad-encoding" // not parseable DER / unsupported structure
  | "unsupported-algorithm"
  | "bad-signature" // a certificate's signature does not verify
  | "unknown-ca" // no path to a trust anchor
  | "expired" // outside notBefore..notAfter
  | "name-mismatch" // SAN does not match the expected host name or IP
  | "bad-usage" // keyUsage / extendedKeyUsage / basicConstraints / pathLen violated
  | "path-too-long"
  | "disallowed-signature" // a signature on the path uses an algorithm the caller's policy refuses
  | "name-constraints"; // a name outside a CA's permitted subtrees or inside its excluded ones (RFC 5280 §4.2.1.10)

export class PkiError extends CodedError<PkiErrorCode> {
  override readonly name = "PkiError";
}

export interface PeerVerificationRequest {
  /** The peer's Certificate message entries, leaf first, DER; extra certificates may be in any order. */
  readonly chain: readonly Uint8Array[];
  /** DNS name or IP literal the leaf must match (client side); absent on the server side. */
  readonly serverName?: string;
  /** "server" requires id-kp-serverAuth, "client" id-kp-clientAuth (when the EKU extension is present). */
  readonly usage: "server" | "client";
  readonly now?: Date;
  /**
   * The signature algorithms the caller's policy accepts for the signatures
   * on the path: each certificate's, from the leaf's up to the one the trust
   * anchor made (the anchor's own self-signature is not checked: it is
   * trusted by configuration). Absent: any algorithm the runtime verifies.
   */
  readonly acceptSignature?: (algorithm: SignatureName) => boolean;
}

export interface VerifiedPeer {
  /** The leaf's key, ready to verify CertificateVerify. */
  readonly key: VerifyingKey;
  readonly algorithm: SignatureName;
  /** The validated path, leaf first, ending at the trust anchor. */
  readonly path: readonly Uint8Array[];
  /** The algorithm of each signature that links the path: path[i] was signed with pathSignatures[i] by path[i + 1]. */
  readonly pathSignatures: readonly SignatureName[];
}

/** Validates peer chains; throws PkiError with the code that decides the TLS alert. */
export interface PeerVerifier {
  verify(request: PeerVerificationRequest): VerifiedPeer;
}
