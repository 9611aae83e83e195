import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { Code } from "../../rpc/code.ts";
import { createMemoryPair } from "../../transport/memory-pair.ts";
import { FrameType } from "./constants.ts";
import { ErrorCode } from "./error-codes.ts";
import type { FrameStream } from "./frame-stream.ts";
import { rpcCodeForStreamError } from "./rpc-errors.ts";
import { FrameSession } from "./session.ts";
import { collect, echoHandler, isClean, RawPeer, sessionPair, tick } from "./session-test-helpers.ts";
import { StreamError } from "./stream-error.ts";

const bytes = (n: number, seed = 1) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
};

function streamError(reason: string, code?: ErrorCode) {
  return (e: unknown) => {
    assert.ok(e instanceof StreamError, String(e));
    assert.equal(e.reason, reason, e.message);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    return true;
  };
}

test("a unary call: request headers, one message, response headers, trailers with metadata; all clean after close", async () => {
  const { client, server, carriers } = sessionPair({}, { onStream: echoHandler });
  const s = client.openStream([
    [":path", "/pkg.Svc/Echo"],
    ["x-echo", "yes"],
    ["trace-bin", new Uint8Array([1, 0, 2])],
  ]);
  await s.send(bytes(100), { endStream: true });
  const r = await collect(s);
  assert.deepEqual(r.headers, []);
  assert.deepEqual(r.messages, [bytes(100)]);
  assert.equal(r.status, 0);
  assert.deepEqual(r.trailers, [["x-echo", "yes"]]);
  assert.equal(client.stats.openStreams, 0);
  assert.equal(server.stats.openStreams, 0);
  assert.equal(client.stats.timers, 0, "SETTINGS ACK received: no timer left");
  assert.equal(await client.close(), undefined);
  assert.equal(await server.closed, undefined);
  assert.ok(isClean(client) && isClean(server));
  assert.equal(carriers[0].listenerCount("data"), 0);
  assert.equal(carriers[1].listenerCount("data"), 0);
});

test("many concurrent streams with mixed sizes, interleaved on one connection", async () => {
  const { client, server } = sessionPair({}, { onStream: echoHandler });
  const calls = Array.from({ length: 60 }, async (_, i) => {
    const s = client.openStream([[":path", `/pkg.Svc/M${i % 3}`]]);
    const sizes = [0, 10, 70_000, 300_000 * (i % 2)];
    for (const [k, n] of sizes.entries())
      await s.send(bytes(n, i + k), { endStream: k === sizes.length - 1 });
    const r = await collect(s);
    assert.deepEqual(
      r.messages.map((m) => m.length),
      sizes,
    );
    for (const [k, n] of sizes.entries()) assert.deepEqual(r.messages[k], bytes(n, i + k));
    assert.equal(r.status, 0);
  });
  await Promise.all(calls);
  assert.equal(client.stats.openStreams, 0);
  assert.equal(server.stats.openStreams, 0);
  await client.close();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});

test("flow control with default (64 KiB) windows and 16 KiB frames carries a 3 MB message both ways", async () => {
  const small = {
    settings: { maxFrameBytes: 16384, initialStreamWindowBytes: 65535, initialConnectionWindowBytes: 65535 },
  };
  const { client, server } = sessionPair(small, { ...small, onStream: echoHandler });
  const s = client.openStream([[":path", "/pkg.Svc/Big"]]);
  const big = bytes(3_000_000, 9);
  const sent = s.send(big, { endStream: true });
  const r = await collect(s);
  await sent;
  assert.equal(r.messages.length, 1);
  assert.deepEqual(r.messages[0], big);
  await client.close();
  assert.ok(isClean(client) && isClean(server));
});

test("a peer sending past the stream window gets RST FLOW_CONTROL_ERROR; past the connection window, GOAWAY", async () => {
  const [a, b] = createMemoryPair();
  const server = new FrameSession(b, {
    role: "server",
    settings: {
      initialStreamWindowBytes: 65535,
      initialConnectionWindowBytes: 200_000,
      maxFrameBytes: 65536,
    },
    onStream: () => {},
  });
  const peer = new RawPeer(a);
  peer.handshake();
  peer.send(peer.headers(1, [[":path", "/a.B/C"]]));
  const chunk = (streamId: number, n: number) =>
    ({
      type: FrameType.MESSAGE,
      streamId,
      endStream: false,
      messageEnd: false,
      compressed: false,
      data: new Uint8Array(n),
    }) as const;
  peer.send(chunk(1, 65535), chunk(1, 1));
  await peer.waitFor(
    (fs) =>
      fs.some((f) => f.type === FrameType.RST && f.streamId === 1 && f.code === ErrorCode.FLOW_CONTROL_ERROR),
    "RST FLOW_CONTROL_ERROR",
  );
  assert.equal(server.stats.openStreams, 0);
  // The connection window (200 000) is now down by 65 536; three more streams overrun it.
  for (const id of [3, 5, 7]) peer.send(peer.headers(id, [[":path", "/a.B/C"]]), chunk(id, 50_000));
  await peer.waitFor(
    (fs) => fs.some((f) => f.type === FrameType.GOAWAY && f.code === ErrorCode.FLOW_CONTROL_ERROR),
    "GOAWAY FLOW_CONTROL_ERROR",
  );
  const err = await server.closed;
  assert.equal(err?.code, ErrorCode.FLOW_CONTROL_ERROR);
  assert.ok(isClean(server));
});

test("a stream flood past the limit is refused with REFUSED_STREAM (UNAVAILABLE) while admitted calls are served", async () => {
  const [a, b] = createMemoryPair();
  const admitted: FrameStream[] = [];
  const server = new FrameSession(b, {
    role: "server",
    settings: { maxConcurrentStreams: 5 },
    onStream: (s) => admitted.push(s),
  });
  const peer = new RawPeer(a);
  peer.handshake();
  for (let id = 1; id <= 41; id += 2)
    peer.send(
      peer.headers(id, [
        [":path", "/a.B/C"],
        ["x-n", String(id)],
      ]),
    );
  await peer.waitFor((fs) => fs.filter((f) => f.type === FrameType.RST).length === 16, "16 refusals");
  const refused = peer.frames.filter((f) => f.type === FrameType.RST);
  assert.ok(
    refused.every((f) => f.type === FrameType.RST && f.code === ErrorCode.REFUSED_STREAM && f.streamId > 9),
  );
  assert.equal(admitted.length, 5);
  assert.equal(server.stats.openStreams, 5);
  // The admitted ones still work.
  for (const s of admitted) await s.sendTrailers(0, "ok");
  await peer.waitFor((fs) => fs.filter((f) => f.type === FrameType.TRAILERS).length === 5, "5 trailers");
  // Frames for a refused stream are ignored, not errors.
  peer.send({ type: FrameType.RST, streamId: 41, code: ErrorCode.CANCEL });
  await tick(10);
  assert.ok(server.isOpen);
  assert.equal(server.stats.openStreams, 0);
  server.destroy();
  assert.ok(isClean(server));
  assert.equal(
    rpcCodeForStreamError(new StreamError(ErrorCode.REFUSED_STREAM, "reset-by-peer")),
    Code.UNAVAILABLE,
  );
});

test("the client refuses to open past the server's announced limit (nothing is sent)", async () => {
  const { client, server } = sessionPair({}, { settings: { maxConcurrentStreams: 2 }, onStream: () => {} });
  await client.ping(); // the server's SETTINGS have arrived
  client.openStream([[":path", "/a.B/C"]]);
  client.openStream([[":path", "/a.B/C"]]);
  assert.equal(client.availableStreams, 0);
  assert.throws(
    () => client.openStream([[":path", "/a.B/C"]]),
    streamError("stream-limit", ErrorCode.REFUSED_STREAM),
  );
  client.destroy();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});

test("the adapter drives the core's deadlines with one timer: keepalive on mocked timers, no wall-clock wait", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const [a, b] = createMemoryPair();
  const client = new FrameSession(a, {
    role: "client",
    clock: () => Date.now(),
    keepalive: { intervalMs: 1_000, timeoutMs: 300 },
  });
  const peer = new RawPeer(b); // answers SETTINGS, never PING
  peer.handshake();
  const s = client.openStream([[":path", "/a.B/C"]]);
  await settle();
  assert.equal(client.stats.timers, 1, "one timer, at the next keepalive");
  t.mock.timers.tick(1_000);
  await settle();
  assert.ok(peer.frames.some((f) => f.type === FrameType.PING && !f.ack));
  assert.ok(client.isOpen);
  t.mock.timers.tick(300);
  await assert.rejects(s.read(), streamError("keepalive-timeout", ErrorCode.KEEPALIVE_TIMEOUT));
  assert.equal(rpcCodeForStreamError(s.error!), Code.UNAVAILABLE);
  assert.equal((await client.closed)?.reason, "keepalive-timeout");
  assert.ok(isClean(client));
});

/** Lets the in-memory carrier deliver (it uses process.nextTick and microtasks, not the mocked timers). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => process.nextTick(r));
}

test("GOAWAY: in-flight calls finish, new calls are refused (UNAVAILABLE), both sides close cleanly", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let goaway: { lastStreamId: number; code: number } | undefined;
  const { client, server } = sessionPair(
    { onGoaway: (g) => (goaway = g) },
    {
      onStream: (s) => {
        void (async () => {
          await gate;
          for await (const e of s) if (e.type === "message") await s.send(e.data);
          await s.sendTrailers(0, "late but fine");
        })();
      },
    },
  );
  const inflight = client.openStream([[":path", "/a.B/Slow"]]);
  await inflight.send(bytes(10), { endStream: true });
  await client.ping(); // the server has seen stream 1
  const closing = server.close();
  await client.ping().catch(() => {});
  assert.deepEqual(goaway && { lastStreamId: goaway.lastStreamId, code: goaway.code }, {
    lastStreamId: 1,
    code: 0,
  });
  assert.throws(
    () => client.openStream([[":path", "/a.B/C"]]),
    (e: unknown) => {
      assert.ok(e instanceof StreamError && e.reason === "going-away");
      assert.equal(rpcCodeForStreamError(e), Code.UNAVAILABLE);
      return true;
    },
  );
  release();
  const r = await collect(inflight);
  assert.equal(r.status, 0);
  assert.deepEqual(r.messages, [bytes(10)]);
  assert.equal(await closing, undefined);
  assert.equal(await client.closed, undefined);
  assert.ok(isClean(client) && isClean(server));
});

test("streams past GOAWAY's last stream id are refused and may be retried", async () => {
  const [a, b] = createMemoryPair();
  const client = new FrameSession(a, { role: "client" });
  const peer = new RawPeer(b);
  peer.handshake();
  const s1 = client.openStream([[":path", "/a.B/C"]]);
  const s3 = client.openStream([[":path", "/a.B/C"]]);
  await peer.waitFor((fs) => fs.filter((f) => f.type === FrameType.HEADERS).length === 2, "two HEADERS");
  peer.send({ type: FrameType.GOAWAY, lastStreamId: 1, code: 0, debug: new TextEncoder().encode("restart") });
  await assert.rejects(s3.read(), streamError("refused", ErrorCode.REFUSED_STREAM));
  assert.equal(client.stats.openStreams, 1);
  peer.send(peer.headers(1, []), {
    type: FrameType.TRAILERS,
    streamId: 1,
    status: 0,
    message: "",
    block: new Uint8Array(0),
  });
  assert.equal((await collect(s1)).status, 0);
  await peer.waitFor(() => peer.ended, "the client to end the connection");
  assert.equal(await client.closed, undefined);
  assert.ok(isClean(client));
});

test("RST both ways: a cancelled call fails on the other side with CANCEL (CANCELLED)", async () => {
  const serverStreams: FrameStream[] = [];
  const { client, server } = sessionPair({}, { onStream: (s) => serverStreams.push(s) });
  const s1 = client.openStream([[":path", "/a.B/C"]]);
  await client.ping();
  const srv1 = serverStreams[0]!;
  assert.equal((await srv1.read())?.type, "headers");
  s1.reset();
  await assert.rejects(srv1.read(), streamError("reset-by-peer", ErrorCode.CANCEL));
  assert.equal(rpcCodeForStreamError(srv1.error!), Code.CANCELLED);
  await assert.rejects(srv1.send(bytes(1)), streamError("reset-by-peer"));

  const s3 = client.openStream([[":path", "/a.B/C"]]);
  await client.ping();
  const srv3 = serverStreams[1]!;
  srv3.reset(ErrorCode.CANCEL);
  await assert.rejects(s3.read(), streamError("reset-by-peer", ErrorCode.CANCEL));
  assert.equal(client.stats.openStreams, 0);
  assert.equal(server.stats.openStreams, 0);
  await client.close();
  assert.ok(isClean(client) && isClean(server));
});

test("a reader that stops: the writer waits, its buffered bytes stay bounded, and a reset releases it", async () => {
  const writeBufferBytes = 256 * 1024;
  let serverSend: Promise<void> | undefined;
  let sentMessages = 0;
  const { client, server } = sessionPair(
    {},
    {
      writeBufferBytes,
      onStream: (s) => {
        serverSend = (async () => {
          const m = bytes(64 * 1024);
          for (;;) {
            await s.send(m);
            sentMessages++;
          }
        })();
        serverSend.catch(() => {});
      },
    },
  );
  const s = client.openStream([[":path", "/a.B/Firehose"]]);
  await tick(150);
  const before = sentMessages;
  await tick(100);
  assert.equal(sentMessages, before, "the server is blocked");
  // Bounded by the client's windows (1 MiB stream) on the wire and our write buffer plus one frame here.
  assert.ok(
    server.stats.bufferedWriteBytes <= writeBufferBytes + 64 * 1024 + 16,
    `${server.stats.bufferedWriteBytes}`,
  );
  assert.ok(sentMessages * 64 * 1024 <= 1024 * 1024 + 2 * 64 * 1024 + writeBufferBytes + 64 * 1024 * 2);
  assert.ok(s.bufferedEvents <= 1024 / 64 + 2, `client holds ${s.bufferedEvents} unread events`);
  s.reset();
  await assert.rejects(serverSend!, streamError("reset-by-peer", ErrorCode.CANCEL));
  await client.close();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});

test("a peer that vanishes mid-stream: every open stream fails as UNAVAILABLE, nothing hangs, nothing leaks", async () => {
  const serverStreams: FrameStream[] = [];
  const { client, server, carriers } = sessionPair({}, { onStream: (s) => serverStreams.push(s) });
  const streams = Array.from({ length: 5 }, () => client.openStream([[":path", "/a.B/C"]]));
  const pendingSend = streams[0]!.send(bytes(5_000_000));
  await client.ping();
  carriers[1].destroy(); // the server's end vanishes (destroys both ends, like a reset)
  for (const s of streams) {
    await assert.rejects(s.read(), streamError("connection-lost"));
    assert.equal(rpcCodeForStreamError(s.error!), Code.UNAVAILABLE);
  }
  await assert.rejects(pendingSend, streamError("connection-lost"));
  for (const s of serverStreams) await assert.rejects(s.read(), streamError("connection-lost"));
  assert.equal((await client.closed)?.reason, "connection-lost");
  assert.equal((await server.closed)?.reason, "connection-lost");
  assert.throws(() => client.openStream([]), streamError("going-away"));
  assert.ok(isClean(client) && isClean(server));
});

test("garbage from the peer ends the connection with a typed error, never a hang", async () => {
  const [a, b] = createMemoryPair();
  const server = new FrameSession(b, { role: "server", onStream: () => {} });
  const peer = new RawPeer(a);
  peer.handshake();
  a.write(new Uint8Array([0x02, 0x01, 0x05, 1, 2, 3, 4, 5])); // MESSAGE on idle stream 1
  const err = await server.closed;
  assert.equal(err?.code, ErrorCode.PROTOCOL_ERROR);
  await peer.waitFor((fs) => fs.some((f) => f.type === FrameType.GOAWAY), "GOAWAY");
  assert.ok(isClean(server));

  const [c, d] = createMemoryPair();
  const server2 = new FrameSession(d, { role: "server" });
  c.write(new Uint8Array([0x01, 0x01, 0x00])); // HEADERS before SETTINGS
  assert.equal((await server2.closed)?.code, ErrorCode.PROTOCOL_ERROR);
});

test("a peer that provokes PONGs but never reads is cut off (ENHANCE_YOUR_CALM); memory stays bounded", async () => {
  const [a, b] = createMemoryPair({ highWaterMark: 16 * 1024 });
  const server = new FrameSession(b, { role: "server", maxControlBacklogBytes: 256 * 1024 });
  const peer = new RawPeer(a, { read: false });
  peer.handshake();
  const ping = { type: FrameType.PING, ack: false, payload: new Uint8Array(8) } as const;
  for (let i = 0; i < 200_000 && server.isOpen; i++) {
    peer.send(ping);
    if (i % 1000 === 0) await tick();
  }
  const err = await server.closed;
  assert.equal(err?.code, ErrorCode.ENHANCE_YOUR_CALM);
  assert.ok(isClean(server));
});

test("over a TCP socket (gathered writes, no payload copy): large and small messages arrive intact", async () => {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const accepted = new Promise<net.Socket>((r) => listener.once("connection", r));
  const a = net.connect((listener.address() as net.AddressInfo).port, "127.0.0.1");
  const b = await accepted;
  listener.close();
  const server = new FrameSession(b, { role: "server", onStream: echoHandler });
  const client = new FrameSession(a, { role: "client" });
  const calls = Array.from({ length: 8 }, async (_, i) => {
    const s = client.openStream([[":path", "/a.B/C"]]);
    const sizes = [1, 2000, 1_000_000 + i];
    for (const [k, n] of sizes.entries())
      await s.send(bytes(n, i + k), { endStream: k === sizes.length - 1 });
    const r = await collect(s);
    for (const [k, n] of sizes.entries()) assert.deepEqual(r.messages[k], bytes(n, i + k));
  });
  await Promise.all(calls);
  await client.close();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});

test("an open-and-reset flood (rapid reset) is cut off with ENHANCE_YOUR_CALM", async () => {
  const [a, b] = createMemoryPair();
  let handlers = 0;
  const server = new FrameSession(b, { role: "server", onStream: () => handlers++ });
  const peer = new RawPeer(a);
  peer.handshake();
  for (let id = 1; id < 2 * 1200; id += 2) {
    if (!server.isOpen) break;
    peer.send(peer.headers(id, [[":path", "/a.B/C"]]), {
      type: FrameType.RST,
      streamId: id,
      code: ErrorCode.CANCEL,
    });
  }
  const err = await server.closed;
  assert.equal(err?.code, ErrorCode.ENHANCE_YOUR_CALM);
  assert.ok(handlers <= 1001, `${handlers} handlers started`);
  await peer.waitFor(
    (fs) => fs.some((f) => f.type === FrameType.GOAWAY && f.code === ErrorCode.ENHANCE_YOUR_CALM),
    "GOAWAY",
  );
  assert.ok(isClean(server));
});

test("oversized headers and messages fail that stream (RESOURCE_EXHAUSTED); the connection keeps serving", async () => {
  const { client, server } = sessionPair({}, { maxReceiveMessageBytes: 100_000, onStream: echoHandler });
  const big = client.openStream([
    [":path", "/a.B/C"],
    ["x-big", "v".repeat(9000)],
  ]);
  await assert.rejects(big.read(), streamError("reset-by-peer", ErrorCode.HEADERS_TOO_LARGE));
  assert.equal(rpcCodeForStreamError(big.error!), Code.RESOURCE_EXHAUSTED);
  const huge = client.openStream([[":path", "/a.B/C"]]);
  huge.send(bytes(100_001)).catch(() => {});
  await assert.rejects(collect(huge), streamError("reset-by-peer", ErrorCode.MESSAGE_TOO_LARGE));
  assert.equal(rpcCodeForStreamError(huge.error!), Code.RESOURCE_EXHAUSTED);
  const ok = client.openStream([[":path", "/a.B/C"]]);
  await ok.send(bytes(100_000), { endStream: true });
  assert.equal((await collect(ok)).status, 0);
  await client.close();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});

test("a header block that cannot fit one frame fails locally and keeps the compression tables in step", async () => {
  const { client, server } = sessionPair({}, { onStream: echoHandler });
  await client.ping(); // the server's 64 KiB frame limit is known
  const s = client.openStream([
    [":path", "/a.B/C"],
    ["x-huge", "v".repeat(70_000)],
  ]);
  await assert.rejects(s.read(), streamError("reset-locally", ErrorCode.HEADERS_TOO_LARGE));
  const ok = client.openStream([
    [":path", "/a.B/C"],
    ["x-echo", "still in step"],
  ]);
  await ok.send(bytes(3), { endStream: true });
  const r = await collect(ok);
  assert.deepEqual(r.trailers, [["x-echo", "still in step"]]);
  await client.close();
  await server.closed;
  assert.ok(isClean(client) && isClean(server));
});
