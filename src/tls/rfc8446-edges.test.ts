/**
 * RFC 8446 edge cases where a correct server is lenient or exact (issue 9):
 * each case is what a real client (or a hostile one) sends, with the outcome
 * the RFC asks for. Handshakes that must succeed carry application data
 * afterwards, so "no alert" alone never passes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatChunks, fromHex, utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import { keyExchange } from "../crypto/key-exchange.ts";
import { cipherSuiteByName, groupByName } from "../crypto/registry.ts";
import type { Crypto } from "../crypto/types.ts";
import type { AlertName } from "./alert.ts";
import type { Extension } from "./codec/extensions.ts";
import { certificateVerify, encodeHandshake } from "./codec/messages.ts";
import { ExtensionType as E, HandshakeType as H } from "./codec/types.ts";
import { MAX_CONSECUTIVE_EMPTY_RECORDS, type PeerHooks, type TlsConnection } from "./connection.ts";
import {
  addToHello,
  earlyDataHooks,
  helloLegacyVersion,
  recordVersion,
  unassigned,
  unknownKeyShares,
} from "./edge-test-helpers.ts";
import { connectPair, crypto, type PairOptions, transfer, type WireMutator } from "./engine-test-helpers.ts";
import {
  ContentType,
  MAX_PLAINTEXT_BYTES,
  MAX_SKIPPED_EARLY_DATA_BYTES,
  RecordProtector,
} from "./record-layer.ts";

function assertWorks(client: TlsConnection, server: TlsConnection): void {
  assert.equal(server.error, undefined, server.error?.message);
  assert.equal(client.error, undefined, client.error?.message);
  assert.ok(client.handshakeComplete && server.handshakeComplete);
  assert.equal(utf8Decode(transfer(client, server, utf8Encode("up"))), "up");
  assert.equal(utf8Decode(transfer(server, client, utf8Encode("down"))), "down");
}

function assertAlert(conn: TlsConnection, alert: AlertName): void {
  assert.ok(conn.error, "expected a failure");
  assert.equal(conn.error.alertName, alert, conn.error.message);
  assert.equal(conn.error.origin, "local");
}

describe("RFC 8446 §5.1: legacy_record_version is ignored", () => {
  for (const version of [0x0300, 0x0301, 0x0302]) {
    it(`a ClientHello record saying 0x${version.toString(16).padStart(4, "0")} is served`, () => {
      const { client, server } = connectPair({ wire: recordVersion(ContentType.handshake, version) });
      assertWorks(client, server);
    });
  }
  it("a change_cipher_spec record saying 0x0301 is dropped as usual", () => {
    let sawCcs = false;
    const wire: WireMutator = (dir, chunk, i) => {
      if (dir === "client->server" && chunk[0] === ContentType.change_cipher_spec) sawCcs = true;
      return recordVersion(ContentType.change_cipher_spec, 0x0301)(dir, chunk, i);
    };
    const { client, server } = connectPair({ wire });
    assert.ok(sawCcs, "the client sent a middlebox-compatibility change_cipher_spec");
    assertWorks(client, server);
  });
});

describe("Appendix D.5: ClientHello.legacy_version", () => {
  for (const version of [0x0300, 0x0200, 0x0002]) {
    it(`0x${version.toString(16).padStart(4, "0")} -> protocol_version`, () => {
      const { server, client } = connectPair({ clientHooks: helloLegacyVersion(version) });
      assertAlert(server, "protocol_version");
      assert.equal(client.error?.alertName, "protocol_version");
    });
  }
  it("0x0301 (what some TLS 1.3 clients send) is accepted up to the version check", () => {
    const { server } = connectPair({
      clientHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] !== H.client_hello) return raw;
          const c = raw.slice();
          c[5] = 0x01;
          return c;
        },
      },
    });
    // The edit is outside the client's transcript, so the two derive different handshake
    // keys and the server fails at the client's first protected record: past the version check.
    assertAlert(server, "bad_record_mac");
  });
});

describe("§4.4.3: an empty CertificateVerify signature", () => {
  it("from the server -> decrypt_error at the client", () => {
    const { client } = connectPair({
      serverHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] !== H.certificate_verify) return raw;
          const scheme = certificateVerify.decode(raw.subarray(4)).scheme;
          return encodeHandshake(H.certificate_verify, Uint8Array.of(scheme >> 8, scheme & 0xff, 0, 0));
        },
      },
    });
    assertAlert(client, "decrypt_error");
  });
  it("a truncated signature is decrypt_error too (verification fails, whatever the length)", () => {
    const { client } = connectPair({
      serverHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] !== H.certificate_verify) return raw;
          const cv = certificateVerify.decode(raw.subarray(4));
          return certificateVerify.encode({ scheme: cv.scheme, signature: cv.signature.subarray(0, 10) });
        },
      },
    });
    assertAlert(client, "decrypt_error");
  });
});

describe("the ClientHello is bounded by bytes, not by counts", () => {
  for (const [n, bytes] of [
    [1024, 8],
    [4096, 0],
  ] as const) {
    it(`${n} unassigned extensions of ${bytes} bytes are ignored`, () => {
      const { client, server } = connectPair({
        clientHooks: addToHello((l) => [...l, ...unassigned(n, bytes)]),
      });
      assertWorks(client, server);
    });
  }
  it("shares for every group it knows: the server computes only the selected one (CPU bounded)", () => {
    let encapsulations = 0;
    const counting: Crypto = {
      randomBytes: (n) => crypto.randomBytes(n),
      hash: (n) => crypto.hash(n),
      aead: (n) => crypto.aead(n),
      signature: (n) => crypto.signature(n),
      hasKem: (n) => crypto.hasKem(n),
      hasSignature: (n) => crypto.hasSignature(n),
      describe: () => crypto.describe(),
      kem: (n) => {
        const k = crypto.kem(n);
        return {
          name: k.name,
          provider: k.provider,
          publicKeyLength: k.publicKeyLength,
          ciphertextLength: k.ciphertextLength,
          sharedSecretLength: k.sharedSecretLength,
          generateKeyPair: () => k.generateKeyPair(),
          decapsulate: (sk, ct) => k.decapsulate(sk, ct),
          encapsulate: (pk) => {
            encapsulations++;
            return k.encapsulate(pk);
          },
        };
      },
    };
    const others = ["MLKEM768", "MLKEM1024", "SecP256r1MLKEM768", "MLKEM512"] as const;
    const hooks = addToHello((list) =>
      list.map((e) => {
        if (e.type !== E.key_share) return e;
        const extra = others.flatMap((name) => {
          const code = groupByName(name)!.codepoint;
          const length = keyExchange(crypto, name).clientShareLength;
          return [code >> 8, code & 0xff, length >> 8, length & 0xff, ...crypto.randomBytes(length)];
        });
        const inner = [...e.data.subarray(2), ...extra];
        return { type: e.type, data: Uint8Array.of(inner.length >> 8, inner.length & 0xff, ...inner) };
      }),
    );
    const { client, server } = connectPair({ clientHooks: hooks, server: { crypto: counting } });
    assertWorks(client, server);
    assert.equal(server.info?.group, "X25519MLKEM768");
    // X25519MLKEM768 is two components: one ML-KEM encapsulation and one X25519 exchange, nothing for the other shares.
    assert.equal(encapsulations, 2);
  });
  it("250 key shares for groups the server does not know: only the selected one is used", () => {
    const hooks = unknownKeyShares(250);
    const { client, server } = connectPair({ clientHooks: hooks });
    assertWorks(client, server);
    assert.equal(server.info?.group, "X25519MLKEM768");
  });
});

describe("§4.2.10: early data the server does not accept is skipped", () => {
  const earlyData = (records: number, bytes = 200, extra: PairOptions = {}): PairOptions => ({
    ...extra,
    clientHooks: earlyDataHooks(records, bytes),
  });

  it("0-RTT records after a ClientHello with early_data: skipped, the handshake completes", () => {
    const { client, server } = connectPair(earlyData(3));
    assertWorks(client, server);
  });
  it("without early_data in the ClientHello the same records are bad_record_mac", () => {
    let sent = 0;
    const { server } = connectPair({
      clientHooks: {
        outgoingHandshake: (raw, inject) => {
          if (raw[0] === H.client_hello && sent++ === 0)
            inject(ContentType.application_data, crypto.randomBytes(200));
          return raw;
        },
      },
    });
    assertAlert(server, "bad_record_mac");
  });
  it(`more than MAX_SKIPPED_EARLY_DATA_BYTES (${MAX_SKIPPED_EARLY_DATA_BYTES}) -> unexpected_message`, () => {
    const records = Math.floor(MAX_SKIPPED_EARLY_DATA_BYTES / MAX_PLAINTEXT_BYTES) + 1;
    const { server } = connectPair(earlyData(records, MAX_PLAINTEXT_BYTES));
    assertAlert(server, "unexpected_message");
  });
  it("exactly up to the limit is still skipped", () => {
    const records = Math.ceil(MAX_SKIPPED_EARLY_DATA_BYTES / MAX_PLAINTEXT_BYTES);
    const { client, server } = connectPair(
      earlyData(records, Math.floor(MAX_SKIPPED_EARLY_DATA_BYTES / records)),
    );
    assertWorks(client, server);
  });
  it("after a HelloRetryRequest: 0-RTT records before the second ClientHello are skipped", () => {
    const pair = earlyData(2, 200, {
      client: { groups: ["X25519MLKEM768", "MLKEM768"] },
      server: { groups: ["MLKEM768"] },
    });
    const { client, server } = connectPair(pair);
    assertWorks(client, server);
    assert.equal(server.info?.helloRetry, true);
  });
  it("after a HelloRetryRequest, early_data in the second ClientHello is illegal_parameter", () => {
    const { server } = connectPair({
      client: { groups: ["X25519MLKEM768", "MLKEM768"] },
      server: { groups: ["MLKEM768"] },
      clientHooks: { clientHelloExtensions: (l) => [...l, { type: E.early_data, data: new Uint8Array(0) }] },
    });
    assertAlert(server, "illegal_parameter");
  });
});

describe("§5: records that carry nothing, and plaintext where protection is due", () => {
  const SUITE = "TLS_AES_128_GCM_SHA256" as const;
  /** A pair and a protector sealing as the client would under CLIENT_TRAFFIC_SECRET_0 (from its key log). */
  function withClientProtector() {
    const lines: string[] = [];
    const { client, server } = connectPair({
      client: { cipherSuites: [SUITE], keyLog: (l) => lines.push(l) },
    });
    const secret = fromHex(lines.find((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_0 "))!.split(" ")[2]!);
    return { client, server, seal: new RecordProtector(crypto, cipherSuiteByName(SUITE)!, secret) };
  }
  it(`more than MAX_CONSECUTIVE_EMPTY_RECORDS (${MAX_CONSECUTIVE_EMPTY_RECORDS}) empty application data records -> unexpected_message`, () => {
    const { server, seal } = withClientProtector();
    for (let i = 0; i < MAX_CONSECUTIVE_EMPTY_RECORDS; i++) {
      server.receive(seal.seal(ContentType.application_data, new Uint8Array(0)));
    }
    assert.equal(server.error, undefined, "the limit itself is allowed");
    // Data in between starts the count again.
    server.receive(seal.seal(ContentType.application_data, utf8Encode("x")));
    for (let i = 0; i < MAX_CONSECUTIVE_EMPTY_RECORDS; i++) {
      server.receive(seal.seal(ContentType.application_data, new Uint8Array(0)));
    }
    assert.equal(server.error, undefined);
    assert.equal(utf8Decode(concatChunks(server.takeApplicationData())), "x");
    server.receive(seal.seal(ContentType.application_data, new Uint8Array(0)));
    assertAlert(server, "unexpected_message");
  });
  it("a plaintext alert after the peer's first protected record -> unexpected_message", () => {
    let injected = false;
    const { client } = connectPair({
      wire: (dir, chunk) => {
        // The server's first protected record (outer type application_data), then a forged plaintext alert.
        if (dir === "server->client" && chunk[0] === ContentType.application_data && !injected) {
          injected = true;
          return [chunk, Uint8Array.of(ContentType.alert, 3, 3, 0, 2, 2, 40)];
        }
        return chunk;
      },
    });
    assert.ok(injected);
    assertAlert(client, "unexpected_message");
  });
  it("a plaintext alert from a client that failed on our ServerHello (it has no keys) is still taken", () => {
    const { server, client } = connectPair({
      serverHooks: {
        outgoingHandshake: (raw) => {
          if (raw[0] !== H.server_hello) return raw;
          const c = raw.slice();
          c[4] = 0x02; // legacy_version 0x0203
          return c;
        },
      },
    });
    assertAlert(client, "protocol_version");
    assert.equal(server.error?.alertName, "protocol_version");
    assert.equal(server.error?.origin, "peer");
  });
});
