import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { type ClosableSession, closeGracefully } from "./graceful-close.ts";

/** A session whose calls finish when the test says so, recording what it was asked to do. */
function fakeSession(): ClosableSession & { log: string[]; finishCalls(): void } {
  let end!: () => void;
  const closed = new Promise<void>((resolve) => (end = resolve));
  const log: string[] = [];
  let closing = false;
  return {
    log,
    closed,
    close() {
      log.push("close");
      closing = true;
    },
    destroy() {
      log.push("destroy");
      end();
    },
    finishCalls() {
      if (closing) end();
    },
  };
}

/** Lets pending promise callbacks run (no time passes on the mocked clock). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("closeGracefully", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("asks every session to close and resolves when their calls have finished, destroying none", async () => {
    const a = fakeSession();
    const b = fakeSession();
    let result: { graceOver: boolean } | undefined;
    void closeGracefully([a, b], 5_000).then((r) => (result = r));
    await settle();
    assert.deepEqual([a.log, b.log], [["close"], ["close"]]);
    a.finishCalls();
    await settle();
    assert.equal(result, undefined, "b still has calls in flight");
    b.finishCalls();
    await settle();
    assert.deepEqual(result, { graceOver: false });
    assert.deepEqual([a.log, b.log], [["close"], ["close"]]);
  });

  it("destroys what is still open when the grace period ends, then runs onGraceOver", async () => {
    const quick = fakeSession();
    const stuck = fakeSession();
    const order: string[] = [];
    let result: { graceOver: boolean } | undefined;
    void closeGracefully([quick, stuck], 5_000, { onGraceOver: () => order.push("grace over") }).then(
      (r) => (result = r),
    );
    quick.finishCalls();
    await settle();
    mock.timers.tick(4_999);
    await settle();
    assert.equal(result, undefined);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(result, { graceOver: true });
    assert.deepEqual(stuck.log, ["close", "destroy"]);
    assert.deepEqual(order, ["grace over"]);
  });

  it("waits for `until` when given (a server's sockets), not only the sessions", async () => {
    const s = fakeSession();
    let socketsGone!: () => void;
    const until = new Promise<void>((resolve) => (socketsGone = resolve));
    let result: { graceOver: boolean } | undefined;
    void closeGracefully([s], 1_000, { until }).then((r) => (result = r));
    s.finishCalls();
    await settle();
    assert.equal(result, undefined);
    socketsGone();
    await settle();
    assert.deepEqual(result, { graceOver: false });
  });

  it("with no sessions, resolves at once", async () => {
    assert.deepEqual(await closeGracefully([], 1_000), { graceOver: false });
  });
});
