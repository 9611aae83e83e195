/** `pqrpc/pki`: X.509 with post-quantum algorithms: issue, parse, PEM, PKCS#8, CSR, path validation. */
export * from "../pki/index.ts";
export type { CertifiedKey, PeerVerifier, VerifiedPeer } from "../pki/types.ts";
export { PkiError, type PkiErrorCode } from "../pki/types.ts";
