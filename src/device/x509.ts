/**
 * pqrpc/device with X.509 (the certificate profile): everything of the PSK
 * build, plus path validation of the server's chain (ML-DSA-44 for devices).
 * A separate entry because ASN.1 parsing roughly doubles the bundle.
 */
import type { Crypto } from "../crypto/types.ts";
import { createVerifier } from "../pki/trust-store.ts";
import type { PeerVerifier } from "../pki/types.ts";

export * from "./index.ts";

/** A verifier whose trust anchors are `roots` (DER). */
export function createTrustVerifier(roots: readonly Uint8Array[], crypto: Crypto): PeerVerifier {
  return createVerifier({ roots: [...roots], crypto });
}
