/**
 * `pqrpc serve --interop --port N --cert F --key F [--host H] [--alpn h2,pqrpc/1] [--grace-ms N] [--ws-path P]`
 *   serves grpc.testing.TestService (gRPC's interop service) on one port: raw TLS and TLS over
 *   WebSocket, ALPN "h2" (gRPC over HTTP/2, for any gRPC interop client) and "pqrpc/1".
 *   Prints one line with the address once listening; SIGINT/SIGTERM close it gracefully.
 */
import { parseArgs } from "node:util";
import { TestService } from "../gen/grpc/testing/test_pb.ts";
import { createTestServiceHandlers } from "../interop/test-service.ts";
import { loadIdentity } from "../pki/load.ts";
import { DEFAULT_CLOSE_GRACE_MS, DEFAULT_WEBSOCKET_PATH } from "../server/limits.ts";
import { createServer } from "../server/server.ts";
import type { ServerProtocol } from "../server/server-options.ts";
import { CliError, type CliIo } from "./cli-error.ts";

const PROTOCOLS: readonly ServerProtocol[] = ["h2", "pqrpc/1"];
const MAX_PORT = 65_535;
/** Longest --grace-ms accepted, ms. */
const MAX_GRACE_MS = 600_000;

const SERVE_USAGE =
  "usage: pqrpc serve --interop --port N --cert FILE --key FILE [--host H] [--alpn h2,pqrpc/1] [--grace-ms N] [--ws-path P]";

/** Resolves with the first of SIGINT/SIGTERM, removing both listeners. */
export function nextTerminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliError(`serve: ${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export async function runServe(
  args: string[],
  io: CliIo,
  until: () => Promise<unknown> = nextTerminationSignal,
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      interop: { type: "boolean", default: false },
      port: { type: "string" },
      host: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      alpn: { type: "string", default: PROTOCOLS.join(",") },
      "grace-ms": { type: "string", default: String(DEFAULT_CLOSE_GRACE_MS) },
      "ws-path": { type: "string", default: DEFAULT_WEBSOCKET_PATH },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.interop) throw new CliError(`serve: only --interop is available so far\n${SERVE_USAGE}`);
  if (values.port === undefined || !values.cert || !values.key) {
    throw new CliError(`serve: --port, --cert and --key are required\n${SERVE_USAGE}`);
  }
  const port = integer(values.port, "--port", 0, MAX_PORT);
  const graceMs = integer(values["grace-ms"], "--grace-ms", 0, MAX_GRACE_MS);
  const alpn = values.alpn.split(",").map((p) => p.trim());
  for (const p of alpn) {
    if (!PROTOCOLS.includes(p as ServerProtocol)) {
      throw new CliError(`serve: unknown --alpn protocol "${p}" (one of: ${PROTOCOLS.join(", ")})`);
    }
  }
  const identity = await loadIdentity(values.cert, values.key);
  const server = createServer({
    identity,
    alpn: alpn as ServerProtocol[],
    webSocket: { path: values["ws-path"] },
  }).service(TestService, createTestServiceHandlers());
  // Subscribe before listening: a signal that comes while binding must not kill the process uncleanly.
  const stop = until();
  const address = await server.listen({ port, ...(values.host === undefined ? {} : { host: values.host }) });
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  io.stdout(
    `pqrpc serve: grpc.testing.TestService listening on ${host}:${address.port} ` +
      `(TLS and TLS over WebSocket ${values["ws-path"]}; ALPN ${alpn.join(", ")})\n`,
  );
  await stop;
  await server.close({ graceMs });
}
