/**
 * The hostile harness: a real server process (hostile-server.ts) whose RSS
 * (/proc/<pid>/status VmRSS) and handler counts the test reads, legitimate
 * calls to it, and hostile HTTP/2 peers: a node:http2 client on pqrpc's TLS
 * engine (well-formed frames, any stream count or message), and a raw one
 * that writes hand-built frames (RFC 9113 §4.1) after the handshake, for
 * what node:http2 would refuse to send (resets, protocol errors).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { ClientHttp2Session } from "node:http2";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../src/client/channel.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import type { CertifiedKey } from "../../src/pki/types.ts";
import { connectHttp2 } from "../../src/protocol/grpc/http2-carrier.ts";
import { createGrpcTransport } from "../../src/protocol/grpc/transport.ts";
import type { ServerOptions } from "../../src/server/index.ts";
import { connectTls, tlsConnect } from "../../src/transport/tls-connect.ts";
import type { TlsSocket } from "../../src/transport/tls-socket.ts";
import { type ServerProcess, startServerProcess } from "../interop/child-process.ts";
import { SERVER_NAME, testPki } from "../rpc/helpers.ts";
import type { HostileStats } from "./hostile-stats.ts";

/** Start-up loads tsx and compiles our sources: seconds on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;
const MIB = 1024 * 1024;

export { MIB };

export type HostileLimits = Pick<
  ServerOptions,
  | "maxConnections"
  | "maxConnectionsPerSource"
  | "maxConcurrentHandshakes"
  | "firstByteTimeoutMs"
  | "handshakeTimeoutMs"
  | "receiveBudget"
  | "http2"
  | "maxReceiveMessageBytes"
  | "alpn"
>;

export interface HostileServer {
  readonly port: number;
  readonly pid: number;
  readonly trust: TrustStore;
  /** The server process's resident set, from /proc. */
  rssBytes(): Promise<number>;
  /** Its counters (after a GC in the child). */
  stats(): Promise<HostileStats>;
  /** Lets every held handler return; resolves with how many there were. */
  release(): Promise<number>;
  /** Peak handler count starts again from the running count. */
  resetPeak(): Promise<void>;
  /** One SayHello on a fresh connection (h2 only with `localAddress`); resolves with the reply's message. */
  sayHello(protocol: "h2" | "pqrpc/1", name?: string, localAddress?: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** VmRSS of a process, bytes (Linux). */
export async function vmRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

const isStats = (m: unknown): m is HostileStats & { op: "stats" } => (m as { op?: string }).op === "stats";

/** TLS settings of the server process (hostile-server.ts TlsConfig); paths are the caller's. */
export interface HostileTls {
  readonly policy?: ServerOptions["policy"];
  readonly clientAuth?: ServerOptions["clientAuth"];
  /** PEM of the CAs client certificates are verified against. */
  readonly trustRootsPem?: string;
  /** A ticket key file shared with another server process. */
  readonly ticketKeyFile?: string;
  /** The server's chain and key (PEM); default the test PKI's ML-DSA-65 server. */
  readonly identity?: { readonly chainPem: string; readonly keyPem: string };
  /** The certificate sayHello's legitimate client presents (for clientAuth "require"). */
  readonly clientIdentity?: CertifiedKey;
}

export async function startHostileServer(
  limits: HostileLimits = {},
  tlsSettings: HostileTls = {},
): Promise<HostileServer> {
  const { pki, trust } = await testPki();
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-hostile-"));
  const chain = join(dir, "server.pem");
  const key = join(dir, "server.key");
  const identity = tlsSettings.identity ?? pki.server;
  await writeFile(chain, identity.chainPem);
  await writeFile(key, identity.keyPem, { mode: 0o600 });
  const { identity: _, clientIdentity, trustRootsPem, ...rest } = tlsSettings;
  let trustRoots: string | undefined;
  if (trustRootsPem !== undefined) {
    trustRoots = join(dir, "trust.pem");
    await writeFile(trustRoots, trustRootsPem);
  }
  const tls = { ...rest, ...(trustRoots ? { trustRoots } : {}) };
  const child: ServerProcess = await startServerProcess(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(import.meta.dirname, "hostile-server.ts")],
    {
      what: "the hostile test server",
      portPattern: /listening on 127\.0\.0\.1:(\d+)/,
      startTimeoutMs: START_TIMEOUT_MS,
      env: { ...process.env, PQRPC_HOSTILE_CONFIG: JSON.stringify({ chain, key, limits, tls }) },
      ipc: true,
    },
  );
  const port = child.port;
  return {
    port,
    pid: child.pid,
    trust,
    rssBytes: () => vmRssBytes(child.pid),
    stats: () => child.request({ op: "stats" }, isStats),
    async release() {
      const r = await child.request(
        { op: "release" },
        (m): m is { op: "released"; count: number } => (m as { op?: string }).op === "released",
      );
      return r.count;
    },
    async resetPeak() {
      await child.request(
        { op: "reset-peak" },
        (m): m is object => (m as { op?: string }).op === "peak-reset",
      );
    },
    async sayHello(protocol, name = "legit", localAddress) {
      if (localAddress !== undefined) {
        // The channel cannot bind a local address: gRPC over h2 on a socket we opened from it.
        const transport = createGrpcTransport({
          authority: "https://localhost",
          connect: () => tlsOverTcp(port, trust, ["h2"], localAddress),
        });
        try {
          return (await createClient(Greeter, transport).sayHello({ name })).message;
        } finally {
          await transport.close();
        }
      }
      const channel = await connect(`127.0.0.1:${port}`, {
        trust,
        serverName: SERVER_NAME,
        protocol,
        telemetry: false,
        ...(clientIdentity ? { identity: clientIdentity } : {}),
      });
      try {
        return (await createClient(Greeter, channel).sayHello({ name })).message;
      } finally {
        await channel.close();
      }
    },
    output: () => child.output(),
    async stop() {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TLS connection to the server with pqrpc's engine, optionally from a given local address. */
export function tlsOverTcp(
  port: number,
  trust: TrustStore,
  alpn: readonly string[],
  localAddress?: string,
): Promise<TlsSocket> {
  if (localAddress === undefined) {
    return connectTls("127.0.0.1", port, {
      verifier: trust,
      serverName: SERVER_NAME,
      alpnProtocols: [...alpn],
    });
  }
  return new Promise((resolve, reject) => {
    const tcp = netConnect({ host: "127.0.0.1", port, localAddress });
    tcp.once("error", reject);
    tcp.once("connect", () => {
      tcp.off("error", reject);
      tlsConnect(tcp, { verifier: trust, serverName: SERVER_NAME, alpnProtocols: [...alpn] }).then(
        resolve,
        reject,
      );
    });
  });
}

/** A node:http2 client session over pqrpc's TLS (ALPN h2) to the hostile server. */
export async function http2Client(
  server: Pick<HostileServer, "port" | "trust">,
  localAddress?: string,
): Promise<ClientHttp2Session> {
  const tls = await tlsOverTcp(server.port, server.trust, ["h2"], localAddress);
  tls.on("error", () => {});
  const session = connectHttp2("https://localhost", tls);
  session.on("error", () => {});
  // A PING round trip: the server's SETTINGS and connection WINDOW_UPDATE, sent before its PING ACK, are in.
  await new Promise<void>((resolve, reject) => {
    session.ping((e) => (e ? reject(e) : resolve()));
  });
  return session;
}

// --- Hand-built HTTP/2 frames (RFC 9113 §4.1, §6) ---------------------------

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
} as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
/** RFC 9113 §3.4. */
const CLIENT_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEADER_BYTES = 9;

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array()) {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, payload.length >>> 16);
  v.setUint16(1, payload.length & 0xffff);
  v.setUint8(3, type);
  v.setUint8(4, flags);
  v.setUint32(5, streamId & 0x7fffffff);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** A header block of literals without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
export function hpackBlock(headers: readonly (readonly [string, string])[]): Uint8Array {
  const enc = new TextEncoder();
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    const n = enc.encode(name);
    const v = enc.encode(value);
    bytes.push(0x00, ...hpackInt(n.length, 7, 0), ...n, ...hpackInt(v.length, 7, 0), ...v);
  }
  return Uint8Array.from(bytes);
}

/** The Request-Headers of a gRPC call (PROTOCOL-HTTP2 "Requests"). */
export function grpcRequestHeaders(path: string, extra: readonly (readonly [string, string])[] = []) {
  return hpackBlock([
    [":method", "POST"],
    [":scheme", "https"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** A raw HTTP/2 client: the preface and an empty SETTINGS sent, frames from the server parsed. */
export interface RawH2 {
  readonly tls: TlsSocket;
  write(bytes: Uint8Array): void;
  /** Resolves with the first GOAWAY's error code; rejects if the connection closes without one. */
  readonly goaway: Promise<number>;
  readonly closed: Promise<void>;
  /** RST_STREAM frames the server sent: stream id -> error code. */
  readonly resets: Map<number, number>;
}

export async function rawH2(
  server: Pick<HostileServer, "port" | "trust">,
  localAddress?: string,
): Promise<RawH2> {
  const tls = await tlsOverTcp(server.port, server.trust, ["h2"], localAddress);
  tls.on("error", () => {});
  let buffered = new Uint8Array();
  const resets = new Map<number, number>();
  let onGoaway!: (code: number) => void;
  let noGoaway!: (e: Error) => void;
  const goaway = new Promise<number>((resolve, reject) => {
    onGoaway = resolve;
    noGoaway = reject;
  });
  goaway.catch(() => {});
  const closed = new Promise<void>((resolve) => tls.once("close", () => resolve()));
  void closed.then(() => noGoaway(new Error("closed without GOAWAY")));
  tls.on("data", (chunk: Uint8Array) => {
    const joined = new Uint8Array(buffered.length + chunk.length);
    joined.set(buffered);
    joined.set(chunk, buffered.length);
    buffered = joined;
    while (buffered.length >= FRAME_HEADER_BYTES) {
      const v = new DataView(buffered.buffer, buffered.byteOffset);
      const length = (v.getUint8(0) << 16) | v.getUint16(1);
      if (buffered.length < FRAME_HEADER_BYTES + length) break;
      const type = v.getUint8(3);
      const flags = v.getUint8(4);
      if (type === FRAME.GOAWAY) onGoaway(v.getUint32(FRAME_HEADER_BYTES + 4));
      if (type === FRAME.RST_STREAM) resets.set(v.getUint32(5) & 0x7fffffff, v.getUint32(FRAME_HEADER_BYTES));
      if (type === FRAME.SETTINGS && (flags & FLAG.ACK) === 0) tls.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
      buffered = buffered.subarray(FRAME_HEADER_BYTES + length);
    }
  });
  tls.write(CLIENT_PREFACE);
  tls.write(frame(FRAME.SETTINGS, 0, 0));
  return { tls, write: (b) => tls.write(b), goaway, closed, resets };
}

/** Polls `probe` until `done` holds for its value; fails with the last value after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached within ${timeoutMs} ms; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
