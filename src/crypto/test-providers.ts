/**
 * Test support: every provider this runtime can offer, each on its own
 * (node always; wasm after liboqs loads; noble always). Used by the
 * differential and key-exchange tests, not by library code.
 */
import { fromHex, toHex } from "../bytes/bytes.ts";
import { createNobleProvider } from "./providers/noble.ts";
import { createNodeProvider } from "./providers/node.ts";
import { createWasmProvider } from "./providers/wasm.ts";
import type { CryptoProvider } from "./types.ts";

let all: Promise<CryptoProvider[]> | undefined;

export function allProviders(): Promise<CryptoProvider[]> {
  all ??= createWasmProvider().then((wasm) => [createNodeProvider(), wasm, createNobleProvider()]);
  return all;
}

/** Bytes of hex text that may be broken over lines (as RFCs print it). */
export const hex = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ""));
export { toHex };
