/**
 * A local identity (certificate chain + private key) from PEM text, checked
 * for consistency: the key must be the leaf's key (else TLS would send a
 * CertificateVerify the peer cannot verify).
 */

import { bytesEqual, wipe } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto } from "../crypto/types.ts";
import { parseCertificate } from "./certificate.ts";
import { importPrivateKey } from "./keys.ts";
import { MAX_PRESENTED_CERTIFICATES } from "./limits.ts";
import { decodePem, decodePemOne } from "./pem.ts";
import { type CertifiedKey, PkiError } from "./types.ts";

/** Builds a CertifiedKey from a PEM chain (leaf first) and a PEM PKCS#8 key. */
export function parseIdentity(
  certificatePem: string,
  privateKeyPem: string,
  crypto: Crypto = defaultCrypto(),
): CertifiedKey {
  const chain = decodePem(certificatePem, "CERTIFICATE");
  if (chain.length > MAX_PRESENTED_CERTIFICATES) {
    throw new PkiError("path-too-long", `${chain.length} certificates exceeds ${MAX_PRESENTED_CERTIFICATES}`);
  }
  const leaf = parseCertificate(chain[0]!);
  chain.slice(1).forEach(parseCertificate);
  const der = decodePemOne(privateKeyPem, "PRIVATE KEY");
  try {
    const pair = importPrivateKey(der, crypto);
    if (pair.algorithm !== leaf.keyAlgorithm || !bytesEqual(pair.publicKey, leaf.publicKey)) {
      throw new PkiError("bad-encoding", `the private key does not belong to certificate "${leaf.subject}"`);
    }
    return { chain, key: pair.signingKey };
  } finally {
    wipe(der);
  }
}
