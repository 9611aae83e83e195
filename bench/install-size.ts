/**
 * `npm run bench:install`: what `npm install pqrpc` puts on a user's disk.
 * Packs the library (from the dist/ that `npm run build` made), installs the
 * tarball into an empty project with @bufbuild/protobuf (its peer), and
 * reports the size of node_modules (apparent bytes, as `du -sb` counts them),
 * the largest packages, and the tarball's size and file count. Then the same
 * with @pqrpc/codegen added as a dev dependency, for comparison.
 * Target: <= 40 MB for the library alone.
 */
import { execFileSync } from "node:child_process";
import { lstat, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_MB = 40;
const MB = 1024 * 1024;

async function sizeOf(path: string): Promise<number> {
  const s = await lstat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path)) total += await sizeOf(join(path, e));
  return total;
}

/** Top-level packages of node_modules (scopes opened) with their sizes, largest first. */
async function packages(modules: string): Promise<{ name: string; bytes: number }[]> {
  const out: { name: string; bytes: number }[] = [];
  for (const e of await readdir(modules)) {
    if (e.startsWith(".")) continue;
    if (e.startsWith("@")) {
      for (const s of await readdir(join(modules, e))) {
        out.push({ name: `${e}/${s}`, bytes: await sizeOf(join(modules, e, s)) });
      }
    } else out.push({ name: e, bytes: await sizeOf(join(modules, e)) });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

async function install(tarballs: string[], dev: string[]): Promise<{ dir: string; bytes: number }> {
  const dir = await mkdtemp(join(os.tmpdir(), "pqrpc-install-"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "size", private: true, type: "module" }));
  const flags = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];
  sh("npm", ["install", ...flags, ...tarballs], dir);
  if (dev.length > 0) sh("npm", ["install", "--save-dev", ...flags, ...dev], dir);
  return { dir, bytes: await sizeOf(join(dir, "node_modules")) };
}

async function main(): Promise<void> {
  const packDir = await mkdtemp(join(os.tmpdir(), "pqrpc-pack-"));
  const dirs: string[] = [packDir];
  try {
    const packed = JSON.parse(
      sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], REPO_ROOT),
    ) as {
      filename: string;
      size: number;
      unpackedSize: number;
      entryCount: number;
    }[];
    sh("npm", ["pack", "--ignore-scripts", "--pack-destination", packDir, "-w", "@pqrpc/codegen"], REPO_ROOT);
    const lib = packed[0]!;
    const tarball = join(packDir, lib.filename);
    const codegen = join(packDir, (await readdir(packDir)).find((f) => f.startsWith("pqrpc-codegen-"))!);
    const protobuf = `@bufbuild/protobuf@${JSON.parse(sh("npm", ["pkg", "get", "version"], join(REPO_ROOT, "node_modules/@bufbuild/protobuf")))}`;

    const alone = await install([tarball, protobuf], []);
    dirs.push(alone.dir);
    const withCodegen = await install([tarball, protobuf], [codegen]);
    dirs.push(withCodegen.dir);

    console.log(`bench:install, Node ${process.version}, npm ${sh("npm", ["--version"], REPO_ROOT).trim()}`);
    console.log(
      `  tarball ${lib.filename}: ${(lib.size / 1024).toFixed(0)} KiB packed, ` +
        `${(lib.unpackedSize / MB).toFixed(1)} MiB unpacked, ${lib.entryCount} files (codegen tarball ${((await stat(codegen)).size / 1024).toFixed(0)} KiB)`,
    );
    console.log(
      `  npm install pqrpc @bufbuild/protobuf: node_modules ${(alone.bytes / MB).toFixed(1)} MiB ` +
        `(target <= ${TARGET_MB} MB: ${alone.bytes <= TARGET_MB * 1_000_000 ? "met" : "MISSED"})`,
    );
    for (const p of (await packages(join(alone.dir, "node_modules"))).slice(0, 8)) {
      console.log(`    ${p.name.padEnd(28)} ${(p.bytes / MB).toFixed(1).padStart(6)} MiB`);
    }
    console.log(
      `  ... plus --save-dev @pqrpc/codegen: node_modules ${(withCodegen.bytes / MB).toFixed(1)} MiB`,
    );
    const jsonPath = process.env["PQRPC_BENCH_JSON"];
    if (jsonPath) {
      await writeFile(
        jsonPath,
        JSON.stringify(
          { tarball: lib, libraryBytes: alone.bytes, withCodegenBytes: withCodegen.bytes },
          null,
          2,
        ),
      );
    }
  } finally {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

await main();
