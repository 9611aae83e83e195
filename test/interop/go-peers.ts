/**
 * Drives grpc-go's own interop client and server (built by
 * scripts/ensure-go-peers.sh into tools/go-peers/bin) for go.test.ts and
 * python.test.ts. Their TLS is Go's crypto/tls with its defaults; the only
 * TLS inputs are the flags the binaries have (the CA to trust, the name to
 * verify, the server's certificate and key).
 *
 * The client runs one case per process (`--test_case`, as gRPC's interop
 * runners call it) and reports by exit status: 0 passed; otherwise it
 * logged the failed check on stderr (grpclog FATAL) and exited 1.
 */
import { join } from "node:path";
import {
  onPath,
  runEnsureScript,
  runProcess,
  type ServerProcess,
  startServerProcess,
} from "./child-process.ts";
import type { CaseResult } from "./stock-peer-tls.ts";

/** First build: ~40 modules downloaded and compiled on 2 shared cores (1-3 min here); later runs ~10 ms. */
export const GO_INSTALL_TIMEOUT_MS = 20 * 60_000;
/** One client process, one case: start-up, a handshake and a few calls (cases take < 1 s). */
export const GO_CASE_TIMEOUT_MS = 60_000;
/** Until the server logs its port. */
const GO_SERVER_START_TIMEOUT_MS = 30_000;
/** Lines of a failed client's stderr kept as the case's error. */
const ERROR_LINES = 6;

export interface GoPeers {
  readonly client: string;
  readonly server: string;
  /** Go and grpc-go versions the binaries were built with (`go version -m`). */
  readonly versions: { readonly go: string; readonly grpc: string };
  /** How long scripts/ensure-go-peers.sh took this time (cold build or cache hit). */
  readonly installMs: number;
}

/** Why the Go tests cannot run here, or undefined when `go` is on PATH. */
export function goMissing(): string | undefined {
  return onPath("go", ["version"])
    ? undefined
    : "go is not on PATH (install Go 1.26+ to run the grpc-go interop tests)";
}

/** Builds the peers when needed (a failure throws: it is the test's failure, not a skip). */
export async function ensureGoPeers(): Promise<GoPeers> {
  const { path: bin, ms } = await runEnsureScript("ensure-go-peers.sh", GO_INSTALL_TIMEOUT_MS);
  const client = join(bin, "grpc-go-interop-client");
  const server = join(bin, "grpc-go-interop-server");
  const info = await runProcess("go", ["version", "-m", client], { timeoutMs: GO_CASE_TIMEOUT_MS });
  const go = /:\s+(go\S+)/.exec(info.stdout)?.[1] ?? "unknown";
  const grpc = /\bgoogle\.golang\.org\/grpc\s+(v\S+)/.exec(info.stdout)?.[1] ?? "unknown";
  return { client, server, versions: { go, grpc }, installMs: ms };
}

export interface GoClientOptions {
  readonly port: number;
  /** PEM file of the CA the client trusts (--ca_file with --use_test_ca). */
  readonly ca: string;
  /** TLS and :authority name (--server_host_override). */
  readonly serverName: string;
}

/** Runs one case in its own client process. */
export async function runGoClientCase(peers: GoPeers, options: GoClientOptions, name: string) {
  const r = await runProcess(
    peers.client,
    [
      "--use_tls",
      "--use_test_ca",
      `--ca_file=${options.ca}`,
      "--server_host=127.0.0.1",
      `--server_port=${options.port}`,
      `--server_host_override=${options.serverName}`,
      `--test_case=${name}`,
    ],
    { timeoutMs: GO_CASE_TIMEOUT_MS },
  );
  const ok = r.code === 0;
  const tail = r.stderr.trim().split("\n").slice(-ERROR_LINES).join("\n");
  const error = r.timedOut
    ? `timed out after ${GO_CASE_TIMEOUT_MS} ms`
    : `exit ${r.code ?? r.signal}: ${tail}`;
  const result: CaseResult = ok
    ? { case: name, ok, durationMs: r.durationMs }
    : { case: name, ok, error, durationMs: r.durationMs };
  return result;
}

/** Runs the cases one after another, one process each. */
export async function runGoClientCases(
  peers: GoPeers,
  options: GoClientOptions,
  names: readonly string[],
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const name of names) results.push(await runGoClientCase(peers, options, name));
  return results;
}

/**
 * Starts the grpc-go interop server over TLS with `cert`/`key`. It has no
 * host flag and listens on every interface; the tests only reach it on
 * 127.0.0.1. Port 0 lets the kernel choose; the server logs the port it got
 * at INFO level, which GRPC_GO_LOG_SEVERITY_LEVEL turns on.
 */
export function startGoServer(
  peers: GoPeers,
  options: { cert: string; key: string },
): Promise<ServerProcess> {
  return startServerProcess(
    peers.server,
    ["--use_tls", `--tls_cert_file=${options.cert}`, `--tls_key_file=${options.key}`, "--port=0"],
    {
      what: "grpc-go interop server",
      portPattern: /interop server listening on \S*:(\d+)/,
      startTimeoutMs: GO_SERVER_START_TIMEOUT_MS,
      env: { ...process.env, GRPC_GO_LOG_SEVERITY_LEVEL: "info", GRPC_GO_LOG_VERBOSITY_LEVEL: "0" },
    },
  );
}
