/**
 * Hostile input: each case plays a misbehaving peer (a rewrite of one
 * handshake message it sends, or of the bytes on the wire) and asserts the
 * exact alert the honest side sends. Adding a case is one table row.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteWriter } from "../bytes/byte-writer.ts";
import { concatChunks, toHex } from "../bytes/bytes.ts";
import { groupByName } from "../crypto/registry.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import type { AlertName } from "./alert.ts";
import {
  alpn as alpnExt,
  type Extension,
  type Extensions,
  keyShareServer,
  recordSizeLimit,
  serverName as sniExt,
} from "./codec/extensions.ts";
import {
  certificate,
  clientHello,
  encodeHandshake,
  encryptedExtensions,
  serverHello,
} from "./codec/messages.ts";
import { DOWNGRADE_TLS12, ExtensionType as E, HandshakeType as H } from "./codec/types.ts";
import { createTlsClient, createTlsServer, type PeerHooks, type TlsConnection } from "./connection.ts";
import {
  clientConfig,
  connectPair,
  crypto,
  type PairOptions,
  pki,
  pump,
  type WireMutator,
} from "./engine-test-helpers.ts";
import { ContentType } from "./record-layer.ts";
import { TicketSealer } from "./ticket-sealer.ts";

// --- message rewriters (a hostile peer's view of its own output)

type Inject = (type: number, content: Uint8Array) => void;
type Rewrite = (raw: Uint8Array, inject: Inject) => Uint8Array | Uint8Array[];

/** Applies `fn` to the n-th (0-based) outgoing message of `type`; other messages pass unchanged. */
function onMessage(type: number, fn: Rewrite, nth = 0): PeerHooks {
  let seen = 0;
  return { outgoingHandshake: (raw, inject) => (raw[0] === type && seen++ === nth ? fn(raw, inject) : raw) };
}
const body = (raw: Uint8Array) => raw.subarray(4);
const editBody = (type: number, fn: (b: Uint8Array) => Uint8Array, nth = 0) =>
  onMessage(type, (raw) => encodeHandshake(type, fn(body(raw))), nth);
const drop = (type: number) => onMessage(type, () => []);
const flipLast = (b: Uint8Array) => {
  const c = b.slice();
  c[c.length - 1]! ^= 1;
  return c;
};
const ext = (type: number, data: Uint8Array = new Uint8Array(0)): Extension => ({ type, data });
type EditList = (list: Extension[]) => Extension[];
const without =
  (type: number): EditList =>
  (l) =>
    l.filter((e) => e.type !== type);
const replace =
  (type: number, data: Uint8Array): EditList =>
  (l) =>
    l.map((e) => (e.type === type ? { type, data } : e));
const dup =
  (type: number): EditList =>
  (l) => [...l, l.find((e) => e.type === type)!];

function editServerHello(
  fn: (
    sh: ReturnType<typeof serverHello.decode>,
    list: Extension[],
  ) => Parameters<typeof serverHello.encode>[0],
  nth = 0,
): PeerHooks {
  return onMessage(
    H.server_hello,
    (raw) => {
      const sh = serverHello.decode(body(raw));
      return serverHello.encode(fn(sh, [...sh.extensions.list]));
    },
    nth,
  );
}
const shExts = (edit: EditList, nth = 0) => editServerHello((sh, l) => ({ ...sh, extensions: edit(l) }), nth);
function chExts(edit: EditList, nth = 0): PeerHooks {
  return onMessage(
    H.client_hello,
    (raw) => {
      const ch = clientHello.decode(body(raw));
      return clientHello.encode({ ...ch, extensions: edit([...ch.extensions.list]) });
    },
    nth,
  );
}
const chEdit = (
  fn: (ch: ReturnType<typeof clientHello.decode>) => Parameters<typeof clientHello.encode>[0],
  nth = 0,
): PeerHooks =>
  onMessage(H.client_hello, (raw) => clientHello.encode(fn(clientHello.decode(body(raw)))), nth);
const eeExts = (edit: EditList) =>
  onMessage(H.encrypted_extensions, (raw) =>
    encryptedExtensions.encode(edit([...(encryptedExtensions.decode(body(raw)) as Extensions).list])),
  );

// --- wire mutators

/** Replaces the n-th chunk sent in `dir`. */
const onWire =
  (
    dir: "client->server" | "server->client",
    n: number,
    fn: (c: Uint8Array) => Uint8Array | Uint8Array[],
  ): WireMutator =>
  (d, c, i) =>
    d === dir && i === n ? fn(c) : c;
const flipAt = (at: number) => (c: Uint8Array) => {
  const x = c.slice();
  x[at < 0 ? x.length + at : at]! ^= 0x40;
  return x;
};

const otherPki = createDevelopmentPki({ algorithm: "ml-dsa-44", crypto });
const hrrGroups = {
  client: { groups: ["X25519MLKEM768", "MLKEM768"] as const },
  server: { groups: ["MLKEM768"] as const },
};
const hrr = (extra: PairOptions = {}): PairOptions => ({
  ...extra,
  client: { groups: [...hrrGroups.client.groups], ...extra.client },
  server: { groups: [...hrrGroups.server.groups], ...extra.server },
});
const externalPsk = { identity: new TextEncoder().encode("psk"), key: crypto.randomBytes(32) };
const pskPair = (extra: PairOptions = {}): PairOptions => ({
  ...extra,
  client: { externalPsk, cipherSuites: ["TLS_AES_128_GCM_SHA256"], ...extra.client },
  server: { externalPsks: () => externalPsk, ...extra.server },
});

interface Case {
  name: string;
  pair?: PairOptions;
  /** Runs after the handshake pump (post-handshake attacks). */
  after?: (client: TlsConnection, server: TlsConnection) => void;
  /** Which side detects the problem and what it sends. */
  side: "client" | "server";
  alert: AlertName;
}

let savedHrr: Uint8Array | undefined;

const CASES: Case[] = [
  // --- record layer
  {
    name: "tampered encrypted handshake record",
    pair: { wire: onWire("server->client", 2, flipAt(-1)) },
    side: "client",
    alert: "bad_record_mac",
  },
  {
    name: "tampered record header (length-consistent ciphertext byte)",
    pair: { wire: onWire("server->client", 2, flipAt(10)) },
    side: "client",
    alert: "bad_record_mac",
  },
  {
    name: "truncated protected record",
    pair: {
      wire: onWire("server->client", 2, (c) => {
        const x = c.slice(0, c.length - 1);
        x[3] = (x.length - 5) >> 8;
        x[4] = (x.length - 5) & 0xff;
        return x;
      }),
    },
    side: "client",
    alert: "bad_record_mac",
  },
  {
    name: "oversized record length",
    pair: {
      wire: onWire("client->server", 0, (c) => {
        const x = c.slice();
        x[3] = 0x50;
        return x;
      }),
    },
    side: "server",
    alert: "record_overflow",
  },
  {
    name: "unknown record content type",
    pair: {
      wire: onWire("client->server", 0, (c) => {
        const x = c.slice();
        x[0] = 99;
        return x;
      }),
    },
    side: "server",
    alert: "unexpected_message",
  },
  {
    name: "second change_cipher_spec",
    pair: { wire: onWire("server->client", 1, (c) => [c, c]) },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "change_cipher_spec with a wrong value",
    pair: {
      wire: onWire("server->client", 1, (c) => {
        const x = c.slice();
        x[5] = 2;
        return x;
      }),
    },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "change_cipher_spec before the ClientHello",
    pair: { wire: onWire("client->server", 0, (c) => [Uint8Array.of(20, 3, 3, 0, 1, 1), c]) },
    side: "server",
    alert: "unexpected_message",
  },
  {
    name: "plaintext application data before keys",
    pair: { wire: onWire("server->client", 0, (c) => [Uint8Array.of(23, 3, 3, 0, 1, 0x41), c]) },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "application data under handshake keys (before Finished)",
    pair: {
      serverHooks: onMessage(H.encrypted_extensions, (raw, inject) => {
        inject(ContentType.application_data, Uint8Array.of(1, 2, 3));
        return raw;
      }),
    },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "client application data before its Finished",
    pair: {
      clientHooks: onMessage(H.finished, (raw, inject) => {
        inject(ContentType.application_data, Uint8Array.of(1));
        return [raw];
      }),
    },
    side: "server",
    alert: "bad_record_mac",
  },
  {
    name: "handshake message spans a key change",
    pair: {
      serverHooks: onMessage(H.server_hello, (raw) => [raw, Uint8Array.of(H.encrypted_extensions, 0, 0)]),
    },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "oversized handshake message",
    pair: {
      serverHooks: onMessage(H.encrypted_extensions, () =>
        encodeHandshake(H.encrypted_extensions, new Uint8Array(70_000)),
      ),
    },
    side: "client",
    alert: "decode_error",
  },
  // --- ClientHello checks (server side)
  {
    name: "ClientHello with no acceptable group (classical only under hybrid)",
    pair: { client: { policy: "compat", groups: ["x25519"] } },
    side: "server",
    alert: "handshake_failure",
  },
  {
    name: "pq-strict client, server with only a classical certificate",
    pair: {
      client: { policy: "pq-strict" },
      server: { policy: "compat", certificate: pki("ed25519").server.certifiedKey },
    },
    side: "server",
    alert: "handshake_failure",
  },
  {
    name: "ClientHello without supported_versions",
    pair: { clientHooks: chExts(without(E.supported_versions)) },
    side: "server",
    alert: "protocol_version",
  },
  {
    name: "ClientHello with a duplicate extension",
    pair: { clientHooks: chExts(dup(E.supported_groups)) },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello with pre_shared_key not last",
    pair: pskPair({ clientHooks: chExts((l) => [...l.slice(-1), ...l.slice(0, -1)]) }),
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello with a forbidden extension (cookie-less oid_filters)",
    pair: { clientHooks: chExts((l) => [ext(E.oid_filters), ...l]) },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello key share with a wrong length",
    pair: {
      clientHooks: chExts((l) => {
        const w = new ByteWriter().prefixed(2, (x) =>
          x.u16(groupByName("X25519MLKEM768").codepoint).vector(2, new Uint8Array(100)),
        );
        return replace(E.key_share, w.finish())(l);
      }),
    },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello key share for a group not in supported_groups",
    pair: {
      clientHooks: chExts((l) =>
        replace(E.supported_groups, new ByteWriter().prefixed(2, (x) => x.u16(0x0201)).finish())(l),
      ),
    },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello truncated inside an extension",
    pair: { clientHooks: editBody(H.client_hello, (b) => b.subarray(0, b.length - 3)) },
    side: "server",
    alert: "decode_error",
  },
  {
    name: "ClientHello with compression method 1",
    pair: {
      clientHooks: chEdit((ch) => ({
        ...ch,
        compressionMethods: Uint8Array.of(1),
        extensions: [...ch.extensions.list],
      })),
    },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "ClientHello without signature_algorithms",
    pair: { clientHooks: chExts(without(E.signature_algorithms)) },
    side: "server",
    alert: "missing_extension",
  },
  {
    name: "ClientHello with no cipher suite in common",
    pair: {
      client: { cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
      server: { cipherSuites: ["TLS_AES_256_GCM_SHA384"] },
    },
    side: "server",
    alert: "handshake_failure",
  },
  {
    name: "ALPN with no protocol in common",
    pair: { client: { alpnProtocols: ["h2"] }, server: { alpnProtocols: ["pqrpc/1"] } },
    side: "server",
    alert: "no_application_protocol",
  },
  {
    name: "bad PSK binder",
    pair: pskPair({ clientHooks: editBody(H.client_hello, flipLast) }),
    side: "server",
    alert: "decrypt_error",
  },
  {
    name: "PSK without psk_key_exchange_modes",
    pair: pskPair({ clientHooks: chExts(without(E.psk_key_exchange_modes)) }),
    side: "server",
    alert: "missing_extension",
  },
  {
    name: "second ClientHello without the cookie",
    pair: hrr({ clientHooks: chExts(without(E.cookie), 1) }),
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "second ClientHello with other cipher suites",
    pair: hrr({
      clientHooks: chEdit(
        (ch) => ({ ...ch, cipherSuites: ch.cipherSuites.slice(0, 1), extensions: [...ch.extensions.list] }),
        1,
      ),
    }),
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "second ClientHello with a share for another group",
    pair: hrr({
      client: { keyShareGroups: ["X25519MLKEM768"] },
      clientHooks: chExts(
        replace(
          E.key_share,
          new ByteWriter().prefixed(2, (x) => x.u16(0x11ec).vector(2, new Uint8Array(1216))).finish(),
        ),
        1,
      ),
    }),
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "SNI that is not a host name",
    pair: { clientHooks: chExts(replace(E.server_name, sniExt.encode("bad host!"))) },
    side: "server",
    alert: "illegal_parameter",
  },
  // --- ServerHello checks (client side)
  {
    name: "downgrade: ServerHello selects X25519 under hybrid",
    pair: {
      serverHooks: shExts(
        replace(E.key_share, keyShareServer.encode({ group: 0x001d, share: new Uint8Array(32) })),
      ),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello key share with a wrong length",
    pair: {
      serverHooks: shExts((l) => {
        const ks = keyShareServer.decode(l.find((e) => e.type === E.key_share)!.data);
        return replace(
          E.key_share,
          keyShareServer.encode({ group: ks.group, share: ks.share.subarray(1) }),
        )(l);
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello without supported_versions (TLS 1.2)",
    pair: { serverHooks: shExts(without(E.supported_versions)) },
    side: "client",
    alert: "protocol_version",
  },
  {
    name: "ServerHello with the TLS 1.2 downgrade sentinel",
    pair: {
      serverHooks: editServerHello((sh, l) => {
        const r = sh.random.slice();
        r.set(DOWNGRADE_TLS12, 24);
        return { ...sh, random: r, extensions: without(E.supported_versions)(l) };
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello with a wrong session id echo",
    pair: {
      serverHooks: editServerHello((sh, l) => ({ ...sh, sessionId: flipLast(sh.sessionId), extensions: l })),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello with a cipher suite not offered",
    pair: {
      client: { cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
      serverHooks: editServerHello((sh, l) => ({ ...sh, cipherSuite: 0x1302, extensions: l })),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello with an unsolicited extension",
    pair: { serverHooks: shExts((l) => [...l, ext(0x7777)]) },
    side: "client",
    alert: "unsupported_extension",
  },
  {
    name: "ServerHello with a duplicate extension",
    pair: { serverHooks: shExts(dup(E.supported_versions)) },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello with compression method 1",
    pair: { serverHooks: editServerHello((sh, l) => ({ ...sh, compressionMethod: 1, extensions: l })) },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "ServerHello without key_share or pre_shared_key",
    pair: { serverHooks: shExts(without(E.key_share)) },
    side: "client",
    alert: "missing_extension",
  },
  {
    name: "ServerHello selects a PSK that was not offered",
    pair: pskPair({ serverHooks: shExts(replace(E.pre_shared_key, Uint8Array.of(0, 5))) }),
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "HelloRetryRequest for a group already key-shared",
    pair: hrr({ serverHooks: shExts(replace(E.key_share, Uint8Array.of(0x11, 0xec))) }),
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "HelloRetryRequest for X25519 under hybrid",
    pair: hrr({ serverHooks: shExts(replace(E.key_share, Uint8Array.of(0x00, 0x1d))) }),
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "HelloRetryRequest that changes nothing",
    pair: hrr({ serverHooks: shExts((l) => without(E.cookie)(without(E.key_share)(l))) }),
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "second HelloRetryRequest",
    pair: hrr({
      serverHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] === H.server_hello && !savedHrr) savedHrr = raw;
          else if (raw[0] === H.server_hello) return savedHrr!;
          return raw;
        },
      },
    }),
    side: "client",
    alert: "unexpected_message",
  },
  // --- EncryptedExtensions
  {
    name: "EncryptedExtensions with a duplicate extension",
    pair: {
      client: { serverName: "localhost" },
      serverHooks: eeExts((l) => [...l, ext(E.server_name), ext(E.server_name)]),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "EncryptedExtensions with a forbidden extension (key_share)",
    pair: { serverHooks: eeExts((l) => [...l, ext(E.key_share, Uint8Array.of(0, 0))]) },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "EncryptedExtensions with unsolicited ALPN",
    pair: {
      serverHooks: eeExts((l) => [
        ...l,
        ext(E.application_layer_protocol_negotiation, alpnExt.encode(["h2"])),
      ]),
    },
    side: "client",
    alert: "unsupported_extension",
  },
  {
    name: "ALPN answer not among the offered",
    pair: {
      client: { alpnProtocols: ["h2"] },
      server: { alpnProtocols: ["h2"] },
      serverHooks: eeExts(replace(E.application_layer_protocol_negotiation, alpnExt.encode(["spdy/1"]))),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "record_size_limit below 64",
    pair: {
      client: { recordSizeLimit: 1000 },
      serverHooks: eeExts(replace(E.record_size_limit, recordSizeLimit.encode(10))),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  // --- authentication
  {
    name: "unknown CA",
    pair: { client: { verifier: createVerifier({ roots: otherPki.ca.certificate, crypto }) } },
    side: "client",
    alert: "unknown_ca",
  },
  {
    name: "expired certificate",
    pair: { client: { now: () => Date.now() + 400 * 86_400_000 } },
    side: "client",
    alert: "certificate_expired",
  },
  {
    name: "wrong host name",
    pair: { client: { serverName: "evil.example" } },
    side: "client",
    alert: "bad_certificate",
  },
  {
    name: "classical (Ed25519) server certificate under hybrid",
    pair: {
      client: {
        verifier: createVerifier({ roots: [pki().ca.certificate, pki("ed25519").ca.certificate], crypto }),
      },
      serverHooks: onMessage(H.certificate, () =>
        certificate.encode(new Uint8Array(0), pki("ed25519").server.certifiedKey.chain),
      ),
    },
    side: "client",
    alert: "insufficient_security",
  },
  {
    name: "garbage certificate",
    pair: {
      serverHooks: editBody(H.certificate, () =>
        new ByteWriter()
          .u8(0)
          .prefixed(3, (w) => w.vector(3, Uint8Array.of(1, 2, 3)).u16(0))
          .finish(),
      ),
    },
    side: "client",
    alert: "bad_certificate",
  },
  {
    name: "empty server Certificate",
    pair: { serverHooks: editBody(H.certificate, () => Uint8Array.of(0, 0, 0, 0)) },
    side: "client",
    alert: "decode_error",
  },
  {
    name: "bad CertificateVerify signature",
    pair: { serverHooks: editBody(H.certificate_verify, flipLast) },
    side: "client",
    alert: "decrypt_error",
  },
  {
    name: "CertificateVerify with a scheme that was not offered",
    pair: {
      serverHooks: editBody(H.certificate_verify, (b) => {
        const c = b.slice();
        c[0] = 0x08;
        c[1] = 0x07;
        return c;
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "CertificateVerify scheme does not match the key",
    pair: {
      serverHooks: editBody(H.certificate_verify, (b) => {
        const c = b.slice();
        c[1] = 0x04;
        return c;
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "bad server Finished",
    pair: { serverHooks: editBody(H.finished, flipLast) },
    side: "client",
    alert: "decrypt_error",
  },
  {
    name: "server Finished of the wrong length",
    pair: { serverHooks: editBody(H.finished, (b) => b.subarray(1)) },
    side: "client",
    alert: "decode_error",
  },
  {
    name: "bad client Finished",
    pair: { clientHooks: editBody(H.finished, flipLast) },
    side: "server",
    alert: "decrypt_error",
  },
  {
    name: "Finished before Certificate (message order)",
    pair: {
      serverHooks: {
        outgoingHandshake: (raw) => (raw[0] === H.certificate || raw[0] === H.certificate_verify ? [] : raw),
      },
    },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "EncryptedExtensions twice",
    pair: { serverHooks: onMessage(H.encrypted_extensions, (raw) => [raw, raw]) },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "missing EncryptedExtensions",
    pair: { serverHooks: drop(H.encrypted_extensions) },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "CertificateRequest with a non-empty context",
    pair: {
      server: { clientAuth: "request" },
      serverHooks: editBody(H.certificate_request, (b) => {
        const c = new Uint8Array(b.length + 1);
        c[0] = 1;
        c[1] = 7;
        c.set(b.subarray(1), 2);
        return c;
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "CertificateRequest without signature_algorithms",
    pair: {
      server: { clientAuth: "request" },
      serverHooks: editBody(H.certificate_request, () => Uint8Array.of(0, 0, 4, 0x7a, 0x7a, 0, 0)),
    },
    side: "client",
    alert: "missing_extension",
  },
  {
    name: "client certificate from an unknown CA",
    pair: { client: { certificate: otherPki.client.certifiedKey }, server: { clientAuth: "require" } },
    side: "server",
    alert: "unknown_ca",
  },
  {
    name: "client certificate required but absent",
    pair: { server: { clientAuth: "require" } },
    side: "server",
    alert: "certificate_required",
  },
  {
    name: "bad client CertificateVerify",
    pair: {
      client: { certificate: pki().client.certifiedKey },
      server: { clientAuth: "require" },
      clientHooks: editBody(H.certificate_verify, flipLast),
    },
    side: "server",
    alert: "decrypt_error",
  },
  // --- post-handshake
  {
    name: "KeyUpdate with an invalid request value",
    after: (c, s) => {
      c.keyUpdate();
      for (const r of c.takeOutgoing()) s.receive(r);
    },
    pair: { clientHooks: editBody(H.key_update, () => Uint8Array.of(7)) },
    side: "server",
    alert: "illegal_parameter",
  },
  {
    name: "NewSessionTicket with a lifetime over 7 days",
    pair: {
      server: { sessionTickets: { sealer: new TicketSealer(crypto) } },
      serverHooks: editBody(H.new_session_ticket, (b) => {
        const c = b.slice();
        c.set([0xff, 0xff, 0xff, 0xff], 0);
        return c;
      }),
    },
    side: "client",
    alert: "illegal_parameter",
  },
  {
    name: "CertificateRequest after the handshake (not offered)",
    pair: {
      server: { sessionTickets: { sealer: new TicketSealer(crypto) } },
      serverHooks: onMessage(H.new_session_ticket, () =>
        encodeHandshake(H.certificate_request, Uint8Array.of(0, 0, 0)),
      ),
    },
    side: "client",
    alert: "unexpected_message",
  },
  {
    name: "tampered application data record",
    after: (c, s) => {
      c.send(Uint8Array.of(1, 2, 3));
      // The record may leave in several chunks (header, ciphertext, tag): flip a byte of its tag.
      s.receive(flipAt(-2)(concatChunks(c.takeOutgoing())));
    },
    side: "server",
    alert: "bad_record_mac",
  },
  {
    name: "change_cipher_spec after the handshake",
    after: (_c, s) => s.receive(Uint8Array.of(20, 3, 3, 0, 1, 1)),
    side: "server",
    alert: "unexpected_message",
  },
];

describe("tls engine: hostile input", () => {
  it(`has at least 40 cases (${CASES.length})`, () => assert.ok(CASES.length >= 40));
  for (const c of CASES) {
    it(`${c.name} -> ${c.alert}`, () => {
      savedHrr = undefined;
      const { client, server } = connectPair(c.pair);
      if (c.after) {
        assert.equal(client.error, undefined, client.error?.message);
        c.after(client, server);
        pump(client, server);
      }
      const [detector, other] = c.side === "client" ? [client, server] : [server, client];
      assert.ok(
        detector.error,
        `${c.side} should fail; client: ${client.error?.message}; server: ${server.error?.message}`,
      );
      assert.equal(detector.error.alertName, c.alert, detector.error.message);
      assert.equal(detector.error.origin, "local");
      assert.ok(detector.closed);
      // The alert reaches the peer, which reports it as received.
      if (other.error) {
        assert.equal(other.error.alertName, c.alert, other.error.message);
        assert.equal(other.error.origin, "peer");
      }
      // Nothing is released after a failure.
      assert.deepEqual(detector.takeApplicationData(), []);
    });
  }
  it("seeded garbage never throws and ends in the exact alert, sent to the peer", () => {
    // xorshift32: the same inputs on every run, so a failure names its case.
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff);
    const pick = <T>(xs: readonly T[]) => xs[next() % xs.length]!;
    /** Each kind of garbage and the alert RFC 8446 asks for, before any key exists. */
    const kinds: [string, () => Uint8Array, AlertName][] = [
      // §5: an unknown content type.
      [
        "unknown record type",
        () => {
          const b = bytes(1 + (next() % 300));
          b[0] = pick([0, 1, 19, 24, 0x47, 0x80, 0xff]);
          return b;
        },
        "unexpected_message",
      ],
      // §5.1: not a TLS record version at all.
      [
        "non-TLS record version",
        () => Uint8Array.of(22, pick([0x00, 0x02, 0x16, 0x47, 0xff]), next() & 0xff, 0, 4, ...bytes(4)),
        "decode_error",
      ],
      // §5: application data before any key.
      ["application data first", () => Uint8Array.of(23, 3, 3, 0, 8, ...bytes(8)), "unexpected_message"],
      // §4: a whole handshake message that is not a ClientHello.
      [
        "handshake message other than ClientHello",
        () => {
          const len = next() % 200;
          const msg = Uint8Array.of(
            pick([2, 4, 8, 11, 13, 15, 20, 24]),
            0,
            len >> 8,
            len & 0xff,
            ...bytes(len),
          );
          return Uint8Array.of(22, 3, pick([1, 3]), msg.length >> 8, msg.length & 0xff, ...msg);
        },
        "unexpected_message",
      ],
      // §4.1.2: a ClientHello whose body is random bytes (too short to hold its own fields).
      [
        "ClientHello of random bytes",
        () => {
          const len = 1 + (next() % 30);
          const msg = Uint8Array.of(1, 0, 0, len, ...bytes(len));
          return Uint8Array.of(22, 3, 1, 0, msg.length, ...msg);
        },
        "decode_error",
      ],
    ];
    for (let i = 0; i < 100; i++) {
      const [kind, make, alert] = kinds[i % kinds.length]!;
      const input = make();
      const s = createTlsServer({ crypto, certificate: pki().server.certifiedKey });
      s.receive(input);
      const what = `case ${i} (${kind}): ${toHex(input.subarray(0, 12))}`;
      assert.ok(s.error, `${what}: no failure`);
      assert.equal(s.error.alertName, alert, `${what}: ${s.error.message}`);
      assert.equal(s.error.origin, "local");
      assert.ok(s.closed);
      // The alert is on the wire: a plaintext fatal alert record, last.
      const out = s.takeOutgoing();
      assert.deepEqual([...out[out.length - 1]!], [21, 3, 3, 0, 2, 2, s.error.alert], what);
      // More input after the failure changes nothing and never throws.
      s.receive(bytes(64));
      assert.deepEqual(s.takeOutgoing(), []);
    }
  });
  it("a client stays quiet (no hang) on a partial record", () => {
    const c = createTlsClient(clientConfig());
    c.takeOutgoing();
    c.receive(Uint8Array.of(22, 3, 3, 0, 50, 2));
    assert.equal(c.error, undefined);
    assert.deepEqual(c.takeOutgoing(), []);
  });
});
