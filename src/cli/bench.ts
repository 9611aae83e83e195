/**
 * `pqrpc bench ADDR SERVICE/METHOD [-d JSON] [--proto FILE] [-H k:v]
 *   [--concurrency N] [--connections N] [--total N | --duration S] [--size BYTES]
 *   [--ca FILE | --insecure] [--servername NAME] [--policy NAME] [--protocol pqrpc/1|h2]
 *   [--timeout MS] [--json]`
 *
 * A load generator like ghz: N workers share the connections and issue calls
 * back to back until --total calls were started or --duration seconds
 * passed. A live progress bar goes to stderr when it is a terminal; at the end
 * a latency histogram, percentiles, calls/s and errors by status code are
 * printed, or one JSON object with --json. --size sets the first bytes (else
 * string) field of the request, looked up one message level deep, to that
 * many bytes.
 */

import { parseArgs } from "node:util";
import type { Message } from "@bufbuild/protobuf";
import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { loadWasmProvider } from "../crypto/index.ts";
import { Code, codeName } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import { formatAddress, parseAddress } from "./address.ts";
import { CALL_OPTIONS, invoke, loadCallSchema, parseHeaders } from "./call.ts";
import { CliError, type CliIo, processIo } from "./cli-error.ts";
import { parseJsonValues, requestValues } from "./json-input.ts";
import { histogramLines, summarize } from "./latency-stats.ts";
import { parsePositiveInteger, parseTimeout } from "./options.ts";
import { ProgressBar } from "./progress-bar.ts";
import { messageFromJson } from "./request-messages.ts";
import { openRpcConnection, parseProtocol, type RpcConnection } from "./rpc-connection.ts";
import { findMethod } from "./schema.ts";
import { resolveTlsTarget } from "./tls-dial.ts";
import { commandUsage } from "./usage.ts";

export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_TOTAL_CALLS = 200;
export const MAX_CONCURRENCY = 10_000;
export const MAX_CONNECTIONS = 1_000;
/** Bounds of one run: a typo must not start an endless load. */
export const MAX_TOTAL_CALLS = 10_000_000;
export const MAX_DURATION_SECONDS = 3_600;
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

const BENCH_USAGE = commandUsage("bench");

export interface BenchReport {
  readonly address: string;
  readonly method: string;
  readonly protocol: string;
  readonly tls: {
    group: string | null;
    cipherSuite: string;
    signatureScheme: string | null;
    handshakeMs: number;
  };
  readonly concurrency: number;
  readonly connections: number;
  readonly requestBytes: number | null;
  readonly count: number;
  readonly ok: number;
  /** Failed calls by status code name. */
  readonly errors: Record<string, number>;
  readonly totalMs: number;
  readonly callsPerSecond: number;
  readonly latency: ReturnType<typeof summarize>["summary"];
  readonly histogram: ReturnType<typeof summarize>["histogram"];
}

/** Puts `size` bytes into the first bytes field (else string field), top level first, then one level down. */
export function withPayload(
  schema: DescMessage,
  json: Record<string, unknown>,
  size: number,
): Record<string, unknown> {
  const direct = (s: DescMessage, scalar: ScalarType) =>
    s.fields.find((f) => f.fieldKind === "scalar" && f.scalar === scalar);
  const value = (scalar: ScalarType) =>
    scalar === ScalarType.BYTES ? Buffer.alloc(size).toString("base64") : "x".repeat(size);
  for (const scalar of [ScalarType.BYTES, ScalarType.STRING]) {
    const top = direct(schema, scalar);
    if (top) return { ...json, [top.jsonName]: value(scalar) };
    for (const f of schema.fields) {
      if (f.fieldKind !== "message") continue;
      const inner = direct(f.message, scalar);
      if (inner) {
        const nested = (json[f.jsonName] as Record<string, unknown> | undefined) ?? {};
        return { ...json, [f.jsonName]: { ...nested, [inner.jsonName]: value(scalar) } };
      }
    }
  }
  throw new CliError(`--size: ${schema.typeName} has no bytes or string field to fill`);
}

export async function runBench(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CALL_OPTIONS,
      concurrency: { type: "string" },
      connections: { type: "string" },
      total: { type: "string" },
      duration: { type: "string" },
      size: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 2) throw new CliError(BENCH_USAGE);
  if (values.data === "@")
    throw new CliError("bench: -d @ (stdin) is not supported; give the request inline");
  if (values.total !== undefined && values.duration !== undefined)
    throw new CliError("--total and --duration exclude each other");
  const address = parseAddress(positionals[0]!);
  const protocol = parseProtocol(values.protocol);
  const timeoutMs = parseTimeout(values.timeout);
  const headers = parseHeaders(values.header);
  const concurrency =
    values.concurrency === undefined
      ? DEFAULT_CONCURRENCY
      : parsePositiveInteger("--concurrency", values.concurrency, MAX_CONCURRENCY);
  const connections =
    values.connections === undefined
      ? 1
      : parsePositiveInteger("--connections", values.connections, MAX_CONNECTIONS);
  const durationMs =
    values.duration === undefined
      ? undefined
      : parsePositiveInteger("--duration", values.duration, MAX_DURATION_SECONDS) * 1000;
  const total =
    durationMs !== undefined
      ? MAX_TOTAL_CALLS
      : values.total === undefined
        ? DEFAULT_TOTAL_CALLS
        : parsePositiveInteger("--total", values.total, MAX_TOTAL_CALLS);
  const size =
    values.size === undefined ? undefined : parsePositiveInteger("--size", values.size, MAX_PAYLOAD_BYTES);

  const schema = await loadCallSchema(values.proto, values["import-path"]);
  const method = findMethod(schema, positionals[1]!);
  const methodName = `${method.parent.typeName}/${method.name}`;
  const streamingRequests =
    method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  let jsons = requestValues(parseJsonValues(values.data ?? ""), streamingRequests, methodName);
  if (size !== undefined)
    jsons = jsons.map((j) => withPayload(method.input, (j ?? {}) as Record<string, unknown>, size));
  const requests: Message[] = jsons.map((j) => messageFromJson(method.input, j, schema.registry));

  await loadWasmProvider(); // a load generator makes many handshakes: every fast algorithm, once
  const target = await resolveTlsTarget(address, values, true);
  const conns: RpcConnection[] = [];
  try {
    for (let i = 0; i < connections; i++) conns.push(await openRpcConnection(target, protocol, timeoutMs));
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    let started = 0;
    let ok = 0;
    const begin = performance.now();
    const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : begin + durationMs;
    const progress =
      io === processIo && process.stderr.isTTY
        ? new ProgressBar(io.stderr, () => {
            const done = latencies.length;
            const elapsed = performance.now() - begin;
            return {
              fraction: durationMs === undefined ? done / total : elapsed / durationMs,
              text: `${done} calls, ${Object.values(errors).reduce((a, b) => a + b, 0)} errors, ${(done / Math.max(elapsed / 1000, 1e-3)).toFixed(0)} calls/s`,
            };
          })
        : undefined;
    progress?.start();
    const worker = async (index: number) => {
      const conn = conns[index % conns.length]!;
      while (started < total && performance.now() < deadline) {
        started++;
        const t0 = performance.now();
        try {
          for await (const _ of invoke(conn, method, requests, { headers, timeoutMs })) {
            // Responses are counted, not kept.
          }
          ok++;
        } catch (e) {
          const name = codeName(e instanceof RpcError ? e.code : Code.UNKNOWN);
          errors[name] = (errors[name] ?? 0) + 1;
        }
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
    const totalMs = performance.now() - begin;
    progress?.stop();
    const { summary, histogram } = summarize(latencies);
    const first = conns[0]!;
    const report: BenchReport = {
      address: formatAddress(address),
      method: methodName,
      protocol: first.protocol,
      tls: {
        group: first.dialed.info.group ?? null,
        cipherSuite: first.dialed.info.cipherSuite,
        signatureScheme: first.dialed.info.signatureScheme ?? null,
        handshakeMs: Math.round(first.dialed.handshakeMs * 100) / 100,
      },
      concurrency,
      connections,
      requestBytes: size ?? null,
      count: latencies.length,
      ok,
      errors,
      totalMs: Math.round(totalMs * 100) / 100,
      callsPerSecond: Math.round((latencies.length / (totalMs / 1000)) * 10) / 10,
      latency: summary,
      histogram,
    };
    io.stdout(values.json ? `${JSON.stringify(report)}\n` : formatBench(report));
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

export function formatBench(r: BenchReport): string {
  const l = r.latency;
  const errorText = Object.entries(r.errors)
    .map(([code, n]) => `  ${code}: ${n}`)
    .join("\n");
  return [
    `${r.method} at ${r.address} over ${r.protocol} (${r.tls.group ?? "PSK"}, ${r.tls.cipherSuite}, ${r.tls.signatureScheme ?? "no signature"}; handshake ${r.tls.handshakeMs} ms)`,
    "",
    "Summary:",
    `  Count:        ${r.count} (${r.ok} ok, ${r.count - r.ok} failed)`,
    `  Total:        ${r.totalMs.toFixed(1)} ms`,
    `  Concurrency:  ${r.concurrency} on ${r.connections} connection(s)`,
    `  Slowest:      ${l.maxMs.toFixed(3)} ms`,
    `  Fastest:      ${l.minMs.toFixed(3)} ms`,
    `  Average:      ${l.meanMs.toFixed(3)} ms`,
    `  Calls/sec:    ${r.callsPerSecond.toFixed(1)}`,
    "",
    "Latency histogram:",
    ...histogramLines(r.histogram),
    "",
    "Latency distribution:",
    `  p50 ${l.p50Ms.toFixed(3)} ms   p90 ${l.p90Ms.toFixed(3)} ms   p95 ${l.p95Ms.toFixed(3)} ms   p99 ${l.p99Ms.toFixed(3)} ms   max ${l.maxMs.toFixed(3)} ms`,
    "",
    "Status code distribution:",
    `  OK: ${r.ok}`,
    ...(errorText ? [errorText] : []),
    "",
  ].join("\n");
}
