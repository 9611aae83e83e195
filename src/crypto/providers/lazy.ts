/**
 * A provider whose implementation loads on first use. Selection asks
 * providers in rank order and stops at the first that has an algorithm
 * (../select.ts); a fallback ranked behind node:crypto and liboqs (noble) is
 * asked about algorithms it will rarely serve. Given a table of what it
 * offers, the lazy provider answers those questions with stand-ins (name,
 * sizes, capabilities) and loads the real implementation when one of their
 * operations is first called, so a process that never falls back to noble
 * never evaluates its modules (~50 ms of table set-up here).
 */
import { KEM_SIZES } from "../kem-params.ts";
import type { CryptoProvider, Kem, KemName, ProviderName, Signature, SignatureName } from "../types.ts";
import type { ProviderOffers } from "./noble-offers.ts";

export function lazyProvider(
  name: ProviderName,
  load: () => CryptoProvider,
  offers: ProviderOffers,
): CryptoProvider {
  let loaded: CryptoProvider | undefined;
  const real = (): CryptoProvider => {
    loaded ??= load();
    if (loaded.name !== name) throw new Error(`lazy provider ${name} loaded provider ${loaded.name}`);
    return loaded;
  };
  const realKem = (n: KemName): Kem => {
    const k = real().kem(n);
    if (k === undefined) throw new Error(`provider ${name} does not offer ${n} after all`);
    return k;
  };
  const realSignature = (n: SignatureName): Signature => {
    const s = real().signature(n);
    if (s === undefined) throw new Error(`provider ${name} does not offer ${n} after all`);
    return s;
  };
  const kems = new Map<KemName, Kem>();
  const signatures = new Map<SignatureName, Signature>();
  return {
    name,
    randomBytes: (length) => real().randomBytes(length),
    hash: (n) => real().hash(n),
    aead: (n) => real().aead(n),
    kem(n) {
      if (!offers.kems.has(n)) return undefined;
      let k = kems.get(n);
      if (k === undefined) {
        const sizes = KEM_SIZES[n];
        k = {
          name: n,
          provider: name,
          publicKeyLength: sizes.publicKey,
          ciphertextLength: sizes.ciphertext,
          sharedSecretLength: sizes.sharedSecret,
          generateKeyPair: () => realKem(n).generateKeyPair(),
          encapsulate: (publicKey) => realKem(n).encapsulate(publicKey),
          decapsulate: (secretKey, ciphertext) => realKem(n).decapsulate(secretKey, ciphertext),
        };
        kems.set(n, k);
      }
      return k;
    },
    signature(n) {
      if (!offers.signatures.has(n)) return undefined;
      let s = signatures.get(n);
      if (s === undefined) {
        s = {
          name: n,
          provider: name,
          ...(offers.contextStrings.has(n) ? { contextStrings: true } : {}),
          generateKeyPair: () => realSignature(n).generateKeyPair(),
          publicKeyFromPrivate: (privateKey) => realSignature(n).publicKeyFromPrivate(privateKey),
          importPrivateKey: (privateKey) => realSignature(n).importPrivateKey(privateKey),
          importPublicKey: (publicKey) => realSignature(n).importPublicKey(publicKey),
        };
        signatures.set(n, s);
      }
      return s;
    },
  };
}
