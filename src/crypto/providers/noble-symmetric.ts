/** SHA-2, HMAC, HKDF (@noble/hashes) and AEADs (@noble/ciphers) in pure JS. */
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from "../aead-params.ts";
import { expectLength } from "../fixed-length.ts";
import { hkdfExpand, hkdfExtract } from "../hkdf.ts";
import type { Aead, AeadName, Hash, HashName, HashState } from "../types.ts";
import { checkRoom } from "./aead-room.ts";

const NOBLE_HASH = { sha256, sha384, sha512 } as const;
type NobleHashObject = ReturnType<(typeof sha256)["create"]>;

class NobleHashState implements HashState {
  constructor(private readonly inner: NobleHashObject) {}
  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.inner.digest();
  }
  clone(): HashState {
    return new NobleHashState(this.inner.clone());
  }
}

export function nobleHash(name: HashName): Hash {
  const fn = NOBLE_HASH[name];
  const outputLength = fn.outputLen;
  const mac = (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(fn, key, data);
  return {
    name,
    outputLength,
    digest: (data) => fn(data),
    create: () => new NobleHashState(fn.create() as NobleHashObject),
    hmac: mac,
    hkdfExtract: (salt, ikm) => hkdfExtract(mac, outputLength, salt, ikm),
    hkdfExpand: (prk, info, length) => hkdfExpand(mac, outputLength, prk, info, length),
  };
}

export function nobleAead(name: AeadName): Aead {
  return nobleAeadWith(name, name === "chacha20-poly1305" ? chacha20poly1305 : gcm);
}

type NobleCipher = typeof chacha20poly1305;

/** An AEAD over one noble cipher; exported for builds that carry only ChaCha20-Poly1305 (the device bundle). */
export function nobleAeadWith(name: AeadName, cipher: NobleCipher): Aead {
  const keyLength = AEAD_KEY_BYTES[name];
  return {
    name,
    keyLength,
    nonceLength: AEAD_NONCE_BYTES,
    tagLength: AEAD_TAG_BYTES,
    importKey(key) {
      expectLength(`${name} key`, key, keyLength);
      const k = key.slice();
      return {
        seal(nonce, plaintext, aad) {
          expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
          return cipher(k, nonce, aad).encrypt(plaintext);
        },
        sealInto(nonce, plaintext, aad, out, offset) {
          const length = plaintext.length + AEAD_TAG_BYTES;
          checkRoom(out, offset, length);
          // Sealed to a fresh array first: `plaintext` may alias `out` (sealing in place).
          out.set(this.seal(nonce, plaintext, aad), offset);
          return length;
        },
        open(nonce, ciphertext, aad) {
          expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
          if (ciphertext.length < AEAD_TAG_BYTES) return null;
          try {
            return cipher(k, nonce, aad).decrypt(ciphertext);
          } catch {
            return null;
          }
        },
      };
    },
  };
}
