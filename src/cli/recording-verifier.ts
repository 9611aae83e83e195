/**
 * The PeerVerifier of the diagnostic commands (`pqrpc probe`, `call -v`): it
 * keeps the chain the server presented so the command can show it, and says
 * plainly whether that chain was validated.
 *
 * - With trust anchors (--ca), it delegates to them: a chain that does not
 *   validate fails the handshake exactly as in a normal client.
 * - Without, it cannot validate anything. It still hands the engine the
 *   leaf's key, so the server's CertificateVerify is checked (the server
 *   proves it holds the leaf's private key) and the policy applies to the
 *   leaf's algorithm, but the result is recorded as "not verified": nothing
 *   says who owns that key. Callers must report that, never trust.
 */
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto } from "../crypto/types.ts";
import { certificatePublicKey, parseCertificate } from "../pki/certificate.ts";
import { matchesServerName } from "../pki/host-name.ts";
import { MAX_PRESENTED_CERTIFICATES } from "../pki/limits.ts";
import {
  type PeerVerificationRequest,
  type PeerVerifier,
  PkiError,
  type VerifiedPeer,
} from "../pki/types.ts";

export type ChainVerdict =
  /** Validated against the given trust anchors. */
  | { readonly status: "verified"; readonly path: readonly Uint8Array[] }
  /** No trust anchors were given: the chain was only recorded. */
  | { readonly status: "not-verified"; readonly reason: string }
  /** Validation failed (the handshake was refused). */
  | { readonly status: "failed"; readonly error: PkiError };

export class RecordingVerifier implements PeerVerifier {
  /** The chain of the last handshake, leaf first, DER (empty until a server sent one). */
  chain: readonly Uint8Array[] = [];
  verdict: ChainVerdict | undefined;
  /** Whether the leaf's names cover the expected server name (checked even when not verified). */
  nameMatches: boolean | undefined;
  private readonly crypto: Crypto;

  constructor(
    private readonly anchors: PeerVerifier | undefined,
    crypto?: Crypto,
  ) {
    this.crypto = crypto ?? defaultCrypto();
  }

  get verified(): boolean {
    return this.verdict?.status === "verified";
  }

  verify(request: PeerVerificationRequest): VerifiedPeer {
    this.chain = [...request.chain];
    this.nameMatches = undefined;
    if (request.chain.length === 0) throw new PkiError("bad-encoding", "the peer sent no certificate");
    if (request.chain.length > MAX_PRESENTED_CERTIFICATES) {
      throw new PkiError(
        "path-too-long",
        `${request.chain.length} certificates exceeds ${MAX_PRESENTED_CERTIFICATES}`,
      );
    }
    const leaf = parseCertificate(request.chain[0]!);
    if (request.serverName !== undefined) {
      this.nameMatches = matchesServerName(leaf.extensions.subjectAltName, request.serverName);
    }
    if (this.anchors) {
      try {
        const peer = this.anchors.verify(request);
        this.verdict = { status: "verified", path: peer.path };
        return peer;
      } catch (e) {
        if (e instanceof PkiError) this.verdict = { status: "failed", error: e };
        throw e;
      }
    }
    this.verdict = { status: "not-verified", reason: "no trust anchors given (--ca)" };
    return {
      key: certificatePublicKey(leaf, this.crypto),
      algorithm: leaf.keyAlgorithm,
      path: request.chain,
      // Nothing verified: the signatures as presented (each certificate's, by whoever issued it).
      pathSignatures: request.chain.map((der) => parseCertificate(der).signatureAlgorithm),
    };
  }
}
