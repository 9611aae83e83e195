/**
 * Thin, bounded wrappers around @peculiar/asn1-schema: every parse goes
 * through `parseDer`, which checks the size limit, rejects trailing bytes
 * after the outer TLV (peculiar's BER reader ignores them) and turns every
 * decoder exception into PkiError("bad-encoding").
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { PkiError } from "./types.ts";

export function serializeDer(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/**
 * serializeDer for a value parsed from a peer's bytes: peculiar's reader
 * accepts some values its writer refuses (a Name attribute whose string is
 * tagged UTCTime, found by the x509-certificate fuzz target), and that
 * refusal is the peer's malformed encoding, so it is PkiError("bad-encoding").
 */
export function reserializeDer(value: unknown, what: string): Uint8Array {
  try {
    return serializeDer(value);
  } catch (e) {
    throw new PkiError("bad-encoding", `${what}: ${(e as Error).message}`);
  }
}

/**
 * Length in bytes of the TLV that starts at `bytes[0]` (X.690 §8.1.3, DER
 * definite form only), or -1 when the header is malformed or truncated.
 */
export function outerTlvLength(bytes: Uint8Array): number {
  if (bytes.length < 2) return -1;
  // High-tag-number form (tag byte & 0x1f == 0x1f) never appears at the top of the structures we parse.
  if ((bytes[0]! & 0x1f) === 0x1f) return -1;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // 0x80 is BER indefinite length (forbidden in DER); more than 4 length bytes exceeds every limit here.
  if (count === 0 || count > 4 || bytes.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[2 + i]!;
  return 2 + count + length;
}

export type Schema<T> = new () => T;

/** Parses exactly one DER value of `schema` from `bytes`; throws PkiError("bad-encoding") otherwise. */
export function parseDer<T>(bytes: Uint8Array, schema: Schema<T>, what: string, maxBytes: number): T {
  if (bytes.length > maxBytes) {
    throw new PkiError("bad-encoding", `${what}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  }
  const length = outerTlvLength(bytes);
  if (length !== bytes.length) {
    throw new PkiError(
      "bad-encoding",
      `${what}: outer DER length ${length < 0 ? "is malformed" : `is ${length}`} but ${bytes.length} bytes were given`,
    );
  }
  try {
    return AsnConvert.parse(bytes, schema);
  } catch (e) {
    throw new PkiError("bad-encoding", `${what}: ${(e as Error).message}`);
  }
}
