/** Public API of pqrpc's crypto layer (DESIGN.md §1.3, §3). */

export { concatBytes, constantTimeEqual } from "../bytes/bytes.ts";
export { type KeyExchange, keyExchange } from "./key-exchange.ts";
export { createNobleProvider } from "./providers/noble.ts";
export { createNodeProvider } from "./providers/node.ts";
export { createWasmProvider, loadWasmProvider, type WasmLoadOptions } from "./providers/wasm.ts";
export * from "./registry.ts";
export {
  type CryptoOptions,
  createCrypto,
  defaultCrypto,
  loadedProviderNames,
  PROVIDERS_ENV_VAR,
  registerProvider,
} from "./select.ts";
export * from "./types.ts";
