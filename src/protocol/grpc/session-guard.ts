/**
 * Per-connection limits of the gRPC server that node:http2 does not enforce
 * itself (issue 9, items 1-3):
 *
 * - Running handlers. node:http2 counts open streams against
 *   SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2), and a reset stream is
 *   closed at once, while its handler may still run. A peer that resets its
 *   streams (rapid reset, CVE-2023-44487) or makes the server reset them
 *   (a second HEADERS, a DATA after END_STREAM: "MadeYouReset",
 *   CVE-2025-8671) would start handlers without bound. We count handlers
 *   until they return: a stream that arrives while `maxRunningHandlers` run
 *   closes the connection with GOAWAY ENHANCE_YOUR_CALM (RFC 9113 §7).
 * - The receive budget (rpc/receive-budget.ts): the connection's account,
 *   closed with the connection; the connection holding the most is closed
 *   when the server's share runs out.
 * - Preface and idle timeouts: a connection whose client preface
 *   (RFC 9113 §3.4, its SETTINGS) has not come after `prefaceTimeoutMs`, or
 *   that had no open stream for `idleTimeoutMs`, is closed (GOAWAY NO_ERROR,
 *   then the socket).
 */
import type { Http2Session, Http2Stream, ServerHttp2Session } from "node:http2";
import type { ConnectionBudget, ReceiveBudget } from "../../rpc/receive-budget.ts";
import { H2_ENHANCE_YOUR_CALM, H2_NO_ERROR } from "./http2-errors.ts";

/** Default for SETTINGS_MAX_CONCURRENT_STREAMS and the running-handler cap (grpc-go and Go's net/http2 use 100 and 250). */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 100;
/** From the end of the TLS handshake to the client's HTTP/2 preface, ms. */
export const DEFAULT_H2_PREFACE_TIMEOUT_MS = 10_000;
/** A connection with no open stream for this long is closed (GOAWAY NO_ERROR), ms. */
export const DEFAULT_H2_IDLE_TIMEOUT_MS = 300_000;
/** After GOAWAY, time the peer gets to take it before the socket is destroyed, ms. */
export const GOAWAY_LINGER_MS = 1_000;

export interface SessionLimits {
  /** Handlers running at once per connection, reset streams included (default DEFAULT_H2_MAX_CONCURRENT_STREAMS). */
  readonly maxRunningHandlers?: number;
  /** Client preface deadline after the handshake, ms (default DEFAULT_H2_PREFACE_TIMEOUT_MS). */
  readonly prefaceTimeoutMs?: number;
  /** No open stream for this long closes the connection, ms (default DEFAULT_H2_IDLE_TIMEOUT_MS; 0: never). */
  readonly idleTimeoutMs?: number;
}

/** Why a guard closed its connection. */
export type SessionLimitReason = "handler-flood" | "receive-budget" | "preface-timeout" | "idle-timeout";

export interface SessionLimitEvent {
  readonly reason: SessionLimitReason;
  /** What was exceeded, with numbers and units; no peer data. */
  readonly detail: string;
}

export interface SessionGuardOptions extends SessionLimits {
  /** The server-wide receive budget; without one, calls are bounded only by the receive limit. */
  readonly budget?: ReceiveBudget;
  /** Sees every connection a limit closed. */
  readonly onLimit?: (session: ServerHttp2Session, event: SessionLimitEvent) => void;
}

const guards = new WeakMap<Http2Session, SessionGuard>();
/**
 * Each stream's guard, recorded on the stream when its session announces it:
 * a stream reset in the same read as its HEADERS reaches the 'stream'
 * listener with `stream.session` already detached, and must be counted all
 * the same. A property, not a WeakMap entry per stream: an ephemeron per
 * call cost more than the rest of the guard.
 */
const STREAM_GUARD = Symbol("pqrpc.grpcStreamGuard");

interface GuardedStream extends Http2Stream {
  [STREAM_GUARD]?: SessionGuard;
}

function tagStream(this: SessionGuard, stream: Http2Stream): void {
  (stream as GuardedStream)[STREAM_GUARD] = this;
}

/** The guard of the session `stream` belongs to, when it was accepted with one. */
export function guardOf(stream: Http2Stream): SessionGuard | undefined {
  const tagged = (stream as GuardedStream)[STREAM_GUARD];
  if (tagged !== undefined) return tagged;
  const session = stream.session;
  return session === undefined ? undefined : guards.get(session);
}

export class SessionGuard {
  /** Who the calls of this connection come from (stream.session is gone once a stream is destroyed). */
  readonly session: ServerHttp2Session;
  readonly #maxRunning: number;
  readonly #idleTimeoutMs: number;
  readonly #onLimit: SessionGuardOptions["onLimit"];
  /** The connection's receive account; undefined without a budget. */
  readonly account: ConnectionBudget | undefined;
  #running = 0;
  #peakRunning = 0;
  #openStreams = 0;
  /** Streams closed by a reset (either side's) while their handler still ran. */
  #resetWhileRunning = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #prefaceTimer: ReturnType<typeof setTimeout> | undefined;
  #closing = false;

  constructor(session: ServerHttp2Session, options: SessionGuardOptions = {}) {
    this.session = session;
    this.#maxRunning = options.maxRunningHandlers ?? DEFAULT_H2_MAX_CONCURRENT_STREAMS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_H2_IDLE_TIMEOUT_MS;
    this.#onLimit = options.onLimit;
    this.account = options.budget?.open((detail) => this.evict(detail));
    guards.set(session, this);
    // Before node:http2's own listener, which hands the stream to the server's 'stream' listeners.
    session.prependListener("stream", tagStream.bind(this));
    const prefaceMs = options.prefaceTimeoutMs ?? DEFAULT_H2_PREFACE_TIMEOUT_MS;
    // The client preface ends with its SETTINGS frame (RFC 9113 §3.4): node:http2 reports it as 'remoteSettings'.
    this.#prefaceTimer = setTimeout(
      () => this.#close("preface-timeout", `no HTTP/2 client preface after ${prefaceMs} ms`, H2_NO_ERROR),
      prefaceMs,
    );
    this.#prefaceTimer.unref?.();
    session.once("remoteSettings", () => {
      clearTimeout(this.#prefaceTimer);
      this.#armIdle();
    });
    session.once("close", () => {
      clearTimeout(this.#prefaceTimer);
      clearTimeout(this.#idleTimer);
      this.account?.close();
    });
  }

  /** Handlers running now, and the most that ran at once. */
  get runningHandlers(): number {
    return this.#running;
  }
  get peakRunningHandlers(): number {
    return this.#peakRunning;
  }
  /** Streams reset (by either side) while their handler still ran. */
  get resetWhileRunning(): number {
    return this.#resetWhileRunning;
  }

  /** A stream opened (any stream, handled or answered early); guardOf(stream) finds this guard from now on. */
  streamOpened(stream: Http2Stream): void {
    (stream as GuardedStream)[STREAM_GUARD] = this;
    this.#openStreams++;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  streamClosed(): void {
    this.#openStreams--;
    if (this.#openStreams === 0) this.#armIdle();
  }

  /**
   * A call wants its handler started: false (and the connection closing)
   * when `maxRunningHandlers` already run.
   */
  startHandler(): boolean {
    if (this.#closing) return false;
    if (this.#running >= this.#maxRunning) {
      this.#close(
        "handler-flood",
        `a new stream while ${this.#running} handlers run (limit ${this.#maxRunning}); ` +
          `${this.#resetWhileRunning} streams were reset while their handler ran`,
        H2_ENHANCE_YOUR_CALM,
      );
      return false;
    }
    this.#running++;
    if (this.#running > this.#peakRunning) this.#peakRunning = this.#running;
    return true;
  }

  handlerDone(): void {
    this.#running--;
  }

  /** A handled stream closed by RST_STREAM before its handler returned. */
  resetWhileHandlerRuns(): void {
    this.#resetWhileRunning++;
  }

  /** The server's budget is used up and this connection holds the most of it (ConnectionBudget.evict). */
  evict(detail: string): void {
    this.#close("receive-budget", detail, H2_ENHANCE_YOUR_CALM);
  }

  #armIdle(): void {
    if (this.#idleTimeoutMs === 0 || this.#closing || this.#openStreams > 0) return;
    clearTimeout(this.#idleTimer);
    const ms = this.#idleTimeoutMs;
    this.#idleTimer = setTimeout(
      () => this.#close("idle-timeout", `no open stream for ${ms} ms`, H2_NO_ERROR),
      ms,
    );
    this.#idleTimer.unref?.();
  }

  /** GOAWAY with `code` (RFC 9113 §6.8), then the socket after a short linger. */
  #close(reason: SessionLimitReason, detail: string, code: number): void {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#prefaceTimer);
    const session = this.session;
    // Nothing more is buffered for this connection: its account is returned now, not after the linger.
    this.account?.close();
    this.#onLimit?.(session, { reason, detail });
    if (session.destroyed) return;
    if (code === H2_NO_ERROR) {
      // Graceful: streams in flight finish (there are none for the timeouts), then node ends the session.
      session.close();
    } else {
      session.goaway(code);
    }
    setTimeout(() => session.destroy(), GOAWAY_LINGER_MS).unref?.();
  }
}
