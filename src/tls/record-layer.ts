/**
 * The TLS 1.3 record layer (RFC 8446 §5): a deframer that cuts a byte stream
 * into records with strict header checks, and the per-direction record
 * protection (§5.2-§5.4). Sans-IO: bytes in, records out.
 *
 * Hot path (bulk data): on seal, one copy of the content into the record
 * buffer, which is then encrypted in place (AeadKey.sealInto); on open,
 * none (the content is a view into the decrypted inner plaintext); a record
 * split across reads is joined once by the deframer (opening it from its parts
 * was measured to save neither allocation nor CPU).
 * One AEAD key object per protector, imported once.
 */

import { ByteWriter } from "../bytes/byte-writer.ts";
import { wipe } from "../bytes/bytes.ts";
import { ChunkQueue } from "../bytes/chunk-queue.ts";
import type { CipherSuiteInfo } from "../crypto/registry.ts";
import type { AeadKey, Crypto } from "../crypto/types.ts";
import { fatal, TlsError } from "./alert.ts";
import { trafficKeys } from "./key-schedule.ts";

/** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14 bytes. */
export const MAX_PLAINTEXT_BYTES = 16384;
/** RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256 bytes. */
export const MAX_CIPHERTEXT_BYTES = 16384 + 256;
/** RFC 8446 §5.4: the encoded TLSInnerPlaintext (content ‖ type ‖ zeros) MUST NOT exceed 2^14 + 1 bytes. */
export const MAX_INNER_PLAINTEXT_BYTES = 16384 + 1;
/** RFC 8446 §5.1: type (1) ‖ legacy_record_version (2) ‖ length (2). */
export const RECORD_HEADER_BYTES = 5;
/** RFC 8449 §4: the smallest record_size_limit an endpoint may advertise, in bytes. */
export const MIN_RECORD_SIZE_LIMIT_BYTES = 64;
/** RFC 8449 §4: the largest useful record_size_limit in TLS 1.3 (2^14 plus the content type byte). */
export const MAX_RECORD_SIZE_LIMIT_BYTES = MAX_INNER_PLAINTEXT_BYTES;
/**
 * Bytes a caller may leave in the deframer without draining it before push()
 * refuses more. Draining (next() until undefined) leaves less than one record,
 * so only a caller that never drains can reach it.
 */
export const MAX_DEFRAMER_BUFFER_BYTES = 1024 * 1024;
/**
 * Records per traffic key after which a KeyUpdate is due (RFC 8446 §5.5: AES-GCM
 * may protect at most 2^24.5 full-size records per key; this bound serves every suite).
 */
export const KEY_UPDATE_AFTER_RECORDS = 2 ** 24;
/**
 * Bytes of 0-RTT records a server that refused early data skips before it
 * gives up with unexpected_message (RFC 8446 §4.2.10 bounds it by the
 * max_early_data_size it configured; we advertise none and allow a client
 * one flight of up to four full records, counted as TLSCiphertext bytes).
 */
export const MAX_SKIPPED_EARLY_DATA_BYTES = 4 * (16384 + 256);

/** RFC 8446 §5.1 legacy_record_version values. */
export const RECORD_VERSION_TLS12 = 0x0303;
export const RECORD_VERSION_TLS10 = 0x0301;
/** The major byte every SSL 3.0 / TLS legacy_record_version shares. */
const RECORD_VERSION_MAJOR = 0x03;

/** RFC 8446 §5.1 ContentType. */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

export interface TlsRecord {
  type: number;
  legacyVersion: number;
  fragment: Uint8Array;
}

/** AEAD expansion of every TLS 1.3 suite (RFC 8446 §5.2: the 16-byte tag). */
const AEAD_TAG_BYTES = 16;

function isKnownContentType(type: number): boolean {
  return type >= ContentType.change_cipher_spec && type <= ContentType.application_data;
}

/**
 * The TLSCiphertext limit for a record_size_limit we advertised (RFC 8449 §4:
 * in TLS 1.3 the limit counts the whole TLSInnerPlaintext; the AEAD adds its tag).
 */
export function maxCiphertextForRecordSizeLimit(recordSizeLimit: number): number {
  return Math.min(recordSizeLimit, MAX_INNER_PLAINTEXT_BYTES) + AEAD_TAG_BYTES;
}

/**
 * Splits a byte stream into records. Header checks happen as soon as the 5
 * header bytes are in, so an oversized or malformed record fails before its
 * body arrives. After a failure every later call throws the same error.
 *
 * push() takes ownership of the bytes: a record that lies within one pushed
 * chunk is returned as a view into it, without a copy (the ChunkQueue rule),
 * until detach() copies out what is still held.
 */
export class RecordDeframer {
  private readonly queue = new ChunkQueue({
    maxBytes: MAX_DEFRAMER_BUFFER_BYTES,
    overflow: (held, max) =>
      fatal("internal_error", `record deframer holds ${held} bytes, more than ${max}: drain it with next()`),
  });
  private maxCiphertext = MAX_CIPHERTEXT_BYTES;
  private failure: Error | undefined;

  /** Bytes received and not yet returned as records. */
  get buffered(): number {
    return this.queue.length;
  }

  push(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      this.queue.push(data);
    } catch (e) {
      throw this.fail(e as Error);
    }
  }

  /**
   * The next complete record, or undefined until more bytes arrive. Throws
   * TlsError on a bad header.
   */
  next(): TlsRecord | undefined {
    if (this.failure) throw this.failure;
    const q = this.queue;
    if (q.length < RECORD_HEADER_BYTES) return undefined;
    const type = q.byteAt(0);
    const legacyVersion = (q.byteAt(1) << 8) | q.byteAt(2);
    const length = (q.byteAt(3) << 8) | q.byteAt(4);
    this.checkHeader(type, legacyVersion, length);
    const total = RECORD_HEADER_BYTES + length;
    if (q.length < total) return undefined;
    const bytes = q.take(total);
    return { type, legacyVersion, fragment: bytes.subarray(RECORD_HEADER_BYTES) };
  }

  /**
   * Copies the bytes held (part of a record) out of the chunks they were
   * pushed in, so the caller may rewrite those chunks (a reused read buffer).
   */
  detach(): void {
    if (this.failure) return;
    this.queue.detach();
  }

  /**
   * Lowers the accepted TLSCiphertext length once a record_size_limit we
   * advertised is in force (RFC 8449 §4); see maxCiphertextForRecordSizeLimit.
   */
  setMaxCiphertext(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < MIN_RECORD_SIZE_LIMIT_BYTES || bytes > MAX_CIPHERTEXT_BYTES) {
      throw fatal(
        "internal_error",
        `record deframer: ciphertext limit ${bytes} outside ${MIN_RECORD_SIZE_LIMIT_BYTES}..${MAX_CIPHERTEXT_BYTES}`,
      );
    }
    this.maxCiphertext = bytes;
  }

  private checkHeader(type: number, legacyVersion: number, length: number): void {
    // RFC 8446 §5: an unknown record type MUST be answered with unexpected_message.
    if (!isKnownContentType(type)) {
      throw this.fail(fatal("unexpected_message", unknownTypeMessage(type, legacyVersion, length)));
    }
    // RFC 8446 §5.1: legacy_record_version "MUST be ignored for all purposes" on plaintext
    // records (a ClientHello may say 0x0300..0x0303, a change_cipher_spec anything). We keep
    // only the major version 3, so a peer not speaking TLS at all fails on its first header.
    // A protected record (§5.2) always says 0x0303; it is also the AEAD's additional data.
    const versionOk =
      type === ContentType.application_data
        ? legacyVersion === RECORD_VERSION_TLS12
        : legacyVersion >> 8 === RECORD_VERSION_MAJOR;
    if (!versionOk) {
      throw this.fail(
        fatal(
          "decode_error",
          `record (type ${type}) with legacy_record_version 0x${legacyVersion.toString(16).padStart(4, "0")}, expected ${type === ContentType.application_data ? "0x0303" : "0x03xx"}`,
        ),
      );
    }
    // RFC 8446 §5.1/§5.2: plaintext records carry at most 2^14 bytes; protected records
    // (outer type application_data) at most 2^14 + 256, or less under record_size_limit.
    const limit = type === ContentType.application_data ? this.maxCiphertext : MAX_PLAINTEXT_BYTES;
    if (length > limit) {
      throw this.fail(fatal("record_overflow", `record (type ${type}) of ${length} bytes exceeds ${limit}`));
    }
    // RFC 8446 §5.1: zero-length Handshake or Alert fragments MUST NOT be sent.
    if (length === 0 && (type === ContentType.handshake || type === ContentType.alert)) {
      throw this.fail(
        fatal("decode_error", `zero-length ${type === ContentType.handshake ? "handshake" : "alert"} record`),
      );
    }
  }

  private fail(error: Error): Error {
    this.failure = error;
    return error;
  }
}

/**
 * A peer that is not speaking TLS at all (a plain HTTP server answering the
 * ClientHello with "HTTP/1.1 400", an HTML page) sends text where a record
 * header belongs: say so, with the five bytes, rather than only "type 72".
 */
function unknownTypeMessage(type: number, legacyVersion: number, length: number): string {
  const header = [type, legacyVersion >> 8, legacyVersion & 0xff, length >> 8, length & 0xff];
  const printable = header.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d);
  if (printable) {
    const text = String.fromCharCode(...header).replace(/[\r\n]/g, " ");
    return `not TLS: the peer sent plain text "${text}" where a TLS record belongs (a plain HTTP or other non-TLS service?)`;
  }
  return `record of unknown content type ${type}`;
}

/** A plaintext record (before keys are in place, and change_cipher_spec), RFC 8446 §5.1. */
export function encodePlainRecord(
  type: number,
  fragment: Uint8Array,
  legacyVersion: number = RECORD_VERSION_TLS12,
): Uint8Array {
  if (!isKnownContentType(type))
    throw fatal("internal_error", `encodePlainRecord: unknown content type ${type}`);
  if (fragment.length > MAX_PLAINTEXT_BYTES) {
    throw fatal(
      "internal_error",
      `encodePlainRecord: fragment of ${fragment.length} bytes exceeds ${MAX_PLAINTEXT_BYTES}`,
    );
  }
  if (fragment.length === 0 && (type === ContentType.handshake || type === ContentType.alert)) {
    throw fatal("internal_error", "encodePlainRecord: zero-length handshake or alert fragment");
  }
  return new ByteWriter(RECORD_HEADER_BYTES + fragment.length)
    .u8(type)
    .u16(legacyVersion)
    .vector(2, fragment)
    .finish();
}

/** Throws internal_error for content the record layer must never be asked to seal (RFC 8446 §5.2, §5.4). */
function checkSealable(type: number, contentLength: number, padding: number): void {
  if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
    throw fatal("internal_error", `seal: content type ${type} cannot be protected`);
  }
  if (!Number.isInteger(padding) || padding < 0)
    throw fatal("internal_error", `seal: bad padding ${padding}`);
  if (contentLength > MAX_PLAINTEXT_BYTES || contentLength + 1 + padding > MAX_INNER_PLAINTEXT_BYTES) {
    throw fatal(
      "internal_error",
      `seal: ${contentLength} content bytes + type + ${padding} padding exceed ${MAX_INNER_PLAINTEXT_BYTES}`,
    );
  }
  if (contentLength === 0 && type !== ContentType.application_data) {
    throw fatal("internal_error", "seal: zero-length handshake or alert content");
  }
}

/**
 * The content of a decrypted TLSInnerPlaintext (RFC 8446 §5.4); `inner` null
 * (authentication failed) is bad_record_mac. The content is a view into `inner`.
 */
function innerContent(inner: Uint8Array | null): { type: number; content: Uint8Array } {
  if (inner === null) throw fatal("bad_record_mac", "record authentication failed");
  // RFC 8446 §5.4: the content type is the last non-zero byte; all zeros is unexpected_message.
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  if (end < 0) throw fatal("unexpected_message", "protected record with no non-zero content type");
  const type = inner[end]!;
  if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
    throw fatal("unexpected_message", `protected record with inner content type ${type}`);
  }
  if (end === 0 && type !== ContentType.application_data) {
    throw fatal("unexpected_message", "zero-length handshake or alert content in a protected record");
  }
  return { type, content: inner.subarray(0, end) };
}

/** The TLSCiphertext header of a protected record of `length` bytes (RFC 8446 §5.2) at the start of `out`. */
function writeProtectedHeader(out: Uint8Array, length: number): void {
  out[0] = ContentType.application_data;
  out[1] = RECORD_VERSION_TLS12 >> 8;
  out[2] = RECORD_VERSION_TLS12 & 0xff;
  out[3] = length >> 8;
  out[4] = length & 0xff;
}

/** Largest 64-bit sequence number half (RFC 8446 §5.3: the sequence number MUST NOT wrap). */
const UINT32_MAX = 0xffffffff;

/**
 * Protection for one direction under one traffic secret (RFC 8446 §5.2-§5.4).
 * The sequence number starts at 0 and counts every record sealed or opened;
 * a new traffic secret (next flight, KeyUpdate) means a new protector.
 */
export class RecordProtector {
  private key: AeadKey | undefined;
  private readonly iv: Uint8Array;
  /** Per-record nonce buffer (RFC 8446 §5.3), rewritten before each AEAD call. */
  private readonly nonce: Uint8Array;
  /** The additional data of the record being opened, rewritten before each AEAD call. */
  private readonly aad = new Uint8Array(RECORD_HEADER_BYTES);
  private seqHigh: number;
  private seqLow: number;
  private exhausted = false;

  constructor(
    crypto: Crypto,
    suite: CipherSuiteInfo,
    trafficSecret: Uint8Array,
    options?: { initialSequence?: bigint },
  ) {
    const aead = crypto.aead(suite.aead);
    const keys = trafficKeys(crypto.hash(suite.hash), aead, trafficSecret);
    try {
      this.key = aead.importKey(keys.key);
    } finally {
      wipe(keys.key);
    }
    this.iv = keys.iv;
    this.nonce = new Uint8Array(keys.iv.length);
    const start = options?.initialSequence ?? 0n;
    if (start < 0n || start > 0xffffffffffffffffn)
      throw fatal("internal_error", "sequence number outside 64 bits");
    this.seqHigh = Number(start >> 32n);
    this.seqLow = Number(start & 0xffffffffn);
  }

  /** The sequence number of the next record. */
  get sequence(): bigint {
    return (BigInt(this.seqHigh) << 32n) | BigInt(this.seqLow);
  }

  /** True once this key has protected KEY_UPDATE_AFTER_RECORDS records (RFC 8446 §5.5). */
  get keyUpdateDue(): boolean {
    return this.seqHigh > 0 || this.seqLow >= KEY_UPDATE_AFTER_RECORDS;
  }

  /** Bytes of the protected record for `contentLength` content bytes and `padding` zeros (RFC 8446 §5.2). */
  static recordLength(contentLength: number, padding = 0): number {
    return RECORD_HEADER_BYTES + contentLength + 1 + padding + AEAD_TAG_BYTES;
  }

  /**
   * Seals `content` of inner content `type` with `padding` zero bytes
   * (RFC 8446 §5.4) and returns the whole TLSCiphertext record, header included.
   */
  seal(type: number, content: Uint8Array, padding = 0): Uint8Array {
    checkSealable(type, content.length, padding);
    const record = new Uint8Array(RecordProtector.recordLength(content.length, padding));
    record.set(content, RECORD_HEADER_BYTES);
    return this.sealInPlace(type, record, content.length, padding);
  }

  /**
   * Seals a record assembled in place: `record` is recordLength(contentLength,
   * padding) bytes with the content already at RECORD_HEADER_BYTES. Writes the
   * header, the inner type and padding, then encrypts in place, so the
   * content is copied once (by the caller, from wherever it lies) and the
   * record needs no further assembly. Returns `record`.
   */
  sealInPlace(type: number, record: Uint8Array, contentLength: number, padding = 0): Uint8Array {
    const key = this.useKey();
    checkSealable(type, contentLength, padding);
    if (record.length !== RecordProtector.recordLength(contentLength, padding)) {
      throw fatal(
        "internal_error",
        `sealInPlace: record buffer of ${record.length} bytes for ${contentLength}`,
      );
    }
    // TLSInnerPlaintext = content ‖ type ‖ zeros[padding] (RFC 8446 §5.4).
    const innerLength = contentLength + 1 + padding;
    record[RECORD_HEADER_BYTES + contentLength] = type;
    if (padding > 0)
      record.fill(0, RECORD_HEADER_BYTES + contentLength + 1, RECORD_HEADER_BYTES + innerLength);
    // The header, written in place (a record is sealed per 16 KiB of bulk data: no allocation here).
    writeProtectedHeader(record, innerLength + AEAD_TAG_BYTES);
    // RFC 8446 §5.2: additional_data = the record header.
    const header = record.subarray(0, RECORD_HEADER_BYTES);
    const inner = record.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + innerLength);
    key.sealInto(this.nextNonce(), inner, header, record, RECORD_HEADER_BYTES);
    return record;
  }

  /** True when the key seals detached (AeadKey.sealDetached), so sealDetached() below works. */
  get sealsDetached(): boolean {
    return this.key?.sealDetached !== undefined;
  }

  /**
   * Seals a record whose content is at the start of `inner`, a scratch buffer
   * of at least contentLength + 1 + padding bytes the caller reuses: writes
   * the inner type and padding after the content (RFC 8446 §5.4) and returns
   * the record as three arrays to be sent in order, a new 5-byte header, the
   * ciphertext and the tag, both the provider's own (AeadKey.sealDetached).
   * Nothing is copied after encryption, and nothing of `inner` is kept.
   */
  sealDetached(
    type: number,
    inner: Uint8Array,
    contentLength: number,
    padding = 0,
  ): [Uint8Array, Uint8Array, Uint8Array] {
    const key = this.useKey();
    if (key.sealDetached === undefined) throw fatal("internal_error", "sealDetached: the key cannot");
    checkSealable(type, contentLength, padding);
    const innerLength = contentLength + 1 + padding;
    if (inner.length < innerLength) {
      throw fatal("internal_error", `sealDetached: scratch of ${inner.length} bytes for ${contentLength}`);
    }
    inner[contentLength] = type;
    if (padding > 0) inner.fill(0, contentLength + 1, innerLength);
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    writeProtectedHeader(header, innerLength + AEAD_TAG_BYTES);
    const [ciphertext, tag] = key.sealDetached(this.nextNonce(), inner.subarray(0, innerLength), header);
    return [header, ciphertext, tag];
  }

  /**
   * Opens one protected record. Throws TlsError: bad_record_mac (authentication
   * failed), record_overflow (too long), unexpected_message (not a protected
   * record, no content type, or an empty handshake/alert).
   */
  open(record: TlsRecord): { type: number; content: Uint8Array } {
    const key = this.useKey();
    const aad = this.additionalData(record.type, record.legacyVersion, record.fragment.length);
    return innerContent(key.open(this.nextNonce(), record.fragment, aad));
  }

  /**
   * Checks a protected record's outer type and length and writes its
   * additional data (RFC 8446 §5.2: the record header) into this protector's own buffer.
   */
  private additionalData(type: number, legacyVersion: number, length: number): Uint8Array {
    if (type !== ContentType.application_data) {
      throw fatal("unexpected_message", `record of type ${type} where a protected record was expected`);
    }
    if (length > MAX_CIPHERTEXT_BYTES || length - AEAD_TAG_BYTES > MAX_INNER_PLAINTEXT_BYTES) {
      throw fatal("record_overflow", `protected record of ${length} bytes exceeds 2^14 + 1 inner bytes`);
    }
    if (length < AEAD_TAG_BYTES + 1) {
      throw fatal("bad_record_mac", `protected record of ${length} bytes is shorter than tag + type`);
    }
    const aad = this.aad;
    aad[0] = type;
    aad[1] = legacyVersion >> 8;
    aad[2] = legacyVersion & 0xff;
    aad[3] = length >> 8;
    aad[4] = length & 0xff;
    return aad;
  }

  /**
   * Like open(), but a record that fails authentication gives undefined and
   * does not consume a sequence number (RFC 8446 §4.2.10: a server skipping
   * 0-RTT data it cannot read keeps its handshake key's count at zero).
   */
  tryOpen(record: TlsRecord): { type: number; content: Uint8Array } | undefined {
    const high = this.seqHigh;
    const low = this.seqLow;
    try {
      return this.open(record);
    } catch (e) {
      if (!(e instanceof TlsError && e.alertName === "bad_record_mac")) throw e;
      this.seqHigh = high;
      this.seqLow = low;
      this.exhausted = false;
      return undefined;
    }
  }

  /** Wipes the IV and drops the key; later calls throw. */
  wipe(): void {
    wipe(this.iv, this.nonce);
    this.key = undefined;
  }

  private useKey(): AeadKey {
    if (this.key === undefined) throw fatal("internal_error", "record protector used after wipe()");
    if (this.exhausted) throw fatal("internal_error", "record sequence number exhausted (RFC 8446 §5.3)");
    return this.key;
  }

  /** RFC 8446 §5.3: nonce = write_iv XOR (64-bit big-endian sequence number, left-padded); then seq++. */
  private nextNonce(): Uint8Array {
    const n = this.nonce;
    const iv = this.iv;
    const last = iv.length - 8;
    n.set(iv);
    const hi = this.seqHigh;
    const lo = this.seqLow;
    n[last] = iv[last]! ^ (hi >>> 24);
    n[last + 1] = iv[last + 1]! ^ ((hi >>> 16) & 0xff);
    n[last + 2] = iv[last + 2]! ^ ((hi >>> 8) & 0xff);
    n[last + 3] = iv[last + 3]! ^ (hi & 0xff);
    n[last + 4] = iv[last + 4]! ^ (lo >>> 24);
    n[last + 5] = iv[last + 5]! ^ ((lo >>> 16) & 0xff);
    n[last + 6] = iv[last + 6]! ^ ((lo >>> 8) & 0xff);
    n[last + 7] = iv[last + 7]! ^ (lo & 0xff);
    if (lo === UINT32_MAX) {
      if (hi === UINT32_MAX) this.exhausted = true;
      else {
        this.seqHigh = hi + 1;
        this.seqLow = 0;
      }
    } else {
      this.seqLow = lo + 1;
    }
    return n;
  }
}
