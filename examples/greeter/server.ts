/**
 * The greeter example's Node server: greeter.v1.Greeter over pqrpc/1 and
 * gRPC (h2) on raw TLS, and TLS over WebSocket for browsers, all on one port.
 *
 *   npx pqrpc certs init --dir examples/greeter/certs
 *   npx tsx examples/greeter/server.ts [--port 50051] [--certs examples/greeter/certs]
 *
 * Prints "greeter server listening on HOST:PORT"; Ctrl-C closes it.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createServer, loadIdentity, loadWasmProvider } from "pqrpc";
import { Greeter } from "./gen/greeter_pb.ts";
import { greeterHandlers } from "./greeter-handlers.ts";

const DEFAULT_PORT = "50051";
const DEFAULT_CERTS_DIR = join(import.meta.dirname, "certs");

const { values } = parseArgs({
  options: {
    port: { type: "string", default: DEFAULT_PORT },
    host: { type: "string", default: "127.0.0.1" },
    certs: { type: "string", default: DEFAULT_CERTS_DIR },
  },
});

// Fast PQ crypto (liboqs in WebAssembly) where node:crypto lacks ML-KEM / ML-DSA (Node < 24).
await loadWasmProvider();
const identity = await loadIdentity(join(values.certs, "server.pem"), join(values.certs, "server.key"));
const server = createServer({ identity }).service(Greeter, greeterHandlers);
const address = await server.listen({ port: Number(values.port), host: values.host });
console.log(`greeter server listening on ${address.host}:${address.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => console.log("greeter server closed"));
  });
}
