/**
 * The browser test's page script (bundled by ./browser.test.ts; the
 * pqrpc/web import is rewritten to the built dist/web/pqrpc-web.js). It
 * connects, runs the four call kinds plus a deadline and a cancellation,
 * and publishes the results on window.pqrpcResult and in the DOM.
 */
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { Code, connect, createClient, RpcError } from "../../src/web/index.ts";
import type { PageConfig, PageResult, PageSuccess } from "./page-result.ts";

declare global {
  interface Window {
    pqrpcConfig: PageConfig;
    pqrpcResult?: PageResult;
  }
}

function show(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

async function* requests(names: readonly string[]) {
  for (const name of names) yield { name };
}

/** Runs `call`, which must fail; returns the failure's status code name. */
async function failure(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "no error";
  } catch (e) {
    return e instanceof RpcError
      ? (Object.keys(Code).find((k) => Code[k as keyof typeof Code] === e.code) ?? "?")
      : String(e);
  }
}

async function run(config: PageConfig): Promise<PageSuccess> {
  const channel = await connect(config.url, { trust: config.trustPem, serverName: config.serverName });
  const greeter = createClient(Greeter, channel);
  const started = performance.now();

  let echoedHeader: string | undefined;
  const unary = await greeter.sayHello(
    { name: "ada" },
    {
      timeoutMs: 5_000,
      headers: { "x-page": "browser" },
      onHeader: (h) => (echoedHeader = String(h.get("x-echo"))),
    },
  );

  const serverStream: string[] = [];
  for await (const r of greeter.lotsOfReplies({ name: "bob", count: 3n })) serverStream.push(r.message);

  const clientStream = await greeter.lotsOfGreetings(requests(["c1", "c2", "c3"]));

  const bidi: string[] = [];
  for await (const r of greeter.chat(requests(["x", "y", "z"]))) bidi.push(r.message);

  const deadline = await failure(() => greeter.sayHello({ name: "slow" }, { timeoutMs: 200 }));

  const abort = new AbortController();
  const cancelled = await failure(async () => {
    let n = 0;
    for await (const _ of greeter.lotsOfReplies({ name: "endless" }, { signal: abort.signal })) {
      if (++n === 2) abort.abort();
    }
  });
  const callsMs = performance.now() - started;
  const info = channel.info;
  await channel.close();
  await channel.closed;

  // A second connection on the same page: liboqs is compiled and the code is warm.
  const again = await connect(config.url, { trust: config.trustPem, serverName: config.serverName });
  const secondUnary = (await createClient(Greeter, again).sayHello({ name: "again" })).message;
  const warmHandshakeMs = again.info.handshakeMs;
  await again.close();

  // A server whose chain does not lead to the trusted CA is refused.
  const untrusted = await connect(config.url, {
    trust: config.otherCaPem,
    serverName: config.serverName,
  }).then(
    async (c) => {
      await c.close();
      return "connected";
    },
    (e: Error & { code?: unknown }) => `${e.name} ${String(e.code)}: ${e.message}`,
  );
  return {
    ok: true,
    unary: unary.message,
    echoedHeader,
    serverStream,
    clientStream: clientStream.message,
    bidi,
    deadline,
    cancelled,
    info: {
      version: info.version,
      group: info.group,
      cipherSuite: info.cipherSuite,
      signatureScheme: info.signatureScheme,
      alpn: info.alpn,
      providers: info.providers,
      wasmError: info.wasmError,
      handshakeMs: info.handshakeMs,
      cryptoLoadMs: info.cryptoLoadMs,
      peerCertificateBytes: info.peerCertificateBytes,
    },
    callsMs,
    secondUnary,
    warmHandshakeMs,
    untrusted,
    userAgent: navigator.userAgent,
  };
}

run(window.pqrpcConfig).then(
  (result) => {
    window.pqrpcResult = result;
    show("status", "done");
    show(
      "summary",
      `${result.info.group} + ${result.info.signatureScheme}, ${result.info.cipherSuite}, ` +
        `handshake ${result.info.handshakeMs.toFixed(1)} ms (then ${result.warmHandshakeMs.toFixed(1)} ms warm)`,
    );
    show("result", JSON.stringify(result, null, 2));
  },
  (error: unknown) => {
    const e = error as Error & { code?: unknown };
    const message = `${e?.name}: ${e?.message} (code ${String(e?.code)})`;
    window.pqrpcResult = { ok: false, error: message };
    show("status", "failed");
    show("result", message);
  },
);
