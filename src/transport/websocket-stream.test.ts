import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocketServer } from "ws";
import { connectWebSocket } from "./websocket-connect.ts";
import { WebSocketStream } from "./websocket-stream.ts";

describe("WebSocketStream over a real WebSocket", () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  let url: string;
  before(async () => {
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/`;
  });
  after(async () => {
    wss.close();
    http.close();
  });

  async function pair(): Promise<[WebSocketStream, WebSocketStream]> {
    const accepted = once(wss, "connection");
    const client = await connectWebSocket(url, { highWaterMark: 16 * 1024 });
    const [ws] = (await accepted) as [import("ws").WebSocket];
    return [client, new WebSocketStream(ws, { highWaterMark: 16 * 1024 })];
  }

  it("carries bytes both ways and ends both sides when one is destroyed", async () => {
    const [a, b] = await pair();
    a.write(Buffer.from("hello "));
    a.write(Buffer.from("world"));
    let received = "";
    b.on("data", (d: Buffer) => (received += d.toString()));
    while (received.length < 11) await sleep(5);
    assert.equal(received, "hello world");
    b.write("back");
    const [back] = (await once(a, "data")) as [Buffer];
    assert.equal(back.toString(), "back");
    a.destroy();
    await once(b, "close");
  });

  it("a reader that stops reading holds the writer back (bounded buffers)", async () => {
    const [a, b] = await pair();
    b.pause();
    const chunk = Buffer.alloc(16 * 1024);
    let written = 0;
    // Write until the stream asks us to wait, allowing for what the kernel's socket buffers absorb.
    for (let i = 0; i < 2_000 && a.write(chunk); i++) {
      written += chunk.length;
      if (i % 16 === 0) await sleep(1);
    }
    assert.ok(a.writableNeedDrain, `the writer was held back after ${written} bytes`);
    assert.ok(written < 16 * 1024 * 1024, `bounded: ${written} bytes`);
    let read = 0;
    b.on("data", (d: Buffer) => (read += d.length));
    b.resume();
    await once(a, "drain");
    a.destroy();
    b.destroy();
    assert.ok(read > 0);
  });
});
