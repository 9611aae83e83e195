/** SHA-2, HMAC and HKDF from node:crypto. */

import * as nodeCrypto from "node:crypto";
import { createHash, type Hash as NodeHashObject } from "node:crypto";
import { wipe } from "../../bytes/bytes.ts";
import { hkdfExpand, hkdfExtract } from "../hkdf.ts";
import type { Hash, HashName, HashState } from "../types.ts";

const OUTPUT_BYTES: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };
/** RFC 2104 block size B of each hash, in bytes. */
const BLOCK_BYTES: Record<HashName, number> = { sha256: 64, sha384: 128, sha512: 128 };
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * The running hash of public data: the TLS transcript, the only user of
 * create() (types.ts HashState). Its digest leaves node:crypto as a "binary" (latin1)
 * string, one character per byte, rather than a Buffer: node builds each
 * Buffer it returns from C++ at ~1.2-1.5 µs (measured on Node 20 and 24,
 * a SHA-384 digest: 2.2-2.6 µs as a Buffer, 1.0 µs as a string), and a
 * handshake takes a dozen transcript hashes. A string cannot be wiped, which
 * is why only this public-data path uses one: HMAC and one-shot digests, whose
 * inputs may be secret, still come back in Buffers that are handed over or wiped.
 */
class NodeHashState implements HashState {
  constructor(private readonly inner: NodeHashObject) {}
  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    const text = this.inner.digest("binary");
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  clone(): HashState {
    return new NodeHashState(this.inner.copy());
  }
}

/** One-shot digest: crypto.hash (Node >= 20.12) skips the Hash object, ~40% cheaper for short inputs. */
type OneShotHash = (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer;
const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;
function digestOnce(name: HashName, data: Uint8Array): Uint8Array {
  return oneShot ? oneShot(name, data, "buffer") : createHash(name).update(data).digest();
}

/**
 * A digest as a plain Uint8Array the caller owns. node:crypto returns each
 * digest in a Buffer over its own ArrayBuffer, so that memory is handed over
 * as it is (no second copy left unwiped behind a secret HMAC output); a
 * Buffer inside a larger (pooled) ArrayBuffer is copied and wiped instead.
 */
function owned(digest: Uint8Array): Uint8Array {
  if (digest.byteOffset === 0 && digest.buffer.byteLength === digest.length)
    return new Uint8Array(digest.buffer);
  const copy = digest.slice();
  wipe(digest);
  return copy;
}

/**
 * HMAC data of up to this many bytes goes through one buffer per hash kept
 * for the purpose: every HMAC of a handshake (HkdfLabel ‖ 0x01, at most 516
 * bytes; a transcript hash; a ticket's binder input) fits. Longer data gets a
 * buffer of its own.
 */
const KEPT_HMAC_DATA_BYTES = 1024;

/**
 * HMAC (RFC 2104) built on one-shot hashes rather than createHmac: on Node 24
 * createHmac imports its key as a KeyObject on every call (~15-19 µs against
 * ~6 µs here), and the TLS key schedule makes dozens of HMACs with fresh keys
 * per handshake. One buffer holds (K ^ ipad) ‖ data, then (K ^ opad) ‖ inner:
 * the key is padded into it once and turned from ipad to opad in place, and
 * everything written (the padded key, a hashed long key, the inner hash) is
 * zeroed after use. The code is synchronous, so one kept buffer serves every call.
 */
function rfc2104Hmac(name: HashName): (key: Uint8Array, data: Uint8Array) => Uint8Array {
  const block = BLOCK_BYTES[name];
  const output = OUTPUT_BYTES[name];
  const kept = new Uint8Array(block + KEPT_HMAC_DATA_BYTES);
  return (key, data) => {
    // RFC 2104 §2: a key longer than the block is hashed first.
    const hashedKey = key.length > block ? digestOnce(name, key) : undefined;
    const k = hashedKey ?? key;
    const used = block + Math.max(data.length, output);
    const buf = used <= kept.length ? kept : new Uint8Array(used);
    try {
      for (let i = 0; i < k.length; i++) buf[i] = k[i]! ^ IPAD;
      buf.fill(IPAD, k.length, block);
      buf.set(data, block);
      const inner = digestOnce(name, buf.subarray(0, block + data.length));
      for (let i = 0; i < block; i++) buf[i]! ^= IPAD ^ OPAD;
      buf.set(inner, block);
      wipe(inner);
      return owned(digestOnce(name, buf.subarray(0, block + output)));
    } finally {
      buf.fill(0, 0, used);
      wipe(hashedKey);
    }
  };
}

export function nodeHash(name: HashName): Hash {
  const outputLength = OUTPUT_BYTES[name];
  const hmac = rfc2104Hmac(name);
  return {
    name,
    outputLength,
    digest: (data) => owned(digestOnce(name, data)),
    create: () => new NodeHashState(createHash(name)),
    hmac,
    hkdfExtract: (salt, ikm) => hkdfExtract(hmac, outputLength, salt, ikm),
    hkdfExpand: (prk, info, length) => hkdfExpand(hmac, outputLength, prk, info, length),
  };
}
