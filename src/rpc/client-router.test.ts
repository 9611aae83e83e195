/**
 * The rpc client and router end to end, through the in-memory router
 * transport: all four call kinds, deadlines and cancellation both ways,
 * metadata and trailers, interceptors, size limits, compression, status mapping.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Greeter, HelloReplySchema, type HelloRequest, Mood } from "../gen/helloworld/greeter_pb.ts";
import { createGreeterClient, type GreeterHandlers } from "../gen/helloworld/greeter_pqrpc.ts";
import { gzipCompression } from "../node/gzip-compression.ts";
import { collect, from, rejectsWith } from "./call-test-helpers.ts";
import { createClient } from "./client.ts";
import { Code } from "./code.ts";
import type { Interceptor } from "./interceptor.ts";
import { Metadata } from "./metadata.ts";
import type { ClientOptions } from "./options.ts";
import { createRouter, INTERNAL_ERROR_MESSAGE, type RouterOptions } from "./router.ts";
import { createRouterTransport } from "./router-transport.ts";
import { RpcError } from "./rpc-error.ts";
import type { ServerCallStream } from "./transport.ts";

/** A handler that answers long after any deadline in these tests. */
const LATE_HANDLER_MS = 3_000;

const greeter: GreeterHandlers = {
  sayHello(req) {
    return { message: `hello ${req.name}` };
  },
  async *lotsOfReplies(req) {
    for (let i = 0; i < Number(req.count); i++) yield { message: `${req.name} ${i}` };
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

function setup(
  handlers: Partial<GreeterHandlers> = greeter,
  routerOptions?: RouterOptions,
  clientOptions?: ClientOptions,
) {
  const router = createRouter(routerOptions).service(Greeter, handlers);
  const transport = createRouterTransport(router);
  return { router, transport, client: createGreeterClient(transport, clientOptions) };
}

describe("four call kinds", () => {
  it("unary, server-, client- and bidi-streaming round-trip messages", async () => {
    const { client } = setup();
    assert.equal((await client.sayHello({ name: "ada" })).message, "hello ada");
    const replies = await collect(client.lotsOfReplies({ name: "bo", count: 3n }));
    assert.deepEqual(
      replies.map((r) => r.message),
      ["bo 0", "bo 1", "bo 2"],
    );
    const sum = await client.lotsOfGreetings(from([{ name: "a" }, { name: "b" }, { name: "c" }], 1));
    assert.deepEqual(sum.names, ["a", "b", "c"]);
    const chat = await collect(client.chat(from([{ name: "x" }, { name: "y" }])));
    assert.deepEqual(
      chat.map((r) => r.message),
      ["echo x", "echo y"],
    );
  });

  it("bidi is full duplex: each reply arrives before the next request is sent", async () => {
    const { client } = setup();
    const replies: string[] = [];
    let next: (() => void) | undefined;
    async function* requests() {
      for (const name of ["1", "2", "3"]) {
        yield { name };
        await new Promise<void>((r) => (next = r));
      }
    }
    for await (const r of client.chat(requests())) {
      replies.push(r.message);
      next?.();
    }
    assert.deepEqual(replies, ["echo 1", "echo 2", "echo 3"]);
  });

  it("createClient from the descriptor alone gives the same typed client; JSON format works", async () => {
    const router = createRouter().service(Greeter, greeter);
    const client = createClient(Greeter, createRouterTransport(router), { format: "json" });
    const reply = await client.sayHello({ name: "json", count: 2n, mood: Mood.HAPPY, tags: { a: "b" } });
    assert.equal(reply.message, "hello json");
    assert.equal(reply.$typeName, HelloReplySchema.typeName);
  });

  it("a server-streaming call with zero responses and an empty bidi stream end cleanly", async () => {
    const { client } = setup();
    assert.deepEqual(await collect(client.lotsOfReplies({ name: "none", count: 0n })), []);
    assert.deepEqual(await collect(client.chat(from([]))), []);
  });
});

describe("status mapping", () => {
  it("RpcError from a handler keeps code, message, details and metadata", async () => {
    const { client } = setup({
      sayHello() {
        throw new RpcError(Code.NOT_FOUND, "no such person", { metadata: { "x-why": "gone" } }).addDetail(
          HelloReplySchema,
          { message: "detail" },
        );
      },
    });
    let trailer: Metadata | undefined;
    const err = await rejectsWith(
      client.sayHello({ name: "x" }, { onTrailer: (t) => (trailer = t) }),
      Code.NOT_FOUND,
      /^no such person$/,
    );
    assert.equal(err.metadata.get("x-why"), "gone");
    assert.equal(trailer?.get("x-why"), "gone");
    assert.equal(err.findDetails(HelloReplySchema)[0]?.message, "detail");
  });

  it("other exceptions become INTERNAL without leaking their message; onError sees them", async () => {
    const seen: unknown[] = [];
    const { client } = setup(
      {
        async sayHello() {
          throw new Error("database password is hunter2");
        },
      },
      { onError: (e) => seen.push(e) },
    );
    const err = await rejectsWith(client.sayHello({}), Code.INTERNAL);
    assert.equal(err.rawMessage, INTERNAL_ERROR_MESSAGE);
    assert.doesNotMatch(err.message, /hunter2/);
    assert.match(String((seen[0] as Error).message), /hunter2/);
  });

  it("unknown method and unregistered handler are UNIMPLEMENTED", async () => {
    const { client } = setup({ sayHello: greeter.sayHello });
    await rejectsWith(client.lotsOfGreetings(from([{ name: "a" }])), Code.UNIMPLEMENTED, /LotsOfGreetings/);
    const empty = createGreeterClient(createRouterTransport(createRouter()));
    await rejectsWith(empty.sayHello({}), Code.UNIMPLEMENTED);
  });

  it("an error after some stream messages arrives after them", async () => {
    const { client } = setup({
      async *lotsOfReplies() {
        yield { message: "one" };
        throw new RpcError(Code.ABORTED, "stop");
      },
    });
    const got: string[] = [];
    await rejectsWith(
      (async () => {
        for await (const r of client.lotsOfReplies({})) got.push(r.message);
      })(),
      Code.ABORTED,
    );
    assert.deepEqual(got, ["one"]);
  });

  it("registering a method twice throws", () => {
    const router = createRouter().service(Greeter, greeter);
    assert.throws(() => router.service(Greeter, greeter), /already registered/);
  });
});

describe("metadata", () => {
  it("request headers reach the handler; response headers and trailers reach the client, binary included", async () => {
    const { client } = setup({
      sayHello(req, ctx) {
        ctx.responseHeader.set("x-echo", ctx.requestHeader.getString("x-id") ?? "");
        ctx.responseHeader.set("x-raw-bin", ctx.requestHeader.getBinary("x-raw-bin") ?? new Uint8Array());
        ctx.responseTrailer.set("x-trailer", "t");
        assert.equal(ctx.peer.address, "in-memory");
        return { message: req.name };
      },
    });
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    await client.sayHello(
      { name: "m" },
      {
        headers: { "X-Id": "42", "x-raw-bin": new Uint8Array([0, 255, 10]) },
        onHeader: (h) => (header = h),
        onTrailer: (t) => (trailer = t),
      },
    );
    assert.equal(header?.get("x-echo"), "42");
    assert.deepEqual(header?.getBinary("x-raw-bin"), new Uint8Array([0, 255, 10]));
    assert.equal(trailer?.get("x-trailer"), "t");
  });

  it("request headers over the limit fail locally with RESOURCE_EXHAUSTED", async () => {
    const { client } = setup(greeter, undefined, { maxMetadataBytes: 100 });
    await rejectsWith(
      client.sayHello({}, { headers: { "x-big": "a".repeat(200) } }),
      Code.RESOURCE_EXHAUSTED,
    );
  });
});

describe("deadlines", () => {
  it("client side: a slow handler fails with DEADLINE_EXCEEDED and the handler's signal fires", async () => {
    let serverReason: unknown;
    let remaining: number | undefined;
    const { client } = setup({
      async sayHello(_req, ctx) {
        remaining = ctx.timeRemaining();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        serverReason = ctx.signal.reason;
        return {};
      },
    });
    const started = Date.now();
    await rejectsWith(client.sayHello({}, { timeoutMs: 50 }), Code.DEADLINE_EXCEEDED);
    // The handler never returns: only the deadline can end the call (the bound is a hang guard).
    assert.ok(Date.now() - started < 10_000);
    assert.ok(remaining !== undefined && remaining > 0 && remaining <= 51, `remaining ${remaining}`);
    await sleep(20);
    assert.ok(serverReason instanceof RpcError);
  });

  it("server side: a handler that ignores its signal still ends with DEADLINE_EXCEEDED from the router", async () => {
    // The client is given no deadline of its own: only the server's timer can end the call.
    const handlers: Partial<GreeterHandlers> = {
      async sayHello() {
        await sleep(LATE_HANDLER_MS);
        return { message: "late" };
      },
    };
    const router = createRouter().service(Greeter, handlers);
    const inner = createRouterTransport(router);
    const transport = {
      openCall: (head: Parameters<typeof inner.openCall>[0]) => inner.openCall({ ...head, timeoutMs: 40 }),
    };
    const started = Date.now();
    await rejectsWith(createGreeterClient(transport).sayHello({}), Code.DEADLINE_EXCEEDED);
    // Ended by the 40 ms server deadline, not by the handler's late reply.
    assert.ok(Date.now() - started < LATE_HANDLER_MS);
  });

  it("deadline during a server stream stops it with DEADLINE_EXCEEDED", async () => {
    const { client } = setup({
      async *lotsOfReplies(_req, ctx) {
        for (;;) {
          yield { message: "tick" };
          await sleep(10, undefined, { signal: ctx.signal }).catch(() => {});
          if (ctx.signal.aborted) return;
        }
      },
    });
    await rejectsWith(collect(client.lotsOfReplies({}, { timeoutMs: 60 })), Code.DEADLINE_EXCEEDED);
  });
});

describe("cancellation", () => {
  it("client AbortSignal cancels the call and aborts the handler's signal", async () => {
    let handlerReason: unknown;
    const setupHandlers: { resolve?: () => void } = {};
    const handlerAborted = new Promise<void>((resolve) => {
      setupHandlers.resolve = resolve;
    });
    const { client } = setup({
      async *chat(_reqs, ctx) {
        yield { message: "first" };
        await new Promise((r) => ctx.signal.addEventListener("abort", r));
        handlerReason = ctx.signal.reason;
        setupHandlers.resolve?.();
      },
    });
    const controller = new AbortController();
    const seen: string[] = [];
    await rejectsWith(
      (async () => {
        for await (const r of client.chat(from([{ name: "a" }]), { signal: controller.signal })) {
          seen.push(r.message);
          controller.abort();
        }
      })(),
      Code.CANCELLED,
    );
    assert.deepEqual(seen, ["first"]);
    await handlerAborted;
    assert.ok(handlerReason instanceof RpcError && handlerReason.code === Code.CANCELLED);
  });

  it("an already aborted signal fails before anything is sent", async () => {
    let called = false;
    const { client } = setup({
      sayHello() {
        called = true;
        return {};
      },
    });
    await rejectsWith(client.sayHello({}, { signal: AbortSignal.abort() }), Code.CANCELLED);
    await sleep(5);
    assert.equal(called, false);
  });

  it("breaking out of a response stream cancels the server side", async () => {
    let aborted = false;
    const { client } = setup({
      async *lotsOfReplies(_req, ctx) {
        ctx.signal.addEventListener("abort", () => (aborted = true));
        for (let i = 0; ; i++) {
          yield { message: String(i) };
          await sleep(1);
          if (ctx.signal.aborted) return;
        }
      },
    });
    for await (const r of client.lotsOfReplies({})) if (r.message === "2") break;
    await sleep(20);
    assert.equal(aborted, true);
  });

  it("the server ending the call early with an error stops the client's request stream", async () => {
    const { client } = setup({
      async lotsOfGreetings(reqs) {
        for await (const r of reqs)
          if (r.name === "stop") throw new RpcError(Code.FAILED_PRECONDITION, "enough");
        return {};
      },
    });
    async function* endless() {
      for (let i = 0; ; i++) {
        yield { name: i === 3 ? "stop" : "go" };
        await sleep(1);
      }
    }
    await rejectsWith(client.lotsOfGreetings(endless()), Code.FAILED_PRECONDITION);
  });
});

describe("interceptors", () => {
  it("client and server interceptors see and change headers, messages and errors, in order", async () => {
    const order: string[] = [];
    const serverInterceptor: Interceptor = (next) => async (req) => {
      order.push(`server:${req.path}`);
      assert.equal(req.peer?.address, "in-memory");
      if (!req.stream) (req.message as HelloRequest).name += "+server";
      const res = await next(req);
      res.trailer.set("x-server-interceptor", "yes");
      return res;
    };
    const outer: Interceptor = (next) => async (req) => {
      order.push("client-outer");
      req.header.set("x-added", "1");
      return next(req);
    };
    const inner: Interceptor = (next) => async (req) => {
      order.push("client-inner");
      try {
        return await next(req);
      } catch (e) {
        throw new RpcError(Code.UNAVAILABLE, `wrapped: ${(e as RpcError).rawMessage}`);
      }
    };
    const { client } = setup(
      {
        sayHello(req, ctx) {
          if (req.name.startsWith("fail")) throw new RpcError(Code.ABORTED, "inner");
          return { message: `${req.name} ${ctx.requestHeader.get("x-added")}` };
        },
      },
      { interceptors: [serverInterceptor] },
      { interceptors: [outer, inner] },
    );
    let trailer: Metadata | undefined;
    const reply = await client.sayHello({ name: "n" }, { onTrailer: (t) => (trailer = t) });
    assert.equal(reply.message, "n+server 1");
    assert.equal(trailer?.get("x-server-interceptor"), "yes");
    assert.deepEqual(order, ["client-outer", "client-inner", "server:/helloworld.Greeter/SayHello"]);
    await rejectsWith(client.sayHello({ name: "fail" }), Code.UNAVAILABLE, /wrapped: inner/);
  });
});

describe("the request an interceptor sees", () => {
  it("has the same fields in the same order on both sides, a lazy signal a copy turns real, for unary and streams", async () => {
    const seen: { side: string; keys: string[]; copySignal: boolean }[] = [];
    const record =
      (side: string): Interceptor =>
      (next) =>
      (req) => {
        const copy = { ...req };
        seen.push({ side, keys: Object.keys(req), copySignal: copy.signal instanceof AbortSignal });
        return next(req);
      };
    const { client } = setup(
      greeter,
      { interceptors: [record("server")] },
      { interceptors: [record("client")] },
    );
    await client.sayHello({ name: "a" }, { timeoutMs: 5_000, headers: { "x-h": "1" } });
    await collect(client.lotsOfReplies({ name: "b", count: 1n }));
    const keys = ["service", "method", "path", "header", "deadline", "peer", "stream", "message", "signal"];
    assert.deepEqual(
      seen.map((s) => s.side),
      ["client", "server", "client", "server"],
    );
    for (const s of seen) {
      assert.deepEqual(s.keys, keys, s.side);
      assert.equal(s.copySignal, true, s.side);
    }
  });
});

describe("limits and compression", () => {
  it("a response over the client's receive limit is RESOURCE_EXHAUSTED", async () => {
    const { client } = setup({ sayHello: () => ({ message: "x".repeat(5000) }) }, undefined, {
      maxReceiveMessageBytes: 1000,
    });
    await rejectsWith(client.sayHello({}), Code.RESOURCE_EXHAUSTED);
  });

  it("a request over the server's receive limit is RESOURCE_EXHAUSTED; over the client's send limit too", async () => {
    const { client } = setup(greeter, { maxReceiveMessageBytes: 1000 });
    await rejectsWith(client.sayHello({ name: "x".repeat(5000) }), Code.RESOURCE_EXHAUSTED);
    const limited = setup(greeter, undefined, { maxSendMessageBytes: 100 }).client;
    await rejectsWith(limited.sayHello({ name: "x".repeat(500) }), Code.RESOURCE_EXHAUSTED, /send limit/);
    const serverSend = setup(
      { sayHello: () => ({ message: "y".repeat(500) }) },
      { maxSendMessageBytes: 100 },
    );
    await rejectsWith(serverSend.client.sayHello({}), Code.RESOURCE_EXHAUSTED);
  });

  it("gzip both ways: messages are compressed on the wire and arrive intact", async () => {
    const wire: boolean[] = [];
    const seen = (call: ServerCallStream): ServerCallStream => ({
      ...call,
      head: call.head,
      peer: call.peer,
      signal: call.signal,
      read: async () => {
        const ev = await call.read();
        if (ev.type === "message") wire.push(ev.message.compressed);
        return ev;
      },
      send: (m) => {
        wire.push(m.compressed);
        return call.send(m);
      },
      sendHeader: (h) => {
        assert.equal(h.encoding, "gzip");
        return call.sendHeader(h);
      },
      sendTrailer: (t) => call.sendTrailer(t),
    });
    const gzip = { sendCompression: gzipCompression, acceptCompression: [gzipCompression] };
    const router = createRouter(gzip).service(Greeter, greeter);
    const transport = createRouterTransport((call) => router.handle(seen(call)));
    const client = createGreeterClient(transport, gzip);
    const big = "z".repeat(10_000);
    assert.equal((await client.sayHello({ name: big })).message, `hello ${big}`);
    assert.deepEqual(wire, [true, true]);
  });

  it("a gzip bomb within the wire limit fails with RESOURCE_EXHAUSTED", async () => {
    const { client } = setup(
      greeter,
      { maxReceiveMessageBytes: 64 * 1024, acceptCompression: [gzipCompression] },
      { sendCompression: gzipCompression },
    );
    // 1 MiB of one letter compresses to ~1 KiB: under the wire limit, far over it inflated.
    await rejectsWith(
      client.sayHello({ name: "a".repeat(1024 * 1024) }),
      Code.RESOURCE_EXHAUSTED,
      /decompressed/,
    );
  });
});

describe("router transport contract", () => {
  it("backpressure: a client stream waits while the handler does not read", async () => {
    let produced = 0;
    let release: (() => void) | undefined;
    const router = createRouter().service(Greeter, {
      async lotsOfGreetings(reqs) {
        await new Promise<void>((r) => (release = r));
        let n = 0;
        for await (const _ of reqs) n++;
        return { message: String(n) };
      },
    });
    const client = createGreeterClient(createRouterTransport(router, { highWaterMark: 4 }));
    async function* many() {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield { name: String(i) };
      }
    }
    const call = client.lotsOfGreetings(many());
    await sleep(30);
    assert.ok(produced < 20, `produced ${produced} messages with nobody reading`);
    release?.();
    assert.equal((await call).message, "100");
  });

  it("metadata keeps names case-insensitive over the transport and refuses reserved names", () => {
    const md = new Metadata({ "X-A": "1" });
    assert.equal(md.get("x-a"), "1");
    assert.throws(() => new Metadata({ "grpc-status": "0" }), /reserved/);
  });
});

describe("router against a misbehaving client", () => {
  const router = createRouter().service(Greeter, greeter);
  const transport = createRouterTransport(router);
  const head = (path: string, encoding = "identity") => ({
    path,
    metadata: new Metadata(),
    timeoutMs: undefined,
    format: "proto" as const,
    encoding,
    acceptEncoding: ["gzip"],
  });
  async function finish(call: ReturnType<typeof transport.openCall>) {
    for (;;) {
      const ev = await call.read();
      if (ev.type === "trailer") return ev.trailer.status;
    }
  }
  const msg = (bytes: number[]) => ({ data: new Uint8Array(bytes), compressed: false });

  it("two messages, none, or undecodable bytes on a unary method are INTERNAL", async () => {
    const two = transport.openCall(head("/helloworld.Greeter/SayHello"));
    await two.send(msg([0x0a, 0x01, 0x61]));
    await two.send(msg([0x0a, 0x01, 0x62]));
    await two.closeSend();
    assert.equal((await finish(two)).code, Code.INTERNAL);
    const none = transport.openCall(head("/helloworld.Greeter/SayHello"));
    await none.closeSend();
    assert.equal((await finish(none)).code, Code.INTERNAL);
    const garbage = transport.openCall(head("/helloworld.Greeter/SayHello"));
    await garbage.send(msg([0x0a, 0x7f]));
    await garbage.closeSend();
    const status = await finish(garbage);
    assert.equal(status.code, Code.INTERNAL);
    assert.match(status.message, /cannot decode helloworld.HelloRequest/);
  });

  it("an unsupported request encoding is UNIMPLEMENTED; a malformed path is UNIMPLEMENTED (trailers-only)", async () => {
    const br = transport.openCall(head("/helloworld.Greeter/SayHello", "br"));
    await br.closeSend();
    const status = await finish(br);
    assert.equal(status.code, Code.UNIMPLEMENTED);
    assert.match(status.message, /"br"/);
    const bad = transport.openCall(head("no-slash"));
    const first = await bad.read();
    assert.equal(first.type, "trailer");
    assert.equal(first.type === "trailer" && first.trailer.status.code, Code.UNIMPLEMENTED);
  });
});
