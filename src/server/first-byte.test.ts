import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { carrierOf, peekFirstByte } from "./first-byte.ts";

/** A socket stand-in: bytes written to it are what it reads. */
const fakeSocket = () => new PassThrough() as PassThrough & Socket;

async function readAll(s: PassThrough): Promise<Buffer> {
  s.end();
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("protocol sniffing on the shared port", () => {
  it("a TLS record (0x16, RFC 8446 §5.1) is TLS; an HTTP request line is HTTP", () => {
    assert.equal(carrierOf(0x16), "tls");
    for (const text of ["GET / HTTP/1.1", "POST", "PRI * HTTP/2.0"])
      assert.equal(carrierOf(text.charCodeAt(0)), "http");
    assert.equal(carrierOf(0x17), "http", "only a handshake record starts a TLS connection");
  });

  it("peekFirstByte reads the first byte and leaves every byte in the socket", async () => {
    const s = fakeSocket();
    const first = peekFirstByte(s);
    s.write(Uint8Array.of(0x16, 3, 1));
    s.write(Uint8Array.of(0, 5));
    assert.equal(await first, 0x16);
    assert.equal(s.listenerCount("readable"), 0, "its listeners are gone");
    assert.deepEqual([...(await readAll(s))], [0x16, 3, 1, 0, 5]);
  });

  it("a socket that ends, closes or fails before a byte gives undefined", async () => {
    const ended = fakeSocket();
    const a = peekFirstByte(ended);
    ended.end();
    ended.resume();
    assert.equal(await a, undefined);
    const destroyed = fakeSocket();
    const b = peekFirstByte(destroyed);
    destroyed.destroy();
    assert.equal(await b, undefined);
    const failed = fakeSocket();
    const c = peekFirstByte(failed);
    failed.destroy(new Error("ECONNRESET"));
    assert.equal(await c, undefined);
  });
});
