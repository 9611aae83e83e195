/**
 * The browser-bundle shims, run on Node (which has the same MessageChannel).
 * The browser itself is exercised end to end by test/browser/browser.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clearImmediate, setImmediate } from "./shims/immediate.ts";

test("immediate shim: runs tasks in order, and a cleared one never", async () => {
  const ran: number[] = [];
  // The shim's port is unref'd (it must not keep a process alive): this timer keeps the test's.
  const alive = setInterval(() => {}, 1000);
  await new Promise<void>((done) => {
    setImmediate(() => ran.push(1));
    const cleared = setImmediate(() => ran.push(2));
    setImmediate(() => ran.push(3));
    clearImmediate(cleared);
    setImmediate(() => done());
  });
  clearInterval(alive);
  assert.deepEqual(ran, [1, 3]);
});
