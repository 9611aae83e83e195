/**
 * Test-side driver for grpc-js-peer.mjs: spawns it on Node 24 as an interop
 * server or client, parses its JSON-line events, and guarantees the child
 * dies (every wait has a timeout; `stop()` is idempotent and also runs on
 * process exit).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { node24Binary } from "./peer.ts";

const PEER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "grpc-js-peer.mjs");

/** Wait for the server's "listening" line: Node start-up plus loading the protos takes ~200 ms. */
export const GRPC_JS_START_TIMEOUT_MS = 15_000;
/** The whole client run: 14 cases, each bounded by the peer's own 10 s case timeout. */
export const GRPC_JS_CLIENT_TIMEOUT_MS = 45_000;
/** Grace between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** Keep at most this much of a peer's stderr for error messages. */
const MAX_STDERR_CHARS = 8_000;

/** One case's outcome as the grpc-js client reports it. */
export interface GrpcJsCaseResult {
  readonly case: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

/** What the grpc-js server's wire tap saw on one connection (a ServerHello from OpenSSL 3.5). */
export interface GrpcJsWireEvent {
  readonly index: number;
  readonly group?: string;
  readonly cipherSuite?: string;
  readonly helloRetry: boolean;
  readonly offeredGroups?: string[];
  readonly alpn?: string[];
  readonly parseError?: string;
}

type PeerEvent = Record<string, unknown>;

/** A JSON-line peer script on Node 24 (grpc-js-peer.mjs by default). */
export class PeerProcess {
  readonly events: PeerEvent[] = [];
  #waiters: (() => void)[] = [];
  #stderr = "";
  #exited = false;
  readonly #child: ChildProcess;
  readonly #onExit = () => this.#child.kill("SIGKILL");

  constructor(config: object, script = PEER_SCRIPT) {
    this.#child = spawn(node24Binary(), [script, JSON.stringify(config)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    process.once("exit", this.#onExit);
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.events.push({ event: "garbage", line });
      }
      this.#wake();
    });
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-MAX_STDERR_CHARS);
    });
    this.#child.on("exit", () => {
      this.#exited = true;
      process.removeListener("exit", this.#onExit);
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves with the first event matching `pred`; rejects on timeout or if the peer exits first. */
  async waitFor(pred: (e: PeerEvent) => boolean, timeoutMs: number, what: string): Promise<PeerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (this.#exited || left <= 0) {
        const why = this.#exited ? "the peer exited" : `nothing after ${timeoutMs} ms`;
        throw new Error(`grpc-js peer: waiting for ${what}: ${why}; stderr: ${this.#stderr.trim()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Writes one JSON line to the peer's stdin (peers that take commands). */
  send(command: object): void {
    this.#child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** Ends the peer: stdin end (the server's graceful stop), then SIGTERM, then SIGKILL. Idempotent. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.stdin!.end();
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

export interface GrpcJsServer {
  readonly port: number;
  /** The wire events reported so far (one per closed connection). */
  wire(): GrpcJsWireEvent[];
  /** Waits for the index-th connection's wire event (reported when it closes). */
  waitWire(index: number, timeoutMs?: number): Promise<GrpcJsWireEvent>;
  stop(): Promise<void>;
}

/** Starts a grpc-js TestService over TLS (cert chain and key as PEM files) on Node 24. */
export async function startGrpcJsServer(options: { cert: string; key: string }): Promise<GrpcJsServer> {
  const peer = new PeerProcess({ mode: "server", ...options });
  try {
    const listening = await peer.waitFor(
      (e) => e["event"] === "listening",
      GRPC_JS_START_TIMEOUT_MS,
      "listening",
    );
    const wire = () => peer.events.filter((e) => e["event"] === "wire") as unknown as GrpcJsWireEvent[];
    return {
      port: listening["port"] as number,
      wire,
      waitWire: async (index, timeoutMs = GRPC_JS_START_TIMEOUT_MS) =>
        (await peer.waitFor(
          (e) => e["event"] === "wire" && e["index"] === index,
          timeoutMs,
          `wire event #${index}`,
        )) as unknown as GrpcJsWireEvent,
      stop: () => peer.stop(),
    };
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

export interface GrpcJsClientOptions {
  readonly port: number;
  readonly host?: string;
  /** PEM file of the CA the client trusts. */
  readonly ca: string;
  /** TLS and :authority name (grpc.ssl_target_name_override). */
  readonly serverName?: string;
  readonly cases: readonly string[];
}

/** Runs the grpc-js interop client on Node 24 and returns one result per case, in order. */
export async function runGrpcJsClient(options: GrpcJsClientOptions): Promise<GrpcJsCaseResult[]> {
  const peer = new PeerProcess({ mode: "client", ...options });
  try {
    await peer.waitFor((e) => e["event"] === "done", GRPC_JS_CLIENT_TIMEOUT_MS, "the end of the client run");
    return peer.events.filter((e) => typeof e["case"] === "string") as unknown as GrpcJsCaseResult[];
  } finally {
    await peer.stop();
  }
}
