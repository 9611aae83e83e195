/**
 * A stock @grpc/grpc-js peer for the gRPC interop acceptance checks, run on
 * Node 24 (OpenSSL 3.5: X25519MLKEM768 key exchange, ML-DSA certificates).
 * It loads gRPC's own proto/grpc/testing/test.proto with @grpc/proto-loader
 * and shares no code with pqrpc, so it judges pqrpc from outside.
 *
 * Usage: node grpc-js-peer.mjs '<json config>'
 *   {"mode":"server","cert":"server.pem","key":"server.key","tap":true}
 *     serves grpc.testing.TestService over TLS (ALPN h2) on 127.0.0.1 and
 *     prints {"event":"listening","port":N}. With tap (default), a byte-level
 *     TCP relay in front of grpc-js reports each connection's ServerHello
 *     ({"event":"wire",...}, via wire-tap.mjs). Stops on SIGTERM or stdin end.
 *   {"mode":"client","host":"127.0.0.1","port":N,"ca":"ca.pem",
 *    "serverName":"localhost","cases":["empty_unary",...]}
 *     runs the interop cases (doc/interop-test-descriptions.md) in order and
 *     prints one {"case","ok","error"} line per case, then {"event":"done"}.
 *
 * Plain JS because it runs on Node 24 without a TypeScript loader.
 */
import { readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { tapSocket } from "./wire-tap.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = resolve(HERE, "../../proto");

/** A case that has not settled after this long is reported as failed (a hang, not a pass). */
const CASE_TIMEOUT_MS = 10_000;
/** Largest payload the server builds (gRPC's default 4 MiB message limit, less framing slack). */
const MAX_RESPONSE_PAYLOAD_BYTES = 4 * 1024 * 1024 - 1024;
/** Longest interval_us the server sleeps before one response: 10 s. */
const MAX_RESPONSE_INTERVAL_US = 10_000_000;
const MICROSECONDS_PER_MILLISECOND = 1000;

const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";
const ECHO_INITIAL_VALUE = "test_initial_metadata_value";
const ECHO_TRAILING_VALUE = Buffer.from([0xab, 0xab, 0xab]);
const LARGE_REQUEST_BYTES = 271_828;
const LARGE_RESPONSE_BYTES = 314_159;
const STREAM_REQUEST_BYTES = [27_182, 8, 1_828, 45_904];
const STREAM_RESPONSE_BYTES = [31_415, 9, 2_653, 58_979];
const AGGREGATE_BYTES = 74_922;
const TEST_STATUS_MESSAGE = "test status message";
const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \u{1F608}\t\n";

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [PROTO_ROOT],
  defaults: true,
  enums: Number,
});
const testing = grpc.loadPackageDefinition(definition).grpc.testing;

// ---------------------------------------------------------------- server

async function runServer(cfg) {
  const server = new grpc.Server();
  server.addService(testing.TestService.service, testServiceHandlers());
  const credentials = grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: readFileSync(cfg.cert), private_key: readFileSync(cfg.key) }],
    false,
  );
  const grpcPort = await new Promise((ok, fail) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, port) => (err ? fail(err) : ok(port))),
  );
  const relay = cfg.tap === false ? undefined : await startTapRelay(grpcPort);
  emit({ event: "listening", port: relay ? relay.address().port : grpcPort });
  const stop = () => {
    relay?.close();
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

/** A TCP relay that observes the TLS handshake bytes between a client and grpc-js. */
async function startTapRelay(upstreamPort) {
  let index = 0;
  const relay = createServer((client) => {
    const id = index++;
    const { duplex, summary } = tapSocket(client, "server");
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
    duplex.pipe(upstream).pipe(duplex);
    const close = () => {
      duplex.destroy();
      upstream.destroy();
    };
    upstream.on("error", close);
    duplex.on("error", close);
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      emit({
        event: "wire",
        index: id,
        group: summary.serverHello?.group,
        cipherSuite: summary.serverHello?.cipherSuite,
        helloRetry: summary.helloRetry !== undefined,
        offeredGroups: summary.clientHellos[0]?.supportedGroups,
        alpn: summary.clientHellos[0]?.alpn,
        parseError: summary.parseError,
      });
    };
    upstream.on("close", report);
    client.on("close", report);
  });
  await new Promise((ok) => relay.listen(0, "127.0.0.1", ok));
  return relay;
}

function testServiceHandlers() {
  return {
    emptyCall(call, callback) {
      echoInitial(call);
      callback(null, {}, echoTrailing(call));
    },
    unaryCall(call, callback) {
      echoInitial(call);
      const trailer = echoTrailing(call);
      try {
        throwEchoStatus(call.request.responseStatus);
        callback(null, { payload: zeros(call.request.responseSize) }, trailer);
      } catch (e) {
        callback({ ...e, metadata: trailer }, null);
      }
    },
    streamingOutputCall(call) {
      echoInitial(call);
      const trailer = echoTrailing(call);
      respond(call, call.request).then(
        () => call.end(trailer),
        (e) => call.emit("error", { ...e, metadata: trailer }),
      );
    },
    streamingInputCall(call, callback) {
      echoInitial(call);
      let aggregated = 0;
      call.on("data", (req) => (aggregated += req.payload?.body?.length ?? 0));
      call.on("end", () => callback(null, { aggregatedPayloadSize: aggregated }, echoTrailing(call)));
    },
    fullDuplexCall(call) {
      echoInitial(call);
      const trailer = echoTrailing(call);
      // Requests are answered one after another; interval_us sleeps accumulate.
      let chain = Promise.resolve();
      let failed = false;
      call.on("data", (req) => {
        chain = chain.then(() => (failed ? undefined : respond(call, req)));
        chain = chain.catch((e) => {
          if (failed) return;
          failed = true;
          call.emit("error", { ...e, metadata: trailer });
        });
      });
      call.on("end", () => chain.then(() => failed || call.end(trailer)));
    },
  };
}

async function respond(call, req) {
  throwEchoStatus(req.responseStatus);
  for (const p of req.responseParameters) {
    if (p.intervalUs < 0 || p.intervalUs > MAX_RESPONSE_INTERVAL_US) {
      throw { code: grpc.status.INVALID_ARGUMENT, details: `interval_us ${p.intervalUs} out of range` };
    }
    if (p.intervalUs > 0) await sleep(p.intervalUs / MICROSECONDS_PER_MILLISECOND);
    if (call.cancelled) return;
    call.write({ payload: zeros(p.size) });
  }
}

function zeros(size) {
  if (!(size >= 0 && size <= MAX_RESPONSE_PAYLOAD_BYTES)) {
    throw { code: grpc.status.INVALID_ARGUMENT, details: `payload size ${size} out of range` };
  }
  return { type: 0, body: Buffer.alloc(size) };
}

function throwEchoStatus(status) {
  if (status && status.code !== 0) throw { code: status.code, details: status.message };
}

function echoInitial(call) {
  const values = call.metadata.get(ECHO_INITIAL);
  if (values.length === 0) return;
  const md = new grpc.Metadata();
  md.set(ECHO_INITIAL, values[0]);
  call.sendMetadata(md);
}

function echoTrailing(call) {
  const md = new grpc.Metadata();
  const values = call.metadata.get(ECHO_TRAILING);
  if (values.length > 0) md.set(ECHO_TRAILING, values[0]);
  return md;
}

// ---------------------------------------------------------------- client

async function runClient(cfg) {
  const target = `${cfg.host ?? "127.0.0.1"}:${cfg.port}`;
  const credentials = grpc.credentials.createSsl(readFileSync(cfg.ca));
  const options = cfg.serverName
    ? { "grpc.ssl_target_name_override": cfg.serverName, "grpc.default_authority": cfg.serverName }
    : {};
  const test = new testing.TestService(target, credentials, options);
  const unimplemented = new testing.UnimplementedService(target, credentials, options);
  for (const name of cfg.cases ?? Object.keys(CASES)) {
    const run = CASES[name];
    const started = performance.now();
    let error;
    if (!run) error = `unknown case ${name}`;
    else {
      try {
        await withTimeout(run({ test, unimplemented }), CASE_TIMEOUT_MS, name);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
    emit({ case: name, ok: error === undefined, error, durationMs: Math.round(performance.now() - started) });
  }
  test.close();
  unimplemented.close();
  emit({ event: "done" });
  // grpc-js keeps pooled subchannels alive for a while after close(): leave now.
  process.exit(0);
}

const CASES = {
  async empty_unary({ test }) {
    const reply = await unary(test, "emptyCall", {});
    check(reply !== null && typeof reply === "object", "response is null");
  },

  async large_unary({ test }) {
    const reply = await unary(test, "unaryCall", {
      responseSize: LARGE_RESPONSE_BYTES,
      payload: { body: Buffer.alloc(LARGE_REQUEST_BYTES) },
    });
    checkPayload(reply.payload, LARGE_RESPONSE_BYTES, "response");
  },

  async client_streaming({ test }) {
    const reply = await new Promise((ok, fail) => {
      const call = test.streamingInputCall((err, res) => (err ? fail(err) : ok(res)));
      for (const size of STREAM_REQUEST_BYTES) call.write({ payload: { body: Buffer.alloc(size) } });
      call.end();
    });
    check(
      reply.aggregatedPayloadSize === AGGREGATE_BYTES,
      `aggregated_payload_size is ${reply.aggregatedPayloadSize}, expected ${AGGREGATE_BYTES}`,
    );
  },

  async server_streaming({ test }) {
    const call = test.streamingOutputCall({
      responseParameters: STREAM_RESPONSE_BYTES.map((size) => ({ size })),
    });
    const replies = await readAll(call);
    checkSizes(replies, STREAM_RESPONSE_BYTES);
  },

  async ping_pong({ test }) {
    const call = test.fullDuplexCall();
    const replies = [];
    const done = readAll(call, (reply) => {
      replies.push(reply);
      if (replies.length < STREAM_RESPONSE_BYTES.length) call.write(pingRequest(replies.length));
      else call.end();
    });
    call.write(pingRequest(0));
    await done;
    checkSizes(replies, STREAM_RESPONSE_BYTES);
  },

  async empty_stream({ test }) {
    const call = test.fullDuplexCall();
    call.end();
    const replies = await readAll(call);
    check(replies.length === 0, `received ${replies.length} responses, expected exactly 0`);
  },

  async custom_metadata({ test }) {
    const metadata = () => {
      const md = new grpc.Metadata();
      md.set(ECHO_INITIAL, ECHO_INITIAL_VALUE);
      md.set(ECHO_TRAILING, ECHO_TRAILING_VALUE);
      return md;
    };
    {
      let header;
      let trailer;
      const reply = await new Promise((ok, fail) => {
        let result;
        const call = test.unaryCall(
          { responseSize: LARGE_RESPONSE_BYTES, payload: { body: Buffer.alloc(LARGE_REQUEST_BYTES) } },
          metadata(),
          (err, res) => (err ? fail(err) : (result = res)),
        );
        call.on("metadata", (md) => (header = md));
        call.on("status", (status) => {
          trailer = status.metadata;
          if (status.code === grpc.status.OK) setImmediate(() => ok(result));
        });
      });
      checkPayload(reply.payload, LARGE_RESPONSE_BYTES, "UnaryCall response");
      checkEcho(header, trailer, "UnaryCall");
    }
    {
      let header;
      let trailer;
      const call = test.fullDuplexCall(metadata());
      call.on("metadata", (md) => (header = md));
      call.on("status", (status) => (trailer = status.metadata));
      call.write({
        responseParameters: [{ size: LARGE_RESPONSE_BYTES }],
        payload: { body: Buffer.alloc(LARGE_REQUEST_BYTES) },
      });
      call.end();
      const replies = await readAll(call);
      checkSizes(replies, [LARGE_RESPONSE_BYTES]);
      checkEcho(header, trailer, "FullDuplexCall");
    }
  },

  async status_code_and_message({ test }) {
    const responseStatus = { code: grpc.status.UNKNOWN, message: TEST_STATUS_MESSAGE };
    await expectStatus(
      unary(test, "unaryCall", { responseStatus }),
      grpc.status.UNKNOWN,
      TEST_STATUS_MESSAGE,
    );
    const call = test.fullDuplexCall();
    call.write({ responseStatus });
    call.end();
    await expectStatus(readAll(call), grpc.status.UNKNOWN, TEST_STATUS_MESSAGE);
  },

  async special_status_message({ test }) {
    const responseStatus = { code: grpc.status.UNKNOWN, message: SPECIAL_STATUS_MESSAGE };
    await expectStatus(
      unary(test, "unaryCall", { responseStatus }),
      grpc.status.UNKNOWN,
      SPECIAL_STATUS_MESSAGE,
    );
  },

  async unimplemented_method({ test }) {
    await expectStatus(unary(test, "unimplementedCall", {}), grpc.status.UNIMPLEMENTED);
  },

  async unimplemented_service({ unimplemented }) {
    await expectStatus(unary(unimplemented, "unimplementedCall", {}), grpc.status.UNIMPLEMENTED);
  },

  async cancel_after_begin({ test }) {
    let call;
    const result = new Promise((ok, fail) => {
      call = test.streamingInputCall((err, res) => (err ? fail(err) : ok(res)));
    });
    call.cancel();
    await expectStatus(result, grpc.status.CANCELLED);
  },

  async cancel_after_first_response({ test }) {
    const call = test.fullDuplexCall();
    let count = 0;
    const done = readAll(call, (reply) => {
      if (count++ === 0) checkPayload(reply.payload, STREAM_RESPONSE_BYTES[0], "response 0");
      call.cancel();
    });
    call.write(pingRequest(0));
    await expectStatus(done, grpc.status.CANCELLED);
    check(count === 1, `received ${count} responses before the cancel took effect, expected 1`);
  },

  async timeout_on_sleeping_server({ test }) {
    const call = test.fullDuplexCall({ deadline: Date.now() + 1 });
    call.write({ payload: { body: Buffer.alloc(STREAM_REQUEST_BYTES[0]) } });
    await expectStatus(readAll(call), grpc.status.DEADLINE_EXCEEDED);
  },
};

function pingRequest(index) {
  return {
    responseParameters: [{ size: STREAM_RESPONSE_BYTES[index] }],
    payload: { body: Buffer.alloc(STREAM_REQUEST_BYTES[index]) },
  };
}

function unary(client, method, request) {
  return new Promise((ok, fail) => client[method](request, (err, res) => (err ? fail(err) : ok(res))));
}

/** Collects a readable call's messages until its OK status; rejects with the call's error. */
function readAll(call, onMessage) {
  return new Promise((ok, fail) => {
    const replies = [];
    call.on("data", (reply) => {
      replies.push(reply);
      try {
        onMessage?.(reply);
      } catch (e) {
        call.cancel();
        fail(e);
      }
    });
    call.on("error", fail);
    call.on("status", (status) => {
      if (status.code === grpc.status.OK) ok(replies);
    });
  });
}

async function expectStatus(promise, code, message) {
  const name = (c) => Object.keys(grpc.status).find((k) => grpc.status[k] === c) ?? String(c);
  const expected = `${name(code)}${message === undefined ? "" : ` ${JSON.stringify(message)}`}`;
  let outcome;
  try {
    await promise;
  } catch (e) {
    outcome = e;
  }
  if (outcome === undefined) throw new Error(`the call succeeded; expected status ${expected}`);
  if (typeof outcome.code !== "number")
    throw new Error(`failed with ${outcome}; expected status ${expected}`);
  check(
    outcome.code === code && (message === undefined || outcome.details === message),
    `ended with ${name(outcome.code)} ${JSON.stringify(outcome.details)}; expected ${expected}`,
  );
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function checkPayload(payload, size, what) {
  const body = payload?.body ?? Buffer.alloc(0);
  check(body.length === size, `${what} payload body is ${body.length} bytes, expected ${size}`);
  check(
    body.every((b) => b === 0),
    `${what} payload body is not all zeros`,
  );
}

function checkSizes(replies, sizes) {
  check(
    replies.length === sizes.length,
    `received ${replies.length} responses, expected exactly ${sizes.length}`,
  );
  for (const [i, r] of replies.entries()) checkPayload(r.payload, sizes[i], `response ${i}`);
}

function checkEcho(header, trailer, what) {
  const initial = header?.get(ECHO_INITIAL)[0];
  check(
    initial === ECHO_INITIAL_VALUE,
    `${what} initial metadata ${ECHO_INITIAL} is ${JSON.stringify(initial)}`,
  );
  const trailing = trailer?.get(ECHO_TRAILING)[0];
  check(
    Buffer.isBuffer(trailing) && trailing.equals(ECHO_TRAILING_VALUE),
    `${what} trailing metadata ${ECHO_TRAILING} is ${trailing === undefined ? "missing" : Buffer.from(trailing).toString("hex")}`,
  );
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${name} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- main

const config = JSON.parse(process.argv[2] ?? "{}");
if (config.mode === "server") await runServer(config);
else if (config.mode === "client") await runClient(config);
else {
  process.stderr.write(`expected {"mode":"server"|"client",...}, got ${process.argv[2]}\n`);
  process.exit(2);
}
