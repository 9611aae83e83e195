/**
 * Importing external PSKs into TLS 1.3 (RFC 9258 §5.1). An external PSK is
 * diversified per target protocol and KDF, so the same key is never input to
 * two different KDFs; the result is offered under the ImportedIdentity
 * encoding and its binder uses the "imp binder" label (§5.2, see
 * KeySchedule.binderKey("imp")).
 */

import { ByteWriter } from "../bytes/byte-writer.ts";
import { wipe } from "../bytes/bytes.ts";
import type { Hash, HashName } from "../crypto/types.ts";
import { fatal } from "./alert.ts";
import { tlsReader } from "./codec/cursor.ts";
import { hkdfExpandLabel } from "./key-schedule.ts";

/** RFC 9258 §5.1: target_protocol for TLS 1.3. */
export const TARGET_PROTOCOL_TLS13 = 0x0304;

/** RFC 9258 §10, "TLS KDF Identifiers": the target_kdf values, with the KDF's output length L. */
export const TARGET_KDFS: Partial<Record<HashName, { id: number; outputBytes: number }>> = {
  sha256: { id: 0x0001, outputBytes: 32 }, // HKDF_SHA256
  sha384: { id: 0x0002, outputBytes: 48 }, // HKDF_SHA384
};

/** RFC 9258 §5.1: external_identity<1..2^16-1>, context<0..2^16-1>. */
const MAX_VECTOR16_BYTES = 0xffff;
/** RFC 9258 §5.1: the ImportedIdentity must fit a PskIdentity.identity<1..2^16-1>. */
export const MAX_IMPORTED_IDENTITY_BYTES = 0xffff;

/**
 * Imports one external PSK for one target protocol and KDF:
 *   epskx = HKDF-Extract(0, epsk)
 *   ipskx = HKDF-Expand-Label(epskx, "derived psk", Hash(ImportedIdentity), L)
 * `hash` is the hash associated with the external PSK (SHA-256 when it has
 * none, RFC 9258 §5.1), not the one of the target KDF; L comes from the target KDF.
 * Throws TlsError(internal_error) for a configuration outside RFC 9258's limits.
 */
export function importPsk(
  hash: Hash,
  epsk: Uint8Array,
  external: { identity: Uint8Array; context?: Uint8Array },
  targetProtocol: number,
  targetKdf: HashName,
): { identity: Uint8Array; ipsk: Uint8Array } {
  if (targetProtocol !== TARGET_PROTOCOL_TLS13) {
    // Other targets (DTLS 1.3) would change the HKDF-Expand-Label prefix; pqrpc speaks TLS 1.3 only.
    throw fatal(
      "internal_error",
      `PSK importer: target protocol 0x${targetProtocol.toString(16)} is not TLS 1.3`,
    );
  }
  const kdf = TARGET_KDFS[targetKdf];
  if (kdf === undefined)
    throw fatal("internal_error", `PSK importer: no RFC 9258 target KDF for ${targetKdf}`);
  if (epsk.length === 0) throw fatal("internal_error", "PSK importer: empty external PSK");
  const context = external.context ?? new Uint8Array(0);
  if (external.identity.length < 1 || external.identity.length > MAX_VECTOR16_BYTES) {
    throw fatal(
      "internal_error",
      `PSK importer: external identity of ${external.identity.length} bytes outside 1..65535`,
    );
  }
  if (context.length > MAX_VECTOR16_BYTES) {
    throw fatal("internal_error", `PSK importer: context of ${context.length} bytes exceeds 65535`);
  }

  const identity = encodeImportedIdentity(external.identity, context, targetProtocol, kdf.id);
  if (identity.length > MAX_IMPORTED_IDENTITY_BYTES) {
    throw fatal(
      "internal_error",
      `PSK importer: ImportedIdentity of ${identity.length} bytes exceeds ${MAX_IMPORTED_IDENTITY_BYTES}`,
    );
  }
  const epskx = hash.hkdfExtract(new Uint8Array(hash.outputLength), epsk);
  try {
    const ipsk = hkdfExpandLabel(hash, epskx, "derived psk", hash.digest(identity), kdf.outputBytes);
    return { identity, ipsk };
  } finally {
    wipe(epskx);
  }
}

/**
 * struct { opaque external_identity<1..2^16-1>; opaque context<0..2^16-1>;
 *          uint16 target_protocol; uint16 target_kdf; } ImportedIdentity;
 */
export function encodeImportedIdentity(
  externalIdentity: Uint8Array,
  context: Uint8Array,
  targetProtocol: number,
  targetKdfId: number,
): Uint8Array {
  return new ByteWriter(2 + externalIdentity.length + 2 + context.length + 4)
    .vector(2, externalIdentity)
    .vector(2, context)
    .u16(targetProtocol)
    .u16(targetKdfId)
    .finish();
}

export interface ImportedIdentity {
  externalIdentity: Uint8Array;
  context: Uint8Array;
  targetProtocol: number;
  targetKdf: number;
}

/** The ImportedIdentity in a PSK identity (RFC 9258 §5.1), or undefined if it is not one. */
export function decodeImportedIdentity(data: Uint8Array): ImportedIdentity | undefined {
  try {
    const r = tlsReader(data, "ImportedIdentity");
    const v = {
      externalIdentity: r.vector(2, 1, 0xffff, "external_identity"),
      context: r.vector(2, 0, 0xffff, "context"),
      targetProtocol: r.u16(),
      targetKdf: r.u16(),
    };
    r.end();
    return v;
  } catch {
    return undefined;
  }
}
