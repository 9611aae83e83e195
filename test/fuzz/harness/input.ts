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

  /** Up to `max` bytes, the length read first (one byte when max < 256, else two). */
  bytes(max: number): Uint8Array {
    const want = (max < 256 ? this.u8() : this.u16()) % (max + 1);
    const n = Math.min(want, this.remaining);
    const out = this.data.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    const out = this.data.subarray(this.at);
    this.at = this.data.length;
    return out;
  }
}
