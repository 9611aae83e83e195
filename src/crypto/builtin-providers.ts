/**
 * The providers a Node process starts with: `node` (node:crypto) and
 * `noble`; `wasm` joins later through loadWasmProvider(). Imported for its
 * side effect by ./select.ts. The browser bundle (scripts/build-web.mjs)
 * swaps this file for ./builtin-providers.browser.ts, so node:crypto never
 * reaches a browser.
 */
import { registerProvider } from "./provider-registry.ts";
import { createNobleProvider } from "./providers/noble.ts";
import { createNodeProvider } from "./providers/node.ts";

registerProvider(createNodeProvider());
registerProvider(createNobleProvider());
