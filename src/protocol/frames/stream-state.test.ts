/**
 * The stream state table: total, reachable, "closed" absorbing, RST always
 * ending a stream — and the copy printed in docs/SPEC.md is this table, so a
 * model checked against one is checked against the other.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorCodeName } from "./error-codes.ts";
import {
  isViolation,
  STREAM_INPUTS,
  STREAM_STATES,
  STREAM_TRANSITIONS,
  type StreamState,
  transition,
} from "./stream-state.ts";

test("every (state, frame) pair has exactly one outcome, and every state is reachable from idle", () => {
  for (const s of STREAM_STATES) {
    assert.deepEqual(Object.keys(STREAM_TRANSITIONS[s]).sort(), [...STREAM_INPUTS].sort(), s);
  }
  const seen = new Set<StreamState>(["idle"]);
  const queue: StreamState[] = ["idle"];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const i of STREAM_INPUTS) {
      const t = transition(s, i);
      if (!isViolation(t) && !seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  assert.deepEqual([...seen].sort(), [...STREAM_STATES].sort());
});

test("closed absorbs everything; TRAILERS and RST close every started stream; every stream can end", () => {
  for (const i of STREAM_INPUTS) assert.equal(transition("closed", i), "closed");
  for (const s of STREAM_STATES.filter((x) => x !== "idle")) {
    assert.equal(transition(s, "rst"), "closed", s);
    assert.equal(transition(s, "trailers"), "closed", s);
  }
  assert.ok(isViolation(transition("idle", "rst")), "RST on an idle stream is an error");
});

test("the rules of SPEC §Streams: one request HEADERS, nothing after END_STREAM, response HEADERS before messages", () => {
  const v = (s: StreamState, i: (typeof STREAM_INPUTS)[number]) => {
    const t = transition(s, i);
    assert.ok(isViolation(t), `${s} + ${i}`);
    return errorCodeName(t.error);
  };
  assert.equal(v("open", "request-headers"), "PROTOCOL_ERROR");
  assert.equal(v("request-ended", "request-message"), "STREAM_CLOSED");
  assert.equal(v("request-ended-responding", "request-end"), "STREAM_CLOSED");
  assert.equal(v("open", "response-message"), "PROTOCOL_ERROR");
  assert.equal(v("responding", "response-headers"), "PROTOCOL_ERROR");
  assert.equal(transition("open", "request-end"), "request-ended");
  assert.equal(transition("request-ended", "response-headers"), "request-ended-responding");
});

test("docs/SPEC.md prints exactly STREAM_TRANSITIONS", () => {
  const spec = readFileSync(new URL("../../../docs/SPEC.md", import.meta.url), "utf8");
  const header = spec.split("\n").findIndex((l) => l.startsWith("| state \\ frame |"));
  assert.ok(header >= 0, "the table is in SPEC.md");
  const lines = spec.split("\n").slice(header);
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
  assert.deepEqual(cells(lines[0]!).slice(1), [...STREAM_INPUTS]);
  const rows = lines.slice(2, 2 + STREAM_STATES.length);
  assert.deepEqual(
    rows.map((r) => cells(r)[0]),
    [...STREAM_STATES],
  );
  for (const row of rows) {
    const [state, ...outcomes] = cells(row) as [StreamState, ...string[]];
    for (const [k, input] of STREAM_INPUTS.entries()) {
      const t = STREAM_TRANSITIONS[state][input];
      const expected = isViolation(t) ? `✗ ${errorCodeName(t.error)}` : t;
      assert.equal(outcomes[k], expected, `${state} + ${input}`);
    }
  }
});
