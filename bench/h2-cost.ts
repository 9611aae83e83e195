/**
 * npm run bench:h2-cost — where the CPU of a gRPC-over-HTTP/2 call goes,
 * layer by layer (issue 11, item 3). Client and server share this process,
 * over TCP loopback, so every figure is the cost of BOTH ends of a call:
 *
 *   http2-native  node:http2 over node:tls (OpenSSL; an ECDSA P-256 chain,
 *                 Node's default groups): the floor node:http2 itself costs.
 *   http2-js      node:http2 over our TLS engine's Duplex (TlsSocket, with the
 *                 carrier's frame splitter; X25519MLKEM768 + ML-DSA-65 chain).
 *   pqrpc-h2      pqrpc's gRPC/h2 path: createServer + connect({ protocol: "h2" })
 *                 + the typed client, i.e. the previous layer plus our RPC glue.
 *   pqrpc-frames  the same server and client over pqrpc/1 frames, for reference.
 *
 * The two raw http2 rows exchange what a gRPC unary call puts on the wire
 * (request HEADERS + one Length-Prefixed-Message + END_STREAM; response
 * HEADERS, one message, trailers with grpc-status) with the same message
 * sizes as grpc.testing.TestService/UnaryCall with a 100-byte payload each
 * way, and server streaming of 64 KiB messages; pqrpc rows call the real
 * TestService (UnaryCall, StreamingOutputCall).
 *
 * Unary: CPU µs per call (process.cpuUsage, user + system, both ends) and
 * calls/s at PQRPC_H2COST_CONCURRENCY calls in flight on one connection.
 * Streaming: MB of payload per CPU-second (both ends) and MB/s.
 * Rounds interleave the systems; the table shows medians over rounds.
 *
 * Environment:
 *   PQRPC_H2COST_SYSTEMS      comma list (default all four, in the order above)
 *   PQRPC_H2COST_ROUNDS       rounds (default 3)
 *   PQRPC_H2COST_SCALE        multiplies the calls and bytes per round (default 1)
 *   PQRPC_H2COST_CONCURRENCY  unary calls in flight (default 32)
 *   PQRPC_H2COST_JSON         also write the medians as JSON to this file
 *   PQRPC_H2COST_ONLY         "unary" or "stream": run only that half (for a profile of one); the
 *                             other half's columns are then NaN
 *
 * Profile one layer: PQRPC_H2COST_SYSTEMS=pqrpc-h2 node --cpu-prof --import tsx bench/h2-cost.ts
 */
import { writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import type tls from "node:tls";
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "../src/client/channel.ts";
import { loadWasmProvider } from "../src/crypto/index.ts";
import { defaultCrypto } from "../src/crypto/select.ts";
import { SimpleRequestSchema, SimpleResponseSchema } from "../src/gen/grpc/testing/messages_pb.ts";
import { TestService } from "../src/gen/grpc/testing/test_pb.ts";
import { createTestServiceHandlers } from "../src/interop/test-service.ts";
import { createDevelopmentPki } from "../src/pki/development-pki.ts";
import { createVerifier, TrustStore } from "../src/pki/trust-store.ts";
import { ENVELOPE_PREFIX_BYTES, encodeEnvelope } from "../src/protocol/grpc/envelope.ts";
import { connectHttp2, http2Carrier } from "../src/protocol/grpc/http2-carrier.ts";
import { createClient } from "../src/rpc/client.ts";
import { createServer } from "../src/server/server.ts";
import { connectTls, tlsAccept } from "../src/transport/tls-connect.ts";
import { HOST, SERVER_NAME, STREAM_MESSAGE_BYTES, UNARY_PAYLOAD_BYTES } from "./rpc/messages.ts";

const ALL_SYSTEMS = ["http2-native", "http2-js", "pqrpc-h2", "pqrpc-frames"] as const;
type SystemId = (typeof ALL_SYSTEMS)[number];

/** 4 MiB per streaming call: half of bench:rpc's, so a round stays short on a loaded machine. */
const STREAM_MESSAGES_PER_CALL = 64;
/** The same UnaryCall and StreamingOutputCall requests in every pqrpc row (bench:rpc's sizes). */
const UNARY_REQUEST = {
  responseSize: UNARY_PAYLOAD_BYTES,
  payload: { body: new Uint8Array(UNARY_PAYLOAD_BYTES) },
};
const STREAM_REQUEST = {
  responseParameters: new Array(STREAM_MESSAGES_PER_CALL).fill({ size: STREAM_MESSAGE_BYTES }),
};
/** Unary calls timed per system per round (times PQRPC_H2COST_SCALE), after WARMUP_CALLS untimed ones. */
const UNARY_CALLS = 4000;
const WARMUP_CALLS = 800;
/** Streaming calls timed per system per round (times PQRPC_H2COST_SCALE), after one untimed one. */
const STREAM_CALLS = 4;
const UNARY_PATH = "/grpc.testing.TestService/UnaryCall";
const STREAM_PATH = "/grpc.testing.TestService/StreamingOutputCall";

interface System {
  readonly id: SystemId;
  readonly detail: string;
  unary(): Promise<void>;
  /** One streaming call; resolves with the payload bytes received. */
  stream(): Promise<number>;
  close(): Promise<void>;
}

interface Sample {
  readonly cpuUsPerCall: number;
  readonly callsPerSec: number;
  readonly mbPerCpuSecond: number;
  readonly mbPerSec: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

function selectedSystems(): SystemId[] {
  const raw = process.env["PQRPC_H2COST_SYSTEMS"];
  if (raw === undefined || raw.trim() === "") return [...ALL_SYSTEMS];
  const ids = raw.split(",").map((s) => s.trim());
  for (const id of ids) {
    if (!(ALL_SYSTEMS as readonly string[]).includes(id)) {
      throw new Error(`unknown system ${id}; known: ${ALL_SYSTEMS.join(", ")}`);
    }
  }
  return ids as SystemId[];
}

/** The gRPC messages (prefix included) of a UnaryCall request and response with 100-byte payloads. */
function unaryBodies(): { request: Buffer; response: Buffer } {
  const request = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, UNARY_REQUEST));
  const response = toBinary(
    SimpleResponseSchema,
    create(SimpleResponseSchema, { payload: { body: new Uint8Array(UNARY_PAYLOAD_BYTES) } }),
  );
  return { request: envelope(request), response: envelope(response) };
}

function envelope(data: Uint8Array): Buffer {
  return encodeEnvelope({ data, compressed: false }) as Buffer;
}

/**
 * The server half of the raw rows: a gRPC-shaped answer to each stream, a
 * unary response or STREAM_MESSAGES_PER_CALL messages with backpressure.
 */
function serveRawStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  unaryResponse: Buffer,
) {
  stream.on("error", () => {});
  const streaming = headers[":path"] === STREAM_PATH;
  stream.on("data", () => {});
  stream.on("end", () => {
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    if (!streaming) {
      stream.end(unaryResponse);
      return;
    }
    const message = envelope(new Uint8Array(STREAM_MESSAGE_BYTES));
    let sent = 0;
    const pump = () => {
      while (sent < STREAM_MESSAGES_PER_CALL) {
        sent++;
        if (!stream.write(message)) {
          stream.once("drain", pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

/** The client half of the raw rows: one gRPC-shaped call; resolves with the response body bytes. */
function rawCall(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let bytes = 0;
    let status: unknown;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("trailers", (t) => {
      status = t["grpc-status"];
    });
    req.on("error", reject);
    req.on("close", () => {
      if (status === "0") resolve(bytes);
      else reject(new Error(`${path}: stream closed without grpc-status 0 (rst ${req.rstCode})`));
    });
    req.end(body);
  });
}

function rawSystem(
  id: SystemId,
  detail: string,
  session: http2.ClientHttp2Session,
  body: Buffer,
  close: () => Promise<void>,
): System {
  const streamRequest = envelope(new Uint8Array(0));
  return {
    id,
    detail,
    unary: async () => {
      await rawCall(session, UNARY_PATH, body);
    },
    stream: async () =>
      (await rawCall(session, STREAM_PATH, streamRequest)) - STREAM_MESSAGES_PER_CALL * ENVELOPE_PREFIX_BYTES,
    close: async () => {
      await new Promise<void>((r) => session.close(() => r()));
      await close();
    },
  };
}

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

async function http2Native(): Promise<System> {
  const pki = createDevelopmentPki({ algorithm: "ecdsa-p256-sha256" });
  const { request, response } = unaryBodies();
  const server = http2.createSecureServer({ key: pki.server.keyPem, cert: pki.server.chainPem });
  server.on("stream", (s, h) => serveRawStream(s, h, response));
  server.on("sessionError", () => {});
  const port = await listening(server);
  const session = http2.connect(`https://${SERVER_NAME}:${port}`, {
    ca: pki.ca.chainPem,
    servername: SERVER_NAME,
    host: HOST,
  } as http2.SecureClientSessionOptions);
  session.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  const socket = session.socket as tls.TLSSocket;
  const detail = `OpenSSL ${process.versions.openssl}, ${socket.getCipher().name}, ${
    (socket.getEphemeralKeyInfo() as { name?: string }).name ?? "?"
  }, ECDSA P-256`;
  return rawSystem("http2-native", detail, session, request, () => closeServer(server));
}

async function http2Js(): Promise<System> {
  const crypto = defaultCrypto();
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
  const { request, response } = unaryBodies();
  const h2server = http2.createServer();
  h2server.on("stream", (s, h) => serveRawStream(s, h, response));
  h2server.on("sessionError", () => {});
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on("error", () => {});
    sock.on("close", () => sockets.delete(sock));
    tlsAccept(sock, { crypto, certificate: pki.server.certifiedKey, alpnProtocols: ["h2"] }).then(
      (tlsSocket) => h2server.emit("connection", http2Carrier(tlsSocket, "server")),
      () => sock.destroy(),
    );
  });
  const port = await listening(tcp);
  const tlsSocket = await connectTls(HOST, port, {
    crypto,
    serverName: SERVER_NAME,
    verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
    alpnProtocols: ["h2"],
  });
  const session = connectHttp2(`https://${SERVER_NAME}`, tlsSocket);
  session.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  return rawSystem("http2-js", "pqrpc TLS Duplex, X25519MLKEM768, ML-DSA-65", session, request, async () => {
    for (const s of sockets) s.destroy();
    await closeServer(tcp);
  });
}

async function pqrpcSystem(id: SystemId, protocol: "h2" | "pqrpc/1"): Promise<System> {
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-65" });
  const server = createServer({ identity: pki.server.certifiedKey, telemetry: false }).service(
    TestService,
    createTestServiceHandlers(),
  );
  const { port } = await server.listen({ port: 0, host: HOST });
  const channel = await connect(`${HOST}:${port}`, {
    trust: new TrustStore({ roots: pki.ca.certificate }),
    serverName: SERVER_NAME,
    protocol,
    telemetry: false,
  });
  const info = await channel.ready();
  if (info.alpn !== protocol) throw new Error(`${id}: ALPN ${info.alpn}, expected ${protocol}`);
  const client = createClient(TestService, channel);
  return {
    id,
    detail: `pqrpc ${protocol}, ${info.group ?? "?"}, ML-DSA-65`,
    unary: async () => {
      const res = await client.unaryCall(UNARY_REQUEST);
      if (res.payload?.body.length !== UNARY_PAYLOAD_BYTES) throw new Error(`${id}: short unary response`);
    },
    stream: async () => {
      let bytes = 0;
      for await (const res of client.streamingOutputCall(STREAM_REQUEST))
        bytes += res.payload?.body.length ?? 0;
      return bytes;
    },
    close: async () => {
      await channel.close();
      await server.close({ graceMs: 100 });
    },
  };
}

function openSystem(id: SystemId): Promise<System> {
  switch (id) {
    case "http2-native":
      return http2Native();
    case "http2-js":
      return http2Js();
    case "pqrpc-h2":
      return pqrpcSystem(id, "h2");
    case "pqrpc-frames":
      return pqrpcSystem(id, "pqrpc/1");
  }
}

/** `total` unary calls with `concurrency` in flight. */
async function runUnary(system: System, total: number, concurrency: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await system.unary();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

type Half = "unary" | "stream";

function selectedHalves(): readonly Half[] {
  const only = process.env["PQRPC_H2COST_ONLY"];
  if (only === undefined || only === "") return ["unary", "stream"];
  if (only !== "unary" && only !== "stream")
    throw new Error(`PQRPC_H2COST_ONLY must be unary or stream, got ${only}`);
  return [only];
}

async function measure(
  system: System,
  scale: number,
  concurrency: number,
  halves: readonly Half[],
): Promise<Sample> {
  const unary = halves.includes("unary") ? await measureUnary(system, scale, concurrency) : undefined;
  const stream = halves.includes("stream") ? await measureStream(system, scale) : undefined;
  return {
    cpuUsPerCall: unary?.cpuUsPerCall ?? Number.NaN,
    callsPerSec: unary?.callsPerSec ?? Number.NaN,
    mbPerCpuSecond: stream?.mbPerCpuSecond ?? Number.NaN,
    mbPerSec: stream?.mbPerSec ?? Number.NaN,
  };
}

async function measureUnary(
  system: System,
  scale: number,
  concurrency: number,
): Promise<Pick<Sample, "cpuUsPerCall" | "callsPerSec">> {
  const calls = Math.max(1, Math.round(UNARY_CALLS * scale));
  await runUnary(system, Math.max(1, Math.round(WARMUP_CALLS * scale)), concurrency);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await runUnary(system, calls, concurrency);
  const unaryCpu = cpuMicros(cpu);
  const unaryMs = performance.now() - t0;
  return { cpuUsPerCall: unaryCpu / calls, callsPerSec: calls / (unaryMs / 1000) };
}

async function measureStream(
  system: System,
  scale: number,
): Promise<Pick<Sample, "mbPerCpuSecond" | "mbPerSec">> {
  const expected = STREAM_MESSAGES_PER_CALL * STREAM_MESSAGE_BYTES;
  const check = (bytes: number) => {
    if (bytes !== expected) throw new Error(`${system.id}: streamed ${bytes} bytes, expected ${expected}`);
  };
  check(await system.stream());
  const streams = Math.max(1, Math.round(STREAM_CALLS * scale));
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < streams; i++) {
    const got = await system.stream();
    check(got);
    bytes += got;
  }
  const streamCpu = cpuMicros(cpu);
  const streamMs = performance.now() - t0;
  return {
    mbPerCpuSecond: bytes / 1e6 / (streamCpu / 1e6),
    mbPerSec: bytes / 1e6 / (streamMs / 1000),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const ids = selectedSystems();
  const rounds = Math.round(envNumber("PQRPC_H2COST_ROUNDS", 3));
  const scale = envNumber("PQRPC_H2COST_SCALE", 1);
  const concurrency = Math.round(envNumber("PQRPC_H2COST_CONCURRENCY", 32));
  const halves = selectedHalves();
  await loadWasmProvider();
  const systems: System[] = [];
  for (const id of ids) systems.push(await openSystem(id));
  const samples = new Map<SystemId, Sample[]>(ids.map((id) => [id, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate the order per round so no system always runs first (warm caches, GC debt).
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order)
        samples.get(system.id)!.push(await measure(system, scale, concurrency, halves));
    }
  } finally {
    for (const system of systems) await system.close().catch(() => {});
  }

  const rows = systems.map((system) => {
    const s = samples.get(system.id)!;
    return {
      id: system.id,
      detail: system.detail,
      rounds: s.length,
      cpuUsPerCall: median(s.map((x) => x.cpuUsPerCall)),
      callsPerSec: median(s.map((x) => x.callsPerSec)),
      mbPerCpuSecond: median(s.map((x) => x.mbPerCpuSecond)),
      mbPerSec: median(s.map((x) => x.mbPerSec)),
    };
  });
  const base = rows.find((r) => r.id === "http2-native");
  console.log(
    `bench:h2-cost — Node ${process.version}, ${rounds} rounds (medians), unary ${UNARY_PAYLOAD_BYTES}-byte payloads ` +
      `at ${concurrency} in flight, streaming ${STREAM_MESSAGE_BYTES / 1024} KiB messages; both ends in one process\n`,
  );
  const header = ["system", "CPU µs/call", "vs native", "calls/s", "MB/CPU-s", "MB/s", "detail"];
  const table = rows.map((r) => [
    r.id,
    r.cpuUsPerCall.toFixed(1),
    base === undefined ? "" : `${(r.cpuUsPerCall / base.cpuUsPerCall).toFixed(2)}x`,
    r.callsPerSec.toFixed(0),
    r.mbPerCpuSecond.toFixed(0),
    r.mbPerSec.toFixed(0),
    r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  for (const row of [header, ...table]) {
    console.log(
      row
        .map((cell, i) =>
          i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
        )
        .join("  "),
    );
  }
  const jsonPath = process.env["PQRPC_H2COST_JSON"];
  if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify({ node: process.version, rows }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
