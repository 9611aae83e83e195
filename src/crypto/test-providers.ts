/**
 * Test support: every provider this runtime can offer, each on its own
 * (node always; wasm after liboqs loads; noble always). Used by the
 * differential and key-exchange tests, not by library code.
 */
import { createNobleProvider } from "./providers/noble.ts";
import { createNodeProvider } from "./providers/node.ts";
import { createWasmProvider } from "./providers/wasm.ts";
import type { CryptoProvider } from "./types.ts";

let all: Promise<CryptoProvider[]> | undefined;

export function allProviders(): Promise<CryptoProvider[]> {
  all ??= createWasmProvider().then((wasm) => [createNodeProvider(), wasm, createNobleProvider()]);
  return all;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
