/**
 * The demo's browser page script (bundled by ./web-page-server.ts, with
 * pqrpc/web left to the prebuilt /web/pqrpc-web.js). A button connects over
 * WebSocket with our own TLS 1.3 and runs the four call kinds, showing the
 * negotiated algorithms, which crypto provider ran each, and the timings.
 */
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import { connect, createClient } from "../web/index.ts";

/** What the server injects into the page. */
export interface DemoPageConfig {
  readonly url: string;
  readonly serverName: string;
  readonly trustPem: string;
}

declare global {
  interface Window {
    pqrpcDemo: DemoPageConfig;
  }
}

const $ = (id: string) => document.getElementById(id)!;
const print = (line: string) => {
  $("output").textContent += `${line}\n`;
};

async function* names(...list: string[]) {
  for (const name of list) yield { name };
}

async function timed<T>(label: string, f: () => Promise<T>, show: (v: T) => string): Promise<void> {
  const t0 = performance.now();
  const v = await f();
  print(`${label.padEnd(18)}${`${(performance.now() - t0).toFixed(1)} ms`.padStart(10)}  ${show(v)}`);
}

async function run(config: DemoPageConfig, name: string): Promise<void> {
  $("output").textContent = "";
  const channel = await connect(config.url, { trust: config.trustPem, serverName: config.serverName });
  const i = channel.info;
  print(`${i.version}, ${i.group}, ${i.cipherSuite}; server signature ${i.signatureScheme}; ALPN ${i.alpn}`);
  print(
    `providers: ${Object.entries(i.providers)
      .map(([a, p]) => `${a}=${p}`)
      .join(", ")}`,
  );
  print(
    `crypto load ${i.cryptoLoadMs.toFixed(1)} ms, WebSocket ${i.webSocketMs.toFixed(1)} ms, ` +
      `TLS handshake ${i.handshakeMs.toFixed(1)} ms; server chain ${i.peerCertificateBytes.join(" + ")} bytes\n`,
  );
  const greeter = createClient(Greeter, channel);
  try {
    await timed(
      "unary",
      () => greeter.sayHello({ name }, { timeoutMs: 5_000 }),
      (r) => r.message,
    );
    await timed(
      "server streaming",
      async () => {
        const out: string[] = [];
        for await (const r of greeter.lotsOfReplies({ name })) out.push(r.message);
        return out;
      },
      (out) => out.join(" | "),
    );
    await timed(
      "client streaming",
      () => greeter.lotsOfGreetings(names(name, "grace", "alan")),
      (r) => `${r.message}: ${r.names.join(", ")}`,
    );
    await timed(
      "bidi streaming",
      async () => {
        const out: string[] = [];
        for await (const r of greeter.chat(names("ping", "pong"))) out.push(r.message);
        return out;
      },
      (out) => out.join(" | "),
    );
  } finally {
    await channel.close();
  }
}

$("run").addEventListener("click", () => {
  $("status").textContent = "running";
  run(window.pqrpcDemo, ($("name") as HTMLInputElement).value).then(
    () => ($("status").textContent = "done"),
    (e: unknown) => {
      $("status").textContent = "failed";
      print(String(e));
    },
  );
});
