/**
 * The systems bench:rpc compares: which server and client worker scripts,
 * on which Node, with TLS or not. "main" is the Node running the bench
 * (this machine's, v20); "node24" has OpenSSL 3.5, the only runtime where
 * grpc-js gets PQ TLS. Servers are shared by the systems that name them
 * (one system runs at a time).
 */
import type { ClientConfig } from "./messages.ts";

export type Runtime = "main" | "node24";

export interface ServerSpec {
  readonly id: string;
  readonly script: string;
  readonly runtime: Runtime;
  readonly tls: boolean;
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
}

export const SERVERS: readonly ServerSpec[] = [
  { id: "pqrpc", script: "pqrpc-server.ts", runtime: "main", tls: true },
  { id: "pqrpc-24", script: "pqrpc-server.ts", runtime: "node24", tls: true },
  { id: "grpc-js", script: "grpc-js-server.ts", runtime: "main", tls: false },
  { id: "grpc-js-24", script: "grpc-js-server.ts", runtime: "node24", tls: false },
  { id: "grpc-js-tls-24", script: "grpc-js-server.ts", runtime: "node24", tls: true },
  { id: "connect", script: "connect-server.ts", runtime: "main", tls: false },
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
];
