/** SHA-2, HMAC and HKDF from node:crypto. */
import { createHash, createHmac, type Hash as NodeHashObject } from "node:crypto";
import { hkdfExpand, hkdfExtract } from "../hkdf.ts";
import type { Hash, HashName, HashState } from "../types.ts";

const OUTPUT_BYTES: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

class NodeHashState implements HashState {
  constructor(private readonly inner: NodeHashObject) {}
  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    return new Uint8Array(this.inner.digest());
  }
  clone(): HashState {
    return new NodeHashState(this.inner.copy());
  }
}

export function nodeHash(name: HashName): Hash {
  const outputLength = OUTPUT_BYTES[name];
  const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array =>
    new Uint8Array(createHmac(name, key).update(data).digest());
  return {
    name,
    outputLength,
    digest: (data) => new Uint8Array(createHash(name).update(data).digest()),
    create: () => new NodeHashState(createHash(name)),
    hmac,
    hkdfExtract: (salt, ikm) => hkdfExtract(hmac, outputLength, salt, ikm),
    hkdfExpand: (prk, info, length) => hkdfExpand(hmac, outputLength, prk, info, length),
  };
}
