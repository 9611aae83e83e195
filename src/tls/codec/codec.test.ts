/** Every handshake message and extension body: decode(encode(x)) == x, and malformed input is a typed decode_error. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TlsError } from "../alert.ts";
import { tlsReader } from "./cursor.ts";
import * as ext from "./extensions.ts";
import { HandshakeJoiner } from "./handshake-joiner.ts";
import { MAX_CERTIFICATE_MESSAGE_BYTES } from "./limits.ts";
import * as msg from "./messages.ts";
import { ExtensionType as E, HandshakeType as H } from "./types.ts";

const bytes = (n: number, v = 7) => new Uint8Array(n).fill(v);
const body = (raw: Uint8Array) => raw.subarray(4);
const alert = (name: string) => (e: unknown) => e instanceof TlsError && e.alertName === name;

describe("codec: the TLS cursor", () => {
  it("a length beyond the data, outside bounds, too many items, or trailing bytes are decode_error", () => {
    assert.throws(() => tlsReader(Uint8Array.of(0, 5, 1), "t").vector(2, 0, 10, "f"), alert("decode_error"));
    assert.throws(
      () => tlsReader(Uint8Array.of(3, 1, 2, 3), "t").vector(1, 4, 10, "f"),
      alert("decode_error"),
    );
    assert.throws(
      () => tlsReader(Uint8Array.of(2, 1, 2), "t").list(1, 0, 2, "l", (r) => r.u8(), 1),
      alert("decode_error"),
    );
    assert.throws(() => tlsReader(Uint8Array.of(1, 2), "t").end(), alert("decode_error"));
    assert.throws(() => tlsReader(new Uint8Array(0), "t").u16(), alert("decode_error"));
  });
});

describe("codec: handshake messages round-trip", () => {
  const exts = [
    { type: E.supported_versions, data: ext.supportedVersionsClient.encode([0x0304]) },
    { type: E.key_share, data: ext.keyShareClient.encode([{ group: 0x11ec, share: bytes(1216) }]) },
  ];
  it("ClientHello", () => {
    const m = {
      legacyVersion: 0x0303,
      random: bytes(32, 1),
      sessionId: bytes(32, 2),
      cipherSuites: [0x1301, 0x1302],
      compressionMethods: Uint8Array.of(0),
      extensions: exts,
    };
    const raw = msg.clientHello.encode(m);
    assert.equal(raw[0], H.client_hello);
    const d = msg.clientHello.decode(body(raw));
    assert.deepEqual(d.cipherSuites, m.cipherSuites);
    assert.deepEqual(d.extensions.list, exts);
    assert.deepEqual(msg.clientHello.encode({ ...d, extensions: [...d.extensions.list] }), raw);
  });
  it("ServerHello", () => {
    const m = {
      legacyVersion: 0x0303,
      random: bytes(32),
      sessionId: new Uint8Array(0),
      cipherSuite: 0x1302,
      compressionMethod: 0,
      extensions: exts,
    };
    const raw = msg.serverHello.encode(m);
    const d = msg.serverHello.decode(body(raw));
    assert.deepEqual(msg.serverHello.encode({ ...d, extensions: [...d.extensions.list] }), raw);
  });
  it("EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, NewSessionTicket, KeyUpdate", () => {
    assert.deepEqual(msg.encryptedExtensions.decode(body(msg.encryptedExtensions.encode(exts))).list, exts);
    const cr = msg.certificateRequest.decode(body(msg.certificateRequest.encode(Uint8Array.of(9), exts)));
    assert.deepEqual(cr.context, Uint8Array.of(9));
    const chain = [bytes(300, 1), bytes(200, 2)];
    const cert = msg.certificate.decode(body(msg.certificate.encode(new Uint8Array(0), chain)));
    assert.deepEqual(
      cert.entries.map((e) => e.data),
      chain,
    );
    const cv = { scheme: 0x0905, signature: bytes(3309) };
    assert.deepEqual(msg.certificateVerify.decode(body(msg.certificateVerify.encode(cv))), cv);
    const t = {
      lifetimeSeconds: 7200,
      ageAdd: 0xdeadbeef,
      nonce: bytes(8),
      ticket: bytes(100),
      extensions: [],
    };
    const nst = msg.newSessionTicket.decode(body(msg.newSessionTicket.encode(t)));
    assert.equal(nst.ageAdd, 0xdeadbeef);
    assert.deepEqual(nst.ticket, t.ticket);
    assert.equal(msg.keyUpdate.decode(body(msg.keyUpdate.encode(1))), 1);
  });
  it("pre_shared_key binders written over placeholders equal the message encoded with them", () => {
    const identities = [
      { identity: bytes(40), obfuscatedTicketAge: 1 },
      { identity: bytes(9), obfuscatedTicketAge: 2 },
    ];
    const placeholders = [new Uint8Array(32), new Uint8Array(48)];
    const binders = [bytes(32, 0xa1), bytes(48, 0xb2)];
    const prefix = bytes(70, 3);
    const withBinders = (b: Uint8Array[]) => {
      const tail = ext.preSharedKeyClient.encode({ identities, binders: b });
      return Uint8Array.from([...prefix, ...tail]);
    };
    const message = withBinders(placeholders);
    ext.preSharedKeyClient.writeBinders(message, binders);
    assert.deepEqual(message, withBinders(binders));
    // Binders of other lengths do not fit the list there.
    assert.throws(
      () => ext.preSharedKeyClient.writeBinders(withBinders(placeholders), [bytes(32), bytes(32)]),
      alert("internal_error"),
    );
    assert.throws(() => ext.preSharedKeyClient.writeBinders(bytes(10), binders), alert("internal_error"));
  });
  it("extension bodies", () => {
    assert.deepEqual(ext.alpn.decode(ext.alpn.encode(["h2", "pqrpc/1"])), ["h2", "pqrpc/1"]);
    assert.equal(ext.serverName.decode(ext.serverName.encode("Example.COM")), "example.com");
    const offered = {
      identities: [{ identity: bytes(40), obfuscatedTicketAge: 12345 }],
      binders: [bytes(32)],
    };
    assert.deepEqual(ext.preSharedKeyClient.decode(ext.preSharedKeyClient.encode(offered)), offered);
    assert.equal(ext.preSharedKeyClient.bindersLength(offered.binders), 2 + 1 + 32);
    assert.deepEqual(ext.u16List.decode(ext.u16List.encode([1, 2, 3]), "x"), [1, 2, 3]);
    assert.equal(ext.keyShareHelloRetry.decode(ext.keyShareHelloRetry.encode(0x0201)), 0x0201);
    assert.deepEqual(ext.cookie.decode(ext.cookie.encode(bytes(5))), bytes(5));
    assert.equal(ext.recordSizeLimit.decode(ext.recordSizeLimit.encode(1000)), 1000);
  });
});

describe("codec: malformed messages", () => {
  it("duplicate extension is illegal_parameter; many is fine, a block over 2^16-1 bytes cannot be encoded", () => {
    const e = { type: 0x7777, data: new Uint8Array(0) };
    assert.throws(
      () => msg.encryptedExtensions.decode(body(msg.encryptedExtensions.encode([e, e]))),
      alert("illegal_parameter"),
    );
    // Bounded by bytes, not counts: 4,096 empty extensions are 16 KiB.
    const many = Array.from({ length: 4096 }, (_, i) => ({ type: 0x7000 + i, data: new Uint8Array(0) }));
    assert.equal(
      msg.encryptedExtensions.decode(body(msg.encryptedExtensions.encode(many))).list.length,
      4096,
    );
    const tooMany = Array.from({ length: 0x4000 }, (_, i) => ({ type: i, data: new Uint8Array(0) }));
    assert.throws(() => msg.encryptedExtensions.encode(tooMany));
  });
  it("extension context rules", () => {
    const block = new ext.Extensions([{ type: E.key_share, data: new Uint8Array(0) }]);
    assert.throws(() => block.check("EE"), alert("illegal_parameter"));
    assert.throws(
      () => new ext.Extensions([{ type: 0x7777, data: new Uint8Array(0) }]).check("EE", new Set()),
      alert("unsupported_extension"),
    );
    new ext.Extensions([{ type: 0x7777, data: new Uint8Array(0) }]).check("CH");
  });
  it("binder count must match identity count", () => {
    const bad = ext.preSharedKeyClient.encode({
      identities: [{ identity: bytes(8), obfuscatedTicketAge: 0 }],
      binders: [bytes(32), bytes(32)],
    });
    assert.throws(() => ext.preSharedKeyClient.decode(bad), alert("illegal_parameter"));
  });
  it("every truncation of a ServerHello is decode_error", () => {
    const raw = msg.serverHello.encode({
      legacyVersion: 0x0303,
      random: bytes(32),
      sessionId: bytes(32),
      cipherSuite: 0x1301,
      compressionMethod: 0,
      extensions: [{ type: E.supported_versions, data: Uint8Array.of(3, 4) }],
    });
    for (let n = 0; n < raw.length - 4; n++)
      assert.throws(() => msg.serverHello.decode(body(raw).subarray(0, n)), alert("decode_error"));
  });
});

describe("codec: handshake joiner", () => {
  it("joins fragments and splits coalesced messages", () => {
    const a = msg.keyUpdate.encode(0);
    const b = msg.finished.encode(bytes(48));
    const all = Uint8Array.from([...a, ...b]);
    const j = new HandshakeJoiner();
    for (const byte of all) j.push(Uint8Array.of(byte));
    assert.deepEqual(j.next()?.raw, a);
    assert.deepEqual(j.next()?.raw, b);
    assert.equal(j.next(), undefined);
    assert.equal(j.buffered, 0);
  });
  it("refuses an oversized length as soon as the header arrives", () => {
    const j = new HandshakeJoiner();
    const n = MAX_CERTIFICATE_MESSAGE_BYTES + 1;
    assert.throws(
      () => j.push(Uint8Array.of(H.certificate, n >> 16, (n >> 8) & 0xff, n & 0xff)),
      alert("decode_error"),
    );
    assert.throws(
      () => new HandshakeJoiner().push(Uint8Array.of(H.client_hello, 1, 0, 1)),
      alert("decode_error"),
    );
  });
});
