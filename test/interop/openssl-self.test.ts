/**
 * Checks the interop harness itself: OpenSSL client <-> OpenSSL server (both
 * Node 24) through openssl-peer.mjs, with chains made by node:crypto. If this
 * fails, the pqrpc interop results mean nothing; if it passes, the peer
 * reports negotiated parameters correctly and OpenSSL accepts the fixtures.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ChainFiles, writeNodeCryptoChainOnNode24 } from "../fixtures/node-crypto-chain.ts";
import { node24Binary, OpensslPeer, runOpensslClient } from "./peer.ts";

describe("OpenSSL peer harness (Node 24 client <-> Node 24 server)", () => {
  let dir: string;
  let mldsa: ChainFiles;
  let ecdsa: ChainFiles;
  const peers: OpensslPeer[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pqrpc-openssl-self-"));
    const node24 = node24Binary();
    mldsa = writeNodeCryptoChainOnNode24(node24, join(dir, "mldsa"), "ml-dsa-65");
    ecdsa = writeNodeCryptoChainOnNode24(node24, join(dir, "ecdsa"), "ecdsa-p256");
  });
  after(() => {
    for (const p of peers) p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function server(config: Parameters<typeof OpensslPeer.start>[0]): Promise<OpensslPeer> {
    const p = await OpensslPeer.start(config);
    peers.push(p);
    return p;
  }

  it("ML-DSA-65 chain with mutual auth, HRR to the server's only group, ALPN, and the wire view", async () => {
    const srv = await server({
      role: "server",
      ecdhCurve: "SecP256r1MLKEM768",
      cert: mldsa.server,
      key: mldsa.serverKey,
      ca: mldsa.ca,
      requestCert: true,
      alpn: ["h2", "pqrpc/1"],
    });
    const cli = await runOpensslClient({
      port: srv.port,
      ecdhCurve: "X25519MLKEM768:SecP256r1MLKEM768",
      ciphersuites: "TLS_CHACHA20_POLY1305_SHA256",
      cert: mldsa.client,
      key: mldsa.clientKey,
      ca: mldsa.ca,
      servername: "localhost",
      alpn: ["pqrpc/1"],
      send: "hello over ML-KEM",
    });
    const c = await cli.secure(0);
    const s = await srv.secure(0);
    assert.equal(c.protocol, "TLSv1.3");
    assert.equal(c.group, "SecP256r1MLKEM768");
    assert.equal(s.group, "SecP256r1MLKEM768", "the server-side group comes from the wire tap");
    assert.equal(c.cipher, "TLS_CHACHA20_POLY1305_SHA256");
    assert.equal(s.cipher, "TLS_CHACHA20_POLY1305_SHA256");
    assert.equal(c.alpn, "pqrpc/1");
    assert.equal(s.alpn, "pqrpc/1");
    assert.equal(c.authorized, true, `client: ${c.authorizationError}`);
    assert.equal(s.authorized, true, `server: ${s.authorizationError}`);
    assert.deepEqual(s.peerSubject, { CN: "pqrpc test client" });
    assert.equal(s.servername, "localhost");
    assert.equal(cli.events.find((e) => e.event === "data")?.text, "hello over ML-KEM");
    const wire = (await cli.closed(0)).wire!;
    assert.equal(wire.parseError, undefined);
    assert.equal(wire.clientHellos.length, 2, "HelloRetryRequest makes a second ClientHello");
    assert.deepEqual(
      wire.clientHellos.map((h) => h.keyShares.map((k) => k.group)),
      [["X25519MLKEM768"], ["SecP256r1MLKEM768"]],
    );
    // draft-ietf-tls-ecdhe-mlkem share sizes: 1184+32 client, 65+1184 client, 65+1088 server.
    assert.deepEqual(
      wire.clientHellos.map((h) => h.keyShares[0]?.bytes),
      [1216, 1249],
    );
    assert.equal(wire.helloRetry?.group, "SecP256r1MLKEM768");
    assert.equal(wire.serverHello?.keyShareBytes, 65 + 1088);
    assert.ok(wire.bytesFromClient > 0 && wire.bytesFromServer > 0);
    assert.deepEqual(srv.errors(0), []);
  });

  it("ECDSA chain, X25519MLKEM768 without HRR, resumption with the server's ticket", async () => {
    const srv = await server({
      role: "server",
      ecdhCurve: "X25519MLKEM768:X25519",
      cert: ecdsa.server,
      key: ecdsa.serverKey,
      ciphersuites: "TLS_AES_128_GCM_SHA256",
    });
    const cli = await runOpensslClient({
      port: srv.port,
      ca: ecdsa.ca,
      servername: "localhost",
      connections: 2,
      resume: true,
      send: "x",
    });
    const first = await cli.secure(0);
    const second = await cli.secure(1);
    assert.equal(first.group, "X25519MLKEM768");
    assert.equal(first.cipher, "TLS_AES_128_GCM_SHA256");
    assert.equal(first.reused, false);
    assert.equal(second.reused, true);
    assert.equal((await srv.secure(1)).reused, true);
    const wire = (await cli.closed(1)).wire!;
    assert.equal(wire.clientHellos[0]?.psk, true);
    assert.equal(wire.serverHello?.psk, true);
    assert.equal(wire.helloRetry, undefined);
  });

  it("a wrong CA is refused and reported as an error event, not a hang", async () => {
    const srv = await server({ role: "server", cert: ecdsa.server, key: ecdsa.serverKey });
    const cli = await runOpensslClient({ port: srv.port, ca: mldsa.ca, servername: "localhost" });
    await assert.rejects(cli.secure(0), /failed/);
  });
});
