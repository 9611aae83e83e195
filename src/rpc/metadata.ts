/**
 * Call metadata: request headers, response headers and trailers.
 *
 * Names follow gRPC's PROTOCOL-HTTP2 "Custom-Metadata": lower-case ASCII
 * letters, digits, "_", "-", "." (names are case-insensitive on the wire and
 * stored lower-cased here). A name ending in "-bin" carries binary values
 * (Uint8Array; base64 on HTTP/2, raw on pqrpc/1); any other name carries
 * printable ASCII (0x20-0x7E). Names starting with "grpc-" and HTTP/2
 * pseudo-headers belong to the protocols and are refused here.
 */
import { CodedError } from "../errors/coded-error.ts";
import { METADATA_ENTRY_OVERHEAD_BYTES } from "./limits.ts";

export type MetadataValue = string | Uint8Array;

export type MetadataErrorCode = "ERR_METADATA_NAME" | "ERR_METADATA_RESERVED" | "ERR_METADATA_VALUE";

/** A metadata name or value that the gRPC rules do not allow. */
export class MetadataError extends CodedError<MetadataErrorCode> {
  override readonly name = "MetadataError";
}

export const BINARY_SUFFIX = "-bin";
/** Prefix reserved for the protocol's own headers (PROTOCOL-HTTP2: "grpc-" names are reserved). */
export const RESERVED_PREFIX = "grpc-";
const NAME_RE = /^[0-9a-z_.-]+$/;
const ASCII_VALUE_RE = /^[\x20-\x7e]*$/;

/** Metadata init: a Metadata, a record, or name/value pairs. */
export type MetadataInit =
  | Metadata
  | Record<string, MetadataValue | readonly MetadataValue[]>
  | Iterable<[string, MetadataValue]>;

export function isBinaryName(name: string): boolean {
  return name.endsWith(BINARY_SUFFIX);
}

/** Checks and lower-cases a name; `allowReserved` is for protocol code that carries grpc-* through. */
export function normalizeName(name: string, allowReserved = false): string {
  const lower = name.toLowerCase();
  if (lower.length === 0 || !NAME_RE.test(lower)) {
    throw new MetadataError("ERR_METADATA_NAME", `metadata name ${JSON.stringify(name)} is not [0-9a-z_.-]+`);
  }
  if (!allowReserved && lower.startsWith(RESERVED_PREFIX)) {
    throw new MetadataError("ERR_METADATA_RESERVED", `metadata name "${lower}" is reserved for the protocol`);
  }
  return lower;
}

function checkValue(name: string, value: MetadataValue): MetadataValue {
  if (isBinaryName(name)) {
    if (!(value instanceof Uint8Array)) {
      throw new MetadataError("ERR_METADATA_VALUE", `binary metadata "${name}" needs a Uint8Array value`);
    }
    return value;
  }
  if (typeof value !== "string") {
    throw new MetadataError(
      "ERR_METADATA_VALUE",
      `metadata "${name}" takes a string (binary names end in -bin)`,
    );
  }
  if (!ASCII_VALUE_RE.test(value)) {
    throw new MetadataError(
      "ERR_METADATA_VALUE",
      `metadata "${name}" value must be printable ASCII 0x20-0x7E`,
    );
  }
  return value;
}

/** What keys() iterates for a block without entries (never written). */
const NO_ENTRIES: ReadonlyMap<string, MetadataValue[]> = new Map();

export class Metadata implements Iterable<[string, MetadataValue]> {
  /** Made on the first entry: most blocks of a call (trailers, response headers) stay empty. */
  #entries: Map<string, MetadataValue[]> | undefined;
  readonly #allowReserved: boolean;

  /** `allowReserved` lets protocol code keep grpc-* names (never for user metadata). */
  constructor(init?: MetadataInit, options?: { allowReserved?: boolean }) {
    this.#allowReserved = options?.allowReserved ?? false;
    if (init === undefined) return;
    if (init instanceof Metadata || Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<[string, MetadataValue]>) this.append(name, value);
      return;
    }
    for (const [name, value] of Object.entries(init)) {
      if (Array.isArray(value)) for (const v of value) this.append(name, v as MetadataValue);
      else this.append(name, value as MetadataValue);
    }
  }

  /** Replaces all values of `name`. */
  set(name: string, value: MetadataValue): this {
    const key = normalizeName(name, this.#allowReserved);
    (this.#entries ??= new Map()).set(key, [checkValue(key, value)]);
    return this;
  }

  append(name: string, value: MetadataValue): this {
    const key = normalizeName(name, this.#allowReserved);
    const checked = checkValue(key, value);
    const entries = (this.#entries ??= new Map());
    const list = entries.get(key);
    if (list) list.push(checked);
    else entries.set(key, [checked]);
    return this;
  }

  /** The first value, or undefined. */
  get(name: string): MetadataValue | undefined {
    return this.#entries?.get(name.toLowerCase())?.[0];
  }

  /** The first value of an ASCII entry; undefined when absent or binary. */
  getString(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === "string" ? v : undefined;
  }

  /** The first value of a `-bin` entry; undefined when absent. */
  getBinary(name: string): Uint8Array | undefined {
    const v = this.get(name);
    return v instanceof Uint8Array ? v : undefined;
  }

  getAll(name: string): readonly MetadataValue[] {
    return this.#entries?.get(name.toLowerCase()) ?? [];
  }

  has(name: string): boolean {
    return this.#entries?.has(name.toLowerCase()) ?? false;
  }

  delete(name: string): boolean {
    return this.#entries?.delete(name.toLowerCase()) ?? false;
  }

  /** Adds every entry of `other` (appending to existing names). */
  merge(other: Metadata): this {
    // `#entries in other`: a Metadata from another copy of this module (two
    // installed versions) has no such field and is merged by iterating it.
    if (#entries in other && other.#entries === undefined) return this;
    for (const [name, value] of other) this.append(name, value);
    return this;
  }

  get size(): number {
    let n = 0;
    if (this.#entries === undefined) return n;
    for (const list of this.#entries.values()) n += list.length;
    return n;
  }

  /**
   * Bytes this block costs as RFC 7541 §4.1 counts a header list: name +
   * value + 32 per entry. Binary values count at their base64 length (what
   * HTTP/2 carries), so one limit means the same on both protocols.
   */
  byteSize(): number {
    let total = 0;
    if (this.#entries === undefined) return total;
    for (const [name, value] of this) {
      const valueBytes = typeof value === "string" ? value.length : Math.ceil(value.length / 3) * 4;
      total += name.length + valueBytes + METADATA_ENTRY_OVERHEAD_BYTES;
    }
    return total;
  }

  *[Symbol.iterator](): Iterator<[string, MetadataValue]> {
    if (this.#entries === undefined) return;
    for (const [name, list] of this.#entries) for (const value of list) yield [name, value];
  }

  /** Names in insertion order. */
  keys(): IterableIterator<string> {
    return (this.#entries ?? NO_ENTRIES).keys();
  }
}
