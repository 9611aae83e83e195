/**
 * Drives the Python peer for python.test.ts: our interop client
 * (test/interop/python/interop_client.py) on stock grpcio with its default
 * TLS settings (BoringSSL), installed with its generated stubs by
 * scripts/ensure-python-peers.sh into tools/python-peers.
 */
import { join } from "node:path";
import { onPath, REPO_ROOT, runEnsureScript, runProcess } from "./child-process.ts";
import type { CaseResult } from "./stock-peer-tls.ts";

/** First install: a venv and ~60 MB of wheels (under a minute here, more on a slow network). */
export const PYTHON_INSTALL_TIMEOUT_MS = 15 * 60_000;
/** One client run of all 14 cases: interpreter start-up, one channel, calls bounded by the client's 30 s deadlines. */
export const PYTHON_CLIENT_TIMEOUT_MS = 180_000;
const CLIENT_SCRIPT = join(REPO_ROOT, "test/interop/python/interop_client.py");
const VERSIONS_SCRIPT =
  "import json, platform, grpc, google.protobuf; " +
  "print(json.dumps({'python': platform.python_version(), 'grpcio': grpc.__version__, 'protobuf': google.protobuf.__version__}))";

export interface PythonPeers {
  readonly python: string;
  /** Environment with the generated stubs on PYTHONPATH. */
  readonly env: NodeJS.ProcessEnv;
  readonly versions: { readonly python: string; readonly grpcio: string; readonly protobuf: string };
  /** How long scripts/ensure-python-peers.sh took this time (cold install or cache hit). */
  readonly installMs: number;
}

/** Why the Python tests cannot run here, or undefined when `python3` is on PATH. */
export function pythonMissing(): string | undefined {
  return onPath("python3")
    ? undefined
    : "python3 is not on PATH (install Python 3.9+ to run the grpcio interop tests)";
}

/** Installs the peer when needed (a failure throws: it is the test's failure, not a skip). */
export async function ensurePythonPeers(): Promise<PythonPeers> {
  const { path: dir, ms } = await runEnsureScript("ensure-python-peers.sh", PYTHON_INSTALL_TIMEOUT_MS);
  const python = join(dir, "venv/bin/python");
  const env = { ...process.env, PYTHONPATH: join(dir, "gen"), PYTHONDONTWRITEBYTECODE: "1" };
  const v = await runProcess(python, ["-c", VERSIONS_SCRIPT], { timeoutMs: PYTHON_CLIENT_TIMEOUT_MS, env });
  if (v.code !== 0) throw new Error(`the installed grpcio does not import:\n${v.stderr}`);
  return { python, env, versions: JSON.parse(v.stdout) as PythonPeers["versions"], installMs: ms };
}

export interface PythonClientOptions {
  readonly port: number;
  /** PEM file of the CA the client trusts (grpc.ssl_channel_credentials root_certificates). */
  readonly ca: string;
  /** TLS and :authority name (grpc.ssl_target_name_override). */
  readonly serverName: string;
  readonly cases: readonly string[];
}

/** Runs the cases in one client process (one channel) and returns one result per case, in order. */
export async function runPythonClient(
  peers: PythonPeers,
  options: PythonClientOptions,
): Promise<CaseResult[]> {
  const r = await runProcess(
    peers.python,
    [
      CLIENT_SCRIPT,
      `--port=${options.port}`,
      `--ca=${options.ca}`,
      `--server-name=${options.serverName}`,
      `--cases=${options.cases.join(",")}`,
    ],
    { timeoutMs: PYTHON_CLIENT_TIMEOUT_MS, env: peers.env },
  );
  const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const done = events.find((e) => e["event"] === "done");
  if (r.timedOut || done === undefined) {
    const why = r.timedOut
      ? `timed out after ${PYTHON_CLIENT_TIMEOUT_MS} ms`
      : `exited with ${r.code ?? r.signal}`;
    throw new Error(`python interop client ${why} before the end of its run:\n${r.stdout}\n${r.stderr}`);
  }
  return events.filter((e) => typeof e["case"] === "string") as unknown as CaseResult[];
}
