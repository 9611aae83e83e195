/**
 * A ready-made CA + server + client set (what `pqrpc certs init` writes, and
 * what tests and examples use in memory): a self-signed root, a server leaf
 * (serverAuth, SANs) and a client leaf (clientAuth), all of one algorithm.
 */
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, SignatureName } from "../crypto/types.ts";
import { issueCertificate } from "./issue.ts";
import { generateKeyPair, type KeyPair, publicKeyInfo } from "./keys.ts";
import { encodePem } from "./pem.ts";
import type { CertifiedKey } from "./types.ts";

export interface DevelopmentPkiOptions {
  readonly algorithm?: SignatureName;
  /** Server subjectAltName entries (DNS names, IP literals). Default: localhost, 127.0.0.1, ::1. */
  readonly subjectAltNames?: readonly string[];
  readonly validityDays?: number;
  readonly notBefore?: Date;
  readonly crypto?: Crypto;
}

export interface IssuedIdentity {
  /** DER certificate. */
  readonly certificate: Uint8Array;
  readonly keyPair: KeyPair;
  /** The chain a TLS peer sends (leaf, then the CA), with its signing key. */
  readonly certifiedKey: CertifiedKey;
  /** PEM of `certifiedKey.chain`. */
  readonly chainPem: string;
  /** PEM PKCS#8 private key. */
  readonly keyPem: string;
}

export interface DevelopmentPki {
  readonly algorithm: SignatureName;
  readonly ca: IssuedIdentity;
  readonly server: IssuedIdentity;
  readonly client: IssuedIdentity;
}

export const DEFAULT_DEVELOPMENT_SANS: readonly string[] = ["localhost", "127.0.0.1", "::1"];

function identity(certificate: Uint8Array, keyPair: KeyPair, chain: Uint8Array[]): IssuedIdentity {
  return {
    certificate,
    keyPair,
    certifiedKey: { chain, key: keyPair.signingKey },
    chainPem: chain.map((c) => encodePem("CERTIFICATE", c)).join(""),
    keyPem: encodePem("PRIVATE KEY", keyPair.pkcs8),
  };
}

export function createDevelopmentPki(options: DevelopmentPkiOptions = {}): DevelopmentPki {
  const algorithm = options.algorithm ?? "ml-dsa-65";
  const crypto = options.crypto ?? defaultCrypto();
  const common = {
    crypto,
    ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
    ...(options.notBefore !== undefined ? { notBefore: options.notBefore } : {}),
  };
  const caKey = generateKeyPair(algorithm, crypto);
  const caCert = issueCertificate({
    ...common,
    subject: { organization: "pqrpc", commonName: `pqrpc development CA (${algorithm})` },
    publicKey: publicKeyInfo(caKey),
    signingKey: caKey.signingKey,
    ca: { pathLen: 0 },
  });
  const leaf = (commonName: string, usage: "serverAuth" | "clientAuth", sans: readonly string[]) => {
    const key = generateKeyPair(algorithm, crypto);
    const cert = issueCertificate({
      ...common,
      subject: { organization: "pqrpc", commonName },
      publicKey: publicKeyInfo(key),
      signingKey: caKey.signingKey,
      issuerCertificate: caCert,
      extendedKeyUsage: [usage],
      subjectAltNames: sans,
    });
    return identity(cert, key, [cert, caCert]);
  };
  const serverSans = options.subjectAltNames ?? DEFAULT_DEVELOPMENT_SANS;
  return {
    algorithm,
    ca: identity(caCert, caKey, [caCert]),
    server: leaf(serverSans[0] ?? "pqrpc server", "serverAuth", serverSans),
    client: leaf("pqrpc client", "clientAuth", []),
  };
}
