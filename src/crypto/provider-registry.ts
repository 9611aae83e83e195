/**
 * The set of loaded providers. `node` and `noble` load synchronously with
 * this module; `wasm` joins when `loadWasmProvider()` has compiled liboqs.
 * Every registration bumps `generation` so cached selections are redone.
 */
import type { CryptoProvider, ProviderName } from "./types.ts";

const loaded = new Map<ProviderName, CryptoProvider>();
let currentGeneration = 0;

export function registerProvider(provider: CryptoProvider): void {
  loaded.set(provider.name, provider);
  currentGeneration++;
}

export function loadedProvider(name: ProviderName): CryptoProvider | undefined {
  return loaded.get(name);
}

export function loadedProviderNames(): ProviderName[] {
  return [...loaded.keys()];
}

export function generation(): number {
  return currentGeneration;
}
