import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AbortSource, callSignalOf, createCallSignal, withLazySignal } from "./call-signal.ts";
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

  it("race() rejects with the reason on abort, without needing the AbortSignal", async () => {
    const s = createCallSignal({ deadline: Date.now() + 20 });
    const never = new Promise<never>(() => {});
    await assert.rejects(s.race(never), (e: unknown) => (e as RpcError).code === Code.DEADLINE_EXCEEDED);
    assert.equal(s.reason?.code, Code.DEADLINE_EXCEEDED);
    // Asked for after the fact, the signal is already aborted with the same reason.
    assert.equal(s.signal.aborted, true);
    assert.equal(s.signal.reason, s.reason);
    await assert.rejects(s.race(Promise.resolve(1)), (e: unknown) => e === s.reason);
    s.dispose();
  });

  it("race() passes results and errors through; an abort then changes nothing", async () => {
    const s = createCallSignal({});
    assert.equal(await s.race(Promise.resolve(7)), 7);
    await assert.rejects(s.race(Promise.reject(new Error("handler failed"))), /handler failed/);
    const seen: unknown[] = [];
    s.signal.addEventListener("abort", () => seen.push(s.signal.reason));
    s.abort(new RpcError(Code.CANCELLED, "cancelled"));
    s.abort(new RpcError(Code.UNAVAILABLE, "second abort is ignored"));
    assert.equal(seen.length, 1);
    assert.equal((seen[0] as RpcError).code, Code.CANCELLED);
    assert.equal(s.reason?.code, Code.CANCELLED);
  });

  it("an AbortSource parent aborts it with CANCELLED without an AbortSignal; dispose removes its listener", () => {
    const listeners = new Set<(reason: RpcError) => void>();
    const source: AbortSource & { fire(reason: RpcError): void } = {
      abortReason: undefined,
      onAbort(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      fire(reason) {
        for (const l of listeners) l(reason);
      },
    };
    const s = createCallSignal({ parents: [source] });
    assert.equal(listeners.size, 1);
    source.fire(new RpcError(Code.CANCELLED, "client reset"));
    assert.equal(s.reason?.code, Code.CANCELLED);
    assert.equal(s.signal.aborted, true);
    s.dispose();
    assert.equal(listeners.size, 0);
    const already = createCallSignal({
      parents: [
        { abortReason: new RpcError(Code.CANCELLED, "gone"), onAbort: () => assert.fail("subscribed") },
      ],
    });
    assert.equal(already.reason?.rawMessage, "gone");
  });

  it("onAbort runs its listener once with the reason, and not after it was removed", () => {
    const s = createCallSignal({});
    const seen: RpcError[] = [];
    s.onAbort((r) => seen.push(r));
    const remove = s.onAbort(() => assert.fail("removed listener ran"));
    remove();
    s.abort(new RpcError(Code.CANCELLED, "first"));
    s.abort(new RpcError(Code.CANCELLED, "second"));
    assert.deepEqual(
      seen.map((r) => r.rawMessage),
      ["first"],
    );
    // After the abort a new listener is not run: the caller checks `reason` first.
    s.onAbort(() => assert.fail("listener after abort ran"));
  });

  it("withLazySignal's signal is the CallSignal's; a spread copy carries a real AbortSignal and no CallSignal", () => {
    const s = createCallSignal({});
    const req = withLazySignal({ path: "/a/b" }, s);
    assert.equal(callSignalOf(req), s);
    assert.ok(Object.keys(req).includes("signal"));
    const copy = { ...req };
    assert.equal(callSignalOf(copy), undefined);
    assert.equal(copy.signal, s.signal);
    const replaced = { ...req, signal: new AbortController().signal };
    assert.equal(callSignalOf(replaced), undefined);
    assert.equal(callSignalOf({ signal: s.signal }), undefined);
  });

  it("a parent signal that is not this realm's AbortSignal (a polyfill's) is subscribed to as a signal", () => {
    // The shape of the abort-controller package's signal: an EventTarget with aborted and reason.
    class PolyfillSignal extends EventTarget {
      aborted = false;
      reason: unknown;
      abort(reason: unknown): void {
        this.aborted = true;
        this.reason = reason;
        this.dispatchEvent(new Event("abort"));
      }
    }
    const foreign = new PolyfillSignal();
    assert.equal((foreign as unknown) instanceof AbortSignal, false);
    const s = createCallSignal({ parents: [foreign as unknown as AbortSignal] });
    foreign.abort(new Error("gave up"));
    assert.equal(s.signal.aborted, true);
    assert.equal((s.signal.reason as RpcError).code, Code.CANCELLED);
  });

  it("a throwing abort listener does not keep the others, or the signal, from aborting", () => {
    const s = createCallSignal({});
    const heard: string[] = [];
    s.onAbort(() => {
      heard.push("first");
      throw new Error("listener bug");
    });
    s.onAbort(() => heard.push("second"));
    // The throw is reported as uncaught on a microtask; caught here instead of failing the run.
    const reported: unknown[] = [];
    const queue = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (task) => {
      try {
        task();
      } catch (err) {
        reported.push(err);
      }
    };
    try {
      s.abort(new RpcError(Code.CANCELLED, "stop"));
    } finally {
      globalThis.queueMicrotask = queue;
    }
    assert.deepEqual(heard, ["first", "second"]);
    assert.equal(s.signal.aborted, true);
    assert.deepEqual(
      reported.map((e) => (e as Error).message),
      ["listener bug"],
      "the throw is still reported",
    );
  });
});
