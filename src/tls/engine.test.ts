/** In-memory client <-> server handshakes: every group, suite and a spread of signature schemes and features. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadWasmProvider } from "../crypto/providers/wasm.ts";
import { CIPHER_SUITES, GROUPS } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import type { TlsConnection } from "./connection.ts";
import { connectPair, crypto, outgoingRecords, pump, transfer } from "./engine-test-helpers.ts";
import { ContentType } from "./record-layer.ts";

// liboqs (WebAssembly) brings sntrup761 and Falcon, which no other provider has on every runtime.
await loadWasmProvider();

function assertConnected(client: TlsConnection, server: TlsConnection): void {
  assert.equal(client.error, undefined, client.error?.message);
  assert.equal(server.error, undefined, server.error?.message);
  assert.ok(client.handshakeComplete, "client complete");
  assert.ok(server.handshakeComplete, "server complete");
  const ping = crypto.randomBytes(100);
  assert.deepEqual(transfer(client, server, ping), ping);
  assert.deepEqual(transfer(server, client, ping), ping);
}

describe("tls engine: groups", () => {
  for (const g of GROUPS) {
    const available = g.components.every((k) => crypto.hasKem(k));
    it(`${g.name}${available ? "" : " (not in this runtime)"}`, { skip: !available }, () => {
      const policy = g.class === "classical" ? "compat" : "hybrid";
      const { client, server } = connectPair({
        client: { policy, groups: [g.name] },
        server: { policy, groups: [g.name] },
      });
      assertConnected(client, server);
      assert.equal(client.info?.group, g.name);
      assert.equal(server.info?.group, g.name);
      assert.equal(client.info?.helloRetry, false);
    });
  }
});

describe("tls engine: cipher suites", () => {
  for (const s of CIPHER_SUITES) {
    it(s.name, () => {
      const { client, server } = connectPair({ client: { cipherSuites: [s.name] } });
      assertConnected(client, server);
      assert.equal(client.info?.cipherSuite, s.name);
      assert.equal(server.info?.cipherSuite, s.name);
    });
  }
  it("server preference wins", () => {
    const { client } = connectPair({
      client: { cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"] },
      server: { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] },
    });
    assert.equal(client.info?.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
  });
});

describe("tls engine: signature schemes", () => {
  const schemes: SignatureName[] = [
    "ml-dsa-65",
    "ml-dsa-44",
    "ed25519",
    "ecdsa-p256-sha256",
    "slh-dsa-sha2-128f",
    "falcon-512",
  ];
  for (const alg of schemes) {
    const available = crypto.hasSignature(alg);
    it(`${alg}${available ? "" : " (not in this runtime)"}`, { skip: !available }, () => {
      const classical = alg === "ed25519" || alg.startsWith("ecdsa");
      const policy = classical ? "compat" : "hybrid";
      const { client, server } = connectPair({ algorithm: alg, client: { policy }, server: { policy } });
      assertConnected(client, server);
      assert.equal(client.info?.signatureScheme, alg);
      assert.equal(client.info?.peerCertificates.length, 2);
    });
  }
  it("the server picks the certificate matching the client's signature_algorithms", async () => {
    const { pki, serverConfig } = await import("./engine-test-helpers.ts");
    const { client } = connectPair({
      algorithm: "ml-dsa-44",
      server: {
        certificate: [
          serverConfig({}, "ml-dsa-65").certificate as never,
          pki("ml-dsa-44").server.certifiedKey,
        ],
      },
      client: { signatureSchemes: ["ml-dsa-44"] },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(client.info?.signatureScheme, "ml-dsa-44");
  });
});

describe("tls engine: HelloRetryRequest", () => {
  it("server prefers a group the client supports but did not key-share", () => {
    const { client, server } = connectPair({
      client: { groups: ["X25519MLKEM768", "MLKEM768"], keyShareGroups: ["X25519MLKEM768"] },
      server: { groups: ["MLKEM768", "X25519MLKEM768"] },
    });
    assertConnected(client, server);
    assert.equal(client.info?.helloRetry, true);
    assert.equal(server.info?.helloRetry, true);
    assert.equal(client.info?.group, "MLKEM768");
  });
  it("works without middlebox compatibility mode", () => {
    const { client, server } = connectPair({
      client: { groups: ["X25519MLKEM768", "MLKEM768"], middleboxCompat: false },
      server: { groups: ["MLKEM768"] },
    });
    assertConnected(client, server);
    assert.equal(client.info?.helloRetry, true);
  });
});

describe("tls engine: ALPN and SNI", () => {
  it("negotiates the server's preferred protocol among the client's", () => {
    const { client, server } = connectPair({
      client: { alpnProtocols: ["pqrpc/1", "h2"] },
      server: { alpnProtocols: ["h2", "pqrpc/1"] },
    });
    assertConnected(client, server);
    assert.equal(client.info?.alpn, "h2");
    assert.equal(server.info?.alpn, "h2");
  });
  it("no ALPN when the server has none configured", () => {
    const { client, server } = connectPair({ client: { alpnProtocols: ["h2"] } });
    assertConnected(client, server);
    assert.equal(client.info?.alpn, undefined);
  });
  it("the server sees the SNI host name", () => {
    const { server } = connectPair();
    assert.equal(server.info?.serverName, "localhost");
  });
  it("no SNI for an IP literal", () => {
    const { client, server } = connectPair({ client: { serverName: "127.0.0.1" } });
    assertConnected(client, server);
    assert.equal(server.info?.serverName, undefined);
  });
});

describe("tls engine: records", () => {
  it("pads protected records to a multiple of the padding size", () => {
    const { client, server } = connectPair({ client: { padding: 256 }, server: { padding: 256 } });
    assertConnected(client, server);
    client.send(new Uint8Array(10));
    const [record, ...more] = outgoingRecords(client.takeOutgoing());
    assert.equal(more.length, 0);
    // 5-byte header, 10 content + 1 type + padding = 256 inner bytes, 16-byte tag.
    assert.equal(record!.length, 5 + 256 + 16);
    server.receive(record!);
    assert.deepEqual(server.takeApplicationData(), [new Uint8Array(10)]);
  });
  it("record_size_limit bounds every protected record sent to the limiting side", () => {
    const { client, server } = connectPair({
      client: { recordSizeLimit: 512 },
      server: { recordSizeLimit: 1024 },
    });
    assertConnected(client, server);
    server.send(new Uint8Array(5000));
    const toClient = outgoingRecords(server.takeOutgoing());
    assert.ok(
      toClient.every((r) => r.length <= 5 + 512 + 16),
      "server respects the client's 512-byte limit",
    );
    for (const r of toClient) client.receive(r);
    assert.equal(
      client.takeApplicationData().reduce((n, p) => n + p.length, 0),
      5000,
    );
    client.send(new Uint8Array(5000));
    const toServer = outgoingRecords(client.takeOutgoing());
    assert.ok(toServer.every((r) => r.length <= 5 + 1024 + 16));
    assert.ok(
      toServer.some((r) => r.length > 5 + 512 + 16),
      "client uses the server's larger limit",
    );
  });
  it("large messages are fragmented into 2^14-byte records and reassembled", () => {
    const { client, server } = connectPair();
    const big = crypto.randomBytes(100_000);
    assert.deepEqual(transfer(client, server, big), big);
  });
  it("handshake records may be split byte by byte", () => {
    const { client, server } = connectPair({
      wire: (_dir, chunk) => Array.from(chunk, (b) => Uint8Array.of(b)),
    });
    assertConnected(client, server);
  });
  it("a whole flight may arrive in one chunk", async () => {
    const { createTlsClient, createTlsServer } = await import("./connection.ts");
    const { clientConfig, serverConfig } = await import("./engine-test-helpers.ts");
    const client = createTlsClient(clientConfig());
    const server = createTlsServer(serverConfig());
    const joined = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
    for (let i = 0; i < 4; i++) {
      server.receive(joined(client.takeOutgoing()));
      client.receive(joined(server.takeOutgoing()));
    }
    assertConnected(client, server);
  });
});

describe("tls engine: policies", () => {
  it("pq-strict connects with pure PQ groups and PQ signatures", () => {
    const { client, server } = connectPair({
      client: { policy: "pq-strict", groups: ["MLKEM1024"] },
      server: { policy: "pq-strict" },
    });
    assertConnected(client, server);
    assert.equal(client.info?.group, "MLKEM1024");
    assert.equal(client.info?.signatureScheme, "ml-dsa-65");
  });
  it("compat prefers hybrid groups over classical", () => {
    const { client } = connectPair({ client: { policy: "compat" }, server: { policy: "compat" } });
    assert.equal(client.info?.group, "X25519MLKEM768");
  });
  describe("pq-kex: a post-quantum key exchange with any certificate", () => {
    const dual = async () => {
      const { pki } = await import("./engine-test-helpers.ts");
      // The migration deployment (docs/MIGRATION.md): ML-DSA-65 first for clients that take it, ECDSA for the rest.
      return [pki("ml-dsa-65").server.certifiedKey, pki("ecdsa-p256-sha256").server.certifiedKey];
    };
    it("a client that offers only classical signatures gets the ECDSA chain over X25519MLKEM768", async () => {
      const { client, server } = connectPair({
        algorithm: "ecdsa-p256-sha256",
        client: { policy: "pq-kex", signatureSchemes: ["ecdsa-p256-sha256", "ed25519"] },
        server: { policy: "pq-kex", certificate: await dual() },
      });
      assertConnected(client, server);
      assert.equal(client.info?.group, "X25519MLKEM768");
      assert.equal(client.info?.signatureScheme, "ecdsa-p256-sha256");
    });
    it("a client at the default policy gets the ML-DSA-65 chain on the same server", async () => {
      const { client, server } = connectPair({ server: { policy: "pq-kex", certificate: await dual() } });
      assertConnected(client, server);
      assert.equal(client.info?.signatureScheme, "ml-dsa-65");
    });
    it("a classical key exchange is refused with insufficient_security or handshake_failure", () => {
      const { client, server } = connectPair({
        client: { policy: "compat", groups: ["x25519"] },
        server: { policy: "pq-kex" },
      });
      assert.ok(server.error, "the server refused");
      assert.match(server.error.code, /^(handshake_failure|insufficient_security)$/);
      assert.equal(client.handshakeComplete, false);
    });
    it("a pq-kex client accepts a classical chain; a hybrid client does not", () => {
      const ok = connectPair({
        algorithm: "ecdsa-p256-sha256",
        client: { policy: "pq-kex" },
        server: { policy: "pq-kex" },
      });
      assertConnected(ok.client, ok.server);
      const refused = connectPair({
        algorithm: "ecdsa-p256-sha256",
        client: { policy: "hybrid" },
        server: { policy: "pq-kex" },
      });
      assert.equal(refused.client.handshakeComplete, false);
      assert.ok(refused.server.error ?? refused.client.error);
    });
  });
  it("a configuration outside its policy is refused before any byte is sent", async () => {
    const { createTlsClient, createTlsServer } = await import("./connection.ts");
    const { clientConfig, serverConfig } = await import("./engine-test-helpers.ts");
    assert.throws(() => createTlsClient(clientConfig({ groups: ["x25519"] })), { name: "TlsConfigError" });
    assert.throws(
      () => createTlsClient(clientConfig({ policy: "pq-strict", signatureSchemes: ["ed25519"] })),
      { name: "TlsConfigError" },
    );
    assert.throws(() => createTlsServer(serverConfig({ recordSizeLimit: 10 })), { name: "TlsConfigError" });
  });
});

describe("tls engine: KeyUpdate and close", () => {
  // That keys really change (and the peer follows) is key-update.test.ts: it opens the records with the logged secrets.
  it("the connection keeps working across KeyUpdates in both directions", () => {
    const { client, server } = connectPair();
    client.keyUpdate(true);
    const sent = client.takeOutgoing();
    assert.equal(sent.length, 1, "keyUpdate() queues the KeyUpdate record");
    for (const r of sent) server.receive(r);
    const answer = server.takeOutgoing();
    assert.equal(answer.length, 1, "update_requested is answered");
    for (const r of answer) client.receive(r);
    server.keyUpdate(false);
    pump(client, server);
    assertConnected(client, server);
  });
  it("close_notify reaches the peer", () => {
    const { client, server } = connectPair();
    client.close();
    assert.ok(client.closed);
    pump(client, server);
    assert.ok(server.peerClosed);
    assert.equal(server.error, undefined);
    assert.throws(() => client.send(new Uint8Array(1)));
  });
  it("send before the handshake completes is refused", async () => {
    const { createTlsClient } = await import("./connection.ts");
    const { clientConfig } = await import("./engine-test-helpers.ts");
    const c = createTlsClient(clientConfig());
    assert.throws(() => c.send(new Uint8Array(1)), { name: "TlsError" });
    assert.equal(c.takeOutgoing()[0]![0], ContentType.handshake);
  });
});
