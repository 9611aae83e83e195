/**
 * The `wasm` provider (DESIGN.md §1.3): liboqs compiled to WebAssembly
 * (@oqs/liboqs-js) for ML-KEM, ML-DSA, SLH-DSA, Falcon and sntrup761.
 * WebAssembly compiles asynchronously, so `loadWasmProvider()` instantiates
 * the modules once and registers the provider; from then on selection uses
 * it synchronously like any other. It has no hashes, AEADs or curves: the
 * selection takes those from `node` or `noble`.
 */
import { registerProvider } from "../provider-registry.ts";
import type { CryptoProvider, KemName, SignatureName } from "../types.ts";
import { memoize } from "./memoize.ts";
import { type OqsKem, wasmKem } from "./wasm-kem.ts";
import type { OqsSignature } from "./wasm-signature.ts";

/** liboqs-js factory names per pqrpc algorithm. */
const KEM_FACTORIES: Partial<Record<KemName, string>> = {
  "ml-kem-512": "createMLKEM512",
  "ml-kem-768": "createMLKEM768",
  "ml-kem-1024": "createMLKEM1024",
  sntrup761: "createSntrup761",
};

const SIGNATURE_FACTORIES: Partial<Record<SignatureName, string>> = {
  "ml-dsa-44": "createMLDSA44",
  "ml-dsa-65": "createMLDSA65",
  "ml-dsa-87": "createMLDSA87",
  "falcon-512": "createFalcon512",
  "falcon-1024": "createFalcon1024",
  "slh-dsa-sha2-128s": "createSlhDsaSha2128s",
  "slh-dsa-sha2-128f": "createSlhDsaSha2128f",
  "slh-dsa-sha2-192s": "createSlhDsaSha2192s",
  "slh-dsa-sha2-192f": "createSlhDsaSha2192f",
  "slh-dsa-sha2-256s": "createSlhDsaSha2256s",
  "slh-dsa-sha2-256f": "createSlhDsaSha2256f",
  "slh-dsa-shake-128s": "createSlhDsaShake128s",
  "slh-dsa-shake-128f": "createSlhDsaShake128f",
  "slh-dsa-shake-192s": "createSlhDsaShake192s",
  "slh-dsa-shake-192f": "createSlhDsaShake192f",
  "slh-dsa-shake-256s": "createSlhDsaShake256s",
  "slh-dsa-shake-256f": "createSlhDsaShake256f",
};

export const WASM_KEMS = Object.keys(KEM_FACTORIES) as KemName[];
export const WASM_SIGNATURES = Object.keys(SIGNATURE_FACTORIES) as SignatureName[];

export interface WasmLoadOptions {
  /** Load only these algorithms (each is a separate WebAssembly module); default: all of them. */
  algorithms?: readonly (KemName | SignatureName)[];
}

type Factories = Record<string, () => Promise<unknown>>;

/** Instantiates the liboqs modules without registering them (tests use this directly). */
export async function createWasmProvider(options: WasmLoadOptions = {}): Promise<CryptoProvider> {
  const wanted = new Set<string>(options.algorithms ?? [...WASM_KEMS, ...WASM_SIGNATURES]);
  const oqs = (await import("@oqs/liboqs-js")) as unknown as Factories;
  // Imported here, not at the top: it brings noble's ML-DSA and Falcon (for key expansion), whose
  // module set-up is tens of milliseconds that a process which never loads liboqs should not pay.
  const { wasmSignature } = await import("./wasm-signature.ts");
  const kems = new Map<KemName, OqsKem>();
  const sigs = new Map<SignatureName, OqsSignature>();
  await Promise.all([
    ...WASM_KEMS.filter((n) => wanted.has(n)).map(async (n) => {
      kems.set(n, (await oqs[KEM_FACTORIES[n]!]!()) as OqsKem);
    }),
    ...WASM_SIGNATURES.filter((n) => wanted.has(n)).map(async (n) => {
      sigs.set(n, (await oqs[SIGNATURE_FACTORIES[n]!]!()) as OqsSignature);
    }),
  ]);
  return {
    name: "wasm",
    randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)),
    // Symmetric primitives and curves come from node or noble (see ../ranking.ts).
    hash: () => undefined,
    aead: () => undefined,
    kem: memoize((name: KemName) => {
      const impl = kems.get(name);
      return impl === undefined ? undefined : wasmKem(name, impl);
    }),
    signature: memoize((name: SignatureName) => {
      const impl = sigs.get(name);
      return impl === undefined ? undefined : wasmSignature(name, impl);
    }),
  };
}

let loading: Promise<CryptoProvider> | undefined;

/** Loads liboqs (once) and registers it for selection; later calls return the same provider. */
export function loadWasmProvider(options: WasmLoadOptions = {}): Promise<CryptoProvider> {
  loading ??= createWasmProvider(options).then((provider) => {
    registerProvider(provider);
    return provider;
  });
  return loading;
}
