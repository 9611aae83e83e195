/**
 * Byte-level mutations in the style of libFuzzer's MutationDispatcher: bit
 * flips, random and "interesting" bytes and integers, inserts, erases,
 * copies within the input, and crossover with another corpus entry. Driven
 * by a seeded PRNG so that a run (and the bounded test) can be replayed.
 */

/** xorshift32 (Marsaglia): fast, seedable, good enough to pick mutations. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Lengths and boundaries that parsers get wrong (libFuzzer's "interesting" values). */
const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x20, 0x40];
const INTERESTING_16 = [0, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0x7fff, 0x8000, 0xffff];
const INTERESTING_32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 0x40000000, 0x3fffffff, 0x01000000];

export interface MutatorOptions {
  /** Largest input produced, bytes. */
  readonly maxLength: number;
}

export class Mutator {
  constructor(
    private readonly random: () => number,
    private readonly options: MutatorOptions,
  ) {}

  private below(n: number): number {
    return n <= 0 ? 0 : this.random() % n;
  }

  /** One to four stacked mutations of `input` (a new array), with `other` for crossover. */
  mutate(input: Uint8Array, other: Uint8Array | undefined): Uint8Array {
    let out: Uint8Array = input.slice();
    const rounds = 1 + this.below(4);
    for (let i = 0; i < rounds; i++) out = this.once(out, other);
    return out.length > this.options.maxLength ? out.subarray(0, this.options.maxLength) : out;
  }

  private once(b: Uint8Array, other: Uint8Array | undefined): Uint8Array {
    if (b.length === 0) return this.insert(b, 1 + this.below(8));
    const at = this.below(b.length);
    switch (this.below(11)) {
      case 0:
        b[at]! ^= 1 << this.below(8);
        return b;
      case 1:
        b[at] = this.random() & 0xff;
        return b;
      case 2:
        b[at] = INTERESTING_8[this.below(INTERESTING_8.length)]!;
        return b;
      case 3:
        return this.putInt(b, at, 2, INTERESTING_16[this.below(INTERESTING_16.length)]!);
      case 4:
        return this.putInt(b, at, 4, INTERESTING_32[this.below(INTERESTING_32.length)]!);
      case 5: {
        // Add or subtract a small amount from a byte (a length off by a few).
        b[at] = (b[at]! + this.below(35) - 17) & 0xff;
        return b;
      }
      case 6:
        return this.insert(b, 1 + this.below(16));
      case 7: {
        const n = 1 + this.below(Math.min(b.length - at, 64));
        const out = new Uint8Array(b.length - n);
        out.set(b.subarray(0, at));
        out.set(b.subarray(at + n), at);
        return out;
      }
      case 8: {
        // Copy a piece of the input over another place.
        const from = this.below(b.length);
        const n = 1 + this.below(Math.min(b.length - from, b.length - at, 128));
        b.copyWithin(at, from, from + n);
        return b;
      }
      case 9: {
        // Duplicate a piece (repeated extensions, frames, records).
        const from = this.below(b.length);
        const n = 1 + this.below(Math.min(b.length - from, 256));
        const out = new Uint8Array(b.length + n);
        out.set(b.subarray(0, at));
        out.set(b.subarray(from, from + n), at);
        out.set(b.subarray(at), at + n);
        return out;
      }
      default: {
        // Crossover: our head, the other entry's tail.
        if (!other || other.length === 0) return this.insert(b, 1 + this.below(4));
        const cut = this.below(other.length);
        const out = new Uint8Array(at + other.length - cut);
        out.set(b.subarray(0, at));
        out.set(other.subarray(cut), at);
        return out;
      }
    }
  }

  private putInt(b: Uint8Array, at: number, bytes: number, value: number): Uint8Array {
    const bigEndian = this.below(2) === 0;
    for (let i = 0; i < bytes && at + i < b.length; i++) {
      const shift = 8 * (bigEndian ? bytes - 1 - i : i);
      b[at + i] = Math.floor(value / 2 ** shift) & 0xff;
    }
    return b;
  }

  private insert(b: Uint8Array, n: number): Uint8Array {
    const at = this.below(b.length + 1);
    const out = new Uint8Array(b.length + n);
    out.set(b.subarray(0, at));
    const fill = this.below(2) === 0 ? -1 : this.random() & 0xff;
    for (let i = 0; i < n; i++) out[at + i] = fill < 0 ? this.random() & 0xff : fill;
    out.set(b.subarray(at), at + n);
    return out;
  }
}
