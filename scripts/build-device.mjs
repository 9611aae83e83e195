#!/usr/bin/env node
// Bundles pqrpc/device (src/device/index.ts) into one ES2020 file,
// dist/device/pqrpc-device.js: a script that sets globalThis.pqrpcDevice,
// for small JS runtimes (QuickJS) as well as browsers and Node. It carries
// the TLS engine, the pqrpc/1 frame connection and pure-JS crypto (noble);
// no Node module, no WebAssembly. Prints its size.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/device");
export const DEVICE_BUNDLE = join(outdir, "pqrpc-device.js");
/** The certificate profile's bundle: the same plus X.509 path validation. */
export const DEVICE_X509_BUNDLE = join(outdir, "pqrpc-device-x509.js");

/** @type {esbuild.Plugin} */
const devicePlugin = {
  name: "pqrpc-device",
  setup(build) {
    build.onResolve({ filter: /^\.\/builtin-providers\.ts$/ }, (args) =>
      args.importer === join(root, "src/crypto/select.ts")
        ? { path: join(root, "src/crypto/builtin-providers.device.ts") }
        : undefined,
    );
    // Anything else of Node's is a mistake in the device's import graph: fail the build with its path.
    build.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${args.path} imported by ${args.importer}: the device bundle has no Node modules` }],
    }));
  },
};

mkdirSync(outdir, { recursive: true });
// Types for the bundle's export ("pqrpc/device/bundle"): a script that sets globalThis.pqrpcDevice.
writeFileSync(
  join(outdir, "pqrpc-device.d.ts"),
  'export {};\ndeclare global {\n  var pqrpcDevice: typeof import("./index.js");\n}\n',
);
const { readFileSync } = await import("node:fs");
const metaAt = process.argv.indexOf("--meta");
for (const [entry, outfile] of [
  ["src/device/index.ts", DEVICE_BUNDLE],
  ["src/device/x509.ts", DEVICE_X509_BUNDLE],
]) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    minify: true,
    format: "iife",
    globalName: "pqrpcDevice",
    target: "es2020",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    metafile: true,
    legalComments: "none",
    plugins: [devicePlugin],
    logLevel: "warning",
  });
  // `--meta DIR`: esbuild's metafiles, to see what each module costs (not shipped).
  if (metaAt > 0) {
    writeFileSync(
      join(process.argv[metaAt + 1], `${entry.replace(/\W/g, "_")}.json`),
      JSON.stringify(result.metafile),
    );
  }
  const bytes = Object.values(result.metafile.outputs)[0].bytes;
  const gz = gzipSync(readFileSync(outfile), { level: 9 }).length;
  console.log(
    `${outfile.slice(root.length + 1)}: ${(bytes / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(1)} KiB gzipped`,
  );
}
