/**
 * The packages as a user gets them: `npm pack` of pqrpc and @pqrpc/codegen
 * (from the dist/ that `npm test` built), installed into new, empty projects
 * outside the repository. Shared by the tests that judge the installed
 * package (test/package/*.test.ts).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** `npm install` of the tarballs (their dependencies come from npm's cache or the registry). */
export const INSTALL_TIMEOUT_MS = 300_000;
/** One consumer script: a handshake, a few calls. */
export const RUN_TIMEOUT_MS = 120_000;

const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never rejects (the result carries the exit code, -1 when it could not run). */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolveRun) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? RUN_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolveRun({ code, stdout, stderr: error && code === -1 ? `${stderr}\n${error.message}` : stderr });
      },
    );
  });
}

/** Throws with the command's output when it failed. */
export async function mustRun(
  file: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const r = await run(file, args, options);
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

export interface Tarballs {
  readonly dir: string;
  readonly pqrpc: string;
  readonly codegen: string;
}

/** Packs both packages into a new directory. Scripts are off: dist/ is what `npm test` built. */
export async function packTarballs(): Promise<Tarballs> {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-pack-"));
  await mustRun("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: REPO_ROOT });
  await mustRun("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "-w", "@pqrpc/codegen"], {
    cwd: REPO_ROOT,
  });
  const files = await readdir(dir);
  const find = (prefix: string) => {
    const f = files.find((name) => name.startsWith(prefix) && name.endsWith(".tgz"));
    if (f === undefined) throw new Error(`npm pack wrote no ${prefix}*.tgz in ${dir}: ${files.join(", ")}`);
    return join(dir, f);
  };
  return { dir, pqrpc: find("pqrpc-"), codegen: find("pqrpc-codegen-") };
}

/**
 * A new project (package.json with "type": "module") with `packages`
 * installed: tarball paths or registry specs.
 */
export async function createProject(
  prefix: string,
  dependencies: readonly string[],
  devDependencies: readonly string[] = [],
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
  );
  await mustRun("npm", ["install", ...NPM_FLAGS, ...dependencies], {
    cwd: dir,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  if (devDependencies.length > 0) await installDev(dir, ...devDependencies);
  return dir;
}

/** `npm install --save-dev` into an existing project, from npm's cache where it can. */
export async function installDev(project: string, ...specs: string[]): Promise<void> {
  await mustRun("npm", ["install", "--save-dev", ...NPM_FLAGS, ...specs], {
    cwd: project,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
}

export async function removeAll(...dirs: (string | undefined)[]): Promise<void> {
  await Promise.all(dirs.map((d) => (d ? rm(d, { recursive: true, force: true }) : undefined)));
}

/** The version of a devDependency of this repository, so consumers install what the repo tests with. */
export async function repoVersion(pkg: string): Promise<string> {
  const meta = JSON.parse(await readFile(join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
    version: string;
  };
  return meta.version;
}
