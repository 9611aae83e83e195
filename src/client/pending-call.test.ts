import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rejectsWith } from "../rpc/call-test-helpers.ts";
import { Code } from "../rpc/code.ts";
import { Metadata } from "../rpc/metadata.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { ClientCallStream, ClientReadEvent, WireMessage } from "../rpc/transport.ts";
import { failedCall, PendingCall } from "./pending-call.ts";

/** A call that records what reaches it. */
function recordingCall(): ClientCallStream & { log: string[] } {
  const log: string[] = [];
  const trailer: ClientReadEvent = {
    type: "trailer",
    trailer: { status: { code: Code.OK, message: "", details: [] }, metadata: new Metadata() },
  };
  return {
    log,
    async send(m: WireMessage) {
      log.push(`send ${m.data.length}`);
    },
    async closeSend() {
      log.push("closeSend");
    },
    async read() {
      log.push("read");
      return trailer;
    },
    cancel(reason: RpcError) {
      log.push(`cancel ${reason.code}`);
    },
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const message: WireMessage = { data: new Uint8Array(3), compressed: false };

describe("PendingCall", () => {
  it("holds operations until the connection opens the real call, then forwards them in order", async () => {
    const opening = deferred<ClientCallStream>();
    const pending = new PendingCall(opening.promise);
    const sent = pending.send(message);
    const closed = pending.closeSend();
    const real = recordingCall();
    opening.resolve(real);
    await Promise.all([sent, closed]);
    assert.equal((await pending.read()).type, "trailer");
    assert.deepEqual(real.log, ["send 3", "closeSend", "read"]);
  });

  it("a connection that cannot be made fails every operation with UNAVAILABLE", async () => {
    const opening = deferred<ClientCallStream>();
    const pending = new PendingCall(opening.promise);
    const read = pending.read();
    opening.reject(new Error("connect ECONNREFUSED"));
    const e = await rejectsWith(read, Code.UNAVAILABLE, /ECONNREFUSED/);
    assert.ok(e.cause instanceof Error);
    await rejectsWith(pending.send(message), Code.UNAVAILABLE);
  });

  it("cancel while waiting rejects the waiting operations at once, and cancels the call once it opens", async () => {
    const opening = deferred<ClientCallStream>();
    const pending = new PendingCall(opening.promise);
    const read = pending.read();
    const reason = new RpcError(Code.CANCELLED, "caller gave up");
    pending.cancel(reason);
    pending.cancel(new RpcError(Code.DEADLINE_EXCEEDED, "second cancel is ignored"));
    await assert.rejects(read, (e) => e === reason);
    await assert.rejects(pending.send(message), (e) => e === reason);
    const real = recordingCall();
    opening.resolve(real);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      real.log,
      [`cancel ${Code.CANCELLED}`],
      "the late call is cancelled and gets nothing else",
    );
  });

  it("cancel after the call opened goes straight to it", async () => {
    const real = recordingCall();
    const pending = new PendingCall(Promise.resolve(real));
    await pending.closeSend();
    pending.cancel(new RpcError(Code.CANCELLED, "stop"));
    assert.deepEqual(real.log, ["closeSend", `cancel ${Code.CANCELLED}`]);
  });
});

describe("failedCall", () => {
  it("fails every operation with its error; cancel is a no-op", async () => {
    const error = new RpcError(Code.UNAVAILABLE, "the channel is closed");
    const call = failedCall(error);
    for (const op of [call.read(), call.send(message), call.closeSend()])
      await assert.rejects(op, (e) => e === error);
    call.cancel(new RpcError(Code.CANCELLED, "x"));
  });
});
