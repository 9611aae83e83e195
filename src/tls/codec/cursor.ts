/**
 * The TLS codec's use of the shared byte cursor (src/bytes): every
 * shortfall, out-of-bounds length or leftover byte in a received structure
 * is a decode_error alert (RFC 8446 §6.2), naming the field.
 */
import { ByteReader, type ReadErrorFactory } from "../../bytes/byte-reader.ts";
import { ByteWriter } from "../../bytes/byte-writer.ts";
import { fatal } from "../alert.ts";

const decodeError: ReadErrorFactory = (_failure, message) => fatal("decode_error", message);

/** A cursor over a received TLS structure. */
export function tlsReader(bytes: Uint8Array, what: string): ByteReader {
  return new ByteReader(bytes, what, decodeError);
}

/** Reads all of `bytes` with `read`; bytes left over are a decode_error. */
export function decodeAll<T>(bytes: Uint8Array, what: string, read: (r: ByteReader) => T): T {
  const r = tlsReader(bytes, what);
  const value = read(r);
  r.end();
  return value;
}

/** The bytes `write` writes (a view of a fresh writer). */
export function encodeWith(write: (w: ByteWriter) => void, initialBytes?: number): Uint8Array {
  const w = new ByteWriter(initialBytes);
  write(w);
  return w.finish();
}
