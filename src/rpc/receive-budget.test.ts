import assert from "node:assert/strict";
import { test } from "node:test";
import { ReceiveBudget } from "./receive-budget.ts";

test("a connection's share: reservations past it are refused and take nothing", () => {
  const budget = new ReceiveBudget({ maxConnectionBytes: 100, maxServerBytes: 1000 });
  const a = budget.open();
  assert.equal(a.reserve(60), undefined);
  assert.deepEqual(a.reserve(41), { scope: "connection", heldBytes: 60, limitBytes: 100 });
  assert.equal(a.heldBytes, 60);
  assert.equal(budget.heldBytes, 60);
  assert.equal(a.reserve(40), undefined, "exactly the share fits");
  a.release(100);
  assert.equal(budget.heldBytes, 0);
});

test("the server's share: a refusal names the connection holding the most", () => {
  const budget = new ReceiveBudget({ maxConnectionBytes: 100, maxServerBytes: 150 });
  const small = budget.open();
  const big = budget.open();
  const asking = budget.open();
  assert.equal(small.reserve(20), undefined);
  assert.equal(big.reserve(90), undefined);
  assert.equal(asking.reserve(30), undefined);
  const refusal = asking.reserve(20);
  assert.equal(refusal?.scope, "server");
  assert.equal(refusal?.scope === "server" && refusal.worst, big);
  assert.equal(refusal?.heldBytes, 140);
  assert.equal(asking.heldBytes, 30, "nothing taken on refusal");
});

test("close returns what the connection holds, once; its calls' later releases are no-ops", () => {
  const budget = new ReceiveBudget({ maxConnectionBytes: 100, maxServerBytes: 100 });
  const a = budget.open();
  const b = budget.open();
  assert.equal(a.reserve(70), undefined);
  assert.equal(b.reserve(40)?.scope, "server");
  a.close();
  assert.equal(budget.heldBytes, 0);
  assert.equal(budget.connections, 1);
  a.release(70);
  a.close();
  assert.equal(budget.heldBytes, 0);
  assert.equal(a.reserve(1)?.scope, "connection", "a closed account takes nothing");
  assert.equal(b.reserve(100), undefined);
});

test("releasing more than held is a bug, not a silent negative balance", () => {
  const a = new ReceiveBudget().open();
  assert.equal(a.reserve(5), undefined);
  assert.throws(() => a.release(6), RangeError);
});

test("limits are byte counts", () => {
  assert.throws(() => new ReceiveBudget({ maxServerBytes: -1 }), RangeError);
  assert.throws(() => new ReceiveBudget({ maxConnectionBytes: 1.5 }), RangeError);
});
