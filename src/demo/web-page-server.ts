/**
 * The demo's web page: a plain node:http server (the pqrpc port answers
 * non-WebSocket HTTP with 426) serving the page, its script, the pqrpc/web
 * bundle from dist/web (built on demand: it is not committed) and the CA
 * PEM the page trusts.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import type { DemoPageConfig } from "./web-page.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DIST_WEB = join(ROOT, "dist/web");
const WEB_ENTRY = join(ROOT, "src/web/index.ts");
/** Building dist/web takes seconds; a hung build must not hang the demo. */
const BUILD_TIMEOUT_MS = 120_000;

/** Runs scripts/build-web.mjs (`npm run build:web`) when dist/web has no bundle. */
export async function ensureWebBundle(log: (line: string) => void): Promise<void> {
  if (existsSync(join(DIST_WEB, "pqrpc-web.js"))) return;
  log("building the browser bundle (npm run build:web) ...");
  await promisify(execFile)(process.execPath, [join(ROOT, "scripts/build-web.mjs")], {
    cwd: ROOT,
    timeout: BUILD_TIMEOUT_MS,
  });
}

/** web-page.ts as one ESM file; pqrpc/web stays an import of /web/pqrpc-web.js. */
export async function bundleDemoPage(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(ROOT, "src/demo/web-page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
    plugins: [
      {
        name: "pqrpc-web-external",
        setup(build) {
          build.onResolve({ filter: /web\/index\.ts$/ }, (args) =>
            resolve(args.resolveDir, args.path) === WEB_ENTRY
              ? { path: "/web/pqrpc-web.js", external: true }
              : undefined,
          );
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

function pageHtml(config: DemoPageConfig): string {
  // "<" escaped so the PEM cannot close the script element.
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>pqrpc demo</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:60em}pre{background:#f4f4f4;padding:12px}</style></head>
<body><h1>pqrpc demo: post-quantum RPC from the browser</h1>
<p>This page runs its own TLS 1.3 (hybrid ML-KEM key exchange, ML-DSA server certificate) over a WebSocket to
<code>${config.url}</code>, trusting only the development CA (<a href="/ca.pem">ca.pem</a>).</p>
<p><label>name <input id="name" value="ada"></label> <button type="button" id="run">run the four calls</button>
status: <b id="status">idle</b></p><pre id="output"></pre>
<script>window.pqrpcDemo = ${json};</script>
<script type="module" src="/page.js"></script></body></html>`;
}

/** Starts the page server on host:port (0: any free port); resolves with its URL. */
export async function startDemoWebServer(options: {
  readonly config: DemoPageConfig;
  readonly host: string;
  readonly port: number;
}): Promise<{ url: string; server: Server }> {
  const html = pageHtml(options.config);
  const script = await bundleDemoPage();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/")
      return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    if (path === "/page.js")
      return void res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    if (path === "/ca.pem") {
      return void res
        .writeHead(200, { "content-type": "application/x-pem-file" })
        .end(options.config.trustPem);
    }
    if (path.startsWith("/web/")) {
      const file = normalize(join(DIST_WEB, path.slice("/web/".length)));
      if (file.startsWith(`${DIST_WEB}/`) && file.endsWith(".js") && existsSync(file)) {
        return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(file));
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(options.port, options.host, done));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return { url: `http://${host}:${port}/`, server };
}
