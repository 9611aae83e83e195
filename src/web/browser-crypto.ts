/**
 * Crypto in the browser. The TLS engine is sans-IO and calls its provider
 * synchronously, so WebCrypto's SubtleCrypto (promise-based) cannot sit
 * under it; only its getRandomValues is used (by `noble` and `wasm` for
 * randomness). The PQ work goes to `wasm` (liboqs compiled to WebAssembly,
 * compiled once, asynchronously, before the first handshake), everything
 * else (X25519, AES-GCM, ChaCha20-Poly1305, SHA-2, HKDF) and any algorithm
 * not loaded into wasm to `noble` (audited pure JS). If WebAssembly is not
 * available (e.g. a Content-Security-Policy without 'wasm-unsafe-eval'),
 * noble does everything: slower, same bytes (the differential tests hold).
 */
import { loadWasmProvider } from "../crypto/providers/wasm.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, CryptoProvider, KemName, SignatureName } from "../crypto/types.ts";

/**
 * The liboqs modules compiled by default: the default profile's KEM (the PQ
 * half of X25519MLKEM768) and signature (ML-DSA-65). Each is one lazily
 * fetched chunk of the bundle (~20 KiB gzipped, wasm inlined). A client
 * only verifies signatures, so other ML-DSA levels, SLH-DSA and Falcon stay
 * on noble unless listed in `wasm` (about 1-2 ms more per handshake).
 */
export const DEFAULT_BROWSER_WASM_ALGORITHMS: readonly (KemName | SignatureName)[] = [
  "ml-kem-768",
  "ml-dsa-65",
];

export interface BrowserCryptoOptions {
  /** liboqs modules to compile, or false for noble only (default DEFAULT_BROWSER_WASM_ALGORITHMS). */
  wasm?: false | readonly (KemName | SignatureName)[];
}

export interface BrowserCrypto {
  readonly crypto: Crypto;
  /** Why wasm is not in use, when it was wanted and failed to load. */
  readonly wasmError: string | undefined;
}

let wasmLoad: Promise<string | undefined> | undefined;

/** Compiles the wasm provider once per page (the first call's algorithm list wins) and returns the selection. */
export async function loadBrowserCrypto(options: BrowserCryptoOptions = {}): Promise<BrowserCrypto> {
  let wasmError: string | undefined;
  if (options.wasm !== false) {
    const algorithms = options.wasm ?? DEFAULT_BROWSER_WASM_ALGORITHMS;
    wasmLoad ??= loadWasmProvider({ algorithms }).then(
      (_provider: CryptoProvider) => undefined,
      (error: unknown) => `liboqs wasm failed to load, using noble: ${(error as Error).message}`,
    );
    wasmError = await wasmLoad;
  }
  return { crypto: defaultCrypto(), wasmError };
}
