import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { InboundQueue } from "./inbound-queue.ts";

describe("InboundQueue", () => {
  it("pauses its source at the high-water mark and resumes it when the reader catches up", async () => {
    const source = new PassThrough();
    const q = new InboundQueue<number>(source, 2, 1024);
    q.push(1);
    assert.equal(source.isPaused(), false);
    q.push(2);
    assert.equal(source.isPaused(), true);
    assert.equal(await q.shift(), 1);
    assert.equal(source.isPaused(), false);
    assert.equal(await q.shift(), 2);
  });

  it("failWith makes the reason only when a reader asks, once, and every later read gets it", async () => {
    let made = 0;
    const make = () => {
      made++;
      return new Error("finished");
    };
    const idle = new InboundQueue<number>(new PassThrough(), 4, 1024);
    idle.push(1);
    idle.failWith(make);
    assert.equal(made, 0, "nobody read: no reason made");
    assert.equal(idle.failed, true);
    idle.push(2); // dropped once failed

    const q = new InboundQueue<number>(new PassThrough(), 4, 1024);
    const pending = q.shift();
    q.failWith(make);
    const first = await pending.then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.equal(made, 1);
    const later = await q.shift().then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.equal(later, first);
    assert.equal(made, 1);
    q.fail(new Error("second")); // idempotent: the first failure stays
    assert.equal(await q.shift().catch((e: unknown) => e), first);
  });
});
