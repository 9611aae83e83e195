/** The send order: round robin, the served stream to the back, so a small budget starves nobody. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pair } from "./connection-test-helpers.ts";
import { RoundRobin, type WriteOutcome } from "./scheduler.ts";

test("one frame per stream per turn; with a one-frame budget, turns rotate through every stream", () => {
  const line = new RoundRobin<string>();
  for (const s of ["a", "b", "c"]) line.add(s);
  const served: string[] = [];
  const write = (s: string): WriteOutcome => {
    served.push(s);
    return { wrote: 10 };
  };
  assert.equal(line.turn(write, 1_000), 30);
  assert.deepEqual(served, ["a", "b", "c"]);
  served.length = 0;
  for (let i = 0; i < 6; i++) line.turn(write, 10);
  assert.deepEqual(served, ["a", "b", "c", "a", "b", "c"], "nobody is starved by a small budget");
});

test("idle streams leave the line, blocked ones keep their place, a connection block ends the turn", () => {
  const line = new RoundRobin<string>();
  for (const s of ["idle", "blocked", "conn", "late"]) line.add(s);
  const outcome: Record<string, WriteOutcome> = {
    idle: "idle",
    blocked: "blocked",
    conn: "connection-blocked",
    late: { wrote: 1 },
  };
  const served: string[] = [];
  assert.equal(
    line.turn((s) => {
      served.push(s);
      return outcome[s]!;
    }, 100),
    0,
  );
  assert.deepEqual(served, ["idle", "blocked", "conn"], "nothing after the connection block");
  assert.equal(line.size, 3, "the idle stream left");
});

test("two streams sharing a small carrier budget: their frames interleave on the wire", () => {
  const p = new Pair({}, { settings: { maxFrameBytes: 16 * 1024 } });
  p.run();
  const a = p.client.conn.openStream([[":path", "/a.B/C"]]);
  const b = p.client.conn.openStream([[":path", "/a.B/C"]]);
  // Both fit the connection window together, so both may be in flight (SPEC §Flow control).
  p.client.conn.sendMessage(a, new Uint8Array(20_000));
  p.client.conn.sendMessage(b, new Uint8Array(20_000));
  const order: number[] = [];
  // One frame at a time, as a carrier with little room takes them.
  for (let out = p.client.conn.takeOutgoing(1); out; out = p.client.conn.takeOutgoing(1)) {
    for (const f of out) {
      p.server.conn.receive(f);
      if ((f[0]! & 0x0f) === 0x2) order.push(f[1]!); // MESSAGE: the stream id's one-byte varint
    }
  }
  assert.deepEqual(order.slice(0, 4), [a, b, a, b]);
});
