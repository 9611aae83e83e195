#!/usr/bin/env node
// Bundles the `pqrpc` command line (src/cli/main.ts) into dist/cli-bundle/
// with its dependencies, so that a command pays for one file and a few
// chunks instead of ~300 module lookups (bench:cli: `pqrpc call` 0.72 s ->
// 0.50 s on this machine). bin/pqrpc.mjs runs it for every command but
// `serve`, which loads the user's handler modules: they import "pqrpc" as
// installed, so `serve` runs on the compiled library (dist/cli/main.js) and
// shares its classes (RpcError, Metadata) with them.
//
// Left outside the bundle: @oqs/liboqs-js (loaded on demand from
// node_modules; its WebAssembly is inlined in per-algorithm files) and
// @pqrpc/codegen (a separate package the user installs).
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/cli-bundle");

/** @type {esbuild.Plugin} */
const cliPlugin = {
  name: "pqrpc-cli",
  setup(build) {
    // noble's lazy require() (src/crypto/builtin-providers.ts) needs a module file beside it.
    build.onResolve({ filter: /^\.\/builtin-providers\.ts$/ }, (args) =>
      args.importer === join(root, "src/crypto/select.ts")
        ? { path: join(root, "src/crypto/builtin-providers.static.ts") }
        : undefined,
    );
  },
};

rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { pqrpc: join(root, "src/cli/main.ts") },
  outdir,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["@oqs/liboqs-js", "@pqrpc/codegen"],
  // CommonJS dependencies (ws, @peculiar/asn1-*) call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __pqrpcCreateRequire } from "node:module";\nconst require = __pqrpcCreateRequire(import.meta.url);',
  },
  legalComments: "linked",
  logLevel: "warning",
  plugins: [cliPlugin],
});
