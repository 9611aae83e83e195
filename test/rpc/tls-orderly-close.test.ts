/**
 * RFC 7301 §3.2 and RFC 8446 §6.1 against a real server on loopback: a
 * client with no ALPN protocol in common gets the no_application_protocol
 * alert (not a bare TCP close), and every orderly close says close_notify.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import type { Server } from "../../src/server/index.ts";
import { TlsError } from "../../src/tls/alert.ts";
import { createMemoryPair } from "../../src/transport/memory-pair.ts";
import { connectTls, tlsAccept, tlsConnect } from "../../src/transport/tls-connect.ts";
import { SERVER_NAME, startTestServer, testPki } from "./helpers.ts";

describe("TLS alerts and close_notify at the edges of a connection", () => {
  let server: Server;
  let port: number;
  before(async () => {
    ({ server, port } = await startTestServer());
  });
  after(async () => {
    await server.close({ graceMs: 0 });
  });

  it("no ALPN protocol in common: the client receives no_application_protocol from the server", async () => {
    const { trust } = await testPki();
    const error = await connectTls("127.0.0.1", port, {
      verifier: trust,
      serverName: SERVER_NAME,
      alpnProtocols: ["not-served/1"],
    }).then(
      () => assert.fail("the handshake must fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TlsError, `a TLS alert, not ${(error as Error)?.message}`);
    assert.equal(error.alertName, "no_application_protocol");
    assert.equal(error.origin, "peer");
    // The server is unharmed: a client with a common protocol is served.
    const ok = await connectTls("127.0.0.1", port, {
      verifier: trust,
      serverName: SERVER_NAME,
      alpnProtocols: ["h2"],
    });
    assert.equal(ok.alpnProtocol, "h2");
    ok.destroy();
  });

  it("destroy() without an error after the handshake sends close_notify", async () => {
    const { pki, trust } = await testPki();
    const [a, b] = createMemoryPair();
    const [c, s] = await Promise.all([
      tlsConnect(a, { verifier: trust, serverName: SERVER_NAME }),
      tlsAccept(b, { certificate: pki.server.certifiedKey }),
    ]);
    s.resume();
    const ended = once(s, "end");
    c.destroy();
    await ended;
    assert.equal(s.connection.peerClosed, true, "the server saw close_notify, not a truncation");
    assert.equal(s.connection.error, undefined);
  });
});
