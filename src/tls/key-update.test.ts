/**
 * KeyUpdate (RFC 8446 §4.6.3): keys really change in both directions, and a
 * peer that floods update_requested gets one answer per batch, not one per
 * request (issue 9 item 8). The engine holds received records while its own
 * output waits (receivePaused), so answers cannot pile up.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatChunks, fromHex, utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import { cipherSuiteByName } from "../crypto/registry.ts";
import { HandshakeType } from "./codec/types.ts";
import { MAX_UNTAKEN_OUTGOING_BYTES, type TlsConnection } from "./connection.ts";
import { connectPair, crypto, pump, transfer } from "./engine-test-helpers.ts";
import { KeyLogLabel } from "./key-log.ts";
import { nextTrafficSecret } from "./key-schedule.ts";
import { ContentType, RecordDeframer, RecordProtector } from "./record-layer.ts";

const SUITE = "TLS_AES_128_GCM_SHA256" as const;
const suite = cipherSuiteByName(SUITE)!;
const hash = crypto.hash(suite.hash);

/** A connected pair with both key logs; returns the application secrets _0. */
function loggedPair() {
  const lines: string[] = [];
  const { client, server } = connectPair({
    client: { cipherSuites: [SUITE], keyLog: (l) => lines.push(l) },
  });
  const secret = (label: string) => fromHex(lines.find((l) => l.startsWith(`${label} `))!.split(" ")[2]!);
  return {
    client,
    server,
    client0: secret(KeyLogLabel.clientApplication),
    server0: secret(KeyLogLabel.serverApplication),
  };
}

/** Opens the records `from` sends now with `secret`; returns [inner type, content] per record, or undefined if one fails. */
function openWith(records: Uint8Array[], secret: Uint8Array): [number, Uint8Array][] | undefined {
  const d = new RecordDeframer();
  for (const r of records) d.push(r);
  const p = new RecordProtector(crypto, suite, secret);
  const out: [number, Uint8Array][] = [];
  for (let r = d.next(); r; r = d.next()) {
    const opened = p.tryOpen(r);
    if (!opened) return undefined;
    out.push([opened.type, opened.content]);
  }
  return out;
}

function deliver(from: TlsConnection, to: TlsConnection): Uint8Array[] {
  const records = from.takeOutgoing();
  for (const r of records) to.receive(r);
  return records;
}

describe("KeyUpdate changes the traffic keys", () => {
  it("keyUpdate(true): the client's KeyUpdate goes under secret_0, its data under secret_1; the server answers under its secret_1", () => {
    const { client, server, client0, server0 } = loggedPair();
    client.keyUpdate(true);
    client.send(utf8Encode("after"));
    const records = deliver(client, server);
    // Under secret_0 only the KeyUpdate opens (a handshake record); the data record does not.
    const underOld = openWith(records.slice(0, 1), client0);
    assert.deepEqual(
      underOld?.map(([t, c]) => [t, c[0]]),
      [[ContentType.handshake, HandshakeType.key_update]],
    );
    assert.equal(underOld![0]![1][4], 1, "update_requested");
    const client1 = nextTrafficSecret(hash, client0);
    assert.equal(openWith(records.slice(1), client0), undefined, "the data is not under the old key");
    assert.equal(utf8Decode(openWith(records.slice(1), client1)![0]![1]), "after");
    assert.equal(
      utf8Decode(concatChunks(server.takeApplicationData())),
      "after",
      "the server followed the update",
    );

    // The server answered update_requested with its own KeyUpdate, then uses its next key.
    server.send(utf8Encode("reply"));
    const answer = deliver(server, client);
    const underServer0 = openWith(answer.slice(0, 1), server0);
    assert.deepEqual(
      underServer0?.map(([t, c]) => [t, c[0], c[4]]),
      [[ContentType.handshake, HandshakeType.key_update, 0]],
    );
    assert.equal(utf8Decode(openWith(answer.slice(1), nextTrafficSecret(hash, server0))![0]![1]), "reply");
    assert.equal(utf8Decode(concatChunks(client.takeApplicationData())), "reply");
  });

  it("keyUpdate(false) is not answered, and three updates advance three times", () => {
    const { client, server, client0 } = loggedPair();
    for (let i = 0; i < 3; i++) client.keyUpdate(false);
    client.send(utf8Encode("x"));
    const records = deliver(client, server);
    assert.deepEqual(server.takeOutgoing(), [], "no answer to update_not_requested");
    let secret = client0;
    for (let i = 0; i < 3; i++) secret = nextTrafficSecret(hash, secret);
    assert.equal(utf8Decode(openWith(records.slice(3), secret)![0]![1]), "x");
    assert.equal(utf8Decode(concatChunks(server.takeApplicationData())), "x");
  });
});

describe("KeyUpdate flood: one pending answer", () => {
  it("1,000 update_requested in one chunk get one KeyUpdate back", () => {
    const { client, server } = connectPair();
    for (let i = 0; i < 1000; i++) client.keyUpdate(true);
    server.receive(concatChunks(client.takeOutgoing()));
    assert.equal(server.error, undefined, server.error?.message);
    const answers = server.takeOutgoing();
    assert.equal(answers.length, 1, "one KeyUpdate record");
    for (const a of answers) client.receive(a);
    assert.equal(utf8Decode(transfer(client, server, utf8Encode("up"))), "up");
    assert.equal(utf8Decode(transfer(server, client, utf8Encode("down"))), "down");
  });

  it("requests spread over several receive() calls coalesce while the answer has not been taken", () => {
    const { client, server } = connectPair();
    for (let i = 0; i < 5; i++) {
      client.keyUpdate(true);
      for (const r of client.takeOutgoing()) server.receive(r);
    }
    const first = server.takeOutgoing();
    assert.equal(first.length, 1);
    for (const r of first) client.receive(r);
    // Once taken, the next request gets its own answer.
    client.keyUpdate(true);
    for (const r of client.takeOutgoing()) server.receive(r);
    const next = server.takeOutgoing();
    assert.equal(next.length, 1);
    for (const r of next) client.receive(r);
    pump(client, server);
    assert.equal(utf8Decode(transfer(server, client, utf8Encode("ok"))), "ok");
  });
});

describe("receivePaused: output the transport has not taken holds input", () => {
  it(`over MAX_UNTAKEN_OUTGOING_BYTES (${MAX_UNTAKEN_OUTGOING_BYTES}) records wait; receive(empty) releases them`, () => {
    const { client, server } = connectPair();
    server.send(new Uint8Array(MAX_UNTAKEN_OUTGOING_BYTES + 1));
    assert.equal(server.receivePaused, true);
    client.send(utf8Encode("held"));
    client.keyUpdate(true);
    for (const r of client.takeOutgoing()) server.receive(r);
    assert.deepEqual(server.takeApplicationData(), [], "nothing processed while paused");
    assert.equal(server.heldRecords, true);
    const out = server.takeOutgoing();
    assert.equal(server.receivePaused, false);
    server.receive(new Uint8Array(0));
    assert.equal(utf8Decode(concatChunks(server.takeApplicationData())), "held");
    assert.equal(server.heldRecords, false);
    // The KeyUpdate was processed too: its answer is queued now.
    assert.equal(server.takeOutgoing().length, 1);
    assert.ok(out.length > 0);
  });
});
