/**
 * A client reading TCP into one reused buffer (connectTls's default,
 * net.Socket `onread`): large transfers arrive byte-exact both ways, also
 * with a buffer smaller than a record (every record spans reads), also when
 * the reader stops reading (the socket pauses, then resumes).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { concatChunks } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import type { TlsClientConfig } from "../tls/index.ts";
import { ReusedReadBuffer } from "./reused-read-buffer.ts";
import { connectTls, tlsAccept, tlsConnect } from "./tls-connect.ts";
import type { TlsSocket } from "./tls-socket.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
const clientOptions: TlsClientConfig = {
  crypto,
  serverName: "localhost",
  verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
};
/** Write sizes the sender cycles through, so records and reads cut the stream at ever other places. */
const WRITE_SIZES = [1, 100, 16384, 65536, 70000, 3, 16385, 40000];

/** The server: the first 8 bytes a client sends are a length; it sends `payload`'s first that many bytes back, then echoes the rest. */
let payload: Uint8Array;
let server: Server;
let port: number;
const sockets: Socket[] = [];

function writeAll(tls: TlsSocket, data: Uint8Array): void {
  let at = 0;
  let w = 0;
  const more = (): void => {
    while (at < data.length) {
      const n = Math.min(WRITE_SIZES[w++ % WRITE_SIZES.length]!, data.length - at);
      const ok = tls.write(data.subarray(at, at + n));
      at += n;
      if (!ok) {
        tls.once("drain", more);
        return;
      }
    }
  };
  more();
}

before(async () => {
  payload = crypto.randomBytes(6 * 1024 * 1024 + 777);
  server = createServer((tcp) => {
    sockets.push(tcp);
    tlsAccept(tcp, { crypto, certificate: pki.server.certifiedKey }).then(
      (tls) => {
        let header: Uint8Array | undefined = new Uint8Array(0);
        tls.on("data", (chunk: Uint8Array) => {
          if (header === undefined) {
            tls.write(chunk);
            return;
          }
          header = concatChunks([header, chunk]);
          if (header.length < 8) return;
          const n = Number(Buffer.from(header).readBigUInt64BE(0));
          const rest = header.subarray(8);
          header = undefined;
          writeAll(tls, payload.subarray(0, n));
          if (rest.length > 0) tls.write(rest);
        });
        tls.on("end", () => tls.end());
        tls.on("error", () => {});
      },
      () => tcp.destroy(),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as { port: number }).port;
});

after(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

function request(bytes: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(bytes));
  return b;
}

/** Reads `bytes` bytes from `tls`, as copies (a chunk is the reader's to keep). */
async function readBytes(tls: TlsSocket, bytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  for await (const chunk of tls) {
    chunks.push(chunk as Uint8Array);
    got += (chunk as Uint8Array).length;
    if (got >= bytes) break;
  }
  return concatChunks(chunks);
}

/** Counts 'data' events on the TCP socket: none when reads go to a reused buffer. */
function countCarrierData(tls: TlsSocket): { events: number } {
  const counter = { events: 0 };
  tls.carrier.on("data", () => counter.events++);
  return counter;
}

describe("TLS client over a reused read buffer", () => {
  it("receives 6 MiB byte-exact, with no 'data' event on the TCP socket", async () => {
    const tls = await connectTls("127.0.0.1", port, clientOptions);
    const carrierData = countCarrierData(tls);
    tls.write(request(payload.length));
    const got = await readBytes(tls, payload.length);
    assert.equal(got.length, payload.length);
    assert.ok(Buffer.from(got).equals(payload), "byte-exact");
    assert.equal(carrierData.events, 0, "reads went to the reused buffer");
    tls.destroy();
  });

  it("reads through 'data' events when reuseReadBuffer is false, with the same bytes", async () => {
    const tls = await connectTls("127.0.0.1", port, { ...clientOptions, reuseReadBuffer: false });
    const carrierData = countCarrierData(tls);
    tls.write(request(1024 * 1024));
    const got = await readBytes(tls, 1024 * 1024);
    assert.ok(Buffer.from(got).equals(payload.subarray(0, 1024 * 1024)));
    assert.ok(carrierData.events > 0);
    tls.destroy();
  });

  it("sends 6 MiB and gets it echoed byte-exact", async () => {
    const tls = await connectTls("127.0.0.1", port, clientOptions);
    tls.write(request(0));
    const reading = readBytes(tls, payload.length);
    writeAll(tls, payload);
    const got = await reading;
    assert.ok(Buffer.from(got).equals(payload), "byte-exact echo");
    tls.destroy();
  });

  it("receives byte-exact through a 977-byte reused buffer (every record spans reads)", async () => {
    const readBuffer = new ReusedReadBuffer(977);
    const tcp = netConnect({ host: "127.0.0.1", port, onread: readBuffer.onread });
    await once(tcp, "connect");
    const tls = await tlsConnect(tcp, { ...clientOptions, reusedReadBuffer: readBuffer });
    const n = 2 * 1024 * 1024 + 5;
    tls.write(request(n));
    const got = await readBytes(tls, n);
    assert.ok(Buffer.from(got).equals(payload.subarray(0, n)), "byte-exact");
    tls.destroy();
  });

  it("a reader that stops reading pauses the socket, then gets every byte", async () => {
    const highWaterMark = 16 * 1024;
    const tls = await connectTls("127.0.0.1", port, { ...clientOptions, highWaterMark });
    tls.write(request(payload.length));
    // Not reading: the readable side fills up and the socket stops reading.
    while (tls.readableLength < highWaterMark) await new Promise((r) => setImmediate(r));
    assert.ok((tls.carrier as Socket).isPaused(), "TCP reads stopped");
    await new Promise((r) => setTimeout(r, 100));
    // At most the records of the one read that filled it come on top (a read is <= 64 KiB).
    assert.ok(tls.readableLength <= highWaterMark + 64 * 1024 + 16 * 1024, `${tls.readableLength} buffered`);
    const got = await readBytes(tls, payload.length);
    assert.ok(Buffer.from(got).equals(payload), "byte-exact after the pause");
    tls.destroy();
  });
});

describe("ReusedReadBuffer", () => {
  it("hands each read to the sink as a view of its one buffer, and copies reads that came before a sink", () => {
    const rb = new ReusedReadBuffer(8);
    const { buffer, callback } = rb.onread;
    buffer.set([1, 2, 3]);
    assert.equal(callback(3, buffer), true);
    buffer.fill(9);
    const seen: Uint8Array[] = [];
    let keepReading = true;
    rb.attach((view) => {
      seen.push(view.slice());
      assert.ok(view.buffer !== buffer.buffer || seen.length > 1, "the early read is a copy");
      return keepReading;
    });
    assert.deepEqual(seen, [Uint8Array.of(1, 2, 3)]);
    buffer.set([4, 5]);
    keepReading = false;
    assert.equal(callback(2, buffer), false, "the sink's answer goes back to the socket");
    assert.deepEqual(seen[1], Uint8Array.of(4, 5));
  });
});
