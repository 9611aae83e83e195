/** ML-KEM and sntrup761 from liboqs (WebAssembly). */
import { plainView } from "../../bytes/bytes.ts";
import { expectLength } from "../fixed-length.ts";
import { KEM_SIZES } from "../kem-params.ts";
import { CryptoError, type Kem, type KemName } from "../types.ts";

/** The shape of a liboqs-js KEM instance (its wrapper classes). */
export interface OqsKem {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** Secret keys carry the object that made them, so a key from another KEM is refused. */
class WasmKemSecret {
  constructor(
    readonly owner: OqsKem,
    readonly bytes: Uint8Array,
  ) {}
  fill(value: number): this {
    this.bytes.fill(value);
    return this;
  }
}

export function wasmKem(name: KemName, impl: OqsKem): Kem {
  const sizes = KEM_SIZES[name];
  return {
    name,
    provider: "wasm",
    publicKeyLength: sizes.publicKey,
    ciphertextLength: sizes.ciphertext,
    sharedSecretLength: sizes.sharedSecret,
    generateKeyPair() {
      const { publicKey, secretKey } = impl.generateKeyPair();
      return { publicKey, secretKey: new WasmKemSecret(impl, secretKey) };
    },
    encapsulate(publicKey) {
      expectLength(`${name} public key`, publicKey, sizes.publicKey);
      try {
        // liboqs (mlkem-native) runs the FIPS 203 §7.2 modulus check and fails encapsulation.
        return impl.encapsulate(plainView(publicKey));
      } catch {
        throw new CryptoError("invalid-input", `${name} public key fails the encapsulation checks`);
      }
    },
    decapsulate(secretKey, ciphertext) {
      expectLength(`${name} ciphertext`, ciphertext, sizes.ciphertext);
      if (!(secretKey instanceof WasmKemSecret) || secretKey.owner !== impl) {
        throw new CryptoError("invalid-input", `${name} secret key: wrong object`);
      }
      try {
        return impl.decapsulate(plainView(ciphertext), secretKey.bytes);
      } catch {
        throw new CryptoError("internal", `${name} decapsulation failed`);
      }
    },
  };
}
