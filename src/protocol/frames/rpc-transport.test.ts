/**
 * The rpc client and router end to end over pqrpc/1 sessions on an
 * in-memory pair: the four call kinds, metadata both ways (binary too),
 * status with details, deadlines, cancellation both ways, shutdown and loss
 * (UNAVAILABLE), and clean-up.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Greeter, HelloReplySchema } from "../../gen/helloworld/greeter_pb.ts";
import { createGreeterClient, type GreeterHandlers } from "../../gen/helloworld/greeter_pqrpc.ts";
import { collect, from, rejectsWith } from "../../rpc/call-test-helpers.ts";
import { Code } from "../../rpc/code.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { createRouter } from "../../rpc/router.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { ServerCallStream } from "../../rpc/transport.ts";
import { createMemoryPair } from "../../transport/memory-pair.ts";
import { serveFrames } from "./handler.ts";
import { FrameSession } from "./session.ts";
import { isClean } from "./session-test-helpers.ts";
import { createFramesClientTransport } from "./transport.ts";

const greeter: GreeterHandlers = {
  sayHello(req, ctx) {
    ctx.responseHeader.set("x-echo", ctx.requestHeader.getString("x-id") ?? "");
    ctx.responseHeader.set("x-raw-bin", ctx.requestHeader.getBinary("x-raw-bin") ?? new Uint8Array());
    ctx.responseTrailer.set("x-trailer", "t");
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

function setup(handlers: Partial<GreeterHandlers> = greeter) {
  const router = createRouter().service(Greeter, handlers);
  const [a, b] = createMemoryPair();
  const server = serveFrames(b, router.handle, { peer: { address: "memory" } });
  const session = new FrameSession(a, { role: "client" });
  const client = createGreeterClient(createFramesClientTransport(session, { authority: "memory" }));
  return { server, session, client };
}

test("four call kinds, metadata both ways (binary too), trailers; sessions clean after close", async () => {
  const { server, session, client } = setup();
  let header: Metadata | undefined;
  let trailer: Metadata | undefined;
  const reply = await client.sayHello(
    { name: "ada" },
    {
      headers: { "x-id": "42", "x-raw-bin": new Uint8Array([0, 255, 10]) },
      onHeader: (h) => (header = h),
      onTrailer: (t) => (trailer = t),
    },
  );
  assert.equal(reply.message, "hello ada");
  assert.equal(header?.get("x-echo"), "42");
  assert.deepEqual(header?.getBinary("x-raw-bin"), new Uint8Array([0, 255, 10]));
  assert.equal(trailer?.get("x-trailer"), "t");
  const replies = await collect(client.lotsOfReplies({ name: "bo", count: 3n }));
  assert.deepEqual(
    replies.map((r) => r.message),
    ["bo 0", "bo 1", "bo 2"],
  );
  assert.deepEqual((await client.lotsOfGreetings(from([{ name: "a" }, { name: "b" }]))).names, ["a", "b"]);
  assert.deepEqual(
    (await collect(client.chat(from([{ name: "x" }, { name: "y" }])))).map((r) => r.message),
    ["echo x", "echo y"],
  );
  assert.deepEqual(await collect(client.chat(from([]))), []);
  const many = await Promise.all(Array.from({ length: 64 }, (_, i) => client.sayHello({ name: String(i) })));
  assert.equal(many[63]?.message, "hello 63");
  await session.close();
  await server.closed;
  assert.ok(isClean(session) && isClean(server));
});

test("status, message, details and trailing metadata; UNIMPLEMENTED as trailers-only", async () => {
  const { server, session, client } = setup({
    sayHello() {
      throw new RpcError(Code.NOT_FOUND, "no such person ✗", { metadata: { "x-why": "gone" } }).addDetail(
        HelloReplySchema,
        { message: "detail" },
      );
    },
  });
  const err = await rejectsWith(client.sayHello({ name: "x" }), Code.NOT_FOUND);
  assert.equal(err.rawMessage, "no such person ✗");
  assert.equal(err.metadata.get("x-why"), "gone");
  assert.equal(err.findDetails(HelloReplySchema)[0]?.message, "detail");
  await rejectsWith(client.lotsOfGreetings(from([{ name: "a" }])), Code.UNIMPLEMENTED);
  session.destroy();
  await server.closed;
});

test("a deadline reaches the server; cancellation both ways; a lost connection is UNAVAILABLE", async () => {
  let serverReason: unknown;
  const { server, session, client } = setup({
    async sayHello(_req, ctx) {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      serverReason = ctx.signal.reason;
      return { message: "late" };
    },
    async *lotsOfReplies(_req, ctx) {
      await sleep(10_000, undefined, { signal: ctx.signal });
      yield { message: "never" };
    },
  });
  await rejectsWith(client.sayHello({}, { timeoutMs: 50 }), Code.DEADLINE_EXCEEDED);
  await sleep(20);
  assert.ok(serverReason instanceof RpcError);
  const controller = new AbortController();
  const pending = collect(client.lotsOfReplies({}, { signal: controller.signal }));
  await sleep(20);
  controller.abort();
  await rejectsWith(pending, Code.CANCELLED);
  const lost = client.sayHello({});
  await sleep(20);
  server.destroy();
  await rejectsWith(lost, Code.UNAVAILABLE);
  await rejectsWith(client.sayHello({}), Code.UNAVAILABLE);
  assert.ok(isClean(session) && isClean(server));
});

test("calls past the server's concurrent stream limit wait for a slot instead of failing", async () => {
  const router = createRouter().service(Greeter, {
    async sayHello(req) {
      await sleep(5);
      return { message: req.name };
    },
  });
  const [a, b] = createMemoryPair();
  const server = serveFrames(b, router.handle, { settings: { maxConcurrentStreams: 4 } });
  const session = new FrameSession(a, { role: "client" });
  await session.ping(); // the limit is known
  const client = createGreeterClient(createFramesClientTransport(session));
  const replies = await Promise.all(
    Array.from({ length: 40 }, (_, i) => client.sayHello({ name: String(i) })),
  );
  assert.deepEqual(
    replies.map((r) => r.message),
    Array.from({ length: 40 }, (_, i) => String(i)),
  );
  // Waiting calls fail as UNAVAILABLE when the session shuts down.
  const waiting = Array.from({ length: 8 }, () => client.sayHello({ name: "late" }));
  await sleep(1);
  void session.close();
  const results = await Promise.allSettled(waiting);
  const failed = results.filter((r) => r.status === "rejected");
  assert.ok(failed.length >= 4, `${failed.length} failed`);
  for (const r of failed)
    assert.equal(((r as PromiseRejectedResult).reason as RpcError).code, Code.UNAVAILABLE);
  await server.closed;
  assert.ok(isClean(session) && isClean(server));
  assert.equal(session.stats.streamWaiters, 0);
});

test("the server call is an AbortSource: a client reset reaches onAbort and abortReason, and a signal read later is already aborted", async () => {
  const [a, b] = createMemoryPair();
  let serverCall: ServerCallStream | undefined;
  const heard: RpcError[] = [];
  let gotCall!: () => void;
  const called = new Promise<void>((resolve) => (gotCall = resolve));
  let released!: () => void;
  const done = new Promise<void>((resolve) => (released = resolve));
  const server = serveFrames(
    b,
    async (call) => {
      serverCall = call;
      call.onAbort?.((reason) => heard.push(reason));
      // A listener removed before the abort is not called.
      call.onAbort?.(() => assert.fail("a removed listener ran"))();
      gotCall();
      await done;
    },
    { peer: { address: "memory" } },
  );
  const session = new FrameSession(a, { role: "client" });
  const transport = createFramesClientTransport(session, { authority: "memory" });
  const call = transport.openCall({
    path: "/helloworld.Greeter/SayHello",
    metadata: new Metadata(),
    timeoutMs: undefined,
    format: "proto",
    encoding: "identity",
    acceptEncoding: [],
  });
  await called;
  assert.ok(serverCall !== undefined);
  assert.equal(typeof serverCall.onAbort, "function", "the router can subscribe without an AbortSignal");
  assert.equal(serverCall.abortReason, undefined);
  call.cancel(new RpcError(Code.CANCELLED, "client gave up"));
  for (let i = 0; i < 50 && heard.length === 0; i++) await sleep(2);
  assert.equal(heard.length, 1);
  assert.equal(heard[0]!.code, Code.CANCELLED);
  assert.equal(serverCall.abortReason, heard[0]);
  // Made after the abort: already aborted, with the same reason.
  assert.equal(serverCall.signal.aborted, true);
  assert.equal(serverCall.signal.reason, heard[0]);
  // A listener added after the abort is not called (the caller checks abortReason).
  serverCall.onAbort?.(() => assert.fail("a late listener ran"));
  released();
  session.destroy();
  await server.closed;
});
