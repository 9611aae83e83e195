/**
 * Wire compatibility with a stock @grpc/grpc-js in the same process, over
 * plaintext h2c on loopback (the PQ TLS interop suite lives in test/interop):
 * its client against our server handler, and our client against its server.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  Greeter,
  type HelloReply,
  HelloReplySchema,
  type HelloRequest,
  HelloRequestSchema,
} from "../../gen/helloworld/greeter_pb.ts";
import { createGreeterClient } from "../../gen/helloworld/greeter_pqrpc.ts";
import { gzipCompression } from "../../node/gzip-compression.ts";
import { createRouter } from "../../node/rpc-defaults.ts";
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { createGrpcServerHandler } from "./handler.ts";
import { createGrpcTransport } from "./transport.ts";

const serializeRequest = (m: HelloRequest) => Buffer.from(toBinary(HelloRequestSchema, m));
const deserializeRequest = (b: Buffer) => fromBinary(HelloRequestSchema, b);
const serializeReply = (m: HelloReply) => Buffer.from(toBinary(HelloReplySchema, m));
const deserializeReply = (b: Buffer) => fromBinary(HelloReplySchema, b);
const request = (name: string) => create(HelloRequestSchema, { name });
const reply = (message: string) => create(HelloReplySchema, { message });

async function eventually(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("a @grpc/grpc-js client against our server handler (h2c)", () => {
  const h2server = http2.createServer();
  const router = createRouter().service(Greeter, {
    sayHello(req, ctx) {
      if (req.name === "fail") {
        throw new RpcError(Code.NOT_FOUND, "no such 100% ☺", {
          metadata: { "x-t-bin": new Uint8Array([1, 2]) },
        });
      }
      ctx.responseHeader.set("x-h", ctx.requestHeader.getString("x-in") ?? "");
      return { message: `hello ${req.name}` };
    },
    async *lotsOfReplies(req) {
      for (let i = 0; i < 3; i++) yield { message: `${req.name} ${i}` };
    },
    async lotsOfGreetings(reqs) {
      const names: string[] = [];
      for await (const r of reqs) names.push(r.name);
      return { message: "done", names };
    },
    async *chat(reqs) {
      for await (const r of reqs) yield { message: `echo ${r.name}` };
    },
  });
  const handler = createGrpcServerHandler(router);
  handler.attach(h2server);
  let client: grpc.Client;
  before(async () => {
    await new Promise<void>((resolve) => h2server.listen(0, "127.0.0.1", resolve));
    const { port } = h2server.address() as AddressInfo;
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.default_compression_algorithm": 2, // gzip
    });
  });
  after(() => {
    client.close();
    h2server.close();
  });

  it("serves unary with metadata, and a status with a percent-encoded message", async () => {
    const md = new grpc.Metadata();
    md.set("x-in", "v");
    let headers: grpc.Metadata | undefined;
    const answer = await new Promise<HelloReply>((resolve, reject) => {
      const call = client.makeUnaryRequest(
        "/helloworld.Greeter/SayHello",
        serializeRequest,
        deserializeReply,
        request("js"),
        md,
        (err, value) => (err ? reject(err) : resolve(value!)),
      );
      call.on("metadata", (m) => {
        headers = m;
      });
    });
    assert.equal(answer.message, "hello js");
    assert.deepEqual(headers?.get("x-h"), ["v"]);
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        "/helloworld.Greeter/SayHello",
        serializeRequest,
        deserializeReply,
        request("fail"),
        (e) => resolve(e!),
      );
    });
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.equal(err.details, "no such 100% ☺");
    assert.deepEqual(err.metadata.get("x-t-bin"), [Buffer.from([1, 2])]);
  });

  it("serves server-, client- and bidi-streaming", async () => {
    const stream = client.makeServerStreamRequest(
      "/helloworld.Greeter/LotsOfReplies",
      serializeRequest,
      deserializeReply,
      request("s"),
    );
    const got: string[] = [];
    for await (const r of stream) got.push((r as HelloReply).message);
    assert.deepEqual(got, ["s 0", "s 1", "s 2"]);

    const summary = await new Promise<HelloReply>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        "/helloworld.Greeter/LotsOfGreetings",
        serializeRequest,
        deserializeReply,
        (err, value) => (err ? reject(err) : resolve(value!)),
      );
      call.write(request("a"));
      call.write(request("b"));
      call.end();
    });
    assert.deepEqual(summary.names, ["a", "b"]);

    const bidi = client.makeBidiStreamRequest("/helloworld.Greeter/Chat", serializeRequest, deserializeReply);
    bidi.write(request("x"));
    bidi.write(request("y"));
    bidi.end();
    const echoes: string[] = [];
    for await (const r of bidi) echoes.push((r as HelloReply).message);
    assert.deepEqual(echoes, ["echo x", "echo y"]);
  });

  it("answers an unknown method UNIMPLEMENTED and leaves no call open", async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        "/helloworld.Greeter/Nope",
        serializeRequest,
        deserializeReply,
        request("x"),
        (e) => resolve(e!),
      );
    });
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
    await eventually(() => handler.activeCalls === 0, "server calls to close");
  });
});

describe("our client against a @grpc/grpc-js server (h2c)", () => {
  const server = new grpc.Server();
  let port = 0;
  before(async () => {
    server.addService(
      {
        sayHello: {
          path: "/helloworld.Greeter/SayHello",
          requestStream: false,
          responseStream: false,
          requestSerialize: serializeRequest,
          requestDeserialize: deserializeRequest,
          responseSerialize: serializeReply,
          responseDeserialize: deserializeReply,
        },
        chat: {
          path: "/helloworld.Greeter/Chat",
          requestStream: true,
          responseStream: true,
          requestSerialize: serializeRequest,
          requestDeserialize: deserializeRequest,
          responseSerialize: serializeReply,
          responseDeserialize: deserializeReply,
        },
      },
      {
        sayHello(
          call: grpc.ServerUnaryCall<HelloRequest, HelloReply>,
          callback: grpc.sendUnaryData<HelloReply>,
        ) {
          const name = call.request.name;
          if (name === "fail") {
            const md = new grpc.Metadata();
            md.set("x-t-bin", Buffer.from([9, 8]));
            callback({ code: grpc.status.ABORTED, details: "stop 50% ☺", metadata: md });
            return;
          }
          const header = new grpc.Metadata();
          header.set("x-h", String(call.metadata.get("x-in")[0] ?? ""));
          header.set("x-h-bin", (call.metadata.get("x-in-bin")[0] as Buffer | undefined) ?? Buffer.alloc(0));
          call.sendMetadata(header);
          callback(null, reply(`hello ${name}`));
        },
        chat(call: grpc.ServerDuplexStream<HelloRequest, HelloReply>) {
          call.on("data", (r: HelloRequest) => call.write(reply(`echo ${r.name}`)));
          call.on("end", () => call.end());
        },
      },
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  });
  after(() => {
    server.forceShutdown();
  });

  it("calls unary and bidi methods, with metadata, gzip and statuses", async () => {
    const transport = createGrpcTransport({ authority: `http://127.0.0.1:${port}` });
    try {
      const client = createGreeterClient(transport, {
        sendCompression: gzipCompression,
        acceptCompression: [gzipCompression],
        compressMinBytes: 0,
      });
      let header: import("../../rpc/metadata.ts").Metadata | undefined;
      const reply = await client.sayHello(
        { name: "pq" },
        {
          headers: { "x-in": "v", "x-in-bin": new Uint8Array([0xfb, 0xff]) },
          onHeader: (h) => {
            header = h;
          },
        },
      );
      assert.equal(reply.message, "hello pq");
      assert.equal(header?.getString("x-h"), "v");
      assert.deepEqual(header?.getBinary("x-h-bin"), new Uint8Array([0xfb, 0xff]));
      const err = await client.sayHello({ name: "fail" }).then(
        () => assert.fail("expected ABORTED"),
        (e: unknown) => e as RpcError,
      );
      assert.equal(err.code, Code.ABORTED);
      assert.equal(err.rawMessage, "stop 50% ☺");
      assert.deepEqual(err.metadata.getBinary("x-t-bin"), new Uint8Array([9, 8]));
      const echoes: string[] = [];
      async function* names() {
        yield { name: "a" };
        yield { name: "b" };
      }
      for await (const r of client.chat(names())) echoes.push(r.message);
      assert.deepEqual(echoes, ["echo a", "echo b"]);
      const unimplemented = await createGreeterClient(transport)
        .lotsOfGreetings(names())
        .then(
          () => assert.fail("expected UNIMPLEMENTED"),
          (e: unknown) => e as RpcError,
        );
      assert.equal(unimplemented.code, Code.UNIMPLEMENTED);
      await eventually(() => transport.activeCalls === 0, "client calls to close");
    } finally {
      await transport.close();
    }
  });
});
