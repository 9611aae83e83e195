/** The server's life cycle and option checks, without a network (the wire is test/rpc's). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { plainRequestHead } from "../rpc/call-test-helpers.ts";
import type { CallHandler, ServerCallStream } from "../rpc/transport.ts";
import { ServerError } from "./errors.ts";
import { createServer } from "./server.ts";

const identity = {} as CertifiedKey;
const code = (c: string) => (e: unknown) => e instanceof ServerError && e.code === c;

describe("Server life cycle", () => {
  it("refuses bad options at createServer", () => {
    assert.throws(() => createServer({ identity, maxConnections: 0 }), code("bad-options"));
    assert.throws(() => createServer({ identity, clientAuth: "require" }), code("bad-options"));
  });

  it("starts idle with nothing open; registers services and lists their paths", () => {
    const server = createServer({ identity }).service(Greeter, { sayHello: () => ({ message: "hi" }) });
    assert.deepEqual(server.stats, {
      connections: 0,
      handshaking: 0,
      sessions: 0,
      calls: 0,
      rejected: 0,
      bufferedRequestBytes: 0,
      failedHandshakes: 0,
    });
    assert.equal(server.address, undefined);
    assert.ok(server.paths().includes("/helloworld.Greeter/SayHello"));
  });

  it("close() before listen() resolves, is idempotent, and leaves a server that takes nothing more", async () => {
    const server = createServer({ identity });
    const closing = server.close();
    assert.equal(server.close(), closing, "one shutdown, however often close() is called");
    await closing;
    await assert.rejects(server.listen({ port: 0 }), code("closed"));
    assert.throws(() => server.service(Greeter, {}), code("closed"));
  });

  it("a bad grace period rejects close() and leaves the server as it was", async () => {
    const server = createServer({ identity });
    await assert.rejects(server.close({ graceMs: -1 }), code("bad-options"));
    await server.close({ graceMs: 0 });
  });
});

describe("Server call count", () => {
  it("counts a call from its start until the router is done with it, then no longer", async () => {
    const server = createServer({ identity });
    let answered!: () => void;
    const trailerSent = new Promise<void>((resolve) => (answered = resolve));
    let trailerCalled = false;
    const call: ServerCallStream = {
      head: plainRequestHead("/no.Such/Method"),
      peer: { address: "test" },
      signal: new AbortController().signal,
      read: () => Promise.resolve({ type: "end" }),
      sendHeader: () => Promise.resolve(),
      send: () => Promise.resolve(),
      sendTrailer: () => {
        trailerCalled = true;
        return trailerSent;
      },
    };
    const handle = (server as unknown as { handle: CallHandler }).handle;
    const done = handle(call);
    assert.equal(server.stats.calls, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(trailerCalled, true, "UNIMPLEMENTED goes out as trailers");
    assert.equal(server.stats.calls, 1, "still counted while its trailers are pending");
    answered();
    await done;
    assert.equal(server.stats.calls, 0);
    await server.close({ graceMs: 0 });
  });
});
