/**
 * TlsSocket._writev: writes buffered together (corked, or queued behind a
 * pending write) are packed into full records (RFC 8446 §5.1: at most 2^14
 * plaintext bytes), one carrier write, and the peer reads the same bytes.
 */
import assert from "node:assert/strict";
import type { Duplex } from "node:stream";
import { describe, it } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { MAX_PLAINTEXT_BYTES, RECORD_HEADER_BYTES } from "../tls/record-layer.ts";
import { createMemoryPair } from "./memory-pair.ts";
import { tlsAccept, tlsConnect } from "./tls-connect.ts";
import type { TlsSocket } from "./tls-socket.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
/** TLS 1.3 protected record overhead: the inner content type byte and the AEAD tag (RFC 8446 §5.2). */
const RECORD_OVERHEAD_BYTES = 1 + 16;

async function pair(
  alpn?: string,
): Promise<{ c: TlsSocket; s: TlsSocket; records: number[]; writes: { count: number } }> {
  const [a, b] = createMemoryPair();
  const alpnProtocols = alpn === undefined ? {} : { alpnProtocols: [alpn] };
  const [c, s] = await Promise.all([
    tlsConnect(a, {
      crypto,
      serverName: "localhost",
      verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
      ...alpnProtocols,
    }),
    tlsAccept(b, { crypto, certificate: pki.server.certifiedKey, ...alpnProtocols }),
  ]);
  // From here on: the ciphertext length of every record the client sends, and its carrier writes.
  const records: number[] = [];
  let pending = Buffer.alloc(0);
  b.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= RECORD_HEADER_BYTES) {
      const length = pending.readUInt16BE(3);
      if (pending.length < RECORD_HEADER_BYTES + length) break;
      records.push(length);
      pending = pending.subarray(RECORD_HEADER_BYTES + length);
    }
  });
  return { c, s, records, writes: countWrites(a) };
}

/**
 * Counts carrier flushes: a write outside cork() is one, and all writes inside
 * one cork()..uncork() are one (a net.Socket sends those as one writev). A
 * record may reach the carrier as several chunks (header, ciphertext, tag).
 */
function countWrites(carrier: Duplex): { count: number } {
  const counter = { count: 0 };
  let corkedWrites = 0;
  const write = carrier.write.bind(carrier) as (...args: unknown[]) => boolean;
  const uncork = carrier.uncork.bind(carrier);
  carrier.write = ((...args: unknown[]) => {
    if (carrier.writableCorked > 0) {
      if (corkedWrites++ === 0) counter.count++;
    } else {
      counter.count++;
    }
    return write(...args);
  }) as Duplex["write"];
  carrier.uncork = () => {
    uncork();
    if (carrier.writableCorked === 0) corkedWrites = 0;
  };
  return counter;
}

const pattern = (n: number, seed: number) =>
  Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 11 + seed) & 0xff));

function received(s: TlsSocket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total < bytes) return;
      s.off("data", onData);
      resolve(Buffer.concat(chunks));
    };
    s.on("data", onData);
  });
}

describe("TlsSocket._writev", () => {
  it("packs small corked writes into one record and one carrier write", async () => {
    const { c, s, records, writes } = await pair();
    const parts = [pattern(9, 1), pattern(100, 2), pattern(1, 3), pattern(500, 4)];
    const got = received(s, 610);
    c.cork();
    for (const p of parts) c.write(p);
    c.uncork();
    assert.deepEqual(await got, Buffer.concat(parts));
    assert.deepEqual(records, [610 + RECORD_OVERHEAD_BYTES]);
    assert.equal(writes.count, 1);
    c.destroy();
    s.destroy();
  });

  it("cuts a large gathered write into full 2^14-byte records across chunk boundaries", async () => {
    const { c, s, records, writes } = await pair();
    const parts = [pattern(10_000, 1), pattern(3, 2), pattern(30_000, 3), pattern(0, 4), pattern(7_000, 5)];
    const total = 47_003;
    const got = received(s, total);
    c.cork();
    for (const p of parts) c.write(p);
    c.uncork();
    assert.deepEqual(await got, Buffer.concat(parts));
    const full = MAX_PLAINTEXT_BYTES + RECORD_OVERHEAD_BYTES;
    assert.deepEqual(records, [full, full, total - 2 * MAX_PLAINTEXT_BYTES + RECORD_OVERHEAD_BYTES]);
    // The three records go to the carrier corked (one writev on a net.Socket).
    assert.equal(writes.count, 1);
    c.destroy();
    s.destroy();
  });

  it("writes queued behind a pending one are gathered too, and their callbacks all run", async () => {
    const { c, s } = await pair();
    const parts = Array.from({ length: 50 }, (_, i) => pattern(200 + i, i));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const got = received(s, total);
    const done = parts.map(
      (p) => new Promise<void>((resolve, reject) => c.write(p, (e) => (e ? reject(e) : resolve()))),
    );
    await Promise.all(done);
    assert.deepEqual(await got, Buffer.concat(parts));
    c.destroy();
    s.destroy();
  });

  it("with packWrites off, keeps one record per write, still in one corked carrier flush", async () => {
    const { c, s, records, writes } = await pair("h2");
    assert.equal(c.alpnProtocol, "h2");
    assert.equal(c.packWrites, true, "ALPN alone does not decide: the protocol above does");
    c.packWrites = false;
    const parts = [pattern(9, 1), pattern(100, 2), pattern(20_000, 3)];
    const got = received(s, 20_109);
    c.cork();
    for (const p of parts) c.write(p);
    c.uncork();
    assert.deepEqual(await got, Buffer.concat(parts));
    const overhead = RECORD_OVERHEAD_BYTES;
    assert.deepEqual(records, [
      9 + overhead,
      100 + overhead,
      MAX_PLAINTEXT_BYTES + overhead,
      20_000 - MAX_PLAINTEXT_BYTES + overhead,
    ]);
    assert.equal(writes.count, 1, "four records written in one corked flush");
    c.destroy();
    s.destroy();
  });
});
