/**
 * pqhc/1 decoder (SPEC §Header compression). A block must be decoded to its
 * end even when the list is too large, because its insertions keep the two
 * tables in step: past the list bound the fields are dropped, not the table
 * updates, and the caller answers HEADERS_TOO_LARGE for that stream only.
 * Any malformed representation desynchronises the tables for good, so it is
 * a connection error (COMPRESSION_ERROR).
 */
import type { ByteReader } from "../../bytes/byte-reader.ts";
import { copyBytes, utf8DecodeStrict, utf8Encode } from "../../bytes/bytes.ts";
import {
  DEFAULT_HEADER_TABLE_BYTES,
  HEADER_ENTRY_OVERHEAD_BYTES,
  MAX_HEADER_NAME_BYTES,
} from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";
import { Repr } from "./header-encoder.ts";
import { type HeaderField, isBinaryHeaderName, isValidHeaderName } from "./header-field.ts";
import { STATIC_TABLE } from "./header-static-table.ts";
import { DynamicTable, latin1, type TableEntry } from "./header-table.ts";
import { payloadReader } from "./payload-reader.ts";
import { readPrefixInt } from "./prefix-int.ts";

const STATIC_VALUES = STATIC_TABLE.map(([, v]) => utf8Encode(v));

export interface DecodedHeaders {
  fields: HeaderField[];
  /** Decoded list size, RFC 7541 §4.1 accounting. */
  listBytes: number;
  /** True when the list passed the bound: `fields` is then empty. */
  oversize: boolean;
}

export class HeaderDecoder {
  private readonly table: DynamicTable;

  constructor(capacity = DEFAULT_HEADER_TABLE_BYTES) {
    this.table = new DynamicTable(capacity);
  }

  get tableSize(): number {
    return this.table.size;
  }

  setCapacity(capacity: number): void {
    this.table.setCapacity(capacity);
  }

  /** The block being decoded, for `next` (one function per decoder, not a closure per block). */
  private reader: ByteReader | undefined;
  private readonly next = (): number => this.reader!.u8("index");

  decode(block: Uint8Array, maxListBytes: number): DecodedHeaders {
    const r = payloadReader(block, "header block", ErrorCode.COMPRESSION_ERROR);
    this.reader = r;
    try {
      return this.decodeFrom(r, maxListBytes);
    } finally {
      this.reader = undefined;
    }
  }

  private decodeFrom(r: ByteReader, maxListBytes: number): DecodedHeaders {
    const fields: HeaderField[] = [];
    let listBytes = 0;
    let oversize = false;
    const next = this.next;
    while (r.remaining > 0) {
      const first = r.u8("representation");
      let name: string;
      let value: Uint8Array;
      let insert = false;
      if (first & Repr.INDEXED) {
        // A whole pair from a table: its text is decoded once per entry, not once per use.
        const index = readPrefixInt(first, 7, next);
        const e = index < STATIC_TABLE.length ? undefined : this.entry(index);
        name = e === undefined ? STATIC_TABLE[index]![0] : e.name;
        value = e === undefined ? STATIC_VALUES[index]! : e.value;
        listBytes += name.length + value.length + HEADER_ENTRY_OVERHEAD_BYTES;
        if (listBytes > maxListBytes) oversize = true;
        if (oversize) continue;
        if (isBinaryHeaderName(name)) fields.push([name, copyBytes(value)]);
        else if (e === undefined) fields.push([name, STATIC_TABLE[index]![1]]);
        else fields.push([name, (e.text ??= toValue(name, value) as string)]);
        continue;
      } else if (first & Repr.NAME_REF_INSERT) {
        name = this.nameAt(readPrefixInt(first, 6, next));
        value = r.varintVector("value");
        insert = true;
      } else if (first & Repr.NAME_REF_PLAIN) {
        name = this.nameAt(readPrefixInt(first, 5, next));
        value = r.varintVector("value");
      } else if (first === Repr.LITERAL_INSERT || first === Repr.LITERAL_PLAIN) {
        const raw = r.varintVector("name");
        name = latin1(raw);
        if (!isValidHeaderName(name, MAX_HEADER_NAME_BYTES)) {
          throw new FrameError(ErrorCode.COMPRESSION_ERROR, `invalid header name ${JSON.stringify(name)}`);
        }
        value = r.varintVector("value");
        insert = first === Repr.LITERAL_INSERT;
      } else {
        throw new FrameError(ErrorCode.COMPRESSION_ERROR, `unknown representation 0x${first.toString(16)}`);
      }
      if (insert) {
        // The table keeps its own copy: `value` is a view of a network buffer.
        this.table.insert(name, copyBytes(value));
      }
      listBytes += name.length + value.length + HEADER_ENTRY_OVERHEAD_BYTES;
      if (listBytes > maxListBytes) oversize = true;
      if (!oversize) fields.push([name, toValue(name, value)]);
    }
    return { fields: oversize ? [] : fields, listBytes, oversize };
  }

  /** The name of a static or dynamic entry (a name reference). */
  private nameAt(index: number): string {
    return index < STATIC_TABLE.length ? STATIC_TABLE[index]![0] : this.entry(index).name;
  }

  private entry(index: number): TableEntry {
    const e = this.table.get(index - STATIC_TABLE.length);
    if (e === undefined) {
      throw new FrameError(
        ErrorCode.COMPRESSION_ERROR,
        `header index ${index} is past the static table and the ${this.table.length} dynamic entries`,
      );
    }
    return e;
  }
}

function toValue(name: string, value: Uint8Array): string | Uint8Array {
  // A copy: the bytes are a view of a network chunk.
  if (isBinaryHeaderName(name)) return copyBytes(value);
  try {
    return utf8DecodeStrict(value);
  } catch {
    throw new FrameError(ErrorCode.PROTOCOL_ERROR, `header ${name} value is not UTF-8`);
  }
}
