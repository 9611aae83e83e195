/**
 * bench:rpc results: per-system medians over rounds, and the side-by-side
 * table with ratios against grpc-js with TLS and grpc-js plaintext.
 */
import type { StreamResult, UnaryResult } from "./messages.ts";
import { BASELINE_PLAIN, BASELINE_TLS, type SystemSpec } from "./systems.ts";

/** The server process's CPU time inside the measured window, microseconds. */
type WithServerCpu<T> = T & { readonly serverCpuUs: number };

export interface RoundResult {
  readonly unary: WithServerCpu<UnaryResult>;
  readonly stream: WithServerCpu<StreamResult>;
  /** The connections axis, one entry per connection count (empty when it did not run). */
  readonly connections: readonly ConnectionsRound[];
}

/** One round of the connections axis at one connection count. */
export interface ConnectionsRound {
  /** Connections asked for. */
  readonly connections: number;
  /** Calls in flight over them. */
  readonly concurrency: number;
  /** Connections opened (and called once). */
  readonly opened: number;
  /** Time to open them, ms (not part of calls/s). */
  readonly openMs: number;
  /** TCP connections the server gained meanwhile (server side, /proc/net/tcp). */
  readonly serverConnections: number;
  /** Server heapUsed after forced GCs, all open and idle minus before opening, per connection, bytes. */
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
  /** The unary test spread over them. */
  readonly unary: WithServerCpu<UnaryResult>;
  /** Failures opening, checking or closing the connections (calls that failed are in unary.errors). */
  readonly errors: number;
  readonly firstError?: string;
}

export interface SystemResult {
  readonly system: SystemSpec;
  /** process.version of the client and the server worker. */
  readonly clientRuntime: string;
  readonly serverRuntime: string;
  /** What the client reports of its connection (ALPN, TLS group, cipher suite...). */
  readonly info: Record<string, string>;
  readonly rounds: RoundResult[];
}

export interface SystemSummary {
  readonly id: string;
  readonly label: string;
  readonly runtime: string;
  readonly tls: boolean;
  readonly info: Record<string, string>;
  readonly callsPerSec: number;
  /** (max - min) / median of calls/s over the rounds. */
  readonly callsSpread: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Client + server CPU time per unary call, microseconds (robust on a shared machine). */
  readonly cpuUsPerCall: number;
  readonly clientCpuUsPerCall: number;
  readonly serverCpuUsPerCall: number;
  readonly mbPerSec: number;
  /** Streamed payload MB per CPU-second of client + server. */
  readonly mbPerCpuSec: number;
  readonly mbSpread: number;
  readonly errors: number;
  readonly firstError?: string;
  /** The connections axis, one entry per connection count. */
  readonly connections: readonly ConnectionsSummary[];
  readonly rounds: readonly RoundResult[];
}

/** Medians over rounds of the connections axis at one connection count. */
export interface ConnectionsSummary {
  readonly connections: number;
  readonly concurrency: number;
  readonly callsPerSec: number;
  readonly callsSpread: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerCall: number;
  readonly clientCpuUsPerCall: number;
  readonly serverCpuUsPerCall: number;
  /** Server heap per idle connection, bytes. */
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
  /** The fewest TCP connections the server gained in a round (N when every client connection is its own). */
  readonly serverConnections: number;
  readonly openMs: number;
  /** Failed calls plus failures opening, checking or closing, over the rounds. */
  readonly errors: number;
  readonly firstError?: string;
}

const BITS_PER_BYTE = 8;
const BYTES_PER_KIB = 1024;
const MS_PER_SECOND = 1000;
const US_PER_SECOND = 1_000_000;
const MB_PER_GB = 1000;
const BYTES_PER_MB = 1_000_000;

/**
 * Median of the finite values (a round that produced no figure, NaN here or
 * null after JSON, does not count); NaN when there are none.
 */
export function median(values: readonly (number | null)[]): number {
  const s = values
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function spread(values: readonly (number | null)[]): number {
  const m = median(values);
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  return m > 0 ? (Math.max(...finite) - Math.min(...finite)) / m : Number.NaN;
}

export function summarize(r: SystemResult): SystemSummary {
  const calls = r.rounds.map((x) => x.unary.callsPerSec);
  const mb = r.rounds.map((x) => x.stream.mbPerSec);
  const firstError = r.rounds.map((x) => x.unary.firstError ?? x.stream.firstError).find((e) => e);
  return {
    id: r.system.id,
    label: r.system.label,
    runtime: r.clientRuntime === r.serverRuntime ? r.clientRuntime : `${r.clientRuntime}/${r.serverRuntime}`,
    tls: r.system.tls,
    info: r.info,
    callsPerSec: median(calls),
    callsSpread: spread(calls),
    p50Ms: median(r.rounds.map((x) => x.unary.p50Ms)),
    p99Ms: median(r.rounds.map((x) => x.unary.p99Ms)),
    cpuUsPerCall: median(r.rounds.map((x) => (x.unary.clientCpuUs + x.unary.serverCpuUs) / x.unary.calls)),
    clientCpuUsPerCall: median(r.rounds.map((x) => x.unary.clientCpuUs / x.unary.calls)),
    serverCpuUsPerCall: median(r.rounds.map((x) => x.unary.serverCpuUs / x.unary.calls)),
    mbPerSec: median(mb),
    mbPerCpuSec: median(
      r.rounds.map(
        (x) =>
          (x.stream.bytes / BYTES_PER_MB) * (US_PER_SECOND / (x.stream.clientCpuUs + x.stream.serverCpuUs)),
      ),
    ),
    mbSpread: spread(mb),
    errors: r.rounds.reduce((n, x) => n + x.unary.errors + x.stream.errors, 0),
    ...(firstError === undefined ? {} : { firstError }),
    connections: summarizeConnections(r.rounds),
    rounds: r.rounds,
  };
}

function summarizeConnections(rounds: readonly RoundResult[]): ConnectionsSummary[] {
  const counts = [...new Set(rounds.flatMap((x) => x.connections.map((c) => c.connections)))];
  return counts.map((n) => {
    const at = rounds.flatMap((x) => x.connections.filter((c) => c.connections === n));
    const calls = at.map((c) => c.unary.callsPerSec);
    const firstError = at.map((c) => c.firstError ?? c.unary.firstError).find((e) => e);
    return {
      connections: n,
      concurrency: at[0]!.concurrency,
      callsPerSec: median(calls),
      callsSpread: spread(calls),
      p50Ms: median(at.map((c) => c.unary.p50Ms)),
      p99Ms: median(at.map((c) => c.unary.p99Ms)),
      cpuUsPerCall: median(at.map((c) => (c.unary.clientCpuUs + c.unary.serverCpuUs) / c.unary.calls)),
      clientCpuUsPerCall: median(at.map((c) => c.unary.clientCpuUs / c.unary.calls)),
      serverCpuUsPerCall: median(at.map((c) => c.unary.serverCpuUs / c.unary.calls)),
      heapPerConnection: median(at.map((c) => c.heapPerConnection)),
      rssPerConnection: median(at.map((c) => c.rssPerConnection)),
      serverConnections: Math.min(...at.map((c) => c.serverConnections)),
      openMs: median(at.map((c) => c.openMs)),
      errors: at.reduce((k, c) => k + c.errors + c.unary.errors, 0),
      ...(firstError === undefined ? {} : { firstError }),
    };
  });
}

/** A figure for the table; "-" for a figure the run did not produce (NaN, or null after JSON). */
export const fmt = (n: number | null, digits = 0): string =>
  typeof n === "number" && Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "-";
const ratio = (a: number, b: number | undefined) => (b !== undefined && b > 0 ? `${fmt(a / b, 2)}x` : "-");
const pct = (n: number) => (Number.isFinite(n) ? `±${fmt((n * 100) / 2, 0)}%` : "-");

/** The side-by-side table, one row per system, in the given order. */
export function formatTable(rows: readonly SystemSummary[]): string {
  const tls = rows.find((r) => r.id === BASELINE_TLS);
  const plain = rows.find((r) => r.id === BASELINE_PLAIN);
  const header = [
    "system",
    "node",
    "calls/s",
    "(spread)",
    "p50 ms",
    "p99 ms",
    "cpu us/call",
    "vs TLS",
    "vs plain",
    "MB/s",
    "(spread)",
    "Gbit/s",
    "MB/cpu-s",
    "vs TLS",
    "vs plain",
    "errors",
  ];
  const body = rows.map((r) => [
    r.label,
    r.runtime,
    fmt(r.callsPerSec),
    pct(r.callsSpread),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    `${fmt(r.cpuUsPerCall)} (${fmt(r.clientCpuUsPerCall)}+${fmt(r.serverCpuUsPerCall)})`,
    ratio(r.callsPerSec, tls?.callsPerSec),
    ratio(r.callsPerSec, plain?.callsPerSec),
    fmt(r.mbPerSec),
    pct(r.mbSpread),
    fmt((r.mbPerSec * BITS_PER_BYTE) / MB_PER_GB, 2),
    fmt(r.mbPerCpuSec),
    ratio(r.mbPerSec, tls?.mbPerSec),
    ratio(r.mbPerSec, plain?.mbPerSec),
    String(r.errors),
  ]);
  return renderTable(header, body);
}

/**
 * The connections axis: one row per system and connection count, in the
 * given order; heap and RSS per connection in KiB (1024 bytes).
 */
export function formatConnectionsTable(rows: readonly SystemSummary[]): string {
  const header = [
    "system",
    "node",
    "conns",
    "in flight",
    "calls/s",
    "(spread)",
    "p50 ms",
    "p99 ms",
    "cpu us/call",
    "heap KiB/conn",
    "rss KiB/conn",
    "server conns",
    "open s",
    "errors",
  ];
  const body = rows.flatMap((r) =>
    r.connections.map((c) => [
      r.label,
      r.runtime,
      fmt(c.connections),
      fmt(c.concurrency),
      fmt(c.callsPerSec),
      pct(c.callsSpread),
      fmt(c.p50Ms, 2),
      fmt(c.p99Ms, 2),
      `${fmt(c.cpuUsPerCall)} (${fmt(c.clientCpuUsPerCall)}+${fmt(c.serverCpuUsPerCall)})`,
      fmt(c.heapPerConnection / BYTES_PER_KIB, 1),
      fmt(c.rssPerConnection / BYTES_PER_KIB, 1),
      fmt(c.serverConnections),
      fmt(c.openMs / MS_PER_SECOND, 1),
      String(c.errors),
    ]),
  );
  return renderTable(header, body);
}

function renderTable(header: readonly string[], body: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
