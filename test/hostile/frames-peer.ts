/**
 * Helpers of the pqrpc/1 hostile-peer tests: the server process
 * (frames-server.ts), a hand-driven pqrpc/1 client over a real TLS
 * connection that sends whatever bytes a test gives it and records every
 * frame the server answers with, and a well-behaved client for the
 * "another client is still served" checks.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { connect } from "../../src/client/index.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { messageFrame } from "../../src/protocol/frames/connection-test-helpers.ts";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import type { Frame } from "../../src/protocol/frames/frame.ts";
import { FrameDecoder } from "../../src/protocol/frames/frame-decoder.ts";
import { encodeFrame } from "../../src/protocol/frames/frame-encoder.ts";
import { HeaderEncoder } from "../../src/protocol/frames/header-encoder.ts";
import { requestHeadToFields } from "../../src/protocol/frames/headers.ts";
import { createClient } from "../../src/rpc/client.ts";
import { Metadata } from "../../src/rpc/metadata.ts";
import type { ServerOptions } from "../../src/server/index.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import type { TlsSocket } from "../../src/transport/tls-socket.ts";
import { REPO_ROOT, type ServerProcess, startServerProcess } from "../interop/child-process.ts";
import { SERVER_NAME, testPki } from "../rpc/helpers.ts";
import { tlsOverTcp } from "./harness.ts";

/** Start-up loads tsx and compiles the sources: seconds on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;
/** How long a test waits for the server's answer to hostile bytes (a bound on hanging, not a speed check). */
export const ANSWER_TIMEOUT_MS = 30_000;

export interface FramesServer {
  readonly process: ServerProcess;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startFramesServer(
  options: Pick<ServerOptions, "frames" | "maxReceiveMessageBytes"> = {},
): Promise<FramesServer> {
  const { pki } = await testPki();
  const dir = mkdtempSync(join(tmpdir(), "pqrpc-hostile-"));
  writeFileSync(join(dir, "chain.pem"), pki.server.chainPem);
  writeFileSync(join(dir, "key.pem"), pki.server.keyPem);
  const script = join(REPO_ROOT, "test/hostile/frames-server.ts");
  const proc = await startServerProcess(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      script,
      join(dir, "chain.pem"),
      join(dir, "key.pem"),
      JSON.stringify(options),
    ],
    {
      what: "frames hostile server",
      portPattern: /listening on 127\.0\.0\.1:(\d+)/,
      startTimeoutMs: START_TIMEOUT_MS,
    },
  );
  return { process: proc, port: proc.port, stop: () => proc.stop() };
}

export interface ServerStats {
  running: number;
  maxRunning: number;
  started: number;
  /** process.memoryUsage() of the server process after a full GC, bytes. */
  rss: number;
  arrayBuffers: number;
}

/** A legitimate client on its own connection: one call, the server's counters. */
export async function statsOverNewConnection(port: number, name = "stats"): Promise<ServerStats> {
  const { trust } = await testPki();
  const channel = await connect(`127.0.0.1:${port}`, { trust, serverName: SERVER_NAME, protocol: "pqrpc/1" });
  try {
    const reply = await createClient(Greeter, channel).sayHello({ name });
    return JSON.parse(reply.message) as ServerStats;
  } finally {
    await channel.close();
  }
}

/** A pqrpc/1 client that speaks by hand over a real TLS connection. */
export class HostilePeer {
  readonly frames: Frame[] = [];
  readonly encoder = new HeaderEncoder();
  private readonly decoder = new FrameDecoder(1 << 24);
  closed = false;
  /** The first error of the socket or of decoding what the server sent. */
  error: Error | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: TlsSocket) {
    socket.on("data", (chunk: Uint8Array) => {
      try {
        this.frames.push(...this.decoder.push(chunk));
      } catch (e) {
        this.error ??= e as Error;
        this.closed = true;
      }
      this.wake();
    });
    const gone = () => {
      this.closed = true;
      this.wake();
    };
    socket.on("close", gone);
    socket.on("end", gone);
    socket.on("error", (e: Error) => {
      this.error ??= e;
    });
  }

  /** Connects to 127.0.0.1:`port`, from `localAddress` if given (another loopback source). */
  static async connect(port: number, localAddress?: string): Promise<HostilePeer> {
    const { trust } = await testPki();
    const socket =
      localAddress === undefined
        ? await connectTls("127.0.0.1", port, {
            verifier: trust,
            serverName: SERVER_NAME,
            alpnProtocols: ["pqrpc/1"],
          })
        : await tlsOverTcp(port, trust, ["pqrpc/1"], localAddress);
    return new HostilePeer(socket);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes frames in one write (one burst, whatever the machine's speed). */
  send(...frames: Frame[]): void {
    this.sendBytes(concatBytes(...frames.map((f) => encodeFrame(f))));
  }

  sendBytes(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** SETTINGS with defaults, and the ACK of the server's once it has come. */
  async handshake(): Promise<void> {
    this.send({ type: FrameType.SETTINGS, ack: false, entries: [] });
    await this.waitFor(
      (fs) => fs.some((f) => f.type === FrameType.SETTINGS && !f.ack),
      "the server's SETTINGS",
    );
    this.send({ type: FrameType.SETTINGS, ack: true, entries: [] });
  }

  /** The server's announced setting `id`, or `fallback`. */
  setting(id: number, fallback: number): number {
    const s = this.frames.find((f) => f.type === FrameType.SETTINGS && !f.ack);
    if (s?.type !== FrameType.SETTINGS) return fallback;
    return s.entries.find(([k]) => k === id)?.[1] ?? fallback;
  }

  /** Request HEADERS for `path` (proto, no deadline). */
  headers(streamId: number, path: string, endStream = false): Frame {
    const head = {
      path,
      metadata: new Metadata(),
      timeoutMs: undefined,
      format: "proto" as const,
      encoding: "identity",
      acceptEncoding: [],
    };
    return {
      type: FrameType.HEADERS,
      streamId,
      endStream,
      block: this.encoder.encode(requestHeadToFields(head, SERVER_NAME)),
    };
  }

  message(streamId: number, data: Uint8Array, flags: { end?: boolean; endStream?: boolean } = {}): Frame {
    return messageFrame(streamId, data, flags);
  }

  goaway(): Extract<Frame, { type: typeof FrameType.GOAWAY }> | undefined {
    return this.frames.find(
      (f): f is Extract<Frame, { type: typeof FrameType.GOAWAY }> => f.type === FrameType.GOAWAY,
    );
  }

  /** Credit the server has granted on `streamId` (0: the connection) beyond `initial`. */
  granted(streamId: number): number {
    let n = 0;
    for (const f of this.frames)
      if (f.type === FrameType.WINDOW_UPDATE && f.streamId === streamId) n += f.increment;
    return n;
  }

  async waitFor(
    predicate: (frames: Frame[]) => boolean,
    what: string,
    timeoutMs = ANSWER_TIMEOUT_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      if (this.closed && !predicate(this.frames)) throw new Error(`the connection closed before ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the server to close the connection");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A HelloRequest with `name` (protobuf field 1, length-delimited). */
export function helloRequest(name: string): Uint8Array {
  const utf8 = new TextEncoder().encode(name);
  return new Uint8Array([0x0a, utf8.length, ...utf8]);
}
