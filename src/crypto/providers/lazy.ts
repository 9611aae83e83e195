/**
 * A provider whose implementation loads on first use. Selection asks
 * providers in rank order and stops at the first that has an algorithm
 * (../select.ts), so a fallback ranked behind node:crypto and liboqs (noble)
 * is only loaded, with its ~150 ms of module evaluation, when something
 * actually falls back to it.
 */
import type { CryptoProvider, ProviderName } from "../types.ts";

export function lazyProvider(name: ProviderName, load: () => CryptoProvider): CryptoProvider {
  let loaded: CryptoProvider | undefined;
  const real = (): CryptoProvider => {
    loaded ??= load();
    if (loaded.name !== name) throw new Error(`lazy provider ${name} loaded provider ${loaded.name}`);
    return loaded;
  };
  return {
    name,
    randomBytes: (length) => real().randomBytes(length),
    hash: (n) => real().hash(n),
    aead: (n) => real().aead(n),
    kem: (n) => real().kem(n),
    signature: (n) => real().signature(n),
  };
}
