/**
 * pqhc/1 encoder (SPEC §Header compression). Per field, the cheapest of:
 * an indexed pair (1 byte for the first 128 entries), a literal value after
 * an indexed name (inserted into the dynamic table unless the name is
 * volatile or the value sensitive), or a literal name and value.
 *
 * Insertion policy (an encoder choice, not wire format): values that change
 * on every call (grpc-timeout, and any name whose first inserted values never
 * came back) are not inserted, because a FIFO table fills with them and
 * evicts the pairs that do repeat; short credentials are never
 * inserted (RFC 7541 §7.1.3's reasoning: a guessable secret must not be
 * confirmable through the table).
 */

import { ByteWriter } from "../../bytes/byte-writer.ts";
import { utf8Encode } from "../../bytes/bytes.ts";
import { DEFAULT_HEADER_TABLE_BYTES, MAX_HEADER_NAME_BYTES } from "./constants.ts";
import { type HeaderField, isValidHeaderName } from "./header-field.ts";
import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX, STATIC_TABLE } from "./header-static-table.ts";
import { DynamicTable, entrySize, pairKey, type TableEntry } from "./header-table.ts";
import { writePrefixInt } from "./prefix-int.ts";

/** Representation patterns (first-octet high bits). */
export const Repr = {
  INDEXED: 0x80, // 1xxxxxxx: 7-bit index
  NAME_REF_INSERT: 0x40, // 01xxxxxx: 6-bit name index, value
  NAME_REF_PLAIN: 0x20, // 001xxxxx: 5-bit name index, value
  LITERAL_INSERT: 0x10, // 00010000: name, value
  LITERAL_PLAIN: 0x00, // 00000000: name, value
} as const;

/** Names whose values change per call: never inserted. */
export const VOLATILE_HEADER_NAMES: ReadonlySet<string> = new Set(["grpc-timeout"]);
/** Names whose short values are secrets: not inserted below SENSITIVE_VALUE_INDEX_MIN_BYTES. */
export const SENSITIVE_HEADER_NAMES: ReadonlySet<string> = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
]);
/** Shortest sensitive value still inserted: long random tokens cannot be guessed whole. */
export const SENSITIVE_VALUE_INDEX_MIN_BYTES = 20;
/** Insertions of a name with no reuse after which its values stop being inserted (per-call ids). */
export const UNUSED_INSERTS_BEFORE_LITERAL = 3;
/** Names whose reuse the encoder tracks (bounds its memory). */
export const MAX_TRACKED_NAMES = 256;

export function valueBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? utf8Encode(value) : value;
}

/**
 * A block's starting buffer, bytes: V8 keeps typed arrays of at most 64 bytes
 * on its own heap, so a call's header blocks (a few bytes once their pairs are
 * indexed) allocate no backing store; a longer block grows the buffer.
 */
const BLOCK_INITIAL_BYTES = 64;

/** True when every char is ASCII: the string's UTF-8 bytes are then its char codes, one each. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

export class HeaderEncoder {
  private readonly table: DynamicTable;
  /** Pair key -> serial of its newest copy in the table. */
  private readonly pairs = new Map<string, number>();
  /** Name -> serial of its newest copy in the table. */
  private readonly names = new Map<string, number>();
  /** Name -> how often its inserted values were inserted and reused. */
  private readonly reuse = new Map<string, { inserts: number; hits: number }>();
  /** Name -> its last ASCII text value and that pair's key (textKey). */
  private readonly lastKeys = new Map<string, { value: string; key: string }>();

  constructor(capacity = DEFAULT_HEADER_TABLE_BYTES) {
    this.table = new DynamicTable(capacity);
  }

  get tableSize(): number {
    return this.table.size;
  }

  /** Applies a new capacity; the peer's decoder applies it at the same point (SPEC §SETTINGS). */
  setCapacity(capacity: number): void {
    this.table.setCapacity(capacity, this.forget);
  }

  private readonly forget = (e: TableEntry): void => {
    if (this.pairs.get(e.key) === e.serial) this.pairs.delete(e.key);
    if (this.names.get(e.name) === e.serial) this.names.delete(e.name);
  };

  /** Encodes a header list into one block. Throws RangeError on an invalid name (a caller bug). */
  encode(fields: Iterable<HeaderField>): Uint8Array {
    const w = new ByteWriter(BLOCK_INITIAL_BYTES);
    for (const [name, value] of fields) this.encodeField(w, name, value);
    return w.finish();
  }

  private dynamicIndex(serial: number | undefined): number {
    if (serial === undefined) return -1;
    const i = this.table.indexOfSerial(serial);
    return i < 0 ? -1 : STATIC_TABLE.length + i;
  }

  private encodeField(w: ByteWriter, name: string, field: string | Uint8Array): void {
    if (!isValidHeaderName(name, MAX_HEADER_NAME_BYTES)) throw new RangeError(`invalid header name: ${name}`);
    // An ASCII text value is its own latin1 key (pairKey of its UTF-8 bytes): a pair
    // the tables already hold is found without encoding the value at all.
    const bytes = typeof field === "string" && isAscii(field) ? undefined : valueBytes(field);
    const key = bytes === undefined ? this.textKey(name, field as string) : pairKey(name, bytes);
    const staticPair = STATIC_PAIR_INDEX.get(key);
    if (staticPair !== undefined) {
      writePrefixInt(w, Repr.INDEXED, 7, staticPair);
      return;
    }
    const dynPair = this.dynamicIndex(this.pairs.get(key));
    if (dynPair >= 0) {
      writePrefixInt(w, Repr.INDEXED, 7, dynPair);
      const r = this.reuse.get(name);
      if (r) r.hits++;
      return;
    }
    const value = bytes ?? utf8Encode(field as string);
    const insert = this.shouldInsert(name, value);
    const staticName = STATIC_NAME_INDEX.get(name);
    const nameIndex = staticName ?? this.dynamicIndex(this.names.get(name));
    if (nameIndex >= 0) {
      if (insert) writePrefixInt(w, Repr.NAME_REF_INSERT, 6, nameIndex);
      else writePrefixInt(w, Repr.NAME_REF_PLAIN, 5, nameIndex);
    } else {
      // Header names are ASCII (checked above): one byte per character.
      w.u8(insert ? Repr.LITERAL_INSERT : Repr.LITERAL_PLAIN).varint(name.length);
      for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
    }
    w.varintVector(value);
    if (insert) {
      const entry = this.table.insert(name, value, this.forget);
      if (entry) {
        this.pairs.set(entry.key, entry.serial);
        this.names.set(entry.name, entry.serial);
      }
      const r = this.reuse.get(name);
      if (r) r.inserts++;
      else if (this.reuse.size < MAX_TRACKED_NAMES) this.reuse.set(name, { inserts: 1, hits: 0 });
    }
  }

  /**
   * The pair key of an ASCII text value. The key a name had last is kept with
   * its value: a call that sends the same value again (its :path, its
   * content-type) finds it by a compare, without building and hashing a new
   * key string. Bounded like `reuse`.
   */
  private textKey(name: string, value: string): string {
    const last = this.lastKeys.get(name);
    if (last !== undefined && last.value === value) return last.key;
    const key = `${name}\0${value}`;
    if (last !== undefined) {
      last.value = value;
      last.key = key;
    } else if (this.lastKeys.size < MAX_TRACKED_NAMES) this.lastKeys.set(name, { value, key });
    return key;
  }

  private shouldInsert(name: string, value: Uint8Array): boolean {
    if (VOLATILE_HEADER_NAMES.has(name)) return false;
    if (SENSITIVE_HEADER_NAMES.has(name) && value.length < SENSITIVE_VALUE_INDEX_MIN_BYTES) return false;
    // A name whose inserted values never come back (a per-call id) would only churn the table.
    const r = this.reuse.get(name);
    if (r && r.hits === 0 && r.inserts >= UNUSED_INSERTS_BEFORE_LITERAL) return false;
    // An entry over half the table would evict most of what repeats.
    return entrySize(name, value) <= this.table.capacity / 2;
  }
}
