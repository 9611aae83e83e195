/**
 * gRPC over node:http2 over the pqrpc TLS engine (ALPN "h2", in-memory
 * carrier): our client transport against our server handler and the Greeter
 * router, plus hand-made peers for what a conforming peer would never send.
 */

import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Greeter, HelloReplySchema } from "../../gen/helloworld/greeter_pb.ts";
import { createGreeterClient, type GreeterHandlers } from "../../gen/helloworld/greeter_pqrpc.ts";
import { gzipCompression } from "../../node/gzip-compression.ts";
import { createRouter } from "../../node/rpc-defaults.ts";
import { collect, from, rejectsWith } from "../../rpc/call-test-helpers.ts";
import { Code } from "../../rpc/code.ts";
import type { HandlerContext } from "../../rpc/context.ts";
import type { Metadata } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { encodeEnvelope } from "./envelope.ts";
import {
  DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES,
  DEFAULT_H2_CLIENT_STREAM_WINDOW_BYTES,
} from "./http2-carrier.ts";
import { grpcFixture, rawClientSession, rawRequest, rawServerFixture } from "./test-helpers.ts";

/** Waits until `condition` holds (the other side of a connection reacts asynchronously). */
async function eventually(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const seen: { ctx?: HandlerContext; aborted?: unknown } = {};

const greeter: GreeterHandlers = {
  sayHello(req, ctx) {
    seen.ctx = ctx;
    if (req.name === "fail") {
      throw new RpcError(Code.FAILED_PRECONDITION, "not 100% ready: ☺\n", {
        metadata: { "x-why": "because", "x-why-bin": new Uint8Array([0, 255]) },
      }).addDetail(HelloReplySchema, { message: "detail" });
    }
    if (req.name === "echo") {
      for (const [k, v] of ctx.requestHeader) if (k.startsWith("x-")) ctx.responseHeader.append(k, v);
      ctx.responseTrailer.set("x-trailer-bin", new Uint8Array([1, 2, 3]));
    }
    return { message: `hello ${req.name}`, names: [req.blob.length.toString()] };
  },
  async *lotsOfReplies(req, ctx) {
    const size = req.blob.length;
    for (let i = 0; i < Number(req.count); i++) {
      if (req.name === "slow") await sleep(20, undefined, { signal: ctx.signal }).catch(() => {});
      if (ctx.signal.aborted) {
        seen.aborted = ctx.signal.reason;
        return;
      }
      yield { message: `${req.name} ${i}`, names: size > 0 ? ["x".repeat(size)] : [] };
    }
  },
  async lotsOfGreetings(reqs) {
    const names: string[] = [];
    for await (const r of reqs) names.push(r.name);
    return { message: "done", names };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `echo ${r.name}` };
  },
};

describe("gRPC over h2 over PQ TLS: our client and server", () => {
  const router = createRouter().service(Greeter, greeter);
  const fx = grpcFixture(router);
  const client = createGreeterClient(fx.transport);
  after(() => fx.close());

  it("runs all four call kinds", async () => {
    assert.equal((await client.sayHello({ name: "ada" })).message, "hello ada");
    const replies = await collect(client.lotsOfReplies({ name: "bo", count: 3n }));
    assert.deepEqual(
      replies.map((r) => r.message),
      ["bo 0", "bo 1", "bo 2"],
    );
    const summary = await client.lotsOfGreetings(from([{ name: "a" }, { name: "b" }], 1));
    assert.deepEqual(summary.names, ["a", "b"]);
    const chat = await collect(client.chat(from([{ name: "x" }, { name: "y" }])));
    assert.deepEqual(
      chat.map((r) => r.message),
      ["echo x", "echo y"],
    );
    // Server streaming with zero messages: headers, then trailers.
    assert.deepEqual(await collect(client.lotsOfReplies({ name: "none", count: 0n })), []);
  });

  it("carries metadata both ways, -bin values included, and exposes the TLS peer", async () => {
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    await client.sayHello(
      { name: "echo" },
      {
        headers: { "x-plain": "v1", "x-multi": ["a", "b"], "x-data-bin": new Uint8Array([0xfb, 0xff, 0]) },
        onHeader: (h) => {
          header = h;
        },
        onTrailer: (t) => {
          trailer = t;
        },
      },
    );
    assert.equal(header?.getString("x-plain"), "v1");
    assert.deepEqual(header?.getBinary("x-data-bin"), new Uint8Array([0xfb, 0xff, 0]));
    assert.deepEqual(trailer?.getBinary("x-trailer-bin"), new Uint8Array([1, 2, 3]));
    const ctx = seen.ctx!;
    assert.match(ctx.requestHeader.getString("user-agent") ?? "", /^grpc-node-pqrpc\//);
    assert.equal(ctx.requestHeader.has("te"), false);
    assert.equal(ctx.requestHeader.has("content-type"), false);
    assert.equal(ctx.peer.tls?.alpn, "h2");
    assert.equal(ctx.peer.tls?.group, "X25519MLKEM768");
    assert.equal(ctx.peer.tls?.resumed, false);
  });

  it("delivers a status with a percent-encoded message, details and trailing metadata", async () => {
    const err = await rejectsWith(client.sayHello({ name: "fail" }), Code.FAILED_PRECONDITION);
    assert.equal(err.rawMessage, "not 100% ready: ☺\n");
    assert.equal(err.metadata.getString("x-why"), "because");
    assert.deepEqual(err.metadata.getBinary("x-why-bin"), new Uint8Array([0, 255]));
    assert.deepEqual(
      err.findDetails(HelloReplySchema).map((d) => d.message),
      ["detail"],
    );
  });

  it("answers an unknown method with a trailers-only UNIMPLEMENTED", async () => {
    const router2 = createRouter().service(Greeter, { sayHello: greeter.sayHello! });
    const fx2 = grpcFixture(router2);
    try {
      const c = createGreeterClient(fx2.transport);
      await rejectsWith(collect(c.chat(from([{ name: "x" }]))), Code.UNIMPLEMENTED, /Chat/);
    } finally {
      await fx2.close();
    }
  });

  it("compresses with gzip both ways", async () => {
    const gz = createGreeterClient(fx.transport, {
      sendCompression: gzipCompression,
      acceptCompression: [gzipCompression],
      compressMinBytes: 0,
    });
    const reply = await gz.sayHello({ name: "zip", blob: new Uint8Array(50_000).fill(7) });
    assert.deepEqual(reply.names, ["50000"]);
    const routerGz = createRouter({ sendCompression: gzipCompression, compressMinBytes: 0 }).service(
      Greeter,
      greeter,
    );
    const fx2 = grpcFixture(routerGz);
    try {
      const c = createGreeterClient(fx2.transport, { acceptCompression: [gzipCompression] });
      const replies = await collect(c.lotsOfReplies({ name: "g", count: 2n, blob: new Uint8Array(3000) }));
      assert.equal(replies[1]?.names[0]?.length, 3000);
    } finally {
      await fx2.close();
    }
  });

  it("fails DEADLINE_EXCEEDED on the client, and the server handler's signal fires too", async () => {
    seen.aborted = undefined;
    await rejectsWith(
      collect(client.lotsOfReplies({ name: "slow", count: 1000n }, { timeoutMs: 80 })),
      Code.DEADLINE_EXCEEDED,
    );
    await eventually(() => seen.aborted !== undefined, "the server handler to see its deadline");
    assert.ok(seen.aborted instanceof RpcError);
    assert.ok(
      seen.aborted.code === Code.DEADLINE_EXCEEDED || seen.aborted.code === Code.CANCELLED,
      `server saw ${seen.aborted.message}`,
    );
  });

  it("propagates a client abort to the server handler's signal as CANCELLED", async () => {
    seen.aborted = undefined;
    const controller = new AbortController();
    const replies = client.lotsOfReplies({ name: "slow", count: 1000n }, { signal: controller.signal });
    const it = replies[Symbol.asyncIterator]();
    await it.next();
    controller.abort();
    await rejectsWith(it.next(), Code.CANCELLED);
    await eventually(() => seen.aborted !== undefined, "the server handler to be cancelled");
    assert.ok(seen.aborted instanceof RpcError && seen.aborted.code === Code.CANCELLED);
    assert.match(seen.aborted.rawMessage, /client cancelled/);
  });

  it("enforces the receive limit on both sides with RESOURCE_EXHAUSTED", async () => {
    const small = grpcFixture(router, { maxReceiveMessageBytes: 1000 }, { maxReceiveMessageBytes: 1000 });
    try {
      const c = createGreeterClient(small.transport);
      await rejectsWith(
        c.sayHello({ name: "big", blob: new Uint8Array(5000) }),
        Code.RESOURCE_EXHAUSTED,
        /1000/,
      );
      await rejectsWith(
        collect(c.lotsOfReplies({ name: "big", count: 1n, blob: new Uint8Array(5000) })),
        Code.RESOURCE_EXHAUSTED,
        /1000/,
      );
      // The connection survives both.
      assert.equal((await c.sayHello({ name: "ok" })).message, "hello ok");
    } finally {
      await small.close();
    }
  });

  it("applies backpressure: a client that does not read stalls the server's sends", async () => {
    let sent = 0;
    const stalled = createRouter().service(Greeter, {
      async *lotsOfReplies(_req, ctx) {
        for (let i = 0; i < 2000 && !ctx.signal.aborted; i++) {
          sent++;
          yield { message: "m", names: ["x".repeat(64 * 1024)] };
        }
      },
    });
    const fx2 = grpcFixture(stalled);
    try {
      const c = createGreeterClient(fx2.transport);
      const controller = new AbortController();
      const it = c.lotsOfReplies({ count: 1n }, { signal: controller.signal })[Symbol.asyncIterator]();
      await it.next();
      // Wait until the server is stuck: two samples 50 ms apart agree.
      let last = -1;
      for (let i = 0; i < 60 && sent !== last; i++) {
        last = sent;
        await sleep(50);
      }
      assert.equal(sent, last, "the server kept sending to a client that does not read");
      // Bounded by HTTP/2 windows, TLS buffers and our inbound queue: far below 2000 x 64 KiB.
      assert.ok(sent < 100, `server sent ${sent} messages of 64 KiB to a stalled client`);
      controller.abort();
      await eventually(() => fx2.handler.activeCalls === 0, "the server call to end");
    } finally {
      await fx2.close();
    }
  });

  it("advertises the client's receive windows: 1 MiB per stream, 8 MiB for the connection", async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const fx2 = grpcFixture(router);
    fx2.h2server.on("session", (s) => sessions.push(s));
    try {
      assert.equal((await createGreeterClient(fx2.transport).sayHello({ name: "w" })).message, "hello w");
      const server = sessions[0]!;
      assert.equal(server.remoteSettings.initialWindowSize, DEFAULT_H2_CLIENT_STREAM_WINDOW_BYTES);
      // What the server may still send on the connection: the client's window less the reply's DATA.
      await eventually(
        () => (server.state.remoteWindowSize ?? 0) > DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES - 1024,
        "the connection WINDOW_UPDATE",
      );
      assert.ok((server.state.remoteWindowSize ?? 0) <= DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES);
    } finally {
      await fx2.close();
    }
  });

  it("leaves no call open on either side", async () => {
    await eventually(() => fx.transport.activeCalls === 0, "client calls to close");
    await eventually(() => fx.handler.activeCalls === 0, "server calls to close");
  });
});

describe("gRPC server handler: requests that are not valid gRPC", () => {
  const router = createRouter().service(Greeter, greeter);
  const fx = grpcFixture(router, { maxMetadataBytes: 1024 });
  let session: http2.ClientHttp2Session;
  before(async () => {
    session = await rawClientSession(fx.handler, fx.h2server);
  });
  after(async () => {
    session.close();
    await fx.close();
  });

  const base = {
    ":method": "POST",
    ":path": "/helloworld.Greeter/SayHello",
    "content-type": "application/grpc",
    te: "trailers",
  };

  it("answers a non-gRPC content type with 415 and GET with 405", async () => {
    const r415 = await rawRequest(session, { ...base, "content-type": "application/json" });
    assert.equal(r415.headers[":status"], 415);
    assert.equal(r415.headers["grpc-status"], String(Code.INTERNAL));
    const r405 = await rawRequest(session, { ...base, ":method": "GET" });
    assert.equal(r405.headers[":status"], 405);
  });

  it("answers a missing te, a malformed grpc-timeout and oversized headers with a trailers-only status", async () => {
    const { te: _te, ...noTe } = base;
    const r1 = await rawRequest(session, noTe);
    assert.equal(r1.headers[":status"], 200);
    assert.equal(r1.headers["grpc-status"], String(Code.INTERNAL));
    const r2 = await rawRequest(session, { ...base, "grpc-timeout": "10 seconds" });
    assert.equal(r2.headers["grpc-status"], String(Code.INTERNAL));
    assert.match(String(r2.headers["grpc-message"]), /grpc-timeout/);
    const r3 = await rawRequest(session, { ...base, "x-big": "v".repeat(2000) });
    assert.equal(r3.headers["grpc-status"], String(Code.RESOURCE_EXHAUSTED));
    const r4 = await rawRequest(session, { ...base, "x-bad-bin": "not base64!" });
    assert.equal(r4.headers["grpc-status"], String(Code.INTERNAL));
  });

  it("answers a truncated message and an invalid envelope flag with INTERNAL", async () => {
    const whole = encodeEnvelope({ data: new Uint8Array([0x0a, 0x01, 0x61]), compressed: false });
    const ok = await rawRequest(session, base, whole);
    assert.equal(ok.trailers["grpc-status"], "0");
    const truncated = await rawRequest(session, base, whole.subarray(0, 6));
    assert.equal(
      truncated.headers["grpc-status"] ?? truncated.trailers["grpc-status"],
      String(Code.INTERNAL),
    );
    const badFlag = await rawRequest(session, base, new Uint8Array([7, 0, 0, 0, 0]));
    assert.equal(badFlag.headers["grpc-status"] ?? badFlag.trailers["grpc-status"], String(Code.INTERNAL));
    // A compressed flag without grpc-encoding is a protocol error (PROTOCOL-HTTP2 Compressed-Flag).
    const flagged = await rawRequest(
      session,
      base,
      encodeEnvelope({ data: new Uint8Array(1), compressed: true }),
    );
    assert.equal(flagged.headers["grpc-status"] ?? flagged.trailers["grpc-status"], String(Code.INTERNAL));
  });

  it("ends a call that the server finished before the client half-closed (early server closure)", async () => {
    // Unary answered after one message although the client never sends END_STREAM.
    const whole = encodeEnvelope({ data: new Uint8Array([0x0a, 0x01, 0x61]), compressed: false });
    const r = await rawRequest(session, { ...base, ":path": "/helloworld.Greeter/Nope" }, whole, false);
    assert.equal(r.headers["grpc-status"], String(Code.UNIMPLEMENTED));
    assert.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    await eventually(() => fx.handler.activeCalls === 0, "server calls to close");
  });
});

describe("gRPC client: responses from a peer that is not a conforming gRPC server", () => {
  const envelope = (bytes: number[]) => encodeEnvelope({ data: new Uint8Array(bytes), compressed: false });
  const reply = envelope([0x0a, 0x02, 0x68, 0x69]); // HelloReply{message:"hi"}

  async function withServer(
    onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
    run: (client: ReturnType<typeof createGreeterClient>) => Promise<void>,
    options?: Parameters<typeof rawServerFixture>[1],
  ): Promise<void> {
    const fx = rawServerFixture(onStream, options);
    try {
      await run(createGreeterClient(fx.transport));
      await eventually(() => fx.transport.activeCalls === 0, "client calls to close");
    } finally {
      await fx.close();
    }
  }

  it("maps an HTTP error without grpc-status through http-grpc-status-mapping", async () => {
    for (const [status, code] of [
      [503, Code.UNAVAILABLE],
      [404, Code.UNIMPLEMENTED],
      [401, Code.UNAUTHENTICATED],
      [500, Code.UNKNOWN],
    ] as const) {
      await withServer(
        (stream) => {
          stream.respond({ ":status": status, "content-type": "text/html" });
          stream.end("<h1>oops</h1>");
        },
        (c) => rejectsWith(c.sayHello({ name: "x" }), code, new RegExp(String(status))).then(() => {}),
      );
    }
  });

  it("reads a trailers-only response and uses grpc-status over the HTTP status", async () => {
    await withServer(
      (stream) => {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "no%21" },
          { endStream: true },
        );
      },
      async (c) => {
        await rejectsWith(c.sayHello({ name: "x" }), Code.PERMISSION_DENIED, /^no!$/);
      },
    );
  });

  it("fails INTERNAL on a truncated message, an invalid flag, or a non-gRPC content type", async () => {
    const cases: ((s: http2.ServerHttp2Stream) => void)[] = [
      (s) => {
        s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
        s.end(reply.subarray(0, 7));
      },
      (s) => {
        s.respond({ ":status": 200, "content-type": "application/grpc" });
        s.end(new Uint8Array([9, 0, 0, 0, 0]));
      },
      (s) => {
        s.respond({ ":status": 200, "content-type": "text/plain" });
        s.end("hello");
      },
    ];
    for (const onStream of cases) {
      await withServer(onStream, (c) => rejectsWith(c.sayHello({ name: "x" }), Code.INTERNAL).then(() => {}));
    }
  });

  it("fails UNKNOWN when a 200 response ends without grpc-status", async () => {
    await withServer(
      (s) => {
        s.respond({ ":status": 200, "content-type": "application/grpc" });
        s.end(reply);
      },
      (c) => rejectsWith(c.sayHello({ name: "x" }), Code.UNKNOWN).then(() => {}),
    );
  });

  it("reassembles a message split over many DATA frames", async () => {
    const big = encodeEnvelope({
      data: new Uint8Array([0x0a, 0xe8, 0x07, ...new Uint8Array(1000).fill(0x61)]),
      compressed: false,
    });
    await withServer(
      (s) => {
        s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
        for (let i = 0; i < big.length; i += 7) s.write(big.subarray(i, i + 7));
        s.end();
      },
      async (c) => {
        assert.equal((await c.sayHello({ name: "x" })).message.length, 1000);
      },
    );
  });

  it("enforces the response header limit with RESOURCE_EXHAUSTED", async () => {
    await withServer(
      (s) => {
        s.respond({ ":status": 200, "content-type": "application/grpc", "x-big": "v".repeat(3000) });
        s.end();
      },
      (c) => rejectsWith(c.sayHello({ name: "x" }), Code.RESOURCE_EXHAUSTED).then(() => {}),
      { maxMetadataBytes: 1024 },
    );
  });

  it("maps a server RST_STREAM CANCEL to CANCELLED and REFUSED_STREAM to UNAVAILABLE", async () => {
    for (const [rst, code] of [
      [http2.constants.NGHTTP2_CANCEL, Code.CANCELLED],
      [http2.constants.NGHTTP2_REFUSED_STREAM, Code.UNAVAILABLE],
      [http2.constants.NGHTTP2_PROTOCOL_ERROR, Code.INTERNAL],
    ] as const) {
      await withServer(
        (s) => {
          s.respond({ ":status": 200, "content-type": "application/grpc" });
          s.write(reply);
          setTimeout(() => s.close(rst), 10);
        },
        async (c) => {
          // A bidi call whose client has not half-closed: node:http2's close(code) on a stream whose
          // peer already half-closed ends it with END_STREAM instead of a reset.
          const requests = new AbortController();
          const forever = async function* () {
            yield { name: "x" };
            await sleep(60_000, undefined, { signal: requests.signal }).catch(() => {});
          };
          const it = c.chat(forever())[Symbol.asyncIterator]();
          try {
            assert.equal((await it.next()).value?.message, "hi");
            await rejectsWith(it.next(), code);
          } finally {
            requests.abort();
          }
        },
      );
    }
  });
});

describe("gRPC: a peer that vanishes", () => {
  it("fails calls in flight with UNAVAILABLE on the client, cancels the server handler, then reconnects", async () => {
    seen.aborted = undefined;
    const router = createRouter().service(Greeter, greeter);
    const fx = grpcFixture(router);
    try {
      const client = createGreeterClient(fx.transport);
      const it = client.lotsOfReplies({ name: "slow", count: 1000n })[Symbol.asyncIterator]();
      await it.next();
      // The network drops: the carrier under the server's TLS goes away without close_notify.
      fx.serverSockets[0]!.carrier.destroy();
      await rejectsWith(it.next(), Code.UNAVAILABLE);
      await eventually(() => seen.aborted !== undefined, "the server handler to be cancelled");
      assert.ok(seen.aborted instanceof RpcError && seen.aborted.code === Code.CANCELLED);
      await eventually(
        () => fx.transport.activeCalls === 0 && fx.handler.activeCalls === 0,
        "calls to close",
      );
      // The next call opens a new connection.
      assert.equal((await client.sayHello({ name: "again" })).message, "hello again");
      assert.equal(fx.clientSockets.length, 2);
    } finally {
      await fx.close();
    }
  });

  it("says why the connection was lost: the carrier's error reaches the failed call", async () => {
    const fx = grpcFixture(createRouter().service(Greeter, greeter));
    try {
      const client = createGreeterClient(fx.transport);
      const it = client.lotsOfReplies({ name: "slow", count: 1000n })[Symbol.asyncIterator]();
      await it.next();
      fx.clientSockets[0]!.destroy(new Error("simulated carrier failure"));
      const error = await it.next().then(
        () => assert.fail("the call went on"),
        (e: unknown) => e as RpcError,
      );
      assert.equal(error.code, Code.UNAVAILABLE);
      assert.match(error.message, /connection lost: simulated carrier failure/);
    } finally {
      await fx.close();
    }
  });

  it("fails with UNAVAILABLE, without hanging, when the connection cannot be made", async () => {
    const { createGrpcTransport } = await import("./transport.ts");
    const transport = createGrpcTransport({
      connect: () => Promise.reject(new Error("ECONNREFUSED")),
    });
    const client = createGreeterClient(transport);
    await rejectsWith(client.sayHello({ name: "x" }), Code.UNAVAILABLE, /ECONNREFUSED/);
    assert.equal(transport.activeCalls, 0);
  });

  it("fails with UNAVAILABLE when the server closes the connection before answering", async () => {
    const fx = rawServerFixture((stream) => {
      stream.session?.destroy();
    });
    try {
      const client = createGreeterClient(fx.transport);
      await rejectsWith(client.sayHello({ name: "x" }), Code.UNAVAILABLE);
    } finally {
      await fx.close();
    }
  });
});
