/**
 * The liboqs-js factories the `wasm` provider uses (src/crypto/providers/wasm.ts),
 * re-exported statically for the browser bundle: scripts/build-web.mjs
 * resolves the provider's `import("@oqs/liboqs-js")` here, so the bundle has
 * one lazy chunk per algorithm pqrpc can use and none for the rest of liboqs.
 */
export {
  createFalcon512,
  createFalcon1024,
  createMLDSA44,
  createMLDSA65,
  createMLDSA87,
  createMLKEM512,
  createMLKEM768,
  createMLKEM1024,
  createSlhDsaSha2128f,
  createSlhDsaSha2128s,
  createSlhDsaSha2192f,
  createSlhDsaSha2192s,
  createSlhDsaSha2256f,
  createSlhDsaSha2256s,
  createSlhDsaShake128f,
  createSlhDsaShake128s,
  createSlhDsaShake192f,
  createSlhDsaShake192s,
  createSlhDsaShake256f,
  createSlhDsaShake256s,
  createSntrup761,
} from "@oqs/liboqs-js";
