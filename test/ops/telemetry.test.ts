/**
 * Metrics and traces of real calls over both protocols, read back from a
 * real OpenTelemetry SDK: the names and attributes of the RPC conventions
 * (v1.44) and the pqrpc.tls.* figures, and one trace across client and server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { greeterHandlers } from "../../src/cli/greeter-service.ts";
import { connect } from "../../src/client/channel.ts";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import { createTelemetry } from "../../src/observability/telemetry.ts";
import { Code } from "../../src/rpc/code.ts";
import type { RpcError } from "../../src/rpc/rpc-error.ts";
import { createServer, type Server } from "../../src/server/index.ts";
import { SERVER_NAME, testPki } from "../rpc/helpers.ts";
import { TestSdk } from "./otel-sdk.ts";

const METHOD = "helloworld.Greeter/SayHello";

describe("telemetry of calls and handshakes, read from the OpenTelemetry SDK", () => {
  const sdk = new TestSdk();
  const telemetry = createTelemetry({ meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
  let server: Server;
  let address: string;

  before(async () => {
    const { pki } = await testPki();
    server = createServer({ identity: pki.server.certifiedKey, telemetry }).service(Greeter, greeterHandlers);
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    address = `127.0.0.1:${port}`;
  });
  after(async () => {
    await server.close({ graceMs: 0 });
    await sdk.shutdown();
  });

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    const system = protocol === "h2" ? "grpc" : "pqrpc";
    it(`${protocol}: call duration, messages and bytes on both sides, status names, _OTHER for unknown methods`, async () => {
      const { trust } = await testPki();
      const channel = await connect(address, { trust, serverName: SERVER_NAME, protocol, telemetry });
      try {
        const greeter = createClient(Greeter, channel);
        const reply = await greeter.sayHello({ name: "ada" });
        assert.match(reply.message, /ada/);
        // A service the server does not serve: UNIMPLEMENTED, counted as "_OTHER" by the server.
        await assert.rejects(
          createClient(Health, channel).check({}),
          (e: RpcError) => e.code === Code.UNIMPLEMENTED,
        );
      } finally {
        await channel.close();
      }
      const [serverOk] = await sdk.find("rpc.server.call.duration", {
        "rpc.system.name": system,
        "rpc.method": METHOD,
        "rpc.response.status_code": "OK",
      });
      assert.ok(serverOk, "rpc.server.call.duration for the method");
      assert.equal(serverOk.value, 1);
      assert.equal(serverOk.attributes["error.type"], undefined);
      const [clientOk] = await sdk.find("rpc.client.call.duration", {
        "rpc.system.name": system,
        "rpc.method": METHOD,
        "rpc.response.status_code": "OK",
        "server.address": SERVER_NAME,
      });
      assert.ok(clientOk, "rpc.client.call.duration for the method");
      const [other] = await sdk.find("rpc.server.call.duration", {
        "rpc.system.name": system,
        "rpc.method": "_OTHER",
        "rpc.response.status_code": "UNIMPLEMENTED",
        "error.type": "UNIMPLEMENTED",
      });
      assert.ok(other, "an unknown method is _OTHER with its status as error.type");
      // Totals of the finished calls: one SayHello each way; the request { name: "ada" } is 5 bytes serialized.
      for (const [name, direction, total] of [
        ["pqrpc.rpc.server.call.messages", "received", 1],
        ["pqrpc.rpc.server.call.messages", "sent", 1],
        ["pqrpc.rpc.client.call.messages", "sent", 1],
        ["pqrpc.rpc.client.call.bytes", "sent", 5],
        ["pqrpc.rpc.server.call.bytes", "received", 5],
      ] as const) {
        const [p] = await sdk.find(name, {
          "rpc.method": METHOD,
          "pqrpc.direction": direction,
          "rpc.system.name": system,
        });
        assert.equal(p?.value, total, `${name} ${direction}`);
      }
      const [reply] = await sdk.find("pqrpc.rpc.server.call.bytes", {
        "rpc.method": METHOD,
        "pqrpc.direction": "sent",
        "rpc.system.name": system,
      });
      assert.ok(reply && reply.value > 5, "the reply's bytes");
      const open = await sdk.find("pqrpc.streams.open", {
        "rpc.system.name": system,
        "pqrpc.side": "server",
      });
      assert.equal(open[0]?.value, 0, "no stream left open");
    });
  }

  it("TLS: handshake duration by group, scheme, suite and provider; bytes each way; crypto operations", async () => {
    const duration = await sdk.find("pqrpc.tls.handshake.duration", {
      "pqrpc.side": "server",
      "pqrpc.tls.group": "X25519MLKEM768",
      "pqrpc.tls.signature_scheme": "ml-dsa-65",
      "pqrpc.tls.resumed": false,
    });
    assert.ok(duration.length > 0, "server handshakes labelled X25519MLKEM768");
    assert.match(
      String(duration[0]!.attributes["pqrpc.crypto.provider"]),
      /^(node|wasm|noble)(\+(node|wasm|noble))?$/,
    );
    assert.equal(duration[0]!.attributes["pqrpc.tls.cipher_suite"], "TLS_AES_256_GCM_SHA384");
    const received = await sdk.find("pqrpc.tls.handshake.bytes", {
      "pqrpc.side": "server",
      "pqrpc.direction": "received",
    });
    // A hybrid ClientHello carries an ML-KEM-768 key share of 1184 bytes.
    assert.ok(
      received.some((p) => (p.sum ?? 0) / p.value > 1184),
      "ClientHello bytes counted",
    );
    const sent = await sdk.find("pqrpc.tls.handshake.bytes", {
      "pqrpc.side": "server",
      "pqrpc.direction": "sent",
    });
    // ML-DSA-65: a 3309-byte signature and a chain with 1952-byte keys.
    assert.ok(
      sent.some((p) => (p.sum ?? 0) / p.value > 3309),
      "server flight bytes counted",
    );
    const ops = await sdk.points();
    const op = (alg: string, operation: string) =>
      ops.some(
        (p) =>
          p.name === "pqrpc.crypto.operation.duration" &&
          p.attributes["pqrpc.crypto.algorithm"] === alg &&
          p.attributes["pqrpc.crypto.operation"] === operation &&
          typeof p.attributes["pqrpc.crypto.provider"] === "string",
      );
    assert.ok(op("ml-kem-768", "encapsulate"), "server ML-KEM encapsulation timed");
    assert.ok(op("ml-kem-768", "decapsulate"), "client ML-KEM decapsulation timed");
    assert.ok(op("ml-dsa-65", "sign"), "server CertificateVerify signature timed");
    assert.ok(op("ml-dsa-65", "verify"), "client CertificateVerify check timed");
    const conns = await sdk.find("pqrpc.connections.open", { "pqrpc.side": "server" });
    assert.equal(conns[0]?.value, 0, "every connection counted closed");
  });

  it("traces: the server span is the child of the client span (traceparent in metadata), and a handshake span each side", async () => {
    const spans = sdk.finishedSpans();
    for (const system of ["pqrpc", "grpc"]) {
      const client = spans.find(
        (s) => s.kind === SpanKind.CLIENT && s.name === METHOD && s.attributes["rpc.system.name"] === system,
      );
      assert.ok(client, `client span over ${system}`);
      const server = spans.find(
        (s) =>
          s.kind === SpanKind.SERVER &&
          s.name === METHOD &&
          s.spanContext().traceId === client.spanContext().traceId,
      );
      assert.ok(server, `server span in the client's trace over ${system}`);
      assert.equal(server.parentSpanContext?.spanId, client.spanContext().spanId);
      assert.equal(server.attributes["rpc.response.status_code"], "OK");
      assert.equal(server.attributes["network.peer.address"], "127.0.0.1");
    }
    const handshakes = spans.filter((s) => s.name === "pqrpc.tls.handshake");
    assert.ok(
      handshakes.some(
        (s) =>
          s.attributes["pqrpc.side"] === "server" && s.attributes["pqrpc.tls.group"] === "X25519MLKEM768",
      ),
    );
    assert.ok(handshakes.some((s) => s.attributes["pqrpc.side"] === "client"));
  });
});
