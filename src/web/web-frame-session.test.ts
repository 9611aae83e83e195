/**
 * The browser adapter on Node, without a browser or a socket: a fake
 * WebSocket joins it to a server-side TLS engine and frame connection, both
 * sans-IO and driven by the test. Covers the handshake, a call, the
 * bufferedAmount backpressure and a graceful close. The real browser runs
 * it end to end in test/browser/browser.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FrameConnection } from "../protocol/frames/connection.ts";
import { clientConfig, serverConfig } from "../tls/engine-test-helpers.ts";
import { createTlsServer, type TlsConnection } from "../tls/index.ts";
import { BROWSER_WRITE_BUFFER_BYTES, WebFrameSession, webTlsConnect } from "./web-frame-session.ts";

const PATH: [string, string][] = [[":path", "/a.B/C"]];

/** The subset of the browser's WebSocket the adapter uses, its peer played by `onSend`. */
class FakeWebSocket extends EventTarget {
  binaryType = "blob";
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;
  onSend: (bytes: Uint8Array) => void = () => {};

  send(data: Uint8Array): void {
    this.sent.push(data);
    this.onSend(new Uint8Array(data));
  }

  close(code?: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = code;
    queueMicrotask(() => this.dispatchEvent(new Event("close")));
  }

  /** A binary message from the peer, as the browser delivers it (an ArrayBuffer, on a later task). */
  deliver(bytes: Uint8Array): void {
    const data = bytes.slice().buffer;
    setImmediate(() => this.dispatchEvent(new MessageEvent("message", { data })));
  }
}

/** A pqrpc/1 server played by hand: its TLS engine and frame core, pumped on every byte. */
function server(ws: FakeWebSocket) {
  const tls = createTlsServer(serverConfig({ alpnProtocols: ["pqrpc/1"] }));
  const frames = new FrameConnection({ role: "server" }, 0);
  const events: ReturnType<FrameConnection["takeEvents"]> = [];
  const flush = () => {
    if (tls.handshakeComplete) {
      for (const chunk of tls.takeApplicationData()) frames.receive(chunk);
      for (let out = frames.takeOutgoing(); out; out = frames.takeOutgoing()) tls.sendv(out);
      for (const e of frames.takeEvents()) {
        events.push(e);
        if (e.type === "stream" || e.type === "message") frames.consume(e.streamId);
      }
      for (let out = frames.takeOutgoing(); out; out = frames.takeOutgoing()) tls.sendv(out);
    }
    for (const r of tls.takeOutgoing()) ws.deliver(r);
  };
  ws.onSend = (bytes) => {
    tls.receive(bytes);
    flush();
  };
  return { tls, frames, events, flush };
}

async function connected(): Promise<{
  ws: FakeWebSocket;
  srv: ReturnType<typeof server>;
  session: WebFrameSession;
  tls: TlsConnection;
}> {
  const ws = new FakeWebSocket();
  const srv = server(ws);
  const socket = ws as unknown as WebSocket;
  const { tls, info } = await webTlsConnect(socket, clientConfig({ alpnProtocols: ["pqrpc/1"] }), {
    timeoutMs: 60_000,
  });
  assert.equal(info.alpn, "pqrpc/1");
  assert.equal(ws.binaryType, "arraybuffer");
  const session = new WebFrameSession(socket, tls, { role: "client" });
  return { ws, srv, session, tls };
}

test("a call over TLS over a (fake) WebSocket, then a graceful close: GOAWAY, close_notify, WebSocket closed", async () => {
  const { ws, srv, session } = await connected();
  const stream = session.openStream(PATH);
  await stream.send(new Uint8Array([1, 2, 3]), { endStream: true });
  // Wait for the server core to have the call.
  for (let i = 0; i < 200 && !srv.events.some((e) => e.type === "end"); i++)
    await new Promise((r) => setImmediate(r));
  const opened = srv.events.find((e) => e.type === "stream")!;
  assert.deepEqual((opened as { fields: unknown }).fields, PATH);
  assert.deepEqual(
    (srv.events.find((e) => e.type === "message") as { data: Uint8Array }).data,
    new Uint8Array([1, 2, 3]),
  );
  srv.frames.sendMessage(opened.streamId, new Uint8Array([9]));
  srv.frames.sendTrailers(opened.streamId, 0, "ok");
  srv.flush();
  const seen = [];
  for await (const e of stream) seen.push(e.type);
  assert.deepEqual(seen, ["headers", "message", "trailers"]);

  const closing = session.close();
  for (let i = 0; i < 200 && !srv.events.some((e) => e.type === "goaway"); i++)
    await new Promise((r) => setImmediate(r));
  assert.ok(
    srv.events.some((e) => e.type === "goaway"),
    "the server got GOAWAY",
  );
  // The server ends too: its GOAWAY and close_notify; the client then lets the WebSocket go.
  srv.frames.close();
  srv.flush();
  srv.tls.close();
  srv.flush();
  assert.equal(await closing, undefined, "a clean close");
  for (let i = 0; i < 200 && ws.readyState !== 3; i++) await new Promise((r) => setImmediate(r));
  assert.equal(ws.readyState, 3);
  assert.ok(srv.tls.peerClosed, "the client sent close_notify");
});

test("writing waits while the browser's bufferedAmount is over the bound, and resumes when it drains", async () => {
  const { ws, srv, session } = await connected();
  ws.bufferedAmount = BROWSER_WRITE_BUFFER_BYTES;
  const before = ws.sent.length;
  const stream = session.openStream(PATH, { endStream: true });
  let sent = false;
  const sending = stream.read().then(() => {
    sent = true;
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(ws.sent.length, before, "nothing is written over the bound");
  ws.bufferedAmount = 0;
  for (let i = 0; i < 2000 && !srv.events.some((e) => e.type === "stream"); i++) {
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.ok(
    srv.events.some((e) => e.type === "stream"),
    "the HEADERS left once the buffer drained",
  );
  srv.frames.sendTrailers(srv.events.find((e) => e.type === "stream")!.streamId, 0);
  srv.flush();
  await sending;
  assert.ok(sent);
  session.destroy();
});
