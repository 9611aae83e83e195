/**
 * Key pairs as pki handles them: a scheme, its raw public key, and PKCS#8
 * import/export through the crypto layer.
 */

import { bytesEqual } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, SignatureName, SigningKey } from "../crypto/types.ts";
import type { PublicKeyInfo } from "./algorithms.ts";
import { decodePrivateKey, encodePrivateKey } from "./private-key.ts";
import { PkiError } from "./types.ts";

export interface KeyPair {
  readonly algorithm: SignatureName;
  readonly publicKey: Uint8Array;
  /** PKCS#8 DER of the private key. */
  readonly pkcs8: Uint8Array;
  readonly signingKey: SigningKey;
}

export function publicKeyInfo(pair: KeyPair): PublicKeyInfo {
  return { algorithm: pair.algorithm, publicKey: pair.publicKey };
}

function signatureFor(algorithm: SignatureName, crypto: Crypto) {
  if (!crypto.hasSignature(algorithm))
    throw new PkiError("unsupported-algorithm", `no provider for ${algorithm}`);
  return crypto.signature(algorithm);
}

export function generateKeyPair(algorithm: SignatureName, crypto: Crypto = defaultCrypto()): KeyPair {
  const scheme = signatureFor(algorithm, crypto);
  const { publicKey, privateKey } = scheme.generateKeyPair();
  const pkcs8 = encodePrivateKey(
    algorithm,
    privateKey,
    algorithm.startsWith("ecdsa") ? publicKey : undefined,
  );
  const signingKey = scheme.importPrivateKey(privateKey);
  return { algorithm, publicKey, pkcs8, signingKey };
}

/**
 * Loads a PKCS#8 private key and derives its public key. When the encoding
 * carries a public key too, it must match the derived one.
 */
export function importPrivateKey(pkcs8: Uint8Array, crypto: Crypto = defaultCrypto()): KeyPair {
  const decoded = decodePrivateKey(pkcs8);
  const scheme = signatureFor(decoded.algorithm, crypto);
  let publicKey: Uint8Array;
  let signingKey: SigningKey;
  try {
    publicKey = scheme.publicKeyFromPrivate(decoded.privateKey);
    signingKey = scheme.importPrivateKey(decoded.privateKey);
  } catch (e) {
    throw new PkiError("bad-encoding", `${decoded.algorithm} private key: ${(e as Error).message}`);
  }
  if (decoded.publicKey && !bytesEqual(decoded.publicKey, publicKey)) {
    throw new PkiError(
      "bad-encoding",
      "the public key inside the PKCS#8 structure does not match the private key",
    );
  }
  return { algorithm: decoded.algorithm, publicKey, pkcs8, signingKey };
}
