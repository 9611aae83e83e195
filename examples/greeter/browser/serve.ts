/**
 * Serves the browser example on http://127.0.0.1:PORT/: index.html, main.js
 * (bundled from main.ts), the prebuilt pqrpc/web bundle of the installed
 * package, and /config.json telling the page where the greeter server is and
 * which CA to trust.
 *
 *   npx tsx browser/serve.ts [--port 8080] [--server 127.0.0.1:50051] [--certs certs]
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleBrowserExample } from "./bundle.ts";

/** The installed package's dist/web: the bundle (pqrpc-web.js, chunks/) sits beside pqrpc/web's entry. */
const DIST_WEB = dirname(fileURLToPath(import.meta.resolve("pqrpc/web")));

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    server: { type: "string", default: "127.0.0.1:50051" },
    certs: { type: "string", default: join(import.meta.dirname, "../certs") },
  },
});

if (!existsSync(join(DIST_WEB, "pqrpc-web.js"))) throw new Error(`no pqrpc-web.js in ${DIST_WEB}`);
const mainJs = await bundleBrowserExample();
const html = readFileSync(join(import.meta.dirname, "index.html"));
const config = JSON.stringify({
  url: `ws://${values.server}/`,
  serverName: "localhost",
  caPem: readFileSync(join(values.certs, "ca.pem"), "utf8"),
});

const http = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path === "/") return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  if (path === "/main.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(mainJs);
  if (path === "/config.json")
    return void res.writeHead(200, { "content-type": "application/json" }).end(config);
  const file = normalize(join(DIST_WEB, path));
  if (file.startsWith(`${DIST_WEB}/`) && file.endsWith(".js") && existsSync(file)) {
    return void res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(file));
  }
  res.writeHead(404).end();
});
http.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`open http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
});
process.once("SIGINT", () => http.close());
