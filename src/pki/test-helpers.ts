/** Builders shared by the pki tests: small chains with one knob changed at a time. */
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, SignatureName } from "../crypto/types.ts";
import { type IssueOptions, issueCertificate } from "./issue.ts";
import { generateKeyPair, type KeyPair, publicKeyInfo } from "./keys.ts";

export interface TestCert {
  readonly der: Uint8Array;
  readonly key: KeyPair;
}

type Extra = Partial<Omit<IssueOptions, "publicKey" | "signingKey" | "issuerCertificate">>;

export function makeRoot(algorithm: SignatureName = "ed25519", extra: Extra = {}): TestCert {
  const key = generateKeyPair(algorithm);
  const der = issueCertificate({
    subject: "test root",
    ca: {},
    ...extra,
    publicKey: publicKeyInfo(key),
    signingKey: key.signingKey,
  });
  return { der, key };
}

export function makeChild(
  issuer: TestCert,
  subject: string,
  extra: Extra = {},
  algorithm: SignatureName = issuer.key.algorithm,
): TestCert {
  const key = generateKeyPair(algorithm);
  const der = issueCertificate({
    subject,
    ...extra,
    publicKey: publicKeyInfo(key),
    signingKey: issuer.key.signingKey,
    issuerCertificate: issuer.der,
  });
  return { der, key };
}

export function makeServerLeaf(issuer: TestCert, extra: Extra = {}): TestCert {
  return makeChild(issuer, "server", {
    extendedKeyUsage: ["serverAuth"],
    subjectAltNames: ["localhost"],
    ...extra,
  });
}

/** A copy of `bytes` with one byte XOR-ed at `index` (negative counts from the end). */
export function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  const i = index < 0 ? out.length + index : index;
  out[i] = out[i]! ^ 0x01;
  return out;
}

/** `crypto` whose verifying keys count their verify calls, per algorithm. */
export function countingCrypto(): { crypto: Crypto; verifies: Map<SignatureName, number> } {
  const base = defaultCrypto();
  const verifies = new Map<SignatureName, number>();
  const crypto: Crypto = {
    ...base,
    randomBytes: (n) => base.randomBytes(n),
    hash: (n) => base.hash(n),
    aead: (n) => base.aead(n),
    kem: (n) => base.kem(n),
    hasKem: (n) => base.hasKem(n),
    hasSignature: (n) => base.hasSignature(n),
    describe: () => base.describe(),
    signature(name) {
      const sig = base.signature(name);
      return {
        ...sig,
        generateKeyPair: () => sig.generateKeyPair(),
        publicKeyFromPrivate: (sk) => sig.publicKeyFromPrivate(sk),
        importPrivateKey: (sk) => sig.importPrivateKey(sk),
        importPublicKey(pk) {
          const key = sig.importPublicKey(pk);
          return {
            algorithm: key.algorithm,
            verify(message, signature) {
              verifies.set(name, (verifies.get(name) ?? 0) + 1);
              return key.verify(message, signature);
            },
          };
        },
      };
    },
  };
  return { crypto, verifies };
}

export function totalVerifies(verifies: Map<SignatureName, number>): number {
  return [...verifies.values()].reduce((a, b) => a + b, 0);
}
