/**
 * `pqrpc serve --interop` as a user runs it (node bin/pqrpc.mjs, on the
 * Node running the tests), on 127.0.0.1 with a free port, for peers in other
 * languages to call.
 */
import { join } from "node:path";
import type { PolicyName } from "../../src/tls/policy.ts";
import { REPO_ROOT, type ServerProcess, startServerProcess } from "./child-process.ts";

/** Start-up loads tsx and compiles our sources: seconds on a busy 2-core machine. */
export const SERVE_START_TIMEOUT_MS = 90_000;

export interface ServeOptions {
  /** The server's chains with their keys, in the order it prefers them (one --cert/--key pair each). */
  readonly identities: readonly { readonly cert: string; readonly key: string }[];
  readonly policy: PolicyName;
  /** ALPN the server offers (default h2 only: gRPC's peers speak gRPC over HTTP/2). */
  readonly alpn?: string;
}

export function startPqrpcServe(options: ServeOptions): Promise<ServerProcess> {
  const args = [
    join(REPO_ROOT, "bin/pqrpc.mjs"),
    "serve",
    "--interop",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--alpn",
    options.alpn ?? "h2",
    "--policy",
    options.policy,
    ...options.identities.flatMap((id) => ["--cert", id.cert, "--key", id.key]),
  ];
  return startServerProcess(process.execPath, args, {
    what: "pqrpc serve --interop",
    portPattern: /listening on 127\.0\.0\.1:(\d+)/,
    startTimeoutMs: SERVE_START_TIMEOUT_MS,
  });
}
