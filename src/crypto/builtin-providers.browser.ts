/**
 * The providers a browser starts with: `noble` only (pure JS; its random
 * bytes come from WebCrypto's getRandomValues). `wasm` (liboqs) joins when
 * the web client has compiled it (src/web/browser-crypto.ts). WebCrypto's
 * own algorithms cannot serve here: the provider interface is synchronous
 * (the TLS engine is sans-IO) and SubtleCrypto is promise-based.
 * Used instead of ./builtin-providers.ts by scripts/build-web.mjs.
 */
import { registerProvider } from "./provider-registry.ts";
import { createNobleProvider } from "./providers/noble.ts";

registerProvider(createNobleProvider());
