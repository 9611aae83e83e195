import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCallSignal } from "./call-signal.ts";
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

describe("call signal", () => {
  it("fires DEADLINE_EXCEEDED at the deadline", async () => {
    const s = createCallSignal({ deadline: Date.now() + 20 });
    await new Promise((r) => s.signal.addEventListener("abort", r));
    assert.equal((s.signal.reason as RpcError).code, Code.DEADLINE_EXCEEDED);
    s.dispose();
  });

  it("a past deadline is already aborted; a parent abort becomes CANCELLED", () => {
    assert.equal(createCallSignal({ deadline: Date.now() - 1 }).signal.aborted, true);
    const parent = new AbortController();
    const s = createCallSignal({ parents: [parent.signal] });
    parent.abort(new Error("user gave up"));
    assert.equal((s.signal.reason as RpcError).code, Code.CANCELLED);
    const keep = new AbortController();
    const s2 = createCallSignal({ parents: [keep.signal] });
    keep.abort(new RpcError(Code.UNAVAILABLE, "conn lost"));
    assert.equal((s2.signal.reason as RpcError).code, Code.UNAVAILABLE);
  });

  it("dispose clears the timer and parent listeners", async () => {
    const parent = new AbortController();
    const s = createCallSignal({ deadline: Date.now() + 10, parents: [parent.signal] });
    s.dispose();
    parent.abort();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.signal.aborted, false);
  });
});
