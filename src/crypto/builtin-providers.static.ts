/**
 * The Node providers for the bundled CLI (scripts/build-cli.mjs), used there
 * instead of ./builtin-providers.ts: a bundle has no module file beside this
 * one for that file's require() to find. Here `require` names a module of
 * the bundle itself, which esbuild evaluates on first use, so noble stays
 * unloaded unless something falls back to it. Not part of the compiled
 * library: only the bundler resolves this require().
 */

import { registerProvider } from "./provider-registry.ts";
import { lazyProvider } from "./providers/lazy.ts";
import { NOBLE_OFFERS } from "./providers/noble-offers.ts";
import { createNodeProvider } from "./providers/node.ts";

declare const require: (id: string) => unknown;

registerProvider(createNodeProvider());
registerProvider(
  lazyProvider(
    "noble",
    () => (require("./providers/noble.ts") as typeof import("./providers/noble.ts")).createNobleProvider(),
    NOBLE_OFFERS,
  ),
);
