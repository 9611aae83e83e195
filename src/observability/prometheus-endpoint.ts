/**
 * `pqrpc serve --metrics HOST:PORT`: the OpenTelemetry metrics SDK with its
 * Prometheus exporter, serving /metrics in the Prometheus text format. Both
 * are optional dependencies of pqrpc (the library itself needs only
 * @opentelemetry/api), loaded here on first use; the exporter answers
 * scrapes from its own HTTP server, off the call path.
 */
import type { MeterProvider } from "@opentelemetry/api";
import {
  PQRPC_CRYPTO_OPERATION_DURATION,
  PQRPC_TLS_HANDSHAKE_DURATION,
  RPC_CLIENT_CALL_DURATION,
  RPC_SERVER_CALL_DURATION,
} from "./semconv.ts";

export interface MetricsEndpoint {
  /** "http://host:port/metrics". */
  readonly url: string;
  readonly meterProvider: MeterProvider;
  /** Stops the HTTP server and the SDK. */
  close(): Promise<void>;
}

/** What must be installed for it, in the words of the error a user sees. */
export const PROMETHEUS_PACKAGES = "@opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus";

interface PrometheusModules {
  readonly sdk: typeof import("@opentelemetry/sdk-metrics");
  readonly exporter: typeof import("@opentelemetry/exporter-prometheus");
}

async function load(): Promise<PrometheusModules> {
  try {
    const [sdk, exporter] = await Promise.all([
      import("@opentelemetry/sdk-metrics"),
      import("@opentelemetry/exporter-prometheus"),
    ]);
    return { sdk, exporter };
  } catch (e) {
    throw new Error(
      `metrics need the optional packages ${PROMETHEUS_PACKAGES}: npm install ${PROMETHEUS_PACKAGES} (${(e as Error).message.split("\n")[0]})`,
    );
  }
}

/**
 * Prometheus names carry their unit (OpenTelemetry's Prometheus
 * compatibility spec: "s" -> "_seconds"), so rpc.server.call.duration is
 * scraped as rpc_server_call_duration_seconds; this exporter version leaves
 * the suffix out, so views add it. The byte instruments already end in "bytes".
 */
const UNIT_SUFFIXED: readonly (readonly [string, "seconds"])[] = [
  [RPC_SERVER_CALL_DURATION, "seconds"],
  [RPC_CLIENT_CALL_DURATION, "seconds"],
  [PQRPC_TLS_HANDSHAKE_DURATION, "seconds"],
  [PQRPC_CRYPTO_OPERATION_DURATION, "seconds"],
];

/** Starts the exporter's HTTP server on host:port; rejects when the port cannot be bound. */
export async function startPrometheusEndpoint(host: string, port: number): Promise<MetricsEndpoint> {
  const { sdk, exporter } = await load();
  let startError: Error | undefined;
  let started!: () => void;
  const listening = new Promise<void>((resolve) => {
    started = resolve;
  });
  const reader = new exporter.PrometheusExporter({ host, port }, (error) => {
    if (error) startError = error;
    started();
  });
  await listening;
  if (startError !== undefined) {
    await reader.shutdown().catch(() => {});
    throw new Error(`metrics endpoint ${host}:${port}: ${startError.message}`);
  }
  const meterProvider = new sdk.MeterProvider({
    readers: [reader],
    views: UNIT_SUFFIXED.map(([name, suffix]) => ({ instrumentName: name, name: `${name}_${suffix}` })),
  });
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${exporter.PrometheusExporter.DEFAULT_OPTIONS.endpoint}`,
    meterProvider,
    close: () => meterProvider.shutdown(),
  };
}
