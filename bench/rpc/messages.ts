/**
 * The bench:rpc process protocol (orchestrator <-> workers) and the workload
 * every system runs, so that the work per call is the same everywhere:
 * grpc.testing.TestService UnaryCall and StreamingOutputCall.
 */

/** UnaryCall: request payload body and response_size, bytes (~100-byte messages on the wire). */
export const UNARY_PAYLOAD_BYTES = 100;
/** StreamingOutputCall: each response's payload body, bytes. */
export const STREAM_MESSAGE_BYTES = 64 * 1024;
/** StreamingOutputCall: response_parameters per call (8 MiB per call; the server's limit is 1024). */
export const STREAM_MESSAGES_PER_CALL = 128;
/** Server name in the dev certificate's SANs, used for TLS and :authority. */
export const SERVER_NAME = "localhost";
export const HOST = "127.0.0.1";

/** Config of a server worker: TLS when cert and key are set, else plaintext. */
export interface ServerConfig {
  readonly telemetry?: BenchTelemetryMode;
  readonly cert?: string;
  readonly key?: string;
  /**
   * pqrpc server: connections it must admit at once from 127.0.0.1 (the
   * connections axis); it sets maxConnectionsPerSource and maxConnections to
   * this. Absent: the server's defaults.
   */
  readonly maxConnections?: number;
}

/** Config of a client worker: `ca` (PEM file) makes it use TLS. */
/** The pqrpc workers' telemetry (bench/rpc/telemetry.ts); PQRPC_BENCH_TELEMETRY when absent. */
export type BenchTelemetryMode = "off" | "api" | "sdk";

export interface ClientConfig {
  readonly port: number;
  readonly telemetry?: BenchTelemetryMode;
  readonly ca?: string;
  /** pqrpc client only: the wire protocol (ALPN). */
  readonly protocol?: "pqrpc/1" | "h2";
}

export interface UnaryCommand {
  readonly cmd: "unary";
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly concurrency: number;
}

export interface StreamCommand {
  readonly cmd: "stream";
  readonly warmupMs: number;
  readonly durationMs: number;
}

/**
 * Connections axis, step 1: open `connections` new connections beside the
 * worker's own (at most `parallel` connecting at a time), each finishing one
 * UnaryCall, then leave them idle. Answered with an "opened" event.
 */
export interface OpenCommand {
  readonly cmd: "open";
  readonly connections: number;
  readonly parallel: number;
}

/**
 * Connections axis, step 2: the unary test over the connections that "open"
 * made: `concurrency` closed loops, loop i calling on connection i mod N.
 * Answered with a "spread" event.
 */
export interface SpreadCommand {
  readonly cmd: "spread";
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly concurrency: number;
}

/** Connections axis, step 3: close what "open" made. Answered with "closed". */
export interface CloseConnectionsCommand {
  readonly cmd: "close";
}

export type ClientCommand =
  | UnaryCommand
  | StreamCommand
  | OpenCommand
  | SpreadCommand
  | CloseConnectionsCommand;

/** Server workers: report the CPU time used so far (process.cpuUsage). */
export interface CpuCommand {
  readonly cmd: "cpu";
}

/**
 * Server workers (run with --expose-gc): force full GCs, then report the
 * heap, RSS and the TCP connections established to the listening port.
 */
export interface HeapCommand {
  readonly cmd: "heap";
}

export type WorkerCommand = ClientCommand | CpuCommand | HeapCommand;

/** CPU time, microseconds (user + system). */
export interface CpuSample {
  readonly cpuUs: number;
}

export interface UnaryResult {
  /** Calls completed inside the measured window. */
  readonly calls: number;
  readonly seconds: number;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The client process's CPU time inside the measured window, microseconds. */
  readonly clientCpuUs: number;
  readonly errors: number;
  readonly firstError?: string;
}

export interface StreamResult {
  /** Payload bytes received inside the measured window. */
  readonly bytes: number;
  readonly messages: number;
  readonly seconds: number;
  /** 10^6 bytes per second. */
  readonly mbPerSec: number;
  readonly clientCpuUs: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** A server's memory after forced GCs, and its connections. */
export interface HeapSample {
  /** process.memoryUsage().heapUsed, bytes. */
  readonly heapUsed: number;
  readonly rss: number;
  /** TCP connections established to the server's port, server side (Linux /proc/net/tcp*; NaN elsewhere). */
  readonly connections: number;
}

/** What "open" did. */
export interface OpenResult {
  /** Connections opened and called once (equal to the command's on success). */
  readonly connections: number;
  /** From the first connect to the last one's first call done, ms. */
  readonly openMs: number;
  readonly errors: number;
  readonly firstError?: string;
}

export type WorkerEvent =
  | { readonly event: "listening"; readonly port: number; readonly runtime: string }
  | { readonly event: "ready"; readonly runtime: string; readonly info: Record<string, string> }
  | ({ readonly event: "unary" } & UnaryResult)
  | ({ readonly event: "stream" } & StreamResult)
  | ({ readonly event: "cpu" } & CpuSample)
  | ({ readonly event: "heap" } & HeapSample)
  | ({ readonly event: "opened" } & OpenResult)
  | ({ readonly event: "spread" } & UnaryResult)
  | { readonly event: "closed" }
  | { readonly event: "error"; readonly message: string };
