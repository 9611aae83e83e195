/** AES-GCM and ChaCha20-Poly1305 (RFC 5116 / RFC 8439) from node:crypto. */

import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { wipe } from "../../bytes/bytes.ts";
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from "../aead-params.ts";
import { expectLength } from "../fixed-length.ts";
import type { Aead, AeadKey, AeadName } from "../types.ts";
import { checkRoom } from "./aead-room.ts";

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
    const out = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
    this.sealInto(nonce, plaintext, aad, out, 0);
    return out;
  }

  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): number {
    expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
    const length = plaintext.length + AEAD_TAG_BYTES;
    checkRoom(out, offset, length);
    const c = createCipheriv(this.cipher as "aes-256-gcm", this.key, nonce, {
      authTagLength: AEAD_TAG_BYTES,
    });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    // update() reads all of `plaintext` before we write its output, so sealing in place is safe.
    const body = c.update(plaintext);
    out.set(body, offset);
    const tail = c.final();
    if (tail.length > 0) out.set(tail, offset + body.length);
    out.set(c.getAuthTag(), offset + plaintext.length);
    return length;
  }

  /**
   * node:crypto's own update() output and tag, unjoined: the record layer
   * sends them behind their header as they are, so a record costs no
   * record-sized array of ours and no copy of the ciphertext into one.
   */
  sealDetached(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): [Uint8Array, Uint8Array] {
    expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
    const c = createCipheriv(this.cipher as "aes-256-gcm", this.key, nonce, {
      authTagLength: AEAD_TAG_BYTES,
    });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    const tail = c.final();
    // GCM and ChaCha20-Poly1305 finish with no tail; were there one, it is joined once.
    const ciphertext = tail.length === 0 ? body : Buffer.concat([body, tail]);
    const tag = c.getAuthTag();
    // Plain Uint8Array views, so callers' slice() copies as they expect (Buffer's would not).
    return [
      new Uint8Array(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length),
      new Uint8Array(tag.buffer, tag.byteOffset, tag.length),
    ];
  }

  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
    expectLength("AEAD nonce", nonce, AEAD_NONCE_BYTES);
    if (ciphertext.length < AEAD_TAG_BYTES) return null;
    const bodyLength = ciphertext.length - AEAD_TAG_BYTES;
    const d = this.decipher(nonce, aad, ciphertext.subarray(bodyLength), bodyLength);
    const body = d.update(ciphertext.subarray(0, bodyLength));
    let tail: Buffer;
    try {
      tail = d.final();
    } catch {
      // A bad tag: the caller maps null to bad_record_mac (RFC 8446 §5.2).
      wipe(body);
      return null;
    }
    if (tail.length === 0 && body.length === bodyLength) {
      // GCM and ChaCha20-Poly1305 finish with no tail: the update output is the plaintext, no copy.
      // A plain Uint8Array view, so callers' slice() copies as they expect (Buffer's would not).
      return new Uint8Array(body.buffer, body.byteOffset, body.length);
    }
    const out = new Uint8Array(bodyLength);
    out.set(body, 0);
    out.set(tail, body.length);
    return out;
  }

  private decipher(nonce: Uint8Array, aad: Uint8Array, tag: Uint8Array, bodyLength: number) {
    const d = createDecipheriv(this.cipher as "aes-256-gcm", this.key, nonce, {
      authTagLength: AEAD_TAG_BYTES,
    });
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength: bodyLength });
    return d;
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
