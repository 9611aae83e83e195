/**
 * The systems bench:rpc compares: which server and client worker scripts,
 * on which Node, with TLS or not. "main" is the Node running the bench
 * (this machine's, v20); "node24" has OpenSSL 3.5, the only runtime where
 * grpc-js gets PQ TLS. Servers are shared by the systems that name them
 * (one system runs at a time).
 */
import type { BenchTelemetryMode, ClientConfig } from "./messages.ts";

export type Runtime = "main" | "node24";

export interface ServerSpec {
  readonly id: string;
  readonly script: string;
  readonly runtime: Runtime;
  readonly tls: boolean;
  /** pqrpc workers: their telemetry, whatever PQRPC_BENCH_TELEMETRY says. */
  readonly telemetry?: BenchTelemetryMode;
}

export interface SystemSpec {
  readonly id: string;
  /** What the table shows. */
  readonly label: string;
  readonly server: string;
  readonly client: string;
  readonly runtime: Runtime;
  readonly tls: boolean;
  readonly protocol?: ClientConfig["protocol"];
  readonly telemetry?: BenchTelemetryMode;
  /** Run only when PQRPC_BENCH_SYSTEMS names it (not in the default table). */
  readonly optional?: boolean;
}

export const SERVERS: readonly ServerSpec[] = [
  { id: "pqrpc", script: "pqrpc-server.ts", runtime: "main", tls: true },
  { id: "pqrpc-24", script: "pqrpc-server.ts", runtime: "node24", tls: true },
  { id: "grpc-js", script: "grpc-js-server.ts", runtime: "main", tls: false },
  { id: "grpc-js-24", script: "grpc-js-server.ts", runtime: "node24", tls: false },
  { id: "grpc-js-tls-24", script: "grpc-js-server.ts", runtime: "node24", tls: true },
  { id: "connect", script: "connect-server.ts", runtime: "main", tls: false },
  { id: "pqrpc-otel", script: "pqrpc-server.ts", runtime: "main", tls: true, telemetry: "sdk" },
  { id: "pqrpc-24-otel", script: "pqrpc-server.ts", runtime: "node24", tls: true, telemetry: "sdk" },
];

/** The baselines of the ratio columns. */
export const BASELINE_TLS = "grpc-js-tls-24";
export const BASELINE_PLAIN = "grpc-js";

export const SYSTEMS: readonly SystemSpec[] = [
  {
    id: "pqrpc-frames",
    label: "pqrpc pqrpc/1 PQ TLS",
    server: "pqrpc",
    client: "pqrpc-client.ts",
    runtime: "main",
    tls: true,
    protocol: "pqrpc/1",
  },
  {
    id: "pqrpc-h2",
    label: "pqrpc h2 PQ TLS",
    server: "pqrpc",
    client: "pqrpc-client.ts",
    runtime: "main",
    tls: true,
    protocol: "h2",
  },
  {
    id: "pqrpc-frames-24",
    label: "pqrpc pqrpc/1 PQ TLS",
    server: "pqrpc-24",
    client: "pqrpc-client.ts",
    runtime: "node24",
    tls: true,
    protocol: "pqrpc/1",
  },
  {
    id: "pqrpc-h2-24",
    label: "pqrpc h2 PQ TLS",
    server: "pqrpc-24",
    client: "pqrpc-client.ts",
    runtime: "node24",
    tls: true,
    protocol: "h2",
  },
  {
    id: BASELINE_TLS,
    label: "grpc-js TLS (OpenSSL)",
    server: "grpc-js-tls-24",
    client: "grpc-js-client.ts",
    runtime: "node24",
    tls: true,
  },
  {
    id: BASELINE_PLAIN,
    label: "grpc-js plaintext",
    server: "grpc-js",
    client: "grpc-js-client.ts",
    runtime: "main",
    tls: false,
  },
  {
    id: "grpc-js-24",
    label: "grpc-js plaintext",
    server: "grpc-js-24",
    client: "grpc-js-client.ts",
    runtime: "node24",
    tls: false,
  },
  {
    id: "connect",
    label: "connect-node gRPC h2c",
    server: "connect",
    client: "connect-client.ts",
    runtime: "main",
    tls: false,
  },
  // Issue 10's overhead target: metrics and traces on, beside the same system with them off.
  {
    id: "pqrpc-frames-otel",
    label: "pqrpc pqrpc/1 PQ TLS + OTel SDK",
    server: "pqrpc-otel",
    client: "pqrpc-client.ts",
    runtime: "main",
    tls: true,
    protocol: "pqrpc/1",
    telemetry: "sdk",
    optional: true,
  },
  {
    id: "pqrpc-frames-24-otel",
    label: "pqrpc pqrpc/1 PQ TLS + OTel SDK",
    server: "pqrpc-24-otel",
    client: "pqrpc-client.ts",
    runtime: "node24",
    tls: true,
    protocol: "pqrpc/1",
    telemetry: "sdk",
    optional: true,
  },
];
