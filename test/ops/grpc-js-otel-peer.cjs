/**
 * A stock @grpc/grpc-js peer instrumented by OpenTelemetry's own
 * @opentelemetry/instrumentation-grpc (with NodeTracerProvider: W3C trace
 * context, AsyncLocalStorage), run on Node 24, for the trace acceptance
 * check of issue 10: its spans and pqrpc's must share one trace id.
 * CommonJS, because the instrumentation patches grpc-js when it is required.
 *
 * Usage: node grpc-js-otel-peer.cjs '<json config>'
 *   {"mode":"client","port":N,"ca":"ca.pem","serverName":"localhost"}
 *     one helloworld.Greeter/SayHello, then {"event":"done","reply":...} and exit
 *   {"mode":"server","cert":"server.pem","key":"server.key"}
 *     serves helloworld.Greeter over TLS on 127.0.0.1: {"event":"listening","port":N}
 * Every finished span is printed as {"event":"span","name","kind","traceId","spanId","parentSpanId"}.
 */
const { readFileSync } = require("node:fs");
const { resolve } = require("node:path");
const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
const { registerInstrumentations } = require("@opentelemetry/instrumentation");
const { GrpcInstrumentation } = require("@opentelemetry/instrumentation-grpc");

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const printer = {
  onStart() {},
  onEnd(span) {
    const ctx = span.spanContext();
    emit({
      event: "span",
      name: span.name,
      kind: span.kind,
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: span.parentSpanContext?.spanId,
    });
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
new NodeTracerProvider({ spanProcessors: [printer] }).register();
registerInstrumentations({ instrumentations: [new GrpcInstrumentation()] });

// Required after the instrumentation is registered, so that it is patched.
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const definition = protoLoader.loadSync("helloworld/greeter.proto", {
  includeDirs: [resolve(__dirname, "../../proto")],
});
const { Greeter } = grpc.loadPackageDefinition(definition).helloworld;
const cfg = JSON.parse(process.argv[2]);

if (cfg.mode === "client") {
  const client = new Greeter(`127.0.0.1:${cfg.port}`, grpc.credentials.createSsl(readFileSync(cfg.ca)), {
    "grpc.ssl_target_name_override": cfg.serverName,
    "grpc.default_authority": cfg.serverName,
  });
  client.sayHello({ name: "grpc-js" }, { deadline: Date.now() + 20_000 }, (error, reply) => {
    // The client span ends in the callback's tick: print after it.
    setTimeout(() => {
      emit(
        error
          ? { event: "done", error: { code: error.code, details: error.details } }
          : { event: "done", reply: reply.message },
      );
      client.close();
      process.exit(0);
    }, 50);
  });
} else {
  const server = new grpc.Server();
  server.addService(Greeter.service, {
    sayHello(call, callback) {
      callback(null, { message: `hello ${call.request.name}` });
    },
  });
  const creds = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: readFileSync(cfg.cert), private_key: readFileSync(cfg.key) },
  ]);
  server.bindAsync("127.0.0.1:0", creds, (error, port) => {
    if (error) {
      emit({ event: "error", message: error.message });
      process.exit(1);
    }
    emit({ event: "listening", port });
  });
  process.stdin.on("end", () => server.tryShutdown(() => process.exit(0)));
  process.stdin.resume();
}
