import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HealthCheckResponse_ServingStatus as S } from "../../gen/grpc/health/v1/health_pb.ts";
import { MAX_HEALTH_SERVICE_NAME_CHARS } from "../limits.ts";
import { HealthRegistry, TooManyWatchersError } from "./health-registry.ts";

/** Takes the statuses a watch has ready now, without waiting for more. */
async function ready(changes: AsyncGenerator<S>, count: number): Promise<S[]> {
  const out: S[] = [];
  for (let i = 0; i < count; i++) {
    const next = await changes.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe("HealthRegistry", () => {
  it("starts with the overall status SERVING and nothing else", () => {
    const h = new HealthRegistry();
    assert.deepEqual([...h.statuses()], [["", "SERVING"]]);
    assert.equal(h.getStatus("x.Y"), undefined);
  });

  it("sets, reads, lists and clears statuses; addService does not override an explicit status", () => {
    const h = new HealthRegistry({ initial: { "": "NOT_SERVING", "a.A": "SERVING" } });
    h.setStatus("b.B", "NOT_SERVING");
    h.addService("b.B");
    h.addService("c.C");
    assert.deepEqual(Object.fromEntries(h.statuses()), {
      "": "NOT_SERVING",
      "a.A": "SERVING",
      "b.B": "NOT_SERVING",
      "c.C": "SERVING",
    });
    h.clearStatus("a.A");
    assert.equal(h.getStatus("a.A"), undefined);
    assert.equal(h.lookup("c.C"), S.SERVING);
  });

  it("refuses bad input from the application with a typed error", () => {
    const h = new HealthRegistry();
    assert.throws(() => h.setStatus("x", "SERVICE_UNKNOWN" as never), TypeError);
    assert.throws(() => h.setStatus("x".repeat(MAX_HEALTH_SERVICE_NAME_CHARS + 1), "SERVING"), RangeError);
  });

  it("a watch gets the current status, then each change; duplicates are dropped", async () => {
    const h = new HealthRegistry();
    const abort = new AbortController();
    const changes = h.watch("").changes(abort.signal);
    assert.deepEqual(await ready(changes, 1), [S.SERVING]);
    const next = changes.next();
    h.setStatus("", "SERVING"); // no change: nothing to send
    h.setStatus("", "NOT_SERVING");
    assert.deepEqual(await next, { done: false, value: S.NOT_SERVING });
    abort.abort();
    assert.deepEqual(await changes.next(), { done: true, value: undefined });
    assert.equal(h.watcherCount, 0, "the aborted watch is released");
  });

  it("a slow watcher gets the latest status, not every intermediate one (bounded memory)", async () => {
    const h = new HealthRegistry();
    const changes = h.watch("").changes(new AbortController().signal);
    assert.deepEqual(await ready(changes, 1), [S.SERVING]);
    for (let i = 0; i < 1000; i++) h.setStatus("", i % 2 === 0 ? "NOT_SERVING" : "UNKNOWN");
    assert.deepEqual(await ready(changes, 1), [S.UNKNOWN]);
    await changes.return(undefined);
    assert.equal(h.watcherCount, 0);
  });

  it("an unknown service is SERVICE_UNKNOWN until it gets a status, and again when cleared", async () => {
    const h = new HealthRegistry();
    const changes = h.watch("later.Service").changes(new AbortController().signal);
    assert.deepEqual(await ready(changes, 1), [S.SERVICE_UNKNOWN]);
    h.setStatus("later.Service", "SERVING");
    assert.deepEqual(await ready(changes, 1), [S.SERVING]);
    h.clearStatus("later.Service");
    assert.deepEqual(await ready(changes, 1), [S.SERVICE_UNKNOWN]);
    await changes.return(undefined);
  });

  it("shutdown: every status NOT_SERVING, watchers get it and end, later sets are ignored", async () => {
    const h = new HealthRegistry({ initial: { "": "SERVING", "a.A": "SERVING" } });
    const overall = h.watch("").changes(new AbortController().signal);
    const unknown = h.watch("nope").changes(new AbortController().signal);
    assert.deepEqual(await ready(overall, 1), [S.SERVING]);
    assert.deepEqual(await ready(unknown, 1), [S.SERVICE_UNKNOWN]);
    const pending = overall.next();
    h.shutdown();
    assert.deepEqual(await pending, { done: false, value: S.NOT_SERVING });
    assert.deepEqual(await overall.next(), { done: true, value: undefined });
    assert.deepEqual(await unknown.next(), { done: true, value: undefined });
    h.setStatus("", "SERVING");
    h.addService("b.B");
    assert.deepEqual(Object.fromEntries(h.statuses()), { "": "NOT_SERVING", "a.A": "NOT_SERVING" });
    assert.equal(h.watcherCount, 0);
    // A watch opened after shutdown says NOT_SERVING once and ends.
    const late = h.watch("");
    assert.deepEqual(await ready(late.changes(new AbortController().signal), 5), [S.NOT_SERVING]);
  });

  it("refuses watches over its limit and frees the slot when one ends", async () => {
    const h = new HealthRegistry({ maxWatchers: 2 });
    const a = h.watch("");
    h.watch("");
    assert.throws(() => h.watch(""), TooManyWatchersError);
    a.close();
    h.watch("").close();
    assert.equal(h.watcherCount, 1);
  });
});
