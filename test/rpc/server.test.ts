/**
 * The server's port and its limits: what a non-TLS, non-WebSocket peer gets,
 * handshake and connection bounds, ALPN refusal, a WebSocket peer that sends
 * text, and life-cycle errors. The server keeps serving after each.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { connect } from "../../src/client/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { createClient } from "../../src/rpc/client.ts";
import { Code } from "../../src/rpc/code.ts";
import { ServerError } from "../../src/server/index.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { connectWebSocket } from "../../src/transport/websocket-connect.ts";
import { eventually, failureCode, SERVER_NAME, startTestServer, testPki } from "./helpers.ts";

async function rawSocket(port: number): Promise<Socket> {
  const socket = netConnect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Everything the server sends until it closes the connection. */
async function readUntilClosed(socket: Socket): Promise<string> {
  let text = "";
  socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
  await once(socket, "close");
  return text;
}

/** A handshake timeout short enough to watch expire; only raw sockets that never finish a handshake meet it. */
const SHORT_HANDSHAKE_TIMEOUT_MS = 300;
/** Upper bounds on waits are hang guards, not speed checks. */
const HANG_GUARD_MS = 30_000;

describe("server port and limits", () => {
  let trust: TrustStore;
  before(async () => {
    ({ trust } = await testPki());
  });

  async function assertServes(address: string): Promise<void> {
    const channel = await connect(address, { trust, serverName: SERVER_NAME });
    try {
      await createClient(TestService, channel).emptyCall({});
    } finally {
      await channel.close();
    }
  }

  describe("one server", () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    before(async () => {
      // Real handshakes run against this server: its handshake timeout must not race a slow machine.
      server = await startTestServer({ maxConnections: 3 });
    });
    after(async () => {
      await server?.server.close({ graceMs: 200 });
    });

    it("a plain HTTP request gets 426 Upgrade Required", async () => {
      const socket = await rawSocket(server.port);
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const reply = await readUntilClosed(socket);
      assert.match(reply, /^HTTP\/1\.1 426 /);
      await assertServes(server.address);
    });

    it("a WebSocket upgrade on another path gets 404", async () => {
      const error = await connectWebSocket(`ws://${server.address}/elsewhere`).catch((e: Error) => e);
      assert.ok(error instanceof TransportError, String(error));
      assert.equal(error.code, "websocket-upgrade");
      assert.match(error.message, /HTTP 404/);
    });

    it("bytes that are neither TLS nor HTTP close the connection", async () => {
      const socket = await rawSocket(server.port);
      socket.write(Buffer.from([0x00, 0x01, 0x02, 0x0d, 0x0a, 0x0d, 0x0a]));
      await readUntilClosed(socket);
      await assertServes(server.address);
    });

    it("connections past maxConnections are closed on accept", async () => {
      const before = server.server.stats.rejected;
      const held = [await rawSocket(server.port), await rawSocket(server.port), await rawSocket(server.port)];
      await eventually(() => server.server.stats.connections === 3, "three connections accepted");
      const extra = await rawSocket(server.port);
      await readUntilClosed(extra);
      assert.equal(server.server.stats.rejected, before + 1);
      for (const s of held) s.destroy();
      await eventually(() => server.server.stats.connections === 0, "the held connections to close");
      await assertServes(server.address);
    });

    it("a text message on the WebSocket carrier closes it with 1003", async () => {
      const ws = new WebSocket(`ws://${server.address}/`);
      await once(ws, "open");
      ws.send("hello");
      const [code] = (await once(ws, "close")) as [number];
      assert.equal(code, 1003);
      await eventually(() => server.server.stats.connections === 0, "the connection to close");
    });

    it("listen() twice is a ServerError", async () => {
      const error = await server.server.listen({ port: 0 }).catch((e: Error) => e);
      assert.ok(error instanceof ServerError);
      assert.equal(error.code, "already-listening");
    });
  });

  describe("a short handshake timeout", () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    before(async () => {
      server = await startTestServer({ handshakeTimeoutMs: SHORT_HANDSHAKE_TIMEOUT_MS });
    });
    after(async () => {
      await server?.server.close({ graceMs: 200 });
    });

    it("a silent connection is closed after handshakeTimeoutMs", async () => {
      const before = server.server.stats.failedHandshakes;
      const socket = await rawSocket(server.port);
      const started = Date.now();
      await readUntilClosed(socket);
      const elapsed = Date.now() - started;
      // Not before the timeout; the upper bound only guards against a hang (a loaded machine fires timers late).
      assert.ok(
        elapsed >= SHORT_HANDSHAKE_TIMEOUT_MS - 50 && elapsed < HANG_GUARD_MS,
        `closed after ${elapsed} ms`,
      );
      assert.equal(server.server.stats.failedHandshakes, before + 1);
    });

    it("a TLS handshake that stalls is closed after handshakeTimeoutMs", async () => {
      const socket = await rawSocket(server.port);
      // A TLS record header announcing a ClientHello whose body never comes.
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01]));
      const started = Date.now();
      await readUntilClosed(socket);
      assert.ok(Date.now() - started < HANG_GUARD_MS);
    });
  });

  it("a client whose protocol the server does not offer gets UNAVAILABLE", async () => {
    const { server, address } = await startTestServer({ alpn: ["pqrpc/1"] });
    try {
      const error = await connect(address, { trust, serverName: SERVER_NAME, protocol: "h2" }).catch(
        (e: Error) => e,
      );
      assert.equal(await failureCode(Promise.reject(error)), Code.UNAVAILABLE);
      assert.match(String(error), /no_application_protocol|ALPN/);
      await assertServes(address);
    } finally {
      await server.close({ graceMs: 200 });
    }
  });

  it("a closed server refuses listen() and service()", async () => {
    const { server } = await startTestServer();
    await server.close();
    await assert.rejects(
      server.listen({ port: 0 }),
      (e: unknown) => e instanceof ServerError && e.code === "closed",
    );
    assert.throws(() => server.service(TestService, {}), ServerError);
  });
});
