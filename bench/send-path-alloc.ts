/**
 * The pqrpc/1 send path without sockets: a server frame connection sends one
 * stream of 64 KiB messages, its frames go through the TLS engine's sendv()
 * into sealed records; the client end reads them and consumes the messages
 * outside the measured spans, only to keep the flow-control windows open.
 * Reports, per suite and AEAD provider:
 *   - bytes allocated per payload byte (JS heap + ArrayBuffer backing stores,
 *     from batches after a forced GC in which no GC ran),
 *   - node:crypto cipher objects created per record,
 *   - CPU µs per 64 KiB message and MB of payload per CPU-second of the send path.
 * Reporting only: nothing here is a pass/fail threshold.
 *   node --expose-gc --import tsx bench/send-path-alloc.ts [megabytes] [providers]
 *   tools/node24/node_modules/.bin/node --expose-gc --import tsx bench/send-path-alloc.ts
 * Without --expose-gc the allocation column says "n/a".
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { GCProfiler } from "node:v8";
import type { CipherSuiteName } from "../src/crypto/registry.ts";
import { createCrypto } from "../src/crypto/select.ts";
import type { ProviderName } from "../src/crypto/types.ts";
// As in the Node adapters (tls-socket.ts, session.ts): record buffers are not zero-filled first.
import "../src/node/uninitialized-bytes.ts";
import { createDevelopmentPki } from "../src/pki/development-pki.ts";
import { createVerifier } from "../src/pki/trust-store.ts";
import { FrameConnection } from "../src/protocol/frames/connection.ts";
import { NODE_SESSION_SETTINGS } from "../src/protocol/frames/connection-options.ts";
import { createTlsClient, createTlsServer, type TlsConnection } from "../src/tls/connection.ts";
import { RECORD_HEADER_BYTES } from "../src/tls/record-layer.ts";

const MEGABYTES = Number(process.argv[2] ?? 64);
const MESSAGE_BYTES = 64 * 1024;
/** Messages per measured batch: small enough that a batch usually runs between two GCs. */
const BATCH_MESSAGES = 8;
const SUITES: readonly CipherSuiteName[] = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
/** AEAD providers to measure: the second argument, comma-separated (e.g. "node" for a profile); default both. */
const PROVIDERS = (process.argv[3] ?? "node,noble").split(",") as ProviderName[];

// Counts node:crypto cipher objects: the ESM bindings follow the CommonJS exports after the sync.
const nodeCrypto = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
let ciphersCreated = 0;
const createCipheriv = nodeCrypto.createCipheriv;
nodeCrypto.createCipheriv = ((...args: Parameters<typeof createCipheriv>) => {
  ciphersCreated++;
  return createCipheriv(...args);
}) as typeof createCipheriv;
syncBuiltinESMExports();

const gc = (globalThis as { gc?: () => void }).gc;
const pkiCrypto = createCrypto({ providers: ["node", "noble"] });
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto: pkiCrypto });

/** Moves every pending TLS record both ways until both ends are quiet. */
function pumpTls(a: TlsConnection, b: TlsConnection): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const record of from.takeOutgoing()) {
        to.receive(record);
        moved = true;
      }
    }
  }
}

function tlsPair(
  provider: ProviderName,
  suite: CipherSuiteName,
): { client: TlsConnection; server: TlsConnection } {
  // The record layer under test uses `provider`'s AEAD; the handshake may use any provider.
  const crypto = createCrypto({
    providers: ["node", "noble"],
    prefer: { "aes-256-gcm": provider, "chacha20-poly1305": provider },
  });
  const client = createTlsClient({
    crypto,
    serverName: "localhost",
    cipherSuites: [suite],
    verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
  });
  const server = createTlsServer({ crypto, cipherSuites: [suite], certificate: pki.server.certifiedKey });
  pumpTls(client, server);
  if (!client.handshakeComplete || !server.handshakeComplete) throw new Error("handshake did not complete");
  return { client, server };
}

/** Frames handed over as plain bytes (set-up and the client's replies, not measured). */
function deliver(frames: Uint8Array[] | null, to: FrameConnection): void {
  for (const f of frames ?? []) to.receive(f);
}

/** The client reads what the server sent, through its TLS end, and consumes every message (flow control). */
function receive(tls: TlsConnection, records: Uint8Array[], client: FrameConnection): void {
  for (const record of records) tls.receive(record);
  for (const data of tls.takeApplicationData()) client.receive(data);
  for (const e of client.takeEvents()) if (e.type === "message") client.consume(e.streamId);
}

interface Figures {
  allocPerByte: number;
  ciphersPerRecord: number;
  cpuUsPerMessage: number;
  mbPerCpuSecond: number;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
}

function measure(provider: ProviderName, suite: CipherSuiteName): Figures {
  const tls = tlsPair(provider, suite);
  // The settings a Node FrameSession announces (64 KiB frames, MiB windows).
  const client = new FrameConnection({ role: "client", settings: NODE_SESSION_SETTINGS }, 0);
  const server = new FrameConnection({ role: "server", settings: NODE_SESSION_SETTINGS }, 0);
  const settle = () => {
    for (let i = 0; i < 100 && (client.wantsToWrite || server.wantsToWrite); i++) {
      deliver(client.takeOutgoing(), server);
      deliver(server.takeOutgoing(), client);
    }
  };
  settle();
  const streamId = client.openStream([[":path", "/bench.Stream/Download"]], { endStream: true });
  settle();
  server.takeEvents();
  server.sendHeaders(streamId, [[":status", "200"]]);
  settle();
  client.takeEvents();

  const message = new Uint8Array(MESSAGE_BYTES).fill(0x5a);
  const batches = Math.max(2, Math.ceil((MEGABYTES * 1024 * 1024) / MESSAGE_BYTES / BATCH_MESSAGES));
  const allocs: number[] = [];
  let cpuUs = 0;
  let records = 0;
  let ciphers = 0;
  let payload = 0;
  const profiler = new GCProfiler();
  for (let b = 0; b <= batches; b++) {
    const warmUp = b === 0;
    // Twice: the second collection waits for the first one's backing-store sweep to finish.
    gc?.();
    gc?.();
    const heapBefore = process.memoryUsage();
    profiler.start();
    const ciphersBefore = ciphersCreated;
    const cpuBefore = process.cpuUsage();
    const sent: Uint8Array[] = [];
    for (let m = 0; m < BATCH_MESSAGES; m++) {
      server.sendMessage(streamId, message);
      for (let frames = server.takeOutgoing(); frames; frames = server.takeOutgoing()) {
        tls.server.sendv(frames);
        for (const record of tls.server.takeOutgoing()) sent.push(record);
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    const heapAfter = process.memoryUsage();
    const gcs = profiler.stop()?.statistics.length ?? 0;
    const batchCiphers = ciphersCreated - ciphersBefore;
    // The client reads and consumes, so the server's windows reopen (not measured).
    receive(tls.client, sent, client);
    settle();
    server.takeEvents();
    if (warmUp) continue;
    cpuUs += cpu.user + cpu.system;
    records += countRecords(sent);
    ciphers += batchCiphers;
    payload += BATCH_MESSAGES * MESSAGE_BYTES;
    if (gc && gcs === 0) {
      const grown =
        heapAfter.heapUsed - heapBefore.heapUsed + (heapAfter.arrayBuffers - heapBefore.arrayBuffers);
      allocs.push(grown / (BATCH_MESSAGES * MESSAGE_BYTES));
    }
  }
  return {
    allocPerByte: median(allocs),
    ciphersPerRecord: ciphers / records,
    cpuUsPerMessage: cpuUs / (payload / MESSAGE_BYTES),
    mbPerCpuSecond: payload / 1e6 / (cpuUs / 1e6),
  };
}

/** TLS records in the chunks takeOutgoing gave (a chunk may hold several; RFC 8446 §5.1 headers). */
function countRecords(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) {
    for (let at = 0; at + RECORD_HEADER_BYTES <= c.length; n++) {
      at += RECORD_HEADER_BYTES + ((c[at + 3]! << 8) | c[at + 4]!);
    }
  }
  return n;
}

console.log(
  `send path: pqrpc/1 frames -> TLS records, ${MESSAGE_BYTES / 1024} KiB messages, ${MEGABYTES} MB per row, Node ${process.version}`,
);
console.log("suite                          provider  alloc B/B  ciphers/record  CPU us/message  MB/CPU-s");
for (const suite of SUITES) {
  for (const provider of PROVIDERS) {
    const f = measure(provider, suite);
    console.log(
      `${suite.padEnd(30)} ${provider.padEnd(8)} ${(Number.isNaN(f.allocPerByte) ? "n/a" : f.allocPerByte.toFixed(2)).padStart(9)}  ${f.ciphersPerRecord.toFixed(2).padStart(14)}  ${f.cpuUsPerMessage.toFixed(0).padStart(14)}  ${f.mbPerCpuSecond.toFixed(0).padStart(8)}`,
    );
  }
}
