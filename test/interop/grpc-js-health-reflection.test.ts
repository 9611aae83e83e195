/**
 * Issue 10 part 5's acceptance check: stock clients use health and
 * reflection against a real pqrpc server. The peers run on Node 24, whose
 * OpenSSL 3.5 negotiates X25519MLKEM768 with pqrpc's ML-DSA-65 chain:
 *
 * 1. npm `grpc-health-check` on @grpc/grpc-js: Check (SERVING, NOT_FOUND),
 *    List, Watch (every change, SERVICE_UNKNOWN without ending the call),
 *    and the server's graceful close seen as NOT_SERVING then a clean end.
 * 2. npm `grpc-js-reflection-client` (v1 and v1alpha): list services and
 *    methods, fetch descriptors by symbol and by file, extension numbers,
 *    NOT_FOUND; and a grpc-js client built from nothing but the reflected
 *    descriptor calls the service.
 * 3. The reverse: `pqrpc health` against grpc-health-check's own server on
 *    grpc-js (exit codes 0, 4 and 3).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CertDir, makeCerts, runInProcess } from "../../src/cli/cli-test-helpers.ts";
import { loadWasmProvider } from "../../src/crypto/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createTestServiceHandlers } from "../../src/interop/test-service.ts";
import { loadIdentity } from "../../src/pki/load.ts";
import type { Interceptor } from "../../src/rpc/interceptor.ts";
import { createServer, type Server } from "../../src/server/index.ts";
import { GRPC_JS_START_TIMEOUT_MS, PeerProcess } from "./grpc-js-harness.ts";

const PEER_SCRIPT = join(import.meta.dirname, "grpc-js-ops-peer.mjs");
/** One command of the peer: a TLS handshake and an RPC or a few (reflection asks up to ~5 questions). */
const COMMAND_TIMEOUT_MS = 30_000;
/** close() must not need its grace period: the Watch streams end by themselves. */
const LONG_GRACE_MS = 120_000;
const SERVER_NAME = "localhost";

type PeerEvent = Record<string, unknown>;

/** Sends commands to a grpc-js-ops-peer.mjs and awaits their answers. */
class OpsPeer {
  #seq = 0;
  private constructor(readonly process: PeerProcess) {}

  static async start(config: object): Promise<OpsPeer> {
    const peer = new PeerProcess(config, PEER_SCRIPT);
    try {
      await peer.waitFor(
        (e) => e["event"] === "ready" || e["event"] === "listening",
        GRPC_JS_START_TIMEOUT_MS,
        "start",
      );
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return new OpsPeer(peer);
  }

  get port(): number {
    return this.process.events.find((e) => e["event"] === "listening")?.["port"] as number;
  }

  /** Sends a command; resolves with its seq (for watch events) without waiting. */
  post(op: string, args: object = {}): number {
    const seq = ++this.#seq;
    this.process.send({ seq, op, ...args });
    return seq;
  }

  /** Runs a command; resolves with its answer, or rejects with the peer's error. */
  async run(op: string, args: object = {}): Promise<PeerEvent> {
    const seq = this.post(op, args);
    const answer = await this.process.waitFor(
      (e) => e["seq"] === seq && "ok" in e,
      COMMAND_TIMEOUT_MS,
      `${op} #${seq}`,
    );
    if (answer["ok"] !== true)
      throw Object.assign(new Error(`${op} failed: ${JSON.stringify(answer["error"])}`), answer);
    return answer;
  }

  /** Runs a command that must fail; resolves with its error. */
  async fails(op: string, args: object = {}): Promise<{ code?: number; details?: string; message: string }> {
    const seq = this.post(op, args);
    const answer = await this.process.waitFor(
      (e) => e["seq"] === seq && "ok" in e,
      COMMAND_TIMEOUT_MS,
      `${op} #${seq}`,
    );
    assert.equal(answer["ok"], false, `${op} was expected to fail: ${JSON.stringify(answer)}`);
    return answer["error"] as { code?: number; details?: string; message: string };
  }

  /** The events of watch `seq` once there are at least `count` of them. */
  async watchEvents(seq: number, count: number): Promise<PeerEvent[]> {
    const of = () => this.process.events.filter((e) => e["seq"] === seq && "event" in e);
    await this.process.waitFor(
      () => of().length >= count,
      COMMAND_TIMEOUT_MS,
      `${count} events of watch #${seq}`,
    );
    return of();
  }

  /** The statuses of watch `seq` once there are `count` of them. */
  async watchStatuses(seq: number, count: number): Promise<unknown[]> {
    const data = () => this.process.events.filter((e) => e["seq"] === seq && e["event"] === "data");
    await this.process.waitFor(
      () => data().length >= count,
      COMMAND_TIMEOUT_MS,
      `${count} statuses of watch #${seq}`,
    );
    return data().map((e) => e["status"]);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

describe("stock grpc-js health and reflection clients against pqrpc (Node 24, ML-DSA-65)", () => {
  let certs: CertDir;
  let server: Server;
  let client: OpsPeer;
  /** The seq of the Watch on helloworld.Greeter that stays open until the graceful close. */
  let greeterWatch = 0;
  /** What every call's TLS connection negotiated, as the server saw it. */
  const negotiated = new Set<string>();
  /** The methods the stock clients called. */
  const paths = new Set<string>();
  const record: Interceptor = (next) => async (req) => {
    paths.add(req.path);
    negotiated.add(`${req.peer?.tls?.group} ${req.peer?.tls?.signatureScheme} ${req.peer?.tls?.alpn}`);
    return next(req);
  };

  before(async () => {
    await loadWasmProvider();
    certs = await makeCerts("ml-dsa-65", "pqrpc-ops-interop-");
    server = createServer({
      identity: await loadIdentity(certs.chain, certs.key),
      health: true,
      reflection: true,
      interceptors: [record],
    })
      .service(Greeter, { sayHello: (req) => ({ message: `hello ${req.name}` }) })
      .service(TestService, createTestServiceHandlers());
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    client = await OpsPeer.start({ mode: "client", port, ca: certs.ca, serverName: SERVER_NAME });
  });
  after(async () => {
    await client?.stop();
    await server?.close();
  });

  it("grpc-health-check Check: SERVING for the server and its services, NOT_FOUND for others", async () => {
    assert.equal((await client.run("check", { service: "" }))["status"], "SERVING");
    assert.equal((await client.run("check", { service: "helloworld.Greeter" }))["status"], "SERVING");
    server.health!.setStatus("grpc.testing.TestService", "NOT_SERVING");
    assert.equal(
      (await client.run("check", { service: "grpc.testing.TestService" }))["status"],
      "NOT_SERVING",
    );
    server.health!.setStatus("grpc.testing.TestService", "SERVING");
    const unknown = await client.fails("check", { service: "no.Such" });
    assert.equal(unknown.code, 5, `NOT_FOUND: ${JSON.stringify(unknown)}`);
    assert.deepEqual((await client.run("list"))["statuses"], {
      "": "SERVING",
      "helloworld.Greeter": "SERVING",
      "grpc.testing.TestService": "SERVING",
    });
  });

  it("grpc-health-check Watch: the current status, every change, SERVICE_UNKNOWN without ending", async () => {
    greeterWatch = client.post("watch", { service: "helloworld.Greeter" });
    const greeter = greeterWatch;
    const later = client.post("watch", { service: "later.Service" });
    assert.deepEqual(await client.watchStatuses(greeter, 1), ["SERVING"]);
    assert.deepEqual(await client.watchStatuses(later, 1), ["SERVICE_UNKNOWN"]);
    server.health!.setStatus("helloworld.Greeter", "NOT_SERVING");
    assert.deepEqual(await client.watchStatuses(greeter, 2), ["SERVING", "NOT_SERVING"]);
    server.health!.setStatus("helloworld.Greeter", "SERVING");
    assert.deepEqual(await client.watchStatuses(greeter, 3), ["SERVING", "NOT_SERVING", "SERVING"]);
    server.health!.setStatus("later.Service", "SERVING");
    assert.deepEqual(await client.watchStatuses(later, 2), ["SERVICE_UNKNOWN", "SERVING"]);
    client.post("cancel", { watch: later });
    const ended = await client.watchEvents(later, 3);
    assert.ok(
      ended.some((e) => e["event"] === "error" && e["code"] === 1),
      `the cancelled watch ends CANCELLED: ${JSON.stringify(ended)}`,
    );
    // `greeter` stays open for the graceful close test below.
  });

  for (const version of ["v1", "v1alpha"]) {
    it(`grpc-js-reflection-client ${version}: lists services and methods`, async () => {
      assert.deepEqual((await client.run("reflect-list", { version }))["services"], [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.testing.TestService",
        "helloworld.Greeter",
      ]);
      assert.deepEqual(
        (await client.run("reflect-methods", { version, service: "helloworld.Greeter" }))["methods"],
        ["SayHello", "LotsOfReplies", "LotsOfGreetings", "Chat"],
      );
    });

    it(`grpc-js-reflection-client ${version}: a grpc-js client built from the reflected descriptor calls pqrpc`, async () => {
      const hello = await client.run("reflect-call", {
        version,
        service: "helloworld.Greeter",
        method: "SayHello",
        request: { name: "ada" },
      });
      assert.equal((hello["response"] as { message: string }).message, "hello ada");
      // TestService's messages live in an imported file: the client resolved the dependency.
      const unary = await client.run("reflect-call", {
        version,
        service: "grpc.testing.TestService",
        method: "UnaryCall",
        request: { responseSize: 314, fillUsername: false },
        via: "protobufjs-root",
      });
      assert.equal((unary["response"] as { payload: { body: number } }).payload.body, 314);
    });

    it(`grpc-js-reflection-client ${version}: by file name, extension numbers, NOT_FOUND`, async () => {
      const wanted = ["grpc.testing.TestService", "grpc.testing.SimpleRequest", "grpc.testing.Empty"];
      const file = await client.run("reflect-file", {
        version,
        file: "grpc/testing/test.proto",
        lookup: wanted,
      });
      assert.deepEqual(file["found"], wanted, "the file and its imports were fetched");
      const ext = await client.run("reflect-extensions", { version, type: "grpc.testing.SimpleRequest" });
      assert.equal(ext["baseTypeName"], "grpc.testing.SimpleRequest");
      assert.deepEqual(ext["numbers"], [], "proto3 messages have no extensions");
      const missing = await client.run("reflect-error", { version, symbol: "no.Such" });
      assert.match(missing["message"] as string, /symbol "no\.Such" not found/);
    });
  }

  it("the stock clients called both reflection versions and all three health methods", () => {
    assert.deepEqual([...paths].sort(), [
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/List",
      "/grpc.health.v1.Health/Watch",
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      "/grpc.testing.TestService/UnaryCall",
      "/helloworld.Greeter/SayHello",
    ]);
  });

  it("every connection negotiated X25519MLKEM768 with the ML-DSA-65 chain over h2", () => {
    assert.deepEqual([...negotiated], ["X25519MLKEM768 ml-dsa-65 h2"]);
  });

  it("graceful close: the open Watch gets NOT_SERVING, then ends OK (the load balancer drains us)", async () => {
    const greeter = greeterWatch;
    const closing = server.close({ graceMs: LONG_GRACE_MS });
    assert.deepEqual(await client.watchStatuses(greeter, 4), [
      "SERVING",
      "NOT_SERVING",
      "SERVING",
      "NOT_SERVING",
    ]);
    const events = await client.watchEvents(greeter, 6);
    assert.deepEqual(
      events.slice(4).map((e) => [e["event"], e["code"] ?? null]),
      [
        ["status", 0],
        ["end", null],
      ],
    );
    await closing;
  });
});

describe("pqrpc health against grpc-health-check's own server on grpc-js (Node 24)", () => {
  let certs: CertDir;
  let peer: OpsPeer;
  before(async () => {
    await loadWasmProvider();
    certs = await makeCerts("ml-dsa-65", "pqrpc-ops-health-server-");
    peer = await OpsPeer.start({
      mode: "health-server",
      cert: certs.chain,
      key: certs.key,
      statuses: { "": "SERVING", "svc.A": "SERVING" },
    });
  });
  after(async () => {
    await peer?.stop();
  });

  it("exit 0 when SERVING, 4 when NOT_SERVING, 3 for a service it does not know", async () => {
    const health = (...args: string[]) =>
      runInProcess(["health", `localhost:${peer.port}`, ...args, "--ca", certs.ca, "--timeout", "30000"]);
    const up = await health();
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, "status: SERVING\n");
    await peer.run("set", { service: "svc.A", status: "NOT_SERVING" });
    const down = await health("svc.A");
    assert.equal(down.code, 4, down.stderr);
    const unknown = await health("svc.B");
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /unknown service "svc\.B"/);
  });
});
