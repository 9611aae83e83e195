/**
 * Issue 9 item 8 at the Node adapter: a peer that floods KeyUpdate requests
 * and never reads the answers stops being read once MAX_UNFLUSHED_ANSWER_BYTES
 * of answers wait in the carrier; it is read again once they drain.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { concatChunks, utf8Encode } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { createTlsClient } from "../tls/connection.ts";
import { createMemoryPair } from "./memory-pair.ts";
import { tlsAccept } from "./tls-connect.ts";
import { MAX_UNFLUSHED_ANSWER_BYTES } from "./tls-socket.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });

async function until(condition: () => boolean, what: string, maxTicks = 100_000): Promise<void> {
  for (let i = 0; i < maxTicks; i++) {
    if (condition()) return;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

describe("TlsSocket: answers the peer does not read", () => {
  it("a KeyUpdate flood from a peer that never reads pauses reading, bounded; draining resumes it", async () => {
    const [a, b] = createMemoryPair({ highWaterMark: 16 * 1024 });
    const accepted = tlsAccept(b, { crypto, certificate: pki.server.certifiedKey });
    // The hostile client: a bare engine over `a`.
    const client = createTlsClient({
      crypto,
      serverName: "localhost",
      verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
    });
    const flush = () => {
      for (const r of client.takeOutgoing()) a.write(r);
    };
    const onData = (d: Uint8Array) => {
      client.receive(d);
      flush();
    };
    a.on("data", onData);
    flush();
    const server = await accepted;
    await until(() => client.handshakeComplete, "client handshake");
    const received: Uint8Array[] = [];
    server.on("data", (d: Uint8Array) => received.push(d));

    // Stop reading, then ask for thousands of answers, one record per carrier write.
    a.off("data", onData);
    a.pause();
    const requests = Math.ceil((2 * MAX_UNFLUSHED_ANSWER_BYTES) / 27);
    for (let i = 0; i < requests; i++) {
      client.keyUpdate(true);
      flush();
    }
    client.send(utf8Encode("done"));
    flush();
    await until(() => b.isPaused(), "the server stops reading its carrier");
    // Bounded: the answers it holds are at most the limit plus one chunk's worth.
    const ANSWER_RECORD_BYTES = 5 + 5 + 1 + 16;
    assert.ok(
      b.writableLength <= MAX_UNFLUSHED_ANSWER_BYTES + ANSWER_RECORD_BYTES,
      `${b.writableLength} bytes of answers buffered`,
    );
    assert.equal(concatChunks(received).length, 0, "the data after the flood is not read yet");

    // The peer reads again: the answers drain, reading resumes, everything arrives.
    a.on("data", (d: Uint8Array) => client.receive(d));
    a.resume();
    await until(
      () => new TextDecoder().decode(concatChunks(received)) === "done",
      "the data after the flood",
    );
    assert.equal(client.error, undefined, client.error?.message);
    server.destroy();
  });
});
