/**
 * An ordinary pqrpc server for the device tests, as a process of its own
 * (so a test can restart it between a device's sleep and wake): the demo
 * helloworld.Greeter over pqrpc/1, an external PSK for identity
 * PQRPC_DEVICE_PSK_IDENTITY (key PQRPC_DEVICE_PSK_KEY, hex), session tickets
 * sealed with the keys of the ticket key file PQRPC_DEVICE_TICKET_KEYS
 * (stateless: tickets carry everything, and a restarted process with the same
 * file resumes them), psk_ke wakes allowed, and an ML-DSA-44 chain from
 * PQRPC_DEVICE_CERT_DIR. Prints "listening on 127.0.0.1:PORT".
 */
import { join } from "node:path";
import { fromHex, utf8Decode } from "../../src/bytes/bytes.ts";
import { greeterHandlers } from "../../src/cli/greeter-service.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { loadIdentity } from "../../src/pki/load.ts";
import { createServer } from "../../src/server/server.ts";
import { watchTicketKeyFile } from "../../src/server/ticket-key-file.ts";
import { TicketSealer } from "../../src/tls/ticket-sealer.ts";

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const identity = env("PQRPC_DEVICE_PSK_IDENTITY");
const key = fromHex(env("PQRPC_DEVICE_PSK_KEY"));
const sealer = new TicketSealer(defaultCrypto());
const watch = await watchTicketKeyFile(env("PQRPC_DEVICE_TICKET_KEYS"), sealer);
const dir = env("PQRPC_DEVICE_CERT_DIR");
const server = createServer({
  identity: await loadIdentity(join(dir, "server.pem"), join(dir, "server.key")),
  alpn: ["pqrpc/1"],
  sessionTickets: sealer,
  allowTicketPskKe: true,
  // Devices import their PSK with RFC 9258 (the wire identity is the ImportedIdentity).
  externalPsks: (id) => (utf8Decode(id) === identity ? { identity: id, key, importer: {} } : undefined),
  telemetry: false,
}).service(Greeter, greeterHandlers);
const address = await server.listen({
  port: Number(process.env["PQRPC_DEVICE_PORT"] ?? 0),
  host: "127.0.0.1",
});
console.log(`listening on 127.0.0.1:${address.port}`);
const stop = async () => {
  watch.close();
  await server.close({ graceMs: 1000 });
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
