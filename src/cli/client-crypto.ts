/**
 * Crypto for the one-shot client commands (call, probe): a handful of
 * handshakes, where loading every liboqs WebAssembly module (21 of them,
 * ~150-300 ms here) would cost more than it saves. Node >= 24.7 has ML-KEM
 * natively and needs none; older Nodes load the two that the default
 * handshake uses (ML-KEM-768 for X25519MLKEM768, ML-DSA-65 for the usual
 * chain); anything else falls back to noble, loaded only if used.
 */
import { loadWasmProvider } from "../crypto/index.ts";
import { loadedProvider } from "../crypto/provider-registry.ts";

/** The liboqs modules a client command loads when the runtime lacks native ML-KEM. */
export const CLIENT_WASM_ALGORITHMS = ["ml-kem-768", "ml-dsa-65"] as const;

export async function loadClientCrypto(): Promise<void> {
  if (loadedProvider("node")?.kem("ml-kem-768") !== undefined) return;
  await loadWasmProvider({ algorithms: CLIENT_WASM_ALGORITHMS });
}
