/**
 * Stock health and reflection peers on @grpc/grpc-js, run on Node 24
 * (OpenSSL 3.5: X25519MLKEM768, ML-DSA certificates), for the acceptance
 * checks of issue 10 part 5. Nothing here is pqrpc's code: the health
 * client and server are npm `grpc-health-check` (grpc-node's own package),
 * the reflection client is npm `grpc-js-reflection-client`, and calls made
 * from reflected descriptors go through @grpc/proto-loader and grpc-js.
 *
 * Usage: node grpc-js-ops-peer.mjs '<json config>', then JSON-line commands
 * on stdin, each with a "seq"; every command is answered by one line with
 * the same seq ({"seq","ok":true,...} or {"seq","ok":false,"error":{...}}),
 * and a watch also reports {"seq","event":"data"|"error"|"end",...}.
 *
 *   {"mode":"client","port":N,"ca":"ca.pem","serverName":"localhost"}
 *     check {service, deadlineMs} | list | watch {service} | cancel {watch}
 *     reflect-list {version} | reflect-methods {version, service}
 *     reflect-call {version, service, method, request, via}
 *     reflect-file {version, file, lookup} | reflect-extensions {version, type}
 *     reflect-error {version, symbol}
 *   {"mode":"health-server","cert":"server.pem","key":"server.key","statuses":{"":"SERVING"}}
 *     serves grpc-health-check's HealthImplementation over TLS on 127.0.0.1,
 *     prints {"event":"listening","port":N}; set {service, status}
 *
 * Plain JS because it runs on Node 24 without a TypeScript loader.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { HealthImplementation, service as healthService } from "grpc-health-check";
import { GrpcReflection } from "grpc-js-reflection-client";

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

/** An RPC error as plain JSON (grpc-js ServiceError, or a ReflectionRequestException). */
function errorJson(e) {
  return { code: e?.code, details: e?.details, message: String(e?.message ?? e) };
}

function deadline(ms) {
  return Date.now() + (ms ?? 30_000);
}

/** Runs each stdin command; a command's failure is its answer, never the end of the peer. */
function serveCommands(handlers) {
  createInterface({ input: process.stdin })
    .on("line", (line) => {
      let cmd;
      try {
        cmd = JSON.parse(line);
      } catch {
        emit({ ok: false, error: { message: `not JSON: ${line}` } });
        return;
      }
      const run = handlers[cmd.op];
      if (!run) {
        emit({ seq: cmd.seq, ok: false, error: { message: `unknown op ${cmd.op}` } });
        return;
      }
      Promise.resolve()
        .then(() => run(cmd))
        .then(
          (result) => emit({ seq: cmd.seq, ok: true, ...result }),
          (e) => emit({ seq: cmd.seq, ok: false, error: errorJson(e) }),
        );
    })
    .on("close", () => process.exit(0));
}

// ---------------------------------------------------------------- client

function runClient(cfg) {
  const target = `${cfg.host ?? "127.0.0.1"}:${cfg.port}`;
  const credentials = grpc.credentials.createSsl(readFileSync(cfg.ca));
  const options = cfg.serverName
    ? { "grpc.ssl_target_name_override": cfg.serverName, "grpc.default_authority": cfg.serverName }
    : {};
  const HealthClient = grpc.makeGenericClientConstructor(healthService, "Health");
  const health = new HealthClient(target, credentials, options);
  const reflection = {
    v1: new GrpcReflection(target, credentials, options, "v1"),
    v1alpha: new GrpcReflection(target, credentials, options, "v1alpha"),
  };
  const watches = new Map();
  const reflector = (cmd) => {
    const r = reflection[cmd.version ?? "v1"];
    if (!r) throw new Error(`unknown reflection version ${cmd.version}`);
    return r;
  };
  const unary = (fn) =>
    new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));

  serveCommands({
    check: async (cmd) => {
      const res = await unary((cb) =>
        health.check({ service: cmd.service ?? "" }, { deadline: deadline(cmd.deadlineMs) }, cb),
      );
      return { status: res.status };
    },
    list: async (cmd) => {
      const res = await unary((cb) => health.list({}, { deadline: deadline(cmd.deadlineMs) }, cb));
      return {
        statuses: Object.fromEntries(Object.entries(res.statuses).map(([k, v]) => [k, v.status])),
      };
    },
    watch: (cmd) => {
      const call = health.watch({ service: cmd.service ?? "" });
      watches.set(cmd.seq, call);
      call.on("data", (m) => emit({ seq: cmd.seq, event: "data", status: m.status }));
      call.on("error", (e) => emit({ seq: cmd.seq, event: "error", ...errorJson(e) }));
      call.on("status", (s) => emit({ seq: cmd.seq, event: "status", code: s.code, details: s.details }));
      call.on("end", () => emit({ seq: cmd.seq, event: "end" }));
      return {};
    },
    cancel: (cmd) => {
      watches.get(cmd.watch)?.cancel();
      return {};
    },
    "reflect-list": async (cmd) => ({ services: await reflector(cmd).listServices() }),
    "reflect-methods": async (cmd) => ({
      methods: (await reflector(cmd).listMethods(cmd.service)).map((m) => m.name),
    }),
    "reflect-call": async (cmd) => {
      // The descriptor the server sent is all this client knows of the service.
      const descriptor = await reflector(cmd).getDescriptorBySymbol(cmd.service);
      const loaderOptions = { keepCase: false, enums: String, longs: String, defaults: true };
      // "package-object" is the library's own path; "protobufjs-root" goes from its protobufjs Root
      // through proto-loader, around the library's toDescriptor round trip, which fails on
      // messages.proto's nested map entries whoever serves them (buf's own descriptors too).
      const pkg =
        cmd.via === "protobufjs-root"
          ? grpc.loadPackageDefinition(
              protoLoader.fromJSON(descriptor.getProtobufJsRoot().toJSON(), loaderOptions),
            )
          : descriptor.getPackageObject(loaderOptions);
      let Ctor = pkg;
      for (const part of cmd.service.split(".")) Ctor = Ctor?.[part];
      if (typeof Ctor !== "function") throw new Error(`no client constructor for ${cmd.service}`);
      const client = new Ctor(target, credentials, options);
      try {
        const response = await unary((cb) =>
          client[cmd.method](cmd.request ?? {}, { deadline: deadline(cmd.deadlineMs) }, cb),
        );
        return {
          response: JSON.parse(
            JSON.stringify(response, (_k, v) => (v?.type === "Buffer" ? v.data.length : v)),
          ),
        };
      } finally {
        client.close();
      }
    },
    "reflect-file": async (cmd) => {
      const root = (await reflector(cmd).getDescriptorByFileName(cmd.file)).getProtobufJsRoot();
      return { found: (cmd.lookup ?? []).filter((name) => root.lookup(name) !== null) };
    },
    "reflect-extensions": async (cmd) => {
      const r = await reflector(cmd).getAllExtensionNumbersOfType(cmd.type);
      return { baseTypeName: r.base_type_name, numbers: r.extension_number };
    },
    "reflect-error": async (cmd) => {
      try {
        await reflector(cmd).getDescriptorBySymbol(cmd.symbol);
      } catch (e) {
        return { message: String(e?.message ?? e) };
      }
      throw new Error(`reflection found ${cmd.symbol}; expected an error`);
    },
  });
  emit({ event: "ready" });
}

// ---------------------------------------------------------------- health server

async function runHealthServer(cfg) {
  const server = new grpc.Server();
  const impl = new HealthImplementation(cfg.statuses ?? { "": "SERVING" });
  impl.addToServer(server);
  const credentials = grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: readFileSync(cfg.cert), private_key: readFileSync(cfg.key) }],
    false,
  );
  const port = await new Promise((ok, fail) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err ? fail(err) : ok(p))),
  );
  serveCommands({
    set: (cmd) => {
      impl.setStatus(cmd.service, cmd.status);
      return {};
    },
  });
  process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
  emit({ event: "listening", port });
}

const config = JSON.parse(process.argv[2] ?? "{}");
if (config.mode === "client") runClient(config);
else if (config.mode === "health-server") await runHealthServer(config);
else {
  process.stderr.write(`expected {"mode":"client"|"health-server",...}, got ${process.argv[2]}\n`);
  process.exit(2);
}
