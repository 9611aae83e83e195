/**
 * Test-side harness for openssl-peer.mjs: spawns it on Node 24, parses its
 * JSON-line events, and guarantees the child dies (every wait has a timeout;
 * `stop()` is idempotent and also runs on process exit).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "../..");
const PEER_SCRIPT = join(HERE, "openssl-peer.mjs");

/** Default wait for one peer event: a PQ handshake takes milliseconds; process start-up ~100 ms. */
export const PEER_EVENT_TIMEOUT_MS = 15_000;
/** Grace between SIGTERM and SIGKILL when stopping a peer. */
const KILL_GRACE_MS = 2_000;
/** Keep at most this much of a peer's stderr for error messages. */
const MAX_STDERR_CHARS = 8_000;

/** Node 24 (OpenSSL 3.5): PQRPC_NODE24 from scripts/test.sh, else the repo's tools/node24 install. */
export function node24Binary(): string {
  const fromEnv = process.env["PQRPC_NODE24"];
  if (fromEnv) return fromEnv;
  const local = join(REPO_ROOT, "tools/node24/node_modules/.bin/node");
  if (!existsSync(local)) {
    throw new Error(
      `Node 24 not found: set PQRPC_NODE24 or run scripts/ensure-node24.sh (looked in ${local})`,
    );
  }
  return local;
}

export interface PeerConfig {
  role: "server" | "client";
  host?: string;
  port?: number;
  ecdhCurve?: string;
  ciphersuites?: string;
  sigalgs?: string;
  cert?: string;
  key?: string;
  ca?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  alpn?: string[];
  servername?: string;
  connections?: number;
  resume?: boolean;
  send?: string;
  tap?: boolean;
}

export interface WireClientHello {
  cipherSuites: string[];
  supportedGroups: string[];
  keyShares: { group: string; bytes: number }[];
  alpn: string[];
  serverName?: string;
  psk: boolean;
}

export interface WireServerHello {
  helloRetry: boolean;
  cipherSuite: string;
  group?: string;
  keyShareBytes: number;
  psk: boolean;
}

/** What the peer's wire tap saw on one connection (test/interop/wire-tap.mjs). */
export interface WireSummary {
  clientHellos: WireClientHello[];
  serverHello?: WireServerHello;
  helloRetry?: WireServerHello;
  bytesFromClient: number;
  bytesFromServer: number;
  parseError?: string;
}

export interface SecureEvent {
  event: "secure";
  side: "client" | "server";
  index: number;
  protocol: string;
  cipher: string;
  group?: string;
  alpn?: string;
  reused: boolean;
  authorized: boolean;
  authorizationError?: string;
  peerSubject?: Record<string, string>;
  servername?: string;
  sharedSigalgs: string[];
}

export interface PeerEvent {
  event: string;
  index?: number;
  port?: number;
  code?: string;
  message?: string;
  text?: string;
  wire?: WireSummary;
  bytesRead?: number;
  bytesWritten?: number;
  [key: string]: unknown;
}

type Waiter = { pred: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void };

const live = new Set<OpensslPeer>();
process.on("exit", () => {
  for (const p of live) p.child.kill("SIGKILL");
});

export class OpensslPeer {
  readonly child: ChildProcess;
  readonly events: PeerEvent[] = [];
  private stderr = "";
  private waiters: Waiter[] = [];
  private exitCode: number | null | undefined;
  private exitWaiters: (() => void)[] = [];
  port = 0;

  private constructor(readonly config: PeerConfig) {
    this.child = spawn(node24Binary(), [PEER_SCRIPT, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(this);
    let partial = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      partial += chunk;
      let nl = partial.indexOf("\n");
      while (nl >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim()) this.onLine(line);
        nl = partial.indexOf("\n");
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    this.child.on("exit", (code) => {
      this.exitCode = code;
      live.delete(this);
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  private onLine(line: string): void {
    let e: PeerEvent;
    try {
      e = JSON.parse(line) as PeerEvent;
    } catch {
      e = { event: "unparsed", message: line };
    }
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** Starts a peer; for a server, resolves once it listens (`port` is set). */
  static async start(config: PeerConfig, timeoutMs = PEER_EVENT_TIMEOUT_MS): Promise<OpensslPeer> {
    const peer = new OpensslPeer(config);
    try {
      if (config.role === "server") {
        const e = await peer.waitFor((x) => x.event === "listening", "listening", timeoutMs);
        peer.port = e.port ?? 0;
      } else {
        await peer.waitFor((x) => x.event === "ready", "ready", timeoutMs);
      }
    } catch (err) {
      peer.stop();
      throw err;
    }
    return peer;
  }

  /** Resolves with the first event (already seen or future) matching `pred`. */
  waitFor(
    pred: (e: PeerEvent) => boolean,
    what: string,
    timeoutMs = PEER_EVENT_TIMEOUT_MS,
  ): Promise<PeerEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveWait, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolveWait(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `OpenSSL peer: timed out after ${timeoutMs} ms waiting for ${what}\n${this.transcript()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The `secure` event of connection `index` (the peer counts its connections from 0). */
  async secure(index: number, timeoutMs = PEER_EVENT_TIMEOUT_MS): Promise<SecureEvent> {
    const e = await this.waitFor(
      (x) => (x.event === "secure" || x.event === "error") && x.index === index,
      `secure #${index}`,
      timeoutMs,
    );
    if (e.event === "error")
      throw new Error(`OpenSSL peer connection #${index} failed: ${e.code} ${e.message}`);
    return e as unknown as SecureEvent;
  }

  /** The `closed` event of connection `index`, with the wire summary and byte counts. */
  closed(index: number, timeoutMs = PEER_EVENT_TIMEOUT_MS): Promise<PeerEvent> {
    return this.waitFor((x) => x.event === "closed" && x.index === index, `closed #${index}`, timeoutMs);
  }

  /** Errors reported for connection `index` (excluding late errors after the peer's end). */
  errors(index?: number): PeerEvent[] {
    return this.events.filter((e) => e.event === "error" && (index === undefined || e.index === index));
  }

  waitExit(timeoutMs = PEER_EVENT_TIMEOUT_MS): Promise<number | null> {
    if (this.exitCode !== undefined) return Promise.resolve(this.exitCode);
    return new Promise((resolveExit, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`OpenSSL peer: did not exit within ${timeoutMs} ms\n${this.transcript()}`));
      }, timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolveExit(this.exitCode ?? null);
      });
    });
  }

  /** Terminates the child (SIGTERM, then SIGKILL after a grace period). Safe to call twice. */
  stop(): void {
    if (this.exitCode !== undefined) return;
    this.child.kill("SIGTERM");
    const hard = setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS);
    hard.unref();
    this.child.once("exit", () => clearTimeout(hard));
  }

  /** Events and stderr so far, for failure messages. */
  transcript(): string {
    const lines = this.events.map((e) => JSON.stringify(e)).join("\n");
    return `--- peer events (${this.config.role}) ---\n${lines}\n--- peer stderr ---\n${this.stderr}`;
  }
}

/** Runs an OpenSSL client to completion and returns all its events. */
export async function runOpensslClient(
  config: Omit<PeerConfig, "role">,
  timeoutMs = PEER_EVENT_TIMEOUT_MS,
): Promise<OpensslPeer> {
  const peer = await OpensslPeer.start({ ...config, role: "client" }, timeoutMs);
  try {
    await peer.waitFor((e) => e.event === "done", "client done", timeoutMs);
    await peer.waitExit(timeoutMs);
  } finally {
    peer.stop();
  }
  return peer;
}
