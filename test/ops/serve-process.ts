/**
 * `pqrpc serve --demo` as an operator runs it (node bin/pqrpc.mjs, the
 * compiled dist), on 127.0.0.1, with development certificates made by
 * `pqrpc certs init` in a temporary folder, and a pqrpc client for it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../src/client/channel.ts";
import type { ConnectOptions } from "../../src/client/connect-options.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import { loadTrust } from "../../src/pki/load.ts";
import { REPO_ROOT, runProcess, type ServerProcess, startServerProcess } from "../interop/child-process.ts";

export const PQRPC_BIN = join(REPO_ROOT, "bin/pqrpc.mjs");
/** Start-up of the compiled CLI plus loading wasm: seconds on a busy 2-core machine. */
export const SERVE_START_TIMEOUT_MS = 60_000;

export interface DemoServe {
  readonly dir: string;
  readonly process: ServerProcess;
  readonly address: string;
  /** One SayHello over `protocol` with a fresh channel. */
  sayHello(protocol: "pqrpc/1" | "h2", extra?: Partial<ConnectOptions>): Promise<string>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (for servers that cannot report theirs). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * `pqrpc serve --demo` on 127.0.0.1 with a chain and key (files), plus `args`; resolves once it
 * listens (port 0 unless `args` names one).
 */
export function startServeProcess(
  identity: { readonly cert: string; readonly key: string },
  args: readonly string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<ServerProcess> {
  const port = args.includes("--port") ? [] : ["--port", "0"];
  return startServerProcess(
    process.execPath,
    [
      PQRPC_BIN,
      "serve",
      "--demo",
      "--host",
      "127.0.0.1",
      ...port,
      "--cert",
      identity.cert,
      "--key",
      identity.key,
      ...args,
    ],
    {
      what: "pqrpc serve --demo",
      portPattern: /listening on 127\.0\.0\.1:(\d+)/,
      startTimeoutMs: SERVE_START_TIMEOUT_MS,
      ...(env === undefined ? {} : { env }),
    },
  );
}

export async function startDemoServe(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<DemoServe> {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-ops-"));
  const certs = await runProcess(process.execPath, [PQRPC_BIN, "certs", "init", "--dir", dir], {
    timeoutMs: 60_000,
  });
  if (certs.code !== 0) throw new Error(`pqrpc certs init failed: ${certs.stderr}`);
  const serve = await startServeProcess(
    { cert: join(dir, "server.pem"), key: join(dir, "server.key") },
    args,
    env,
  );
  const address = `127.0.0.1:${serve.port}`;
  return {
    dir,
    process: serve,
    address,
    async sayHello(protocol, extra = {}) {
      const trust = await loadTrust(join(dir, "ca.pem"));
      const channel = await connect(address, {
        trust,
        serverName: "localhost",
        protocol,
        telemetry: false,
        ...extra,
      });
      try {
        return (await createClient(Greeter, channel).sayHello({ name: "ops" })).message;
      } finally {
        await channel.close();
      }
    },
    async stop() {
      await serve.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `pqrpc <args>` with the compiled CLI; resolves with its exit code and output. */
export function runPqrpc(...args: string[]) {
  return runProcess(process.execPath, [PQRPC_BIN, ...args], { timeoutMs: 90_000 });
}

/**
 * `pqrpc certs init` in `dir`, then one enrollment token for `names` (stored in
 * dir/tokens.json); resolves with the token.
 */
export async function initCaWithToken(dir: string, names: string): Promise<string> {
  const init = await runPqrpc("certs", "init", "--dir", dir);
  if (init.code !== 0) throw new Error(`pqrpc certs init failed: ${init.stderr}`);
  const made = await runPqrpc("ca", "token", "--tokens", join(dir, "tokens.json"), "--names", names);
  if (made.code !== 0) throw new Error(`pqrpc ca token failed: ${made.stderr}`);
  return made.stdout.trim();
}

/** `pqrpc ca serve` on 127.0.0.1 with dir's CA and tokens (initCaWithToken), plus `args`. */
export function startCaServe(dir: string, args: readonly string[] = []): Promise<ServerProcess> {
  return startServerProcess(
    process.execPath,
    [
      PQRPC_BIN,
      "ca",
      "serve",
      "--ca-cert",
      join(dir, "ca.pem"),
      "--ca-key",
      join(dir, "ca.key"),
      "--tokens",
      join(dir, "tokens.json"),
      ...args,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    {
      what: "pqrpc ca serve",
      portPattern: /listening on 127\.0\.0\.1:(\d+)/,
      startTimeoutMs: SERVE_START_TIMEOUT_MS,
    },
  );
}
