/**
 * pqrpc as a user gets it, for the benchmarks: the compiled dist/ (what
 * `npm run build` emits and the package ships), imported through the
 * package's own `exports` ("pqrpc", "pqrpc/tls", ...), not the TypeScript
 * source transpiled on the fly by tsx. tsx's transpiled source is not what
 * runs in production: among other things esbuild's keepNames wraps every
 * function in a `__name(...)` call, which took 4-7% of a pqrpc worker's CPU
 * in bench:rpc profiles. tsx leaves .js files alone, so a bench script may
 * itself run under tsx and still exercise the shipped JavaScript.
 *
 * - ensureDist(): in a bench's main process, before anything is imported
 *   from dist: builds (`node scripts/build.mjs`) when dist/ is missing or
 *   older than the sources; PQRPC_BENCH_BUILD=0 makes a missing or stale
 *   dist an error instead. Builds are serialized by a lock file, so two
 *   benches starting at once do not delete dist/ under each other (the
 *   build script empties dist/ first): the second waits, then finds dist
 *   fresh.
 * - assertDistFresh(): in worker processes (spawned after ensureDist): never
 *   builds, fails if dist is missing or stale.
 * - importDist(subpath): one of the package's entries; importDistModule(path)
 *   a compiled module that is not an entry (the generated grpc.testing
 *   service, the interop handlers), for bench fixtures only.
 *
 * "Older than the sources": the newest modification time of the files the
 * build reads (src/ except tests, tsconfig.json, tsconfig.build.json)
 * against dist/index.js's. A file edited while a build runs can slip
 * through; editing sources mid-bench is not supported.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The package's entries (package.json "exports") a bench may import, with their types. */
export interface DistEntries {
  ".": typeof import("../src/index.ts");
  tls: typeof import("../src/entries/tls.ts");
  pki: typeof import("../src/entries/pki.ts");
  crypto: typeof import("../src/entries/crypto.ts");
}

/** The build output whose time stands for the whole build (tsc writes it with every other module). */
const DIST_MARKER = "dist/index.js";
/** Build inputs besides src/. */
const BUILD_INPUTS = ["tsconfig.json", "tsconfig.build.json"];
/** A build that holds the lock longer than this is taken for dead (a full build takes ~1 min here). */
const LOCK_STALE_MS = 10 * 60_000;
const LOCK_POLL_MS = 250;

export interface DistState {
  readonly fresh: boolean;
  /** Why dist cannot be used as it is (missing or stale); undefined when fresh. */
  readonly reason?: string;
}

function isSourceInput(path: string): boolean {
  return !path.endsWith(".test.ts") && !/(^|\/)testdata\//.test(path);
}

/** The newest build input under `root`, with its modification time. */
function newestInput(root: string): { path: string; mtimeMs: number } {
  let newest = { path: "", mtimeMs: 0 };
  const consider = (path: string) => {
    const { mtimeMs } = statSync(path);
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  };
  const src = join(root, "src");
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (isSourceInput(relative(src, path))) consider(path);
  }
  for (const f of BUILD_INPUTS) if (existsSync(join(root, f))) consider(join(root, f));
  return newest;
}

/** Whether `root`'s dist/ exists and is at least as new as every build input. */
export function distState(root: string = REPO_ROOT): DistState {
  const marker = join(root, DIST_MARKER);
  if (!existsSync(marker)) return { fresh: false, reason: `${DIST_MARKER} is missing` };
  const built = statSync(marker).mtimeMs;
  const newest = newestInput(root);
  if (newest.mtimeMs > built) {
    const ahead = ((newest.mtimeMs - built) / 1000).toFixed(1);
    return {
      fresh: false,
      reason: `${relative(root, newest.path)} is ${ahead} s newer than ${DIST_MARKER}`,
    };
  }
  return { fresh: true };
}

/** For worker processes: the orchestrator has run ensureDist; a dist that went stale since is an error. */
export function assertDistFresh(root: string = REPO_ROOT): void {
  const state = distState(root);
  if (!state.fresh)
    throw new Error(`pqrpc dist/ cannot be benchmarked: ${state.reason} (run \`npm run build\`)`);
}

export interface EnsureDistOptions {
  readonly root?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (default: stderr, so a bench's stdout keeps only its report). */
  readonly log?: (line: string) => void;
}

/** The lock file that serializes builds of `root`'s dist/ (outside the tree: the build empties dist/). */
export function buildLockPath(root: string = REPO_ROOT): string {
  const id = createHash("sha256").update(resolve(root)).digest("hex").slice(0, 16);
  return join(tmpdir(), `pqrpc-dist-build-${id}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the build lock, waiting while another live process holds it; returns the release. */
async function acquireLock(path: string, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + LOCK_STALE_MS;
  let said = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = Number.NaN;
    let age = 0;
    try {
      holder = Number(readFileSync(path, "utf8"));
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      continue; // released between the open and the read
    }
    // A holder that died (or a lock older than any build) is cleared; an empty file is a holder mid-write.
    if ((Number.isInteger(holder) && holder > 0 && !alive(holder)) || age > LOCK_STALE_MS) {
      try {
        unlinkSync(path);
      } catch {}
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`pqrpc dist/ build lock ${path} held by ${holder} for too long`);
    if (!said) log(`waiting for the dist/ build of process ${holder} (${path})`);
    said = true;
    await sleep(LOCK_POLL_MS);
  }
}

/**
 * Makes sure dist/ is there and fresh, building it when it is not (unless
 * PQRPC_BENCH_BUILD=0, which makes that an error).
 */
export async function ensureDist(options: EnsureDistOptions = {}): Promise<void> {
  const root = options.root ?? REPO_ROOT;
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const before = distState(root);
  if (before.fresh) return;
  if (env["PQRPC_BENCH_BUILD"] === "0")
    throw new Error(
      `pqrpc dist/ cannot be benchmarked: ${before.reason}, and PQRPC_BENCH_BUILD=0 forbids building it (run \`npm run build\`)`,
    );
  const release = await acquireLock(buildLockPath(root), log);
  try {
    // Another bench may have built it while this one waited for the lock.
    const now = distState(root);
    if (now.fresh) return;
    log(`building pqrpc dist/ (${now.reason}): node scripts/build.mjs`);
    // The build's output goes to stderr: a bench's stdout carries its report (and child result lines).
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], {
      cwd: root,
      stdio: ["ignore", 2, 2],
    });
    const after = distState(root);
    if (!after.fresh) throw new Error(`pqrpc dist/ still not fresh after building: ${after.reason}`);
  } finally {
    release();
  }
}

/** The URL an entry of the package resolves to; it must be a module of this checkout's dist/. */
export function resolveDist(subpath: keyof DistEntries): string {
  const specifier = subpath === "." ? "pqrpc" : `pqrpc/${subpath}`;
  const url = import.meta.resolve(specifier);
  const dist = pathToFileURL(join(REPO_ROOT, "dist")).href;
  if (!url.startsWith(`${dist}/`)) throw new Error(`${specifier} resolves to ${url}, not into ${dist}/`);
  return url;
}

/** One of pqrpc's package entries, from the compiled dist/ (through package.json "exports"). */
export async function importDist<K extends keyof DistEntries>(subpath: K): Promise<DistEntries[K]> {
  return (await import(resolveDist(subpath))) as DistEntries[K];
}

/**
 * A compiled module that is no package entry, e.g. "gen/grpc/testing/test_pb.js":
 * for bench fixtures (the interop service), never for the code being measured.
 */
export async function importDistModule<T>(path: string): Promise<T> {
  if (!path.endsWith(".js")) throw new Error(`importDistModule: ${path} is not a compiled module`);
  return (await import(pathToFileURL(join(REPO_ROOT, "dist", path)).href)) as T;
}
