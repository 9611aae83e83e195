/**
 * `pqrpc health ADDR [SERVICE] [--ca FILE | --insecure] [--servername NAME] [--policy NAME]
 *   [--protocol pqrpc/1|h2] [--timeout MS] [--connect-timeout MS] [--rpc-timeout MS] [-H k:v] [-v]`
 *
 * One grpc.health.v1.Health/Check call (SERVICE default "": the whole
 * server), exiting as grpc-health-probe does so that Kubernetes exec probes
 * and scripts written for it work unchanged:
 *
 *   0  the status is SERVING
 *   1  invalid arguments (bad option, unreadable --ca)
 *   2  connection failed or timed out (TCP, TLS handshake, policy refusal)
 *   3  the RPC failed or timed out (unknown service: NOT_FOUND; no health
 *      service: UNIMPLEMENTED; DEADLINE_EXCEEDED)
 *   4  the RPC succeeded but the status is not SERVING (NOT_SERVING, UNKNOWN)
 *
 * grpc-health-probe gives an unknown service and an RPC timeout the same
 * code (3), so this command does too; the stderr line tells them apart.
 * Both timeouts default to grpc-health-probe's one second.
 */
import { parseArgs } from "node:util";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.ts";
import { createClient } from "../rpc/client.ts";
import { Code, codeName } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import { formatAddress, parseAddress } from "./address.ts";
import { parseHeaders } from "./call.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { describeFailure } from "./describe-error.ts";
import { ExitStatus } from "./exit-status.ts";
import { MAX_TIMEOUT_MS, parsePositiveInteger, parseTimeout } from "./options.ts";
import { openRpcConnection, parseProtocol, type RpcConnection } from "./rpc-connection.ts";
import { resolveTlsTarget, TLS_CLI_OPTIONS, type TlsTarget } from "./tls-dial.ts";
import { securityLines } from "./tls-summary.ts";
import { commandUsage } from "./usage.ts";

/** grpc-health-probe's exit codes (its StatusInvalidArguments ... StatusUnhealthy). */
export const HEALTH_EXIT = {
  SERVING: 0,
  INVALID_ARGUMENTS: 1,
  CONNECTION_FAILURE: 2,
  RPC_FAILURE: 3,
  UNHEALTHY: 4,
} as const;

/** grpc-health-probe's default for both its -connect-timeout and -rpc-timeout. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;

const HEALTH_USAGE = commandUsage("health");

const HEALTH_OPTIONS = {
  ...TLS_CLI_OPTIONS,
  header: { type: "string", short: "H", multiple: true },
  protocol: { type: "string" },
  timeout: { type: "string" },
  "connect-timeout": { type: "string" },
  "rpc-timeout": { type: "string" },
  verbose: { type: "boolean", short: "v", default: false },
} as const;

interface HealthArgs {
  readonly service: string;
  readonly target: TlsTarget;
  readonly protocol: ReturnType<typeof parseProtocol>;
  readonly connectTimeoutMs: number;
  readonly rpcTimeoutMs: number;
  readonly headers: ReturnType<typeof parseHeaders>;
  readonly verbose: boolean;
}

function timeoutOption(name: string, text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : parsePositiveInteger(name, text, MAX_TIMEOUT_MS);
}

/** Every mistake in the command line, and an unusable --ca, is exit 1 (as grpc-health-probe's). */
async function parseHealthArgs(args: string[]): Promise<HealthArgs> {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: HEALTH_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length < 1 || positionals.length > 2) throw new CliError(HEALTH_USAGE);
    const address = parseAddress(positionals[0]!);
    const both = parseTimeout(values.timeout) ?? DEFAULT_HEALTH_TIMEOUT_MS;
    return {
      service: positionals[1] ?? "",
      protocol: parseProtocol(values.protocol),
      connectTimeoutMs: timeoutOption("--connect-timeout", values["connect-timeout"], both),
      rpcTimeoutMs: timeoutOption("--rpc-timeout", values["rpc-timeout"], both),
      headers: parseHeaders(values.header),
      verbose: values.verbose,
      target: await resolveTlsTarget(address, values, true),
    };
  } catch (e) {
    throw new ExitStatus(HEALTH_EXIT.INVALID_ARGUMENTS, e instanceof Error ? e.message : String(e), {
      cause: e,
    });
  }
}

export async function runHealth(args: string[], io: CliIo): Promise<void> {
  const a = await parseHealthArgs(args);
  const address = formatAddress(a.target.address);
  const verbose = (line: string) => {
    if (a.verbose) io.stderr(`* ${line}\n`);
  };
  let conn: RpcConnection;
  const connectStarted = performance.now();
  try {
    conn = await openRpcConnection(a.target, a.protocol, a.connectTimeoutMs);
  } catch (e) {
    throw new ExitStatus(
      HEALTH_EXIT.CONNECTION_FAILURE,
      describeFailure(e, { address, policy: a.target.policy }),
      { cause: e },
    );
  }
  for (const line of securityLines(a.target, conn)) verbose(line);
  if (!a.target.verifier.verified)
    io.stderr("pqrpc: warning: --insecure: the server's certificate was not verified\n");
  const rpcStarted = performance.now();
  let status: HealthCheckResponse_ServingStatus;
  try {
    const health = createClient(Health, conn.transport);
    status = (await health.check({ service: a.service }, { timeoutMs: a.rpcTimeoutMs, headers: a.headers }))
      .status;
  } catch (e) {
    throw new ExitStatus(HEALTH_EXIT.RPC_FAILURE, rpcFailure(e, a, address), { cause: e });
  } finally {
    await conn.close();
  }
  verbose(
    `time elapsed: connect ${(rpcStarted - connectStarted).toFixed(1)} ms, rpc ${(performance.now() - rpcStarted).toFixed(1)} ms`,
  );
  const name = HealthCheckResponse_ServingStatus[status] ?? `status ${status}`;
  if (status !== HealthCheckResponse_ServingStatus.SERVING) {
    throw new ExitStatus(
      HEALTH_EXIT.UNHEALTHY,
      `${serviceLabel(a.service)} unhealthy (responded with ${name})`,
    );
  }
  io.stdout(`status: ${name}\n`);
}

function serviceLabel(service: string): string {
  return service === "" ? "server" : `service "${service}"`;
}

/** The one line of an RPC failure, in grpc-health-probe's terms. */
function rpcFailure(e: unknown, a: HealthArgs, address: string): string {
  if (e instanceof RpcError) {
    switch (e.code) {
      case Code.NOT_FOUND:
        return `unknown service "${a.service}": the server has no health status for it (NOT_FOUND)`;
      case Code.UNIMPLEMENTED:
        return `${address} does not implement the gRPC health protocol (grpc.health.v1.Health)`;
      case Code.DEADLINE_EXCEEDED:
        return `timeout: health rpc did not complete within ${a.rpcTimeoutMs} ms`;
    }
    const cause = describeFailure(e, { address, policy: a.target.policy });
    return `health rpc failed: ${cause.startsWith(codeName(e.code)) ? cause : `${codeName(e.code)}: ${cause}`}`;
  }
  return `health rpc failed: ${describeFailure(e, { address, policy: a.target.policy })}`;
}
