/**
 * pqrpc/1 session throughput: one stream of 64 KiB messages, server to
 * client, over an in-memory pair, TCP loopback, and PQ TLS (X25519MLKEM768,
 * ML-DSA-65 chain) over TCP loopback. Client and server share this process
 * and its one event loop, so the figures are a floor for two processes.
 *   npx tsx bench/frames-throughput.ts [megabytes]
 *   tools/node24/node_modules/.bin/node --import tsx bench/frames-throughput.ts
 */
import net from "node:net";
import type { Duplex } from "node:stream";
import { defaultCrypto } from "../src/crypto/select.ts";
import { createDevelopmentPki } from "../src/pki/development-pki.ts";
import { createVerifier } from "../src/pki/trust-store.ts";
import { FrameSession } from "../src/protocol/frames/session.ts";
import { createMemoryPair } from "../src/transport/memory-pair.ts";
import { tlsAccept, tlsConnect } from "../src/transport/tls-connect.ts";

const MEGABYTES = Number(process.argv[2] ?? 512);
const MESSAGE_BYTES = 64 * 1024;

async function tcpPair(): Promise<[Duplex, Duplex]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect(port, "127.0.0.1");
  const s = await accepted;
  server.close();
  for (const sock of [client, s]) sock.setNoDelay(true);
  return [client, s];
}

async function tlsPair(): Promise<[Duplex, Duplex]> {
  const crypto = defaultCrypto();
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
  const [a, b] = await tcpPair();
  return Promise.all([
    tlsConnect(a, {
      crypto,
      serverName: "localhost",
      verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
    }),
    tlsAccept(b, { crypto, certificate: pki.server.certifiedKey }),
  ]);
}

async function run(name: string, [a, b]: [Duplex, Duplex]): Promise<void> {
  const total = Math.ceil((MEGABYTES * 1024 * 1024) / MESSAGE_BYTES);
  const message = new Uint8Array(MESSAGE_BYTES).fill(0x5a);
  const server = new FrameSession(b, {
    role: "server",
    onStream: (s) => {
      void (async () => {
        await s.read(); // request headers
        for (let i = 0; i < total; i++) await s.send(message);
        await s.sendTrailers(0);
      })();
    },
  });
  const client = new FrameSession(a, { role: "client" });
  const start = performance.now();
  const stream = client.openStream([[":path", "/bench.Stream/Download"]], { endStream: true });
  let received = 0;
  for await (const e of stream) if (e.type === "message") received += e.data.length;
  const seconds = (performance.now() - start) / 1000;
  if (received !== total * MESSAGE_BYTES) throw new Error(`${name}: received ${received} bytes`);
  await client.close();
  await server.closed;
  const mbps = received / 1e6 / seconds;
  console.log(
    `${name.padEnd(34)} ${mbps.toFixed(0).padStart(6)} MB/s  ${((mbps * 8) / 1000).toFixed(2)} Gbps`,
  );
}

console.log(
  `pqrpc/1 server streaming, ${MESSAGE_BYTES / 1024} KiB messages, ${MEGABYTES} MB, Node ${process.version}`,
);
await run("in-memory pair", createMemoryPair());
await run("TCP loopback (plaintext)", await tcpPair());
await run("PQ TLS 1.3 over TCP loopback", await tlsPair());
