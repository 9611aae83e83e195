/**
 * The greeter example's Node client: the four call kinds, metadata both
 * ways, a deadline and an error status, against server.ts.
 *
 *   npx tsx examples/greeter/client.ts [--target localhost:50051] [--certs examples/greeter/certs]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { codeName, connect, loadTrust, loadWasmProvider, RpcError } from "pqrpc";
import { createGreeterClient } from "./gen/greeter_pqrpc.ts";

const DEFAULT_TARGET = "localhost:50051";
const DEFAULT_CERTS_DIR = join(import.meta.dirname, "certs");
/** The deadline shown: shorter than the 1 s the server is asked to wait. */
const SHORT_DEADLINE_MS = 200;
const SLOW_CALL_DELAY_MS = 1_000;

const { values } = parseArgs({
  options: {
    target: { type: "string", default: DEFAULT_TARGET },
    certs: { type: "string", default: DEFAULT_CERTS_DIR },
    protocol: { type: "string", default: "pqrpc/1" },
  },
});
const protocol = values.protocol === "h2" ? "h2" : "pqrpc/1";

async function* requests(...names: string[]) {
  for (const name of names) yield { name };
}

/** Runs a call that should fail and prints its status. */
async function expectFailure(label: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    console.log(`${label}: unexpectedly succeeded`);
    process.exitCode = 1;
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    console.log(`${label}: ${codeName(e.code)} (${e.rawMessage})`);
  }
}

await loadWasmProvider();
// The CA that signed the server's certificate; the certificate names "localhost".
const trust = await loadTrust(join(values.certs, "ca.pem"));
const channel = await connect(values.target, { trust, protocol });
const info = channel.info!;
console.log(
  `connected: ${info.version}, ${info.group}, ${info.cipherSuite}, server signature ${info.signatureScheme}, ALPN ${info.alpn}`,
);
const greeter = createGreeterClient(channel);
try {
  // Unary, with metadata: a request header, the response header and trailer.
  const reply = await greeter.sayHello(
    { name: "ada" },
    {
      timeoutMs: 5_000,
      headers: { "x-request-id": "req-42" },
      onHeader: (h) => console.log(`header x-request-id: ${h.getString("x-request-id")}`),
      onTrailer: (t) => console.log(`trailer x-served-by: ${t.getString("x-served-by")}`),
    },
  );
  console.log(`unary: ${reply.message}`);

  const stream: string[] = [];
  for await (const r of greeter.streamHellos({ name: "grace", count: 3 })) stream.push(r.message);
  console.log(`server streaming: ${stream.join(" | ")}`);

  const all = await greeter.collectNames(requests("ada", "grace", "alan"));
  console.log(`client streaming: ${all.message}`);

  const chat: string[] = [];
  for await (const r of greeter.chat(requests("ping", "pong"))) chat.push(r.message);
  console.log(`bidi streaming: ${chat.join(" | ")}`);

  await expectFailure("deadline", () =>
    greeter.sayHello({ name: "slow", delayMs: SLOW_CALL_DELAY_MS }, { timeoutMs: SHORT_DEADLINE_MS }),
  );
  await expectFailure("error status", () => greeter.sayHello({ name: "" }));
} finally {
  await channel.close();
}
