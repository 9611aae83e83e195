/**
 * Structured values from the fuzzer's bytes (after libFuzzer's
 * FuzzedDataProvider): a target that needs a choice and some bytes reads the
 * choice from the front, so the mutator can change one without the other.
 * Past the end every read returns zeros or empty: any input is valid.
 */
export class FuzzInput {
  private at = 0;

  constructor(private readonly data: Uint8Array) {}

  get remaining(): number {
    return this.data.length - this.at;
  }

  u8(): number {
    return this.at < this.data.length ? this.data[this.at++]! : 0;
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  /** An integer in 0..n-1 (n <= 256). */
  pick(n: number): number {
    return this.u8() % n;
  }

  bool(): boolean {
    return (this.u8() & 1) === 1;
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    const out = this.data.subarray(this.at);
    this.at = this.data.length;
    return out;
  }
}

/** Splits bytes into items, each a 2-byte big-endian length and its bytes (a short last item is cut). */
export function lengthPrefixedItems(data: Uint8Array, maxItems: number): Uint8Array[] {
  const items: Uint8Array[] = [];
  let at = 0;
  while (at + 2 <= data.length && items.length < maxItems) {
    const n = (data[at]! << 8) | data[at + 1]!;
    items.push(data.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return items;
}
