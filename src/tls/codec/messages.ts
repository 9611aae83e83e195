/**
 * Handshake messages (RFC 8446 §4): one encoder and one decoder each. A
 * decoder takes the message body (after the 4-byte header) and consumes it
 * exactly; extension rules are applied by the state machines, which know what
 * was offered.
 */

import { ByteWriter } from "../../bytes/byte-writer.ts";
import { fatal } from "../alert.ts";
import { decodeAll } from "./cursor.ts";
import {
  type Extension,
  type Extensions,
  extensionsBytes,
  readExtensions,
  writeExtensions,
} from "./extensions.ts";
import { MAX_CERTIFICATES, MAX_RECEIVED_TICKET_BYTES, MAX_SESSION_ID_BYTES, RANDOM_BYTES } from "./limits.ts";
import { HandshakeType } from "./types.ts";

/** A whole handshake message as it enters the transcript. */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header plus body: the transcript input. */
  readonly raw: Uint8Array;
}

export const HANDSHAKE_HEADER_BYTES = 4;

export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(HANDSHAKE_HEADER_BYTES + body.length).u8(type).vector(3, body).finish();
}

/**
 * A handshake message whose body `write` writes straight behind the header,
 * into one writer of `bodyBytes` (the body's size, so it never grows): not a
 * body encoded on its own and then copied behind a header, which cost every
 * message a second buffer and a copy. The bytes are the same either way.
 */
function encodeHandshakeWith(type: number, bodyBytes: number, write: (w: ByteWriter) => void): Uint8Array {
  return new ByteWriter(HANDSHAKE_HEADER_BYTES + bodyBytes).u8(type).prefixed(3, write).finish();
}

// --- ClientHello (§4.1.2)
export interface ClientHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: Uint8Array;
  readonly extensions: Extensions;
}
export const clientHello = {
  encode: (m: Omit<ClientHello, "extensions"> & { extensions: readonly Extension[] }) =>
    encodeHandshakeWith(
      HandshakeType.client_hello,
      2 +
        m.random.length +
        1 +
        m.sessionId.length +
        2 +
        2 * m.cipherSuites.length +
        1 +
        m.compressionMethods.length +
        extensionsBytes(m.extensions),
      (w) => {
        w.u16(m.legacyVersion).bytes(m.random).vector(1, m.sessionId);
        w.prefixed(2, (x) => {
          for (const s of m.cipherSuites) x.u16(s);
        });
        w.vector(1, m.compressionMethods);
        writeExtensions(w, m.extensions);
      },
    ),
  decode: (body: Uint8Array): ClientHello =>
    decodeAll(body, "ClientHello", (r) => ({
      legacyVersion: r.u16("legacy_version"),
      random: r.bytes(RANDOM_BYTES, "random"),
      sessionId: r.vector(1, 0, MAX_SESSION_ID_BYTES, "legacy_session_id"),
      cipherSuites: r.list(2, 2, 0xfffe, "cipher_suites", (x) => x.u16()),
      compressionMethods: r.vector(1, 1, 255, "legacy_compression_methods"),
      // §4.1.2: a TLS 1.3 ClientHello always has extensions (supported_versions at least).
      extensions: readExtensions(r, 2),
    })),
};

// --- ServerHello and HelloRetryRequest (§4.1.3, §4.1.4)
export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly compressionMethod: number;
  readonly extensions: Extensions;
}
export const serverHello = {
  encode: (m: Omit<ServerHello, "extensions"> & { extensions: readonly Extension[] }) =>
    encodeHandshakeWith(
      HandshakeType.server_hello,
      2 + m.random.length + 1 + m.sessionId.length + 2 + 1 + extensionsBytes(m.extensions),
      (w) => {
        w.u16(m.legacyVersion)
          .bytes(m.random)
          .vector(1, m.sessionId)
          .u16(m.cipherSuite)
          .u8(m.compressionMethod);
        writeExtensions(w, m.extensions);
      },
    ),
  decode: (body: Uint8Array): ServerHello =>
    decodeAll(body, "ServerHello", (r) => ({
      legacyVersion: r.u16("legacy_version"),
      random: r.bytes(RANDOM_BYTES, "random"),
      sessionId: r.vector(1, 0, MAX_SESSION_ID_BYTES, "legacy_session_id_echo"),
      cipherSuite: r.u16("cipher_suite"),
      compressionMethod: r.u8("legacy_compression_method"),
      extensions: readExtensions(r),
    })),
};

// --- EncryptedExtensions (§4.3.1)
export const encryptedExtensions = {
  encode: (extensions: readonly Extension[]) =>
    encodeHandshakeWith(HandshakeType.encrypted_extensions, extensionsBytes(extensions), (w) =>
      writeExtensions(w, extensions),
    ),
  decode: (body: Uint8Array): Extensions => decodeAll(body, "EncryptedExtensions", (r) => readExtensions(r)),
};

// --- CertificateRequest (§4.3.2)
export interface CertificateRequest {
  readonly context: Uint8Array;
  readonly extensions: Extensions;
}
export const certificateRequest = {
  encode: (context: Uint8Array, extensions: readonly Extension[]) =>
    encodeHandshakeWith(
      HandshakeType.certificate_request,
      1 + context.length + extensionsBytes(extensions),
      (w) => {
        w.vector(1, context);
        writeExtensions(w, extensions);
      },
    ),
  decode: (body: Uint8Array): CertificateRequest =>
    decodeAll(body, "CertificateRequest", (r) => ({
      context: r.vector(1, 0, 255, "certificate_request_context"),
      extensions: readExtensions(r, 2),
    })),
};

// --- Certificate (§4.4.2); only X.509 entries (no raw public keys)
export interface CertificateEntry {
  readonly data: Uint8Array;
  readonly extensions: Extensions;
}
export interface Certificate {
  readonly context: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}
export const certificate = {
  encode: (context: Uint8Array, chain: readonly Uint8Array[]) =>
    encodeHandshakeWith(
      HandshakeType.certificate,
      1 + context.length + 3 + chain.reduce((n, c) => n + 3 + c.length + 2, 0),
      (w) => {
        w.vector(1, context);
        w.prefixed(3, (x) => {
          for (const c of chain) {
            x.vector(3, c);
            writeExtensions(x, []);
          }
        });
      },
    ),
  decode: (body: Uint8Array): Certificate =>
    decodeAll(body, "Certificate", (r) => ({
      context: r.vector(1, 0, 255, "certificate_request_context"),
      entries: r.list(
        3,
        0,
        0xffffff,
        "certificate_list",
        (x) => ({ data: x.vector(3, 1, 0xffffff, "cert_data"), extensions: readExtensions(x) }),
        MAX_CERTIFICATES,
      ),
    })),
};

// --- CertificateVerify (§4.4.3)
export interface CertificateVerify {
  readonly scheme: number;
  readonly signature: Uint8Array;
}
export const certificateVerify = {
  encode: (m: CertificateVerify) =>
    encodeHandshakeWith(HandshakeType.certificate_verify, 2 + 2 + m.signature.length, (w) =>
      w.u16(m.scheme).vector(2, m.signature),
    ),
  decode: (body: Uint8Array): CertificateVerify =>
    decodeAll(body, "CertificateVerify", (r) => ({
      scheme: r.u16("algorithm"),
      // §4.4.3: an empty signature is well-formed; it fails verification (decrypt_error).
      signature: r.vector(2, 0, 0xffff, "signature"),
    })),
};

// --- Finished (§4.4.4): the length is the hash length, checked by the caller that knows the suite
export const finished = {
  encode: (verifyData: Uint8Array) => encodeHandshake(HandshakeType.finished, verifyData),
  decode: (body: Uint8Array, hashLength: number): Uint8Array => {
    if (body.length !== hashLength)
      throw fatal("decode_error", `Finished: ${body.length} bytes, expected ${hashLength}`);
    return body;
  },
};

// --- NewSessionTicket (§4.6.1)
export interface NewSessionTicket {
  readonly lifetimeSeconds: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: Extensions;
}
export const newSessionTicket = {
  encode: (m: Omit<NewSessionTicket, "extensions"> & { extensions: readonly Extension[] }) =>
    encodeHandshakeWith(
      HandshakeType.new_session_ticket,
      4 + 4 + 1 + m.nonce.length + 2 + m.ticket.length + extensionsBytes(m.extensions),
      (w) => {
        w.u32(m.lifetimeSeconds).u32(m.ageAdd).vector(1, m.nonce).vector(2, m.ticket);
        writeExtensions(w, m.extensions);
      },
    ),
  decode: (body: Uint8Array): NewSessionTicket =>
    decodeAll(body, "NewSessionTicket", (r) => ({
      lifetimeSeconds: r.u32("ticket_lifetime"),
      ageAdd: r.u32("ticket_age_add"),
      nonce: r.vector(1, 0, 255, "ticket_nonce"),
      ticket: r.vector(2, 1, MAX_RECEIVED_TICKET_BYTES, "ticket"),
      extensions: readExtensions(r),
    })),
};

// --- KeyUpdate (§4.6.3)
export const keyUpdate = {
  encode: (requestUpdate: number) => encodeHandshake(HandshakeType.key_update, Uint8Array.of(requestUpdate)),
  decode: (body: Uint8Array): number => decodeAll(body, "KeyUpdate", (r) => r.u8("request_update")),
};

// --- message_hash (§4.4.1) is built by the transcript, not sent.
