/**
 * Silent and idle connections (issue 9, item 3): 1,024 connections that never
 * sent a byte locked every client out of a server with one global cap. Now,
 * against a real server process with short timeouts:
 *
 * - 1,000 silent connections from 127.0.0.1 take at most the per-source limit
 *   (64); a client from 127.0.0.2 is served meanwhile; the silent ones are
 *   closed by the first-byte timeout (each reported as idle_connection);
 * - h2 after the handshake: no client preface -> closed (preface timeout);
 *   a preface and no stream -> GOAWAY NO_ERROR (idle timeout);
 * - in process: the cap on concurrent handshakes refuses on accept.
 *
 * Assertions wait for events (sockets closing, GOAWAY), not for wall time.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { H2_NO_ERROR } from "../../src/protocol/grpc/http2-errors.ts";
import { DEFAULT_MAX_CONNECTIONS_PER_SOURCE } from "../../src/server/index.ts";
import { eventually, startTestServer } from "../rpc/helpers.ts";
import { type HostileServer, rawH2, startHostileServer, tlsOverTcp, until } from "./harness.ts";

const SILENT_CONNECTIONS = 1_000;
const SHORT_TIMEOUT_MS = 1_500;

/** A TCP connection that says nothing; resolves with it once connected (or refused at once). */
function silent(port: number, localAddress: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port, localAddress });
    socket.on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("close", () => resolve({ socket, closed }));
  });
}

describe("silent and idle connections against a server process", () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer({
      firstByteTimeoutMs: SHORT_TIMEOUT_MS,
      http2: { prefaceTimeoutMs: SHORT_TIMEOUT_MS, idleTimeoutMs: SHORT_TIMEOUT_MS },
    });
  });
  after(async () => {
    await server?.stop();
  });

  it(`${SILENT_CONNECTIONS} silent connections from 127.0.0.1: at most ${DEFAULT_MAX_CONNECTIONS_PER_SOURCE} held, 127.0.0.2 served, all closed by the first-byte timeout`, async () => {
    const before = await server.stats();
    const conns = await Promise.all(
      Array.from({ length: SILENT_CONNECTIONS }, () => silent(server.port, "127.0.0.1")),
    );
    const during = await server.stats();
    assert.ok(
      during.server.connections <= DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
      `${during.server.connections} open connections`,
    );
    // Another source gets in while the silent ones hold their slots.
    assert.equal(await server.sayHello("h2", "from 127.0.0.2", "127.0.0.2"), "hello from 127.0.0.2");
    await Promise.all(conns.map((c) => c.closed));
    const s = await until(
      () => server.stats(),
      (x) => x.server.connections === 0,
      "every connection closed",
    );
    const timedOut =
      (s.events["idle_connection:first-byte-timeout"] ?? 0) -
      (before.events["idle_connection:first-byte-timeout"] ?? 0);
    const refused = s.server.rejected - before.server.rejected;
    assert.ok(timedOut >= 1 && timedOut <= DEFAULT_MAX_CONNECTIONS_PER_SOURCE, `${timedOut} timed out`);
    assert.equal(refused + timedOut, SILENT_CONNECTIONS, "each was refused on accept or timed out");
  });

  it("h2: no client preface after the handshake closes the connection (preface timeout)", async () => {
    const before = await server.stats();
    const tls = await tlsOverTcp(server.port, server.trust, ["h2"]);
    tls.on("error", () => {});
    // Read (and drop) what comes, or the end of the stream is never seen.
    tls.resume();
    await new Promise<void>((resolve) => tls.once("close", () => resolve()));
    await until(
      () => server.stats(),
      (x) =>
        x.server.sessions === 0 &&
        (x.events["idle_connection:preface-timeout"] ?? 0) >
          (before.events["idle_connection:preface-timeout"] ?? 0),
      "preface-timeout event, session gone",
    );
  });

  it("h2: a preface and no stream gets GOAWAY NO_ERROR (idle timeout)", async () => {
    const raw = await rawH2(server);
    assert.equal(await raw.goaway, H2_NO_ERROR);
    await raw.closed;
    const s = await server.stats();
    assert.ok((s.events["idle_connection:idle-timeout"] ?? 0) >= 1);
    assert.equal(await server.sayHello("h2"), "hello legit");
  });
});

describe("the cap on concurrent handshakes (in process)", () => {
  it("refuses on accept while the cap is taken by connections still handshaking", async () => {
    const { server, port } = await startTestServer({ maxConcurrentHandshakes: 2 });
    try {
      // From three sources, so the per-source limit is not what refuses.
      const a = await silent(port, "127.0.0.3");
      const b = await silent(port, "127.0.0.4");
      await eventually(() => server.stats.handshaking === 2, "two handshaking");
      const c = await silent(port, "127.0.0.5");
      await c.closed;
      assert.equal(server.stats.rejected, 1);
      a.socket.destroy();
      b.socket.destroy();
      await eventually(() => server.stats.handshaking === 0, "slots free");
      const ok = await silent(port, "127.0.0.5");
      await eventually(() => server.stats.handshaking === 1, "accepted again");
      ok.socket.destroy();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});

describe("per-source limit on the WebSocket carrier (in process)", () => {
  /** An HTTP/1.1 WebSocket upgrade (RFC 6455 §4.1) from `localAddress`; resolves with the first response line, "" if closed first. */
  const upgrade = (port: number, localAddress: string) =>
    new Promise<string>((resolve) => {
      const socket = netConnect({ host: "127.0.0.1", port, localAddress });
      socket.on("error", () => {});
      let text = "";
      socket.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        const line = text.split("\r\n")[0];
        if (text.includes("\r\n")) {
          socket.destroy();
          resolve(line ?? "");
        }
      });
      socket.once("close", () => resolve(""));
      socket.write(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
    });

  it("a source at its limit is refused on accept, before the upgrade; another source upgrades", async () => {
    const { server, port } = await startTestServer({ maxConnectionsPerSource: 2 });
    try {
      const held = [await silent(port, "127.0.0.6"), await silent(port, "127.0.0.6")];
      await eventually(() => server.stats.connections === 2, "two held");
      assert.equal(await upgrade(port, "127.0.0.6"), "", "closed without a response");
      assert.equal(server.stats.rejected, 1);
      assert.match(await upgrade(port, "127.0.0.7"), /^HTTP\/1\.1 101 /);
      for (const c of held) c.socket.destroy();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});
