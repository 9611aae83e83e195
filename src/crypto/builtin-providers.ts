/**
 * The providers a Node process starts with: `node` (node:crypto) and
 * `noble`; `wasm` joins later through loadWasmProvider(). Imported for its
 * side effect by ./select.ts. The browser bundle (scripts/build-web.mjs)
 * swaps this file for ./builtin-providers.browser.ts, so node:crypto never
 * reaches a browser.
 *
 * noble (pure JS) is ranked behind node:crypto and liboqs for everything, so
 * it is loaded on first use: a synchronous require() of its ES module (Node
 * >= 20.19), from the file beside this one (.ts in the repository, .js as built).
 */
import { createRequire } from "node:module";
import { registerProvider } from "./provider-registry.ts";
import { lazyProvider } from "./providers/lazy.ts";
import { NOBLE_OFFERS } from "./providers/noble-offers.ts";
import { createNodeProvider } from "./providers/node.ts";

const NOBLE_MODULE = `./providers/noble${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`;

registerProvider(createNodeProvider());
registerProvider(
  lazyProvider(
    "noble",
    () => {
      const noble = createRequire(import.meta.url)(NOBLE_MODULE) as typeof import("./providers/noble.ts");
      return noble.createNobleProvider();
    },
    NOBLE_OFFERS,
  ),
);
