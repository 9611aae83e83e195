/** Shared by the frames tests: a seeded PRNG, so a failing fuzz case can be replayed. */

/** xorshift32: deterministic bytes from a seed. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

export { fromHex, toHex as hex } from "../../bytes/bytes.ts";
