/**
 * ML-DSA, SLH-DSA and Falcon from liboqs (WebAssembly). liboqs-js only
 * signs with expanded secret keys and cannot derive keys from a seed, so the
 * raw-key conventions of ../types.ts (ML-DSA: 32-byte seed; Falcon: public
 * key derived from the secret) are met by expanding once at import with the
 * pure-JS code in @noble/post-quantum; signing and verifying run in wasm.
 */

import { falcon512, falcon1024 } from "@noble/post-quantum/falcon.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { plainView, wipe } from "../../bytes/bytes.ts";
import { expectLength } from "../fixed-length.ts";
import { isMlDsa, isSlhDsa, SIGNATURE_SIZES } from "../signature-params.ts";
import { CryptoError, type Signature, type SignatureName } from "../types.ts";
import { asInvalidInput } from "./invalid-input.ts";

/** The shape of a liboqs-js signature instance. */
export interface OqsSignature {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

interface KeyCodec {
  generate(): { publicKey: Uint8Array; privateKey: Uint8Array };
  /** Raw private key -> liboqs secret key. */
  expand(raw: Uint8Array): Uint8Array;
  publicKeyFromPrivate(raw: Uint8Array): Uint8Array;
}

const ML_DSA_EXPANDERS = { "ml-dsa-44": ml_dsa44, "ml-dsa-65": ml_dsa65, "ml-dsa-87": ml_dsa87 } as const;
const FALCON_PUBLIC = { "falcon-512": falcon512, "falcon-1024": falcon1024 } as const;

function codecFor(name: SignatureName, impl: OqsSignature): KeyCodec {
  if (isMlDsa(name)) {
    const expander = ML_DSA_EXPANDERS[name as keyof typeof ML_DSA_EXPANDERS];
    const seedBytes = expander.lengths.seed!;
    return {
      generate() {
        const privateKey = globalThis.crypto.getRandomValues(new Uint8Array(seedBytes));
        const { publicKey, secretKey } = expander.keygen(privateKey);
        wipe(secretKey);
        return { publicKey, privateKey };
      },
      // FIPS 204 Algorithm 6 (ML-DSA.KeyGen_internal) from the seed ξ; skEncode matches liboqs.
      expand: (seed) => expander.keygen(seed).secretKey,
      publicKeyFromPrivate: (seed) => expander.keygen(seed).publicKey,
    };
  }
  const direct = (publicKeyFromPrivate: (sk: Uint8Array) => Uint8Array): KeyCodec => ({
    generate() {
      const { publicKey, secretKey } = impl.generateKeyPair();
      return { publicKey, privateKey: secretKey };
    },
    expand: (raw) => Uint8Array.from(raw),
    publicKeyFromPrivate,
  });
  if (isSlhDsa(name)) {
    // FIPS 205 §9.1: SK = SK.seed ‖ SK.prf ‖ PK.seed ‖ PK.root; the second half is PK.
    return direct((sk) => sk.slice(sk.length / 2));
  }
  const falcon = FALCON_PUBLIC[name as keyof typeof FALCON_PUBLIC];
  if (falcon === undefined) throw new CryptoError("internal", `wasm: no key codec for ${name}`);
  return direct((sk) => falcon.getPublicKey(sk));
}

export function wasmSignature(name: SignatureName, impl: OqsSignature): Signature {
  const sizes = SIGNATURE_SIZES[name];
  if (sizes === undefined) throw new CryptoError("internal", `wasm: no sizes for ${name}`);
  const codec = codecFor(name, impl);
  const guard = <T>(what: string, f: () => T): T => asInvalidInput(name, what, f);
  return {
    name,
    provider: "wasm",
    generateKeyPair: () => codec.generate(),
    publicKeyFromPrivate(raw) {
      expectLength(`${name} private key`, raw, sizes.privateKey);
      return guard("private key", () => codec.publicKeyFromPrivate(raw));
    },
    importPrivateKey(raw) {
      expectLength(`${name} private key`, raw, sizes.privateKey);
      const secretKey = guard("private key", () => codec.expand(raw));
      return { algorithm: name, sign: (message) => impl.sign(plainView(message), secretKey) };
    },
    importPublicKey(raw) {
      expectLength(`${name} public key`, raw, sizes.publicKey);
      const publicKey = Uint8Array.from(raw);
      return {
        algorithm: name,
        verify(message, signature) {
          try {
            return impl.verify(plainView(message), plainView(signature), publicKey);
          } catch {
            return false;
          }
        },
      };
    },
  };
}
