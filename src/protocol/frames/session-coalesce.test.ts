/**
 * The session writes every frame produced in one tick as one carrier write
 * (one TLS record over TLS), and the peer decodes the batch exactly as it
 * would the frames one by one.
 */
import assert from "node:assert/strict";
import type { Duplex } from "node:stream";
import { test } from "node:test";
import { collect, echoHandler, sessionPair, tick } from "./session-test-helpers.ts";

const bytes = (n: number, seed = 1) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
};

/** Counts the carrier's write() calls from now on. */
function countWrites(carrier: Duplex): { readonly count: number } {
  const counter = { count: 0 };
  const write = carrier.write.bind(carrier) as (...args: unknown[]) => boolean;
  carrier.write = ((...args: unknown[]) => {
    counter.count++;
    return write(...args);
  }) as Duplex["write"];
  return counter;
}

test("a call's headers, message and end, queued in one tick, leave in one carrier write and arrive intact", async () => {
  const { client, server, carriers } = sessionPair({}, { onStream: echoHandler });
  await client.ping(); // SETTINGS exchanged both ways: later writes are the call's only
  const clientWrites = countWrites(carriers[0]);
  const serverWrites = countWrites(carriers[1]);
  const s = client.openStream([[":path", "/pkg.Svc/Echo"]]);
  const sent = [s.send(bytes(100, 1)), s.send(bytes(3000, 2)), s.send(bytes(10, 3), { endStream: true })];
  assert.equal(clientWrites.count, 0, "nothing is written before the tick ends");
  await Promise.all(sent);
  assert.equal(clientWrites.count, 1, "HEADERS, three MESSAGEs and END_STREAM in one write");
  const r = await collect(s);
  assert.deepEqual(r.messages, [bytes(100, 1), bytes(3000, 2), bytes(10, 3)]);
  assert.equal(r.status, 0);
  // The echo handler answers message by message, each step one write at most: the response
  // headers travel with the first message; nothing goes out as a frame of its own.
  assert.ok(serverWrites.count <= 4, `server wrote ${serverWrites.count} times`);
  await client.close();
  await tick();
  assert.equal(server.stats.openStreams, 0);
});

test("many streams opened in one tick share one write; each gets its own answer", async () => {
  const { client, carriers } = sessionPair({}, { onStream: echoHandler });
  await client.ping();
  const clientWrites = countWrites(carriers[0]);
  const streams = Array.from({ length: 20 }, (_, i) => {
    const s = client.openStream([[":path", "/pkg.Svc/Echo"]]);
    void s.send(bytes(50 + i, i), { endStream: true });
    return s;
  });
  const results = await Promise.all(streams.map((s) => collect(s)));
  assert.equal(clientWrites.count, 1);
  results.forEach((r, i) => {
    assert.deepEqual(r.messages, [bytes(50 + i, i)]);
    assert.equal(r.status, 0);
  });
  await client.close();
});
