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

/**
 * Starting size of an encodeWith writer given no size: most extensions are a
 * few bytes, and V8 keeps a typed array of up to 64 bytes in its own heap,
 * while a larger one gets memory from the allocator (~1 µs each, measured on
 * Node 24, against ~0.05 µs). Encoders of large fields (key shares, PSKs)
 * pass their size.
 */
const SMALL_ENCODING_BYTES = 64;

/** The bytes `write` writes (a view of a fresh writer of `initialBytes`, when the size is known). */
export function encodeWith(write: (w: ByteWriter) => void, initialBytes = SMALL_ENCODING_BYTES): Uint8Array {
  const w = new ByteWriter(initialBytes);
  write(w);
  return w.finish();
}
