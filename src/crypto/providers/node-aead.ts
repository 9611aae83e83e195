/** AES-GCM and ChaCha20-Poly1305 (RFC 5116 / RFC 8439) from node:crypto. */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from "../aead-params.ts";
import { expectLength } from "../bytes.ts";
import type { Aead, AeadKey, AeadName } from "../types.ts";

// node:crypto cipher names for each AEAD.
const NODE_CIPHER = {
  "aes-128-gcm": "aes-128-gcm",
  "aes-256-gcm": "aes-256-gcm",
  "chacha20-poly1305": "chacha20-poly1305",
} as const;

class NodeAeadKey implements AeadKey {
  constructor(
    private readonly cipher: (typeof NODE_CIPHER)[AeadName],
    private readonly key: KeyObject,
  ) {}

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
    const c = createCipheriv(this.cipher as "aes-256-gcm", this.key, nonce, {
      authTagLength: AEAD_TAG_BYTES,
    });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const out = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
    const body = c.update(plaintext);
    out.set(body, 0);
    const tail = c.final();
    out.set(tail, body.length);
    out.set(c.getAuthTag(), plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
    expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
    if (ciphertext.length < AEAD_TAG_BYTES) return null;
    const bodyLength = ciphertext.length - AEAD_TAG_BYTES;
    const d = createDecipheriv(this.cipher as "aes-256-gcm", this.key, nonce, {
      authTagLength: AEAD_TAG_BYTES,
    });
    d.setAuthTag(ciphertext.subarray(bodyLength));
    d.setAAD(aad, { plaintextLength: bodyLength });
    const out = new Uint8Array(bodyLength);
    const body = d.update(ciphertext.subarray(0, bodyLength));
    try {
      const tail = d.final();
      out.set(body, 0);
      out.set(tail, body.length);
    } catch {
      // A bad tag: the caller maps null to bad_record_mac (RFC 8446 §5.2).
      body.fill(0);
      return null;
    }
    return out;
  }
}

export function nodeAead(name: AeadName): Aead {
  const keyLength = AEAD_KEY_BYTES[name];
  return {
    name,
    keyLength,
    nonceLength: AEAD_NONCE_BYTES,
    tagLength: AEAD_TAG_BYTES,
    importKey(key) {
      expectLength(`${name} key`, key, keyLength);
      return new NodeAeadKey(NODE_CIPHER[name], createSecretKey(key));
    },
  };
}
