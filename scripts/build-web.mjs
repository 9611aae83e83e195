#!/usr/bin/env node
// Bundles pqrpc/web (src/web/index.ts) for browsers with esbuild:
// dist/web/pqrpc-web.js (ESM, minified) plus one lazily loaded chunk per
// liboqs algorithm (the WebAssembly is inlined in each chunk by liboqs-js, so
// there are no .wasm files to serve: the chunks sit beside the entry and load
// relative to it). Prints the size of the entry and of the default wasm
// chunks, minified and gzipped.
//
// How Node-only code is kept out (see also src/web/shims):
// - no Node stream, Buffer or event shim at all: the browser drives the
//   sans-IO TLS engine and the sans-IO pqrpc/1 connection straight from the
//   WebSocket (src/web/web-frame-session.ts); the check after the build
//   refuses a bundle that pulls one in again;
// - src/crypto/builtin-providers.ts -> builtin-providers.browser.ts (noble
//   only: node:crypto never reaches the browser);
// - the wasm provider's import("@oqs/liboqs-js") -> src/web/liboqs-subset.ts,
//   and liboqs-js's computed import(modulePath) -> a literal path, so esbuild
//   can split each algorithm into its own chunk.
import { readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/web");
const web = join(root, "src/web");
const shims = join(web, "shims");

/** Chunks a page loads with the default connect options (DEFAULT_BROWSER_WASM_ALGORITHMS). */
const DEFAULT_WASM_CHUNKS = ["ml-kem-768", "ml-dsa-65"];

/** liboqs-js modules the `wasm` provider uses (KEM_FACTORIES and SIGNATURE_FACTORIES in src/crypto/providers/wasm.ts). */
const WASM_PROVIDER_MODULES =
  /^(ml-kem-(512|768|1024)|ml-dsa-(44|65|87)|falcon-(512|1024)|slh-dsa-.+|sntrup761)\.min\.js$/;

const ALIASES = {
  "node:net": join(shims, "unavailable.ts"),
  "node:fs/promises": join(shims, "unavailable.ts"),
};

/** The Emscripten glue's Node-only import, and what the browser bundle has in its place. */
const NODE_MODULE_IMPORT = 'await import("node:module")';
const NODE_MODULE_REFUSED =
  '(() => { throw new Error("liboqs: the Node.js loader is not part of the pqrpc/web browser bundle"); })()';

/** @type {esbuild.Plugin} */
const browserPlugin = {
  name: "pqrpc-browser",
  setup(build) {
    build.onResolve({ filter: /^\.\/builtin-providers\.ts$/ }, (args) =>
      args.importer === join(root, "src/crypto/select.ts")
        ? { path: join(root, "src/crypto/builtin-providers.browser.ts") }
        : undefined,
    );
    build.onResolve({ filter: /^@oqs\/liboqs-js$/ }, (args) =>
      args.importer === join(root, "src/crypto/providers/wasm.ts")
        ? { path: join(web, "liboqs-subset.ts") }
        : undefined,
    );
    build.onResolve({ filter: /^node:/ }, (args) => {
      const alias = ALIASES[args.path];
      if (alias === undefined) {
        // Only liboqs-js's Emscripten glue gets here (import("node:module") behind its
        // Node check); the post-build check below refuses any static node: import.
        return { path: args.path, external: true };
      }
      return alias.startsWith("/")
        ? { path: alias }
        : build.resolve(alias, { kind: args.kind, resolveDir: root });
    });
    // Each liboqs module's Emscripten glue loads Node's `module` behind a Node check
    // (`if (isNode) { await import("node:module") ... }`). A browser never takes that branch,
    // but a bundler that re-bundles pqrpc/web for the browser would still try to resolve the
    // import and fail: the branch throws instead, and the bundle has no node: import at all.
    build.onLoad({ filter: /[\\/]@oqs[\\/]liboqs-js[\\/]dist[\\/][\w.-]+\.min\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(NODE_MODULE_IMPORT)) {
        throw new Error(`${args.path}: liboqs-js's Node loader changed; update scripts/build-web.mjs`);
      }
      return { contents: source.replace(NODE_MODULE_IMPORT, NODE_MODULE_REFUSED), loader: "js" };
    });
    build.onLoad({ filter: /[\\/]@oqs[\\/]liboqs-js[\\/]src[\\/]algorithms[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const dist = /[`'](\.\.\/\.\.\/\.\.\/\.\.\/dist\/[\w.-]+\.min\.js)[`']/.exec(source);
      if (dist === null || !source.includes("await import(modulePath)")) {
        throw new Error(`${args.path}: liboqs-js module loader changed; update scripts/build-web.mjs`);
      }
      // Only the algorithms the wasm provider offers become chunks; the rest of liboqs is left out.
      const name = basename(dist[1]);
      const load = WASM_PROVIDER_MODULES.test(name)
        ? `import("${dist[1]}")`
        : `Promise.reject(new Error("${name} is not part of the pqrpc/web bundle"))`;
      return { contents: source.replace("await import(modulePath)", `await ${load}`), loader: "js" };
    });
  },
};

// dist/web also holds tsc's output (index.js and .d.ts for Node and for types): remove only the bundle's files.
rmSync(join(outdir, "pqrpc-web.js"), { force: true });
rmSync(join(outdir, "chunks"), { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { "pqrpc-web": join(web, "index.ts") },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome111", "firefox115", "safari16.4"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  define: { global: "globalThis" },
  metafile: true,
  logLevel: "warning",
  plugins: [browserPlugin],
});

// A static import of a Node module would make the whole bundle fail to load in a browser, and
// a dynamic one would make a bundler that re-bundles pqrpc/web for the browser fail.
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
for (const file of outputs) {
  const code = readFileSync(join(root, file), "utf8");
  const bad =
    /(?:^|[;}])\s*import\s*[^("'`]*["']node:[\w/]+["']/.exec(code) ??
    /\bimport\(\s*["']node:[\w/]+["']\s*\)/.exec(code);
  if (bad !== null) throw new Error(`${file}: Node import in the browser bundle: ${bad[0]}`);
}

// The sans-IO cores need no Node emulation: a shim in the bundle means a Node adapter leaked in.
const NODE_SHIMS = /(?:^|\/)node_modules\/(readable-stream|buffer|events|process|string_decoder|util)\//;
for (const input of Object.keys(result.metafile.inputs)) {
  if (NODE_SHIMS.test(input) || input.startsWith("node:")) {
    throw new Error(
      `the browser bundle includes ${input}: a Node adapter reached src/web (see src/web/web-frame-session.ts)`,
    );
  }
}

function sizes(file) {
  const bytes = readFileSync(join(root, file));
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
/** `file` and every chunk it imports statically (what the browser fetches with it). */
function withStaticImports(file, into = new Set()) {
  if (into.has(file)) return into;
  into.add(file);
  for (const i of result.metafile.outputs[file].imports) {
    if (i.kind === "import-statement" && !i.external) withStaticImports(i.path, into);
  }
  return into;
}
const findOutput = (pattern) => {
  const file = outputs.find((f) => pattern.test(f));
  if (file === undefined) throw new Error(`no output matches ${pattern}`);
  return file;
};
const entry = "dist/web/pqrpc-web.js";
const main = sizes(entry);
// What a page fetches for connect() with the default options: the entry, the liboqs-js
// glue and the default algorithms' chunks, each with its static imports.
const loaded = new Set();
withStaticImports(entry, loaded);
withStaticImports(findOutput(/chunks\/liboqs-subset-[\w]+\.js$/), loaded);
const wasm = DEFAULT_WASM_CHUNKS.map((a) => {
  const file = findOutput(new RegExp(`chunks/${a}\\.min-[\\w]+\\.js$`));
  withStaticImports(file, loaded);
  return { a, ...sizes(file) };
});
const total = [...loaded]
  .map(sizes)
  .reduce((t, s) => ({ min: t.min + s.min, gzip: t.gzip + s.gzip }), { min: 0, gzip: 0 });
console.log(`${entry}: ${kb(main.min)} minified, ${kb(main.gzip)} gzipped`);
for (const c of wasm)
  console.log(`  liboqs ${c.a} chunk (wasm inlined): ${kb(c.min)} minified, ${kb(c.gzip)} gzipped`);
console.log(
  `fetched by connect() with default options: ${kb(total.min)} minified, ${kb(total.gzip)} gzipped ` +
    `(${loaded.size} of the ${outputs.length} files in dist/web)`,
);
