/** Shared by the CLI tests: run commands in-process or as `node bin/pqrpc.mjs`, and make certificates. */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "./main.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** A spawned CLI is compiled JS and starts fast; the margin is for a busy 2-core machine. */
export const SPAWN_TIMEOUT_MS = 45_000;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** main() in this process with captured output. */
export async function runInProcess(argv: string[]): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** `node bin/pqrpc.mjs ...argv` as a user runs it; `stdin` is written then closed. */
export function runSpawned(argv: string[], stdin?: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [join(REPO_ROOT, "bin/pqrpc.mjs"), ...argv],
      { cwd: REPO_ROOT, timeout: SPAWN_TIMEOUT_MS, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? "");
  });
}

export interface CertDir {
  readonly dir: string;
  readonly ca: string;
  readonly chain: string;
  readonly key: string;
}

/** `pqrpc certs init` (in-process) into a new temporary directory. */
export async function makeCerts(alg: string, prefix = "pqrpc-cli-"): Promise<CertDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const r = await runInProcess(["certs", "init", "--dir", dir, "--alg", alg, "--san", "localhost,127.0.0.1"]);
  if (r.code !== 0) throw new Error(`certs init failed: ${r.stderr}`);
  return { dir, ca: join(dir, "ca.pem"), chain: join(dir, "server.pem"), key: join(dir, "server.key") };
}
