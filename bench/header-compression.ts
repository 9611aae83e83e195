/**
 * Header bytes per unary request: pqrpc/1 (pqhc/1) against HPACK as node:http2
 * (nghttp2) really sends it.
 *   npx tsx bench/header-compression.ts [requests]
 *
 * HPACK side: a plaintext h2 client and server on loopback with a TCP relay
 * between them that parses the client's HTTP/2 frames (RFC 9113 §4.1) and
 * adds up HEADERS + CONTINUATION frames, 9-byte frame headers included.
 * pqrpc/1 side: two FrameSessions over an in-memory pair, with a tap that
 * decodes the client's frames and adds up HEADERS frames, frame headers
 * included. Both send the same gRPC-style metadata, with a grpc-timeout that
 * changes on every call as a real deadline does. pqrpc/1 has no use for
 * :method, :scheme and te; the "same fields" row sends them anyway, to
 * separate the compression scheme from the protocol's smaller header set.
 */
import http2 from "node:http2";
import net from "node:net";
import { FrameDecoder } from "../src/protocol/frames/frame-decoder.ts";
import { frameHeaderLength } from "../src/protocol/frames/frame-encoder.ts";
import type { HeaderField } from "../src/protocol/frames/header-field.ts";
import { FrameSession } from "../src/protocol/frames/session.ts";
import { createMemoryPair } from "../src/transport/memory-pair.ts";

const REQUESTS = Number(process.argv[2] ?? 100);
/** Size of an HTTP/2 frame header (RFC 9113 §4.1). */
const H2_FRAME_HEADER_BYTES = 9;
const H2_PREFACE_BYTES = 24;
const H2_HEADERS = 0x1;
const H2_CONTINUATION = 0x9;

interface Scenario {
  name: string;
  /** Metadata of call i (0-based), without the HTTP/2-only fields. */
  fields(i: number): HeaderField[];
}

const common = (i: number): HeaderField[] => [
  [":path", "/grpc.testing.TestService/UnaryCall"],
  [":authority", "localhost:50051"],
  ["content-type", "application/grpc"],
  ["user-agent", "grpc-node-js/1.12.6"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
  ["grpc-timeout", `${99_990 - i * 7}u`],
  ["x-tenant", "blue"],
  ["x-client-version", "4.2.1"],
];

const SCENARIOS: Scenario[] = [
  { name: "typical gRPC unary", fields: common },
  {
    name: "  + per-call x-request-id",
    fields: (i) => [...common(i), ["x-request-id", `6f1c2e0a-${String(100_000 + i)}-4d2b-9a77-0c5e1b3f8d21`]],
  },
];

const HTTP_ONLY: HeaderField[] = [
  [":method", "POST"],
  [":scheme", "http"],
  ["te", "trailers"],
];

/** HEADERS(+CONTINUATION) bytes per request as node:http2 writes them. */
async function measureHpack(scenario: Scenario): Promise<number[]> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end();
    stream.resume();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const serverPort = (server.address() as net.AddressInfo).port;

  const perRequest: number[] = [];
  const relay = net.createServer((down) => {
    const up = net.connect(serverPort, "127.0.0.1");
    let buffered = Buffer.alloc(0);
    let prefaceLeft = H2_PREFACE_BYTES;
    down.on("data", (chunk: Buffer) => {
      up.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      if (prefaceLeft > 0) {
        const skip = Math.min(prefaceLeft, buffered.length);
        buffered = buffered.subarray(skip);
        prefaceLeft -= skip;
      }
      while (buffered.length >= H2_FRAME_HEADER_BYTES) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < H2_FRAME_HEADER_BYTES + length) break;
        const type = buffered[3];
        if (type === H2_HEADERS) perRequest.push(H2_FRAME_HEADER_BYTES + length);
        else if (type === H2_CONTINUATION)
          perRequest[perRequest.length - 1]! += H2_FRAME_HEADER_BYTES + length;
        buffered = buffered.subarray(H2_FRAME_HEADER_BYTES + length);
      }
    });
    up.on("data", (chunk: Buffer) => down.write(chunk));
    up.on("close", () => down.destroy());
    down.on("close", () => up.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const relayPort = (relay.address() as net.AddressInfo).port;

  const client = http2.connect(`http://localhost:${relayPort}`);
  for (let i = 0; i < REQUESTS; i++) {
    const headers: Record<string, string> = {};
    for (const [name, value] of [...HTTP_ONLY, ...scenario.fields(i)]) {
      if (name === ":scheme" || name === ":authority") continue; // node:http2 sets these from the URL
      headers[name] = String(value);
    }
    const req = client.request(headers, { endStream: false });
    req.end(Buffer.from([0, 0, 0, 0, 0]));
    req.resume();
    await new Promise<void>((resolve, reject) => {
      req.on("close", resolve);
      req.on("error", reject);
    });
  }
  client.close();
  await new Promise<void>((r) => relay.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  return perRequest;
}

/** HEADERS bytes per request as a pqrpc/1 client session writes them. */
async function measurePqrpc(scenario: Scenario, withHttpFields: boolean): Promise<number[]> {
  const [a, b] = createMemoryPair();
  const perRequest: number[] = [];
  const tap = new FrameDecoder(1 << 24);
  b.on("data", (chunk: Uint8Array) => {
    for (const f of tap.push(chunk)) {
      if (f.type === 0x1) perRequest.push(frameHeaderLength(f.streamId, f.block.length) + f.block.length);
    }
  });
  const server = new FrameSession(b, {
    role: "server",
    onStream: (s) => {
      void (async () => {
        for await (const _ of s) {
          // drain the request
        }
        await s.sendTrailers(0);
      })();
    },
  });
  const client = new FrameSession(a, { role: "client" });
  for (let i = 0; i < REQUESTS; i++) {
    const fields = withHttpFields ? [...HTTP_ONLY, ...scenario.fields(i)] : scenario.fields(i);
    const s = client.openStream(fields);
    await s.send(new Uint8Array(0), { endStream: true });
    for await (const _ of s) {
      // read to the trailers
    }
  }
  await client.close();
  await server.closed;
  return perRequest;
}

function summary(sizes: number[]): { first: number; rest: number } {
  const rest = sizes.slice(1);
  return { first: sizes[0] ?? 0, rest: rest.reduce((a, b) => a + b, 0) / Math.max(1, rest.length) };
}

async function main(): Promise<void> {
  console.log(
    `header bytes per unary request (HEADERS frames incl. frame headers), ${REQUESTS} requests, Node ${process.version}`,
  );
  console.log(
    `${"scenario".padEnd(28)} ${"encoding".padEnd(34)} ${"request 1".padStart(10)} ${"mean 2..N".padStart(10)}`,
  );
  for (const scenario of SCENARIOS) {
    const rows: [string, number[]][] = [
      ["HPACK (node:http2 / nghttp2)", await measureHpack(scenario)],
      ["pqrpc/1 pqhc/1 (as sent)", await measurePqrpc(scenario, false)],
      ["pqrpc/1 pqhc/1 (+ :method :scheme te)", await measurePqrpc(scenario, true)],
    ];
    for (const [name, sizes] of rows) {
      if (sizes.length !== REQUESTS)
        throw new Error(`${name}: counted ${sizes.length} HEADERS for ${REQUESTS} requests`);
      const s = summary(sizes);
      console.log(
        `${scenario.name.padEnd(28)} ${name.padEnd(34)} ${String(s.first).padStart(10)} ${s.rest.toFixed(1).padStart(10)}`,
      );
    }
  }
}

await main();
