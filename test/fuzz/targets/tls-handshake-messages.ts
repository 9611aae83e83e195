/**
 * Handshake message decoders (RFC 8446 §4) behind the handshake joiner
 * (§5.1 reassembly). The input is a run of handshake messages, header
 * included, cut into record-sized fragments; every whole message goes to its
 * type's decoder. A message that decodes must encode back to the same bytes:
 * TLS's presentation language has one encoding per value.
 */
import { bytesEqual } from "../../../src/bytes/bytes.ts";
import { TlsError } from "../../../src/tls/alert.ts";
import { HandshakeJoiner } from "../../../src/tls/codec/handshake-joiner.ts";
import { MAX_HANDSHAKE_JOINER_BYTES } from "../../../src/tls/codec/limits.ts";
import {
  certificate,
  certificateRequest,
  certificateVerify,
  clientHello,
  encodeHandshake,
  encryptedExtensions,
  type HandshakeMessage,
  keyUpdate,
  newSessionTicket,
  serverHello,
} from "../../../src/tls/codec/messages.ts";
import { HandshakeType } from "../../../src/tls/codec/types.ts";
import { FuzzInput } from "../harness/input.ts";
import { assertBounded, check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

/** The bytes a decoded message encodes to, or undefined for types without a canonical re-encoding here. */
function reencode(m: HandshakeMessage): Uint8Array | undefined {
  switch (m.type) {
    case HandshakeType.client_hello: {
      const d = clientHello.decode(m.body);
      d.extensions.check("CH");
      return clientHello.encode({ ...d, extensions: d.extensions.list });
    }
    case HandshakeType.server_hello: {
      const d = serverHello.decode(m.body);
      d.extensions.check("SH");
      return serverHello.encode({ ...d, extensions: d.extensions.list });
    }
    case HandshakeType.encrypted_extensions: {
      const d = encryptedExtensions.decode(m.body);
      d.check("EE");
      return encryptedExtensions.encode(d.list);
    }
    case HandshakeType.certificate_request: {
      const d = certificateRequest.decode(m.body);
      d.extensions.check("CR");
      return certificateRequest.encode(d.context, d.extensions.list);
    }
    case HandshakeType.certificate: {
      const d = certificate.decode(m.body);
      for (const e of d.entries) e.extensions.check("CT");
      // The encoder writes entries without extensions (we send none).
      if (d.entries.some((e) => e.extensions.list.length > 0)) return undefined;
      return certificate.encode(
        d.context,
        d.entries.map((e) => e.data),
      );
    }
    case HandshakeType.certificate_verify:
      return certificateVerify.encode(certificateVerify.decode(m.body));
    case HandshakeType.new_session_ticket: {
      const d = newSessionTicket.decode(m.body);
      d.extensions.check("NST");
      return newSessionTicket.encode({ ...d, extensions: d.extensions.list });
    }
    case HandshakeType.key_update:
      return keyUpdate.encode(keyUpdate.decode(m.body));
    default:
      return encodeHandshake(m.type, m.body);
  }
}

export const target: FuzzTarget = {
  name: "tls-handshake-messages",
  description: "handshake messages: [fragment size byte] then type/length/body messages",
  typed: [TlsError],
  run(data) {
    const input = new FuzzInput(data);
    const fragmentBytes = 1 + input.u8() * 64;
    const stream = input.rest();
    const joiner = new HandshakeJoiner();
    for (let at = 0; at < stream.length; at += fragmentBytes) {
      joiner.push(stream.slice(at, at + fragmentBytes));
      for (let m = joiner.next(); m; m = joiner.next()) {
        const again = reencode(m);
        check(
          again === undefined || bytesEqual(again, m.raw),
          `message type ${m.type} re-encodes differently`,
        );
      }
      assertBounded("a drained handshake joiner", joiner.buffered, MAX_HANDSHAKE_JOINER_BYTES);
    }
  },
};

export const fuzz = jazzerEntry(target);
