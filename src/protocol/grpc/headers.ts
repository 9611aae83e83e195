/**
 * Header names of PROTOCOL-HTTP2 and the mapping between HTTP/2 header
 * blocks and Metadata: `-bin` values travel as base64, the protocol's own
 * names (pseudo-headers, grpc-*, content-type, te) never reach Metadata, and
 * HTTP/2 connection-specific names (RFC 9113 §8.2.2) cannot be sent.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code } from "../../rpc/code.ts";
import { METADATA_ENTRY_OVERHEAD_BYTES } from "../../rpc/limits.ts";
import { isBinaryName, Metadata, MetadataError, RESERVED_PREFIX } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { decodeBinaryHeader, encodeBinaryHeader } from "./binary-header.ts";

export const HEADER_CONTENT_TYPE = "content-type";
export const HEADER_TE = "te";
export const TE_TRAILERS = "trailers";
export const HEADER_USER_AGENT = "user-agent";
export const HEADER_GRPC_TIMEOUT = "grpc-timeout";
export const HEADER_GRPC_ENCODING = "grpc-encoding";
export const HEADER_GRPC_ACCEPT_ENCODING = "grpc-accept-encoding";
export const HEADER_GRPC_STATUS = "grpc-status";
export const HEADER_GRPC_MESSAGE = "grpc-message";
export const HEADER_GRPC_STATUS_DETAILS = "grpc-status-details-bin";

/** Names that belong to HTTP or to the protocol and are never application metadata. */
const PROTOCOL_NAMES = new Set([
  HEADER_CONTENT_TYPE,
  HEADER_TE,
  "content-length",
  // RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2.
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** A name HTTP/2 or the gRPC protocol owns (pseudo-headers, grpc-*, te, content-type, connection-specific). */
export function isProtocolName(name: string): boolean {
  return name.startsWith(":") || name.startsWith(RESERVED_PREFIX) || PROTOCOL_NAMES.has(name);
}

/**
 * Copies application metadata into an outgoing header block. Throws INTERNAL
 * for a name HTTP/2 forbids (the Metadata type already refuses grpc-*).
 */
export function writeMetadata(metadata: Metadata, into: OutgoingHttpHeaders): void {
  for (const name of metadata.keys()) {
    if (isProtocolName(name)) {
      throw new RpcError(Code.INTERNAL, `metadata name "${name}" is reserved by HTTP/2 and cannot be sent`);
    }
    const values = metadata.getAll(name).map((v) => (typeof v === "string" ? v : encodeBinaryHeader(v)));
    into[name] = values.length === 1 ? values[0] : values;
  }
}

/**
 * Reads the application metadata of a received header block. Binary values
 * are split on "," (PROTOCOL-HTTP2: duplicates "may have their values joined
 * with ','") and base64-decoded; malformed base64 is INTERNAL. An ASCII value
 * outside 0x20-0x7E is dropped: the spec forbids failing on a valid HTTP
 * field-value, and Metadata must stay echo-safe. node:http2 hands repeated
 * fields joined with ", " or as an array (and :status as a number). The
 * block is walked with for-in, not Object.entries: no pair array per field.
 */
export function readMetadata(headers: IncomingHttpHeaders): Metadata {
  const md = new Metadata();
  for (const rawName in headers) {
    const value: unknown = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (isProtocolName(name)) continue;
    if (Array.isArray(value)) for (const field of value as string[]) appendField(md, name, field);
    else appendField(md, name, String(value));
  }
  return md;
}

function appendField(md: Metadata, name: string, field: string): void {
  try {
    if (isBinaryName(name)) {
      for (const part of field.split(",")) md.append(name, decodeBinaryHeader(name, part));
    } else md.append(name, field.trim());
  } catch (e) {
    if (!(e instanceof MetadataError)) throw e;
  }
}

/**
 * Size of a received header block as RFC 7541 §4.1 counts it (name + value +
 * 32 per field), the measure PROTOCOL-HTTP2 suggests for its 8 KiB limits.
 */
export function headerListBytes(headers: IncomingHttpHeaders): number {
  let total = 0;
  for (const name in headers) {
    const value: unknown = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") total += name.length + value.length + METADATA_ENTRY_OVERHEAD_BYTES;
    else if (Array.isArray(value)) {
      for (const v of value as string[]) total += name.length + v.length + METADATA_ENTRY_OVERHEAD_BYTES;
    } else total += name.length + String(value).length + METADATA_ENTRY_OVERHEAD_BYTES;
  }
  return total;
}

/** The first value of a header field, as node:http2 hands it over. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v: unknown = headers[name];
  if (Array.isArray(v)) return v[0] as string | undefined;
  return v === undefined ? undefined : String(v);
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** grpc-accept-encoding: Content-Coding *("," Content-Coding). The result is frozen (it may be shared). */
export function parseAcceptEncoding(value: string | undefined): readonly string[] {
  if (value === undefined) return NO_NAMES;
  return Object.freeze(
    value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
}

/** `names` joined with "," (a grpc-accept-encoding value), with `first` in front unless among them. */
export function joinNames(names: readonly string[], first?: string): string {
  const all = first === undefined || names.includes(first) ? names : [first, ...names];
  return all.join(",");
}

/**
 * parseAcceptEncoding and joinNames with the last answer of each kept: the
 * calls of one transport or server send (and their peer sends back) the same
 * grpc-accept-encoding every time, so a call costs a string compare, not a
 * split or a join and their arrays. One per transport or server handler:
 * shared by two ends in one process it would flip between their values.
 */
export class AcceptEncodingCache {
  #parsedValue: string | undefined;
  #parsed: readonly string[] = NO_NAMES;
  /** A copy of the names last joined (compared one by one: the caller's array may change). */
  #joinedNames: readonly string[] | undefined;
  #joinedFirst: string | undefined;
  #joined = "";

  parse(value: string | undefined): readonly string[] {
    if (value === undefined) return NO_NAMES;
    if (value !== this.#parsedValue) {
      this.#parsed = parseAcceptEncoding(value);
      this.#parsedValue = value;
    }
    return this.#parsed;
  }

  join(names: readonly string[], first?: string): string {
    const last = this.#joinedNames;
    if (last === undefined || first !== this.#joinedFirst || !sameNames(names, last)) {
      this.#joined = joinNames(names, first);
      this.#joinedNames = names.slice();
      this.#joinedFirst = first;
    }
    return this.#joined;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
