#!/usr/bin/env node
// Builds what the packages ship: dist/ of pqrpc (ESM JavaScript, .d.ts,
// source and declaration maps, by tsc), dist/web (the prebuilt browser
// bundle, by esbuild), dist/device/pqrpc-device.js (the one-file device
// bundle), dist/cli-bundle (the command line, by esbuild) and
// packages/codegen/dist. Runs on `npm ci` (prepare),
// before `npm pack`, and at the start of `npm test`.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const typescript = dirname(createRequire(import.meta.url).resolve("typescript/package.json"));
const tsc = join(typescript, "bin", "tsc");
function run(file, args) {
  try {
    execFileSync(process.execPath, [file, ...args], { cwd: root, stdio: "inherit" });
  } catch (e) {
    // The tool has printed its diagnostics; a stack trace of this script would only bury them.
    process.exit(typeof e.status === "number" && e.status !== 0 ? e.status : 1);
  }
}

for (const dir of ["dist", "packages/codegen/dist"])
  rmSync(join(root, dir), { recursive: true, force: true });
run(tsc, ["-p", "packages/codegen/tsconfig.build.json"]);
run(tsc, ["-p", "tsconfig.build.json"]);
run(join(root, "scripts/build-web.mjs"), []);
run(join(root, "scripts/build-device.mjs"), []);
run(join(root, "scripts/build-cli.mjs"), []);
