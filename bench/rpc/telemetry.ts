/**
 * PQRPC_BENCH_TELEMETRY for the pqrpc workers of bench:rpc (issue 10's
 * overhead target: metrics and traces on within 5% CPU per call of off):
 *   off (default)  telemetry: false, nothing observed;
 *   api            the default: @opentelemetry/api with no SDK (no-op instruments);
 *   sdk            the OpenTelemetry SDK: every metric aggregated and every span
 *                  recorded (W3C propagation, AsyncLocalStorage context), with
 *                  the exporters off the hot path (a Prometheus reader that is
 *                  never scraped, spans batched to an exporter that drops them).
 * The systems whose id ends in "-otel" (bench/rpc/systems.ts) run with "sdk"
 * whatever the environment says, so one run compares both side by side:
 *   PQRPC_BENCH_SYSTEMS=pqrpc-frames,pqrpc-frames-otel,pqrpc-frames-24,pqrpc-frames-24-otel \
 *   PQRPC_BENCH_ONLY=unary PQRPC_BENCH_ROUNDS=5 npm run bench:rpc
 */
import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Telemetry } from "../../src/observability/telemetry.ts";
import { importDist } from "../pqrpc-dist.ts";
import type { BenchTelemetryMode } from "./messages.ts";

export type { BenchTelemetryMode };

export function benchTelemetryMode(
  configured?: BenchTelemetryMode,
  env: NodeJS.ProcessEnv = process.env,
): BenchTelemetryMode {
  const mode = configured ?? env.PQRPC_BENCH_TELEMETRY ?? "off";
  if (mode !== "off" && mode !== "api" && mode !== "sdk") {
    throw new Error(`PQRPC_BENCH_TELEMETRY must be off, api or sdk, got "${mode}"`);
  }
  return mode;
}

const droppingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

/**
 * The `telemetry` option of createServer / connect: the worker config's mode,
 * else the environment's. pqrpc's createTelemetry from dist/, as the worker's
 * server or channel (bench/pqrpc-dist.ts).
 */
export async function benchTelemetry(configured?: BenchTelemetryMode): Promise<Telemetry | false> {
  const mode = benchTelemetryMode(configured);
  if (mode === "off") return false;
  const { createTelemetry } = await importDist(".");
  if (mode === "api") return createTelemetry();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const meterProvider = new MeterProvider({
    readers: [new PrometheusExporter({ preventServerStart: true })],
  });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(droppingExporter)],
  });
  return createTelemetry({ meterProvider, tracerProvider });
}
