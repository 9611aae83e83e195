/**
 * `npm start`: the demo on its built-in defaults. On first run it creates a
 * development CA and ML-DSA-65 certificates under .pqrpc/dev-certs (as
 * `pqrpc certs init` would), starts a pqrpc server on 127.0.0.1 with the
 * demo Greeter service, then runs a client through all four call kinds over
 * pqrpc/1 on TCP, over gRPC (h2) and over WebSocket, printing what TLS
 * negotiated and how long the handshake and each call took. Then it keeps
 * serving and serves a web page (URL printed) where a person runs the same
 * calls from the browser over WebSocket; Ctrl-C (SIGINT/SIGTERM) stops both.
 *
 * Options: --dir DIR (certificates), --port N (default 0: any free port),
 * --web-port N (the page; default 0), --host H, --once (exit after the
 * Node client run; also env PQRPC_DEMO_ONCE=1).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCerts } from "../cli/certs.ts";
import { processIo } from "../cli/cli-error.ts";
import { greeterHandlers } from "../cli/greeter-service.ts";
import { nextTerminationSignal } from "../cli/serve.ts";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import { createGreeterClient } from "../gen/helloworld/greeter_pqrpc.ts";
import { connect, createServer, loadIdentity, loadTrust, type NegotiatedInfo } from "../index.ts";
import { ensureWebBundle, startDemoWebServer } from "./web-page-server.ts";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: ".pqrpc/dev-certs" },
    port: { type: "string", default: "0" },
    "web-port": { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    once: { type: "boolean", default: process.env.PQRPC_DEMO_ONCE === "1" },
  },
});
const dir = values.dir;

if (!existsSync(join(dir, "ca.pem"))) {
  console.log(`creating a development CA and certificates in ${dir} (ML-DSA-65)`);
  await runCerts(["init", "--dir", dir, "--alg", "ml-dsa-65"], processIo);
}
const identity = await loadIdentity(join(dir, "server.pem"), join(dir, "server.key"));
const trust = await loadTrust(join(dir, "ca.pem"));

const server = createServer({ identity }).service(Greeter, greeterHandlers);
const address = await server.listen({ port: Number(values.port), host: values.host });
const target = `${address.host}:${address.port}`;
console.log(`pqrpc demo server on ${target}: raw TLS (pqrpc/1 and h2) and WebSocket on the same port`);

const ms = (t0: number) => `${(performance.now() - t0).toFixed(2)} ms`;

function describe(info: NegotiatedInfo | undefined): string {
  if (!info) return "(no connection)";
  const hrr = info.helloRetry ? " after HelloRetryRequest" : "";
  return [
    `${info.version}, ${info.group}${hrr}, ${info.cipherSuite}`,
    `server signature ${info.signatureScheme ?? "(resumed: none)"}, ALPN ${info.alpn}`,
    info.resumed ? `resumed (${info.pskMode})` : "full handshake",
  ].join("; ");
}

async function* names(...list: string[]) {
  for (const name of list) yield { name };
}

async function run(label: string, options: { protocol: "pqrpc/1" | "h2"; transport: "tcp" | "websocket" }) {
  console.log(`\n== ${label}`);
  let t0 = performance.now();
  const channel = await connect(target, { trust, serverName: "localhost", ...options });
  console.log(`  connected in ${ms(t0)}: ${describe(channel.info)}`);
  const greeter = createGreeterClient(channel);
  try {
    t0 = performance.now();
    const reply = await greeter.sayHello({ name: "ada" }, { timeoutMs: 2000 });
    console.log(`  unary             ${ms(t0).padStart(10)}  ${reply.message}`);

    t0 = performance.now();
    const stream: string[] = [];
    for await (const r of greeter.lotsOfReplies({ name: "ada" })) stream.push(r.message);
    console.log(`  server streaming  ${ms(t0).padStart(10)}  ${stream.join(" | ")}`);

    t0 = performance.now();
    const all = await greeter.lotsOfGreetings(names("ada", "grace", "alan"));
    console.log(`  client streaming  ${ms(t0).padStart(10)}  ${all.message}: ${all.names.join(", ")}`);

    t0 = performance.now();
    const chat: string[] = [];
    for await (const r of greeter.chat(names("ping", "pong"))) chat.push(r.message);
    console.log(`  bidi streaming    ${ms(t0).padStart(10)}  ${chat.join(" | ")}`);
  } finally {
    await channel.close();
  }
}

try {
  await run("pqrpc/1 over TCP", { protocol: "pqrpc/1", transport: "tcp" });
  await run("gRPC (HTTP/2) over TCP", { protocol: "h2", transport: "tcp" });
  await run("pqrpc/1 over WebSocket (what a browser uses)", { protocol: "pqrpc/1", transport: "websocket" });
  if (!values.once) await servePage();
} finally {
  await server.close();
}

/** The browser part: a page running the same calls, until SIGINT/SIGTERM. */
async function servePage(): Promise<void> {
  // Subscribe first: a Ctrl-C while the bundle builds must still close cleanly.
  const stop = nextTerminationSignal();
  await ensureWebBundle((line) => console.log(`\n${line}`));
  const page = await startDemoWebServer({
    config: {
      url: `ws://${target}/`,
      serverName: "localhost",
      trustPem: await readFile(join(dir, "ca.pem"), "utf8"),
    },
    host: values.host,
    port: Number(values["web-port"]),
  });
  console.log(`\nopen ${page.url} to run the same calls from your browser (Ctrl-C stops the demo)`);
  await stop;
  const closed = new Promise((done) => page.server.close(done));
  page.server.closeAllConnections();
  await closed;
  console.log("demo stopped");
}
