/**
 * A call ends for its transport only when its handler has settled, even a
 * handler that ignores its signal: a transport that counts running handlers
 * (pqrpc/1 holds a reset stream's slot until then, CVE-2025-8671) counts it.
 * The client is told at once (here: nobody, the call was cancelled).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import type { GreeterHandlers } from "../gen/helloworld/greeter_pqrpc.ts";
import { plainRequestHead } from "./call-test-helpers.ts";
import { Code } from "./code.ts";
import { createRouter } from "./router.ts";
import { RpcError } from "./rpc-error.ts";
import type { ServerCallStream, ServerReadEvent } from "./transport.ts";

function gate(): { open(): void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

function call(path: string, abort: AbortController): ServerCallStream {
  const events: ServerReadEvent[] = [
    { type: "message", message: { data: new Uint8Array(0), compressed: false } },
    { type: "end" },
  ];
  return {
    head: plainRequestHead(path),
    peer: { address: "test" },
    signal: abort.signal,
    read: async () => events.shift() ?? { type: "end" },
    sendHeader: async () => {},
    send: async () => {},
    sendTrailer: async () => {},
  };
}

/** Lets every ready task run (a settled promise would be seen by then). */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

for (const kind of ["unary", "server-streaming"] as const) {
  test(`${kind}: a cancelled call's handle() waits for a handler that ignores its signal`, async () => {
    const handlerGate = gate();
    let started = false;
    let finished = false;
    const handlers: Partial<GreeterHandlers> = {
      async sayHello() {
        started = true;
        await handlerGate.opened;
        finished = true;
        return { message: "late" };
      },
      async *lotsOfReplies() {
        started = true;
        yield { message: "first" };
        await handlerGate.opened;
        finished = true;
      },
    };
    const router = createRouter().service(Greeter, handlers);
    const abort = new AbortController();
    const path = kind === "unary" ? "/helloworld.Greeter/SayHello" : "/helloworld.Greeter/LotsOfReplies";
    let settled = false;
    const handled = router.handle(call(path, abort)).then(() => {
      settled = true;
    });
    await turns();
    assert.ok(started, "the handler runs");
    abort.abort(new RpcError(Code.CANCELLED, "the client cancelled"));
    await turns();
    assert.equal(settled, false, "the call is not over while its handler runs");
    handlerGate.open();
    await handled;
    assert.ok(finished && settled);
  });
}
