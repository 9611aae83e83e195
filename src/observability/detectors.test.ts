import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BlockList } from "./block-list.ts";
import { SecurityMonitor, sourceOf } from "./security-events.ts";
import { SlidingWindowCounter } from "./sliding-window.ts";

describe("sliding-window detector", () => {
  it("fires at the threshold inside the window, once per window, not for spread-out events", () => {
    const w = new SlidingWindowCounter({ windowMs: 1000, threshold: 3, maxKeys: 10 });
    assert.equal(w.hit("a", 0), undefined);
    assert.equal(w.hit("a", 2000), undefined);
    assert.equal(w.hit("a", 4000), undefined, "three events, but never three within 1 s");
    assert.equal(w.hit("b", 0), undefined);
    assert.equal(w.hit("b", 10), undefined);
    assert.equal(w.hit("b", 20), 3);
    assert.equal(w.hit("b", 30), undefined, "fires once per window");
    assert.equal(w.hit("b", 1021), undefined, "20, 30, 1021: not within 1 s");
    assert.equal(w.hit("b", 1022), 3, "30, 1021, 1022: again, a window after it fired");
  });

  it("bounds the keys it tracks", () => {
    const w = new SlidingWindowCounter({ windowMs: 1000, threshold: 2, maxKeys: 2 });
    for (const k of ["a", "b", "c", "d"]) w.hit(k, 0);
    assert.equal(w.trackedKeys, 2);
  });
});

describe("block list", () => {
  it("expires entries and drops the oldest when full", () => {
    const clock = { now: 0 };
    const list = new BlockList({ maxEntries: 2, ttlMs: 100, now: () => clock.now });
    list.block("10.0.0.1", "x");
    list.block("10.0.0.2", "x");
    list.block("10.0.0.3", "x");
    assert.equal(list.size, 2);
    assert.equal(list.isBlocked("10.0.0.1"), false, "the oldest went first");
    assert.equal(list.isBlocked("10.0.0.3"), true);
    clock.now = 100;
    assert.equal(list.isBlocked("10.0.0.3"), false, "expired");
  });
});

describe("security monitor", () => {
  it("keys detectors by IP address, and blocks on a per-source anomaly", () => {
    assert.equal(sourceOf("[::1]:5000"), "::1");
    assert.equal(sourceOf("192.0.2.1:443"), "192.0.2.1");
    const seen: string[] = [];
    const m = new SecurityMonitor({
      now: () => 0,
      blockList: true,
      detectors: [
        { name: "d", kinds: ["bad_binder"], scope: "source", threshold: 2, windowMs: 1000, block: true },
      ],
      onEvent: (e) => seen.push(e.kind),
    });
    m.report({ kind: "bad_binder", peer: "192.0.2.1:1000" });
    m.report({ kind: "bad_binder", peer: "192.0.2.1:1001" });
    assert.deepEqual(seen, ["bad_binder", "bad_binder", "anomaly"]);
    assert.equal(m.refuseOnAccept("192.0.2.1:2000"), true);
    assert.equal(m.refuseOnAccept("192.0.2.2:2000"), false);
  });

  it("reports a ticket offered twice as a replay", () => {
    const kinds: string[] = [];
    const m = new SecurityMonitor({ detectors: [], onEvent: (e) => kinds.push(e.kind) });
    m.ticketOffered("ab", "192.0.2.1:1", true);
    m.ticketOffered("ab", "192.0.2.1:2", true);
    m.ticketOffered("cd", "192.0.2.1:3", false);
    assert.deepEqual(kinds, ["ticket_replayed", "ticket_rejected"]);
  });
});
