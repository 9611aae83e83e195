/**
 * The greeter example's browser client: fetches /config.json (the server's
 * WebSocket URL and the CA to trust, PEM), connects with pqrpc/web, and runs
 * the four call kinds, printing the negotiated algorithms and timings.
 * Bundled by ./bundle.ts; "pqrpc" and "pqrpc/web" stay imports of the
 * prebuilt /pqrpc-web.js.
 */
import { codeName, connect, RpcError } from "pqrpc/web";
import { createGreeterClient } from "../gen/greeter_pqrpc.ts";

interface ExampleConfig {
  readonly url: string;
  readonly serverName: string;
  readonly caPem: string;
}

const $ = (id: string) => document.getElementById(id)!;
const print = (line: string) => {
  $("output").textContent += `${line}\n`;
};

async function* requests(...names: string[]) {
  for (const name of names) yield { name };
}

async function run(name: string): Promise<void> {
  $("output").textContent = "";
  const config = (await (await fetch("/config.json")).json()) as ExampleConfig;
  const channel = await connect(config.url, { trust: config.caPem, serverName: config.serverName });
  const i = channel.info;
  print(
    `connected to ${i.url}: ${i.version}, ${i.group}, ${i.cipherSuite}, server signature ${i.signatureScheme}`,
  );
  print(`handshake ${i.handshakeMs.toFixed(1)} ms (crypto load ${i.cryptoLoadMs.toFixed(1)} ms)`);
  const greeter = createGreeterClient(channel);
  try {
    let t0 = performance.now();
    const ms = () => `${(performance.now() - t0).toFixed(1)} ms`;
    const reply = await greeter.sayHello(
      { name },
      { timeoutMs: 5_000, headers: { "x-request-id": "browser-1" } },
    );
    print(`unary (${ms()}): ${reply.message}`);
    t0 = performance.now();
    const stream: string[] = [];
    for await (const r of greeter.streamHellos({ name, count: 3 })) stream.push(r.message);
    print(`server streaming (${ms()}): ${stream.join(" | ")}`);
    t0 = performance.now();
    const all = await greeter.collectNames(requests(name, "grace", "alan"));
    print(`client streaming (${ms()}): ${all.message}`);
    t0 = performance.now();
    const chat: string[] = [];
    for await (const r of greeter.chat(requests("ping", "pong"))) chat.push(r.message);
    print(`bidi streaming (${ms()}): ${chat.join(" | ")}`);
    try {
      await greeter.sayHello({ name: "" });
    } catch (e) {
      if (e instanceof RpcError) print(`error status: ${codeName(e.code)} (${e.rawMessage})`);
      else throw e;
    }
  } finally {
    await channel.close();
  }
}

$("run").addEventListener("click", () => {
  $("status").textContent = "running";
  run(($("name") as HTMLInputElement).value).then(
    () => ($("status").textContent = "done"),
    (e: unknown) => {
      $("status").textContent = "failed";
      print(String(e));
    },
  );
});
