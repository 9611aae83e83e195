/**
 * bench/pqrpc-dist.ts, the benches' access to pqrpc's compiled dist/: on a
 * throw-away tree (src/, dist/index.js, a stand-in scripts/build.mjs that
 * writes dist/index.js and counts its runs) with modification times set
 * explicitly: a missing or stale dist is detected (tests and testdata left
 * out), PQRPC_BENCH_BUILD=0 refuses instead of building, a build runs once
 * for two benches starting together and clears a dead holder's lock, a
 * failed build is an error; and importDist resolves the real package's
 * entries into this checkout's dist/.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, it } from "node:test";
import {
  assertDistFresh,
  buildLockPath,
  distState,
  ensureDist,
  REPO_ROOT,
  resolveDist,
} from "../bench/pqrpc-dist.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Seconds since the epoch, far enough apart that no file system's mtime granularity blurs them. */
const OLD = 1_700_000_000;
const NEW = OLD + 1_000;

function write(root: string, path: string, text: string, mtime: number): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  utimesSync(file, mtime, mtime);
}

/** A tree whose build writes dist/index.js (now, so fresh) and appends a line to builds.log; `fail`: exits 1 instead. */
function tree(options: { dist?: number; fail?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "pqrpc-bench-dist-"));
  roots.push(root);
  write(root, "src/index.ts", "export {};\n", OLD);
  write(root, "src/tls/record.ts", "export {};\n", OLD);
  write(root, "tsconfig.json", "{}\n", OLD);
  if (options.dist !== undefined) write(root, "dist/index.js", "export {};\n", options.dist);
  write(
    root,
    "scripts/build.mjs",
    options.fail
      ? "process.exit(1);\n"
      : [
          'import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";',
          'mkdirSync("dist", { recursive: true });',
          'writeFileSync("dist/index.js", "export {};\\n");',
          'appendFileSync("builds.log", "built\\n");',
          "",
        ].join("\n"),
    OLD,
  );
  return root;
}

function builds(root: string): number {
  const log = join(root, "builds.log");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
}

const quiet = { log: () => {} };

it("tells a missing or stale dist/ from a fresh one; tests and testdata do not count", () => {
  assert.match(distState(tree()).reason ?? "", /dist\/index\.js is missing/);
  const root = tree({ dist: NEW });
  assert.deepEqual(distState(root), { fresh: true });
  assert.doesNotThrow(() => assertDistFresh(root));
  write(root, "src/tls/record.test.ts", "export {};\n", NEW + 10);
  write(root, "src/pki/testdata/x.pem", "x\n", NEW + 10);
  assert.deepEqual(distState(root), { fresh: true }, "tests and testdata are no build input");
  write(root, "src/tls/record.ts", "export const x = 1;\n", NEW + 10);
  const stale = distState(root);
  assert.equal(stale.fresh, false);
  assert.match(stale.reason ?? "", /src\/tls\/record\.ts is 10\.0 s newer than dist\/index\.js/);
  assert.throws(() => assertDistFresh(root), /src\/tls\/record\.ts .*npm run build/);
  write(root, "src/tls/record.ts", "export const x = 1;\n", OLD);
  write(root, "tsconfig.json", "{ }\n", NEW + 5);
  assert.match(distState(root).reason ?? "", /tsconfig\.json is 5\.0 s newer/, "the build's config counts");
});

it("PQRPC_BENCH_BUILD=0 refuses a stale or missing dist/ instead of building it", async () => {
  const stale = tree({ dist: OLD - 10 });
  await assert.rejects(
    ensureDist({ ...quiet, root: stale, env: { PQRPC_BENCH_BUILD: "0" } }),
    /newer than dist\/index\.js, and PQRPC_BENCH_BUILD=0 forbids building/,
  );
  const missing = tree();
  await assert.rejects(
    ensureDist({ ...quiet, root: missing, env: { PQRPC_BENCH_BUILD: "0" } }),
    /missing, and PQRPC_BENCH_BUILD=0/,
  );
  assert.equal(builds(stale) + builds(missing), 0, "nothing was built");
  // A fresh dist is used as it is, whatever the variable says.
  await ensureDist({ ...quiet, root: tree({ dist: NEW }), env: { PQRPC_BENCH_BUILD: "0" } });
});

it("builds a stale dist/ once for two benches starting together, and not at all when fresh", async () => {
  const root = tree({ dist: OLD - 10 });
  await Promise.all([ensureDist({ ...quiet, root, env: {} }), ensureDist({ ...quiet, root, env: {} })]);
  assert.equal(builds(root), 1, "the second waited for the first's build and found dist fresh");
  assert.equal(distState(root).fresh, true);
  assert.equal(existsSync(buildLockPath(root)), false, "the lock is released");
  await ensureDist({ ...quiet, root, env: {} });
  assert.equal(builds(root), 1, "a fresh dist is not rebuilt");
});

it("clears the lock of a builder that died, and fails (releasing the lock) when the build fails", async () => {
  const root = tree();
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  assert.ok(dead !== undefined && dead > 0);
  writeFileSync(buildLockPath(root), String(dead));
  await ensureDist({ ...quiet, root, env: {} });
  assert.equal(builds(root), 1);

  const failing = tree({ fail: true });
  await assert.rejects(ensureDist({ ...quiet, root: failing, env: {} }));
  assert.equal(existsSync(buildLockPath(failing)), false, "the lock is released after a failed build");
});

it("resolves the package's entries into this checkout's dist/", () => {
  for (const entry of [".", "tls", "pki", "crypto"] as const) {
    const url = resolveDist(entry);
    assert.ok(url.startsWith(`file://${REPO_ROOT}/dist/`), `${entry} -> ${url}`);
    assert.ok(url.endsWith(".js"), `${entry} -> ${url}: compiled JavaScript, not source`);
  }
});
