/**
 * The pqhc/1 dynamic table (SPEC §Header compression): whole (name, value)
 * pairs, newest first, bounded by a byte capacity counted as RFC 7541 §4.1
 * counts it (name + value + 32 per entry). Encoder and decoder each keep one
 * and apply the same insertions and evictions, so they always agree.
 */
import { HEADER_ENTRY_OVERHEAD_BYTES } from "./constants.ts";

export interface TableEntry {
  readonly name: string;
  readonly value: Uint8Array;
  /** "name\0value-as-latin1": the lookup key of the pair. */
  readonly key: string;
  readonly size: number;
  /** Insertion number (0 for the first entry ever inserted). */
  readonly serial: number;
  /** The value as text, once a decoder has checked it is UTF-8 (so a pair indexed again is not decoded again). */
  text: string | undefined;
}

export function entrySize(name: string, value: Uint8Array): number {
  return name.length + value.length + HEADER_ENTRY_OVERHEAD_BYTES;
}

export function pairKey(name: string, value: Uint8Array): string {
  return `${name}\0${latin1(value)}`;
}

/** Bytes as a latin1 string (one char per byte); no Buffer, so browsers and devices run it too. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

export class DynamicTable {
  private entries: TableEntry[] = [];
  /** Index in `entries` of the oldest live entry. */
  private head = 0;
  private bytes = 0;
  private inserted = 0;

  constructor(private cap: number) {}

  get capacity(): number {
    return this.cap;
  }
  get size(): number {
    return this.bytes;
  }
  get length(): number {
    return this.entries.length - this.head;
  }
  /** Serial number the next insertion will get. */
  get nextSerial(): number {
    return this.inserted;
  }

  /** Entry by relative index: 0 is the newest. */
  get(index: number): TableEntry | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.entries[this.entries.length - 1 - index];
  }

  /** Relative index of the entry with insertion number `serial`, or -1 if evicted. */
  indexOfSerial(serial: number): number {
    const index = this.inserted - 1 - serial;
    return index < this.length ? index : -1;
  }

  /** Changes the capacity, evicting the oldest entries that no longer fit. */
  setCapacity(capacity: number, onEvict?: (e: TableEntry) => void): void {
    this.cap = capacity;
    this.evictTo(capacity, onEvict);
  }

  /**
   * Inserts a pair, evicting the oldest entries to make room. An entry larger
   * than the capacity empties the table and is not kept (RFC 7541 §4.4 does
   * the same), but still consumes an insertion number on both sides.
   */
  insert(name: string, value: Uint8Array, onEvict?: (e: TableEntry) => void): TableEntry | undefined {
    const size = entrySize(name, value);
    const serial = this.inserted++;
    if (size > this.cap) {
      this.evictTo(0, onEvict);
      return undefined;
    }
    this.evictTo(this.cap - size, onEvict);
    const entry: TableEntry = { name, value, key: pairKey(name, value), size, serial, text: undefined };
    this.entries.push(entry);
    this.bytes += size;
    return entry;
  }

  private evictTo(limit: number, onEvict?: (e: TableEntry) => void): void {
    while (this.bytes > limit && this.head < this.entries.length) {
      const e = this.entries[this.head++]!;
      this.bytes -= e.size;
      onEvict?.(e);
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
