import assert from "node:assert/strict";
import { test } from "node:test";
import { AlertDescription } from "./alert.ts";
import { HandshakeType } from "./codec/types.ts";
import {
  CLIENT_STATES,
  CLIENT_TRANSITIONS,
  checkTransition,
  type HandshakeTransition,
  SERVER_STATES,
  SERVER_TRANSITIONS,
} from "./state-table.ts";

const isInternalError = (e: unknown) =>
  (e as { alert?: number }).alert === AlertDescription.internal_error &&
  /not in the state table/.test((e as Error).message);

test("checkTransition accepts every row of both tables", () => {
  for (const table of [
    CLIENT_TRANSITIONS,
    SERVER_TRANSITIONS,
  ] as readonly (readonly HandshakeTransition<string>[])[])
    for (const r of table)
      for (const to of r.to) checkTransition(table, r.from, HandshakeType[r.message], to);
});

test("checkTransition throws internal_error for a target, message or state outside the table", () => {
  const ch = HandshakeType.client_hello;
  assert.throws(
    () => checkTransition(SERVER_TRANSITIONS, "wait-client-hello", ch, "connected"),
    isInternalError,
  );
  assert.throws(
    () => checkTransition(SERVER_TRANSITIONS, "connected", HandshakeType.key_update, "connected"),
    isInternalError,
  );
  assert.throws(
    () =>
      checkTransition(
        CLIENT_TRANSITIONS,
        "wait-certificate",
        HandshakeType.certificate_verify,
        "wait-finished",
      ),
    isInternalError,
  );
  // A table the engines do not use is indexed on the fly: one row less, that transition fails.
  const fewer = CLIENT_TRANSITIONS.filter((r) => r.message !== "new_session_ticket");
  assert.throws(
    () => checkTransition(fewer, "connected", HandshakeType.new_session_ticket, "connected"),
    isInternalError,
  );
});

test("the tables name only their engine's states, one row per (state, message), never 'failed' as a source", () => {
  const tables: [readonly HandshakeTransition<string>[], readonly string[]][] = [
    [CLIENT_TRANSITIONS, CLIENT_STATES],
    [SERVER_TRANSITIONS, SERVER_STATES],
  ];
  for (const [table, states] of tables) {
    const keys = table.map((r) => `${r.from} ${r.message}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const r of table) {
      assert.notEqual(r.from, "failed");
      assert.ok(states.includes(r.from) && r.to.every((s) => states.includes(s) && s !== "failed"));
    }
  }
});
