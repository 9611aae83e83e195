/**
 * Issue 10's trace acceptance check, against a peer nobody here wrote: stock
 * @grpc/grpc-js with @opentelemetry/instrumentation-grpc on Node 24 (OpenSSL
 * 3.5). A grpc-js client calls a pqrpc server, and the server's span carries
 * the client's trace id (and has the client's span as parent); the reverse,
 * a pqrpc client into an instrumented grpc-js server.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { type CertDir, makeCerts } from "../../src/cli/cli-test-helpers.ts";
import { greeterHandlers } from "../../src/cli/greeter-service.ts";
import { connect } from "../../src/client/channel.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import { createTelemetry } from "../../src/observability/telemetry.ts";
import { loadIdentity, loadTrust } from "../../src/pki/load.ts";
import { createServer, type Server } from "../../src/server/index.ts";
import { GRPC_JS_START_TIMEOUT_MS, PeerProcess } from "../interop/grpc-js-harness.ts";
import { TestSdk } from "./otel-sdk.ts";

const PEER_SCRIPT = join(import.meta.dirname, "grpc-js-otel-peer.cjs");
const CALL_TIMEOUT_MS = 30_000;
const METHOD = "helloworld.Greeter/SayHello";

interface PeerSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
}

describe("W3C trace context between pqrpc and instrumented grpc-js (Node 24)", () => {
  const sdk = new TestSdk();
  const telemetry = createTelemetry({ meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
  let certs: CertDir;
  let server: Server;
  let port: number;

  before(async () => {
    certs = await makeCerts("ml-dsa-65", "pqrpc-ops-traces-");
    server = createServer({ identity: await loadIdentity(certs.chain, certs.key), telemetry }).service(
      Greeter,
      greeterHandlers,
    );
    ({ port } = await server.listen({ port: 0, host: "127.0.0.1" }));
  });
  after(async () => {
    await server?.close({ graceMs: 0 });
    await sdk.shutdown();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it("grpc-js client -> pqrpc server: the server span is in the client's trace, child of its span", async () => {
    const peer = new PeerProcess(
      { mode: "client", port, ca: certs.ca, serverName: "localhost" },
      PEER_SCRIPT,
    );
    try {
      const done = await peer.waitFor((e) => e.event === "done", CALL_TIMEOUT_MS, "the call");
      assert.equal(done.reply, "hello grpc-js", JSON.stringify(done));
      const clientSpan = peer.events.find(
        (e) => e.event === "span" && e.kind === SpanKind.CLIENT,
      ) as unknown as PeerSpan | undefined;
      assert.ok(clientSpan, `grpc-js reported its client span: ${JSON.stringify(peer.events)}`);
      const serverSpan = sdk
        .finishedSpans()
        .find(
          (s) =>
            s.kind === SpanKind.SERVER && s.name === METHOD && s.attributes["rpc.system.name"] === "grpc",
        );
      assert.ok(serverSpan, "pqrpc recorded its server span");
      assert.equal(serverSpan.spanContext().traceId, clientSpan.traceId);
      assert.equal(serverSpan.parentSpanContext?.spanId, clientSpan.spanId);
    } finally {
      await peer.stop();
    }
  });

  it("pqrpc client -> grpc-js server: the grpc-js server span is in pqrpc's trace, child of its span", async () => {
    const peer = new PeerProcess({ mode: "server", cert: certs.chain, key: certs.key }, PEER_SCRIPT);
    try {
      const listening = await peer.waitFor(
        (e) => e.event === "listening",
        GRPC_JS_START_TIMEOUT_MS,
        "listening",
      );
      const channel = await connect(`127.0.0.1:${listening.port as number}`, {
        trust: await loadTrust(certs.ca),
        serverName: "localhost",
        protocol: "h2",
        telemetry,
      });
      try {
        const reply = await createClient(Greeter, channel).sayHello({ name: "pqrpc" });
        assert.equal(reply.message, "hello pqrpc");
      } finally {
        await channel.close();
      }
      const clientSpan = sdk
        .finishedSpans()
        .find(
          (s) =>
            s.kind === SpanKind.CLIENT && s.name === METHOD && s.attributes["server.port"] === listening.port,
        );
      assert.ok(clientSpan, "pqrpc recorded its client span");
      const serverEvent = (await peer.waitFor(
        (e) => e.event === "span" && e.kind === SpanKind.SERVER,
        CALL_TIMEOUT_MS,
        "the grpc-js server span",
      )) as unknown as PeerSpan;
      assert.equal(serverEvent.traceId, clientSpan.spanContext().traceId);
      assert.equal(serverEvent.parentSpanId, clientSpan.spanContext().spanId);
    } finally {
      await peer.stop();
    }
  });
});
