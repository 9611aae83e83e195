/**
 * Handler floods over HTTP/2 against a real server process (issue 9, item 2):
 * a peer that resets its own streams (rapid reset, CVE-2023-44487) and one
 * that makes the server reset them ("MadeYouReset", CVE-2025-8671: here a
 * a second HEADERS on a stream, a stream error of RFC 9113 §8.1).
 * node:http2 forgets a reset stream at once, so without our own count every
 * reset stream would leave a handler running. The handlers here ignore
 * cancellation (the worst case for the server); the server must keep them
 * within SETTINGS_MAX_CONCURRENT_STREAMS, close the connection with GOAWAY
 * ENHANCE_YOUR_CALM, and keep serving other clients. Everything is sent in
 * one write, so the outcome does not depend on the machine's speed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { H2_CANCEL, H2_ENHANCE_YOUR_CALM } from "../../src/protocol/grpc/http2-errors.ts";
import {
  FLAG,
  FRAME,
  frame,
  grpcRequestHeaders,
  type HostileServer,
  rawH2,
  startHostileServer,
  u32,
  until,
} from "./harness.ts";

const MAX_STREAMS = 100;
/** Three times the cap, well under nghttp2's own reset-rate limit (1,000), so ours is what trips. */
const ATTACK_STREAMS = 3 * MAX_STREAMS;
const HOLD = [["x-hold", "1"]] as const;
const PATH = "/helloworld.Greeter/LotsOfGreetings";

/** A HelloRequest { name: "x" } in its gRPC envelope (PROTOCOL-HTTP2 Length-Prefixed-Message). */
const HELLO_ENVELOPE = Uint8Array.of(0, 0, 0, 0, 3, 0x0a, 0x01, 0x78);

/** HEADERS for stream after stream, each followed by `then(id)`: one write. */
function flood(then: (id: number) => Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < ATTACK_STREAMS; i++) {
    const id = 2 * i + 1;
    frames.push(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcRequestHeaders(PATH, HOLD)), then(id));
  }
  return concatBytes(...frames);
}

/** Server-streaming calls on streams `first`, `first + 2`, ...: HEADERS and the request with END_STREAM. */
function serverStreamingCalls(first: number, count: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const id = first + 2 * i;
    frames.push(
      frame(
        FRAME.HEADERS,
        FLAG.END_HEADERS,
        id,
        grpcRequestHeaders("/helloworld.Greeter/LotsOfReplies", HOLD),
      ),
      frame(FRAME.DATA, FLAG.END_STREAM, id, HELLO_ENVELOPE),
    );
  }
  return concatBytes(...frames);
}

describe("HTTP/2 handler floods against a server process", () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer({ http2: { maxConcurrentStreams: MAX_STREAMS } });
  });
  after(async () => {
    await server?.release();
    await server?.stop();
  });

  const cases: [string, (id: number) => Uint8Array][] = [
    [
      "peer resets (RST_STREAM CANCEL after each HEADERS)",
      (id) => frame(FRAME.RST_STREAM, 0, id, u32(H2_CANCEL)),
    ],
    [
      // A second HEADERS without END_STREAM is not trailers: a stream error PROTOCOL_ERROR (RFC 9113 §8.1),
      // which node:http2 answers with RST_STREAM and leaves the connection up (seen: one RST per stream).
      "server-induced resets (a second HEADERS without END_STREAM on each stream)",
      (id) => frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcRequestHeaders(PATH, HOLD)),
    ],
  ];
  for (const [name, then] of cases) {
    it(`${name}: handlers stay within the cap, GOAWAY ENHANCE_YOUR_CALM, others served`, async () => {
      await server.release();
      await server.resetPeak();
      const before = await server.stats();
      const raw = await rawH2(server);
      raw.write(flood(then));
      assert.equal(await raw.goaway, H2_ENHANCE_YOUR_CALM, "GOAWAY ENHANCE_YOUR_CALM");
      await raw.closed;
      if (name.startsWith("server-induced"))
        assert.ok(raw.resets.size > 0, "the server reset streams itself");
      const s = await server.stats();
      assert.ok(
        s.peakHandlers <= MAX_STREAMS,
        `at most ${MAX_STREAMS} handlers ran at once, saw ${s.peakHandlers}`,
      );
      assert.ok(s.peakHandlers > 0, "the flood reached the handlers (the test is not vacuous)");
      const flooded =
        (s.events["reset_flood:handler-flood"] ?? 0) - (before.events["reset_flood:handler-flood"] ?? 0);
      assert.equal(flooded, 1, "one reset_flood event for the connection");
      // Other clients are served while the held handlers still run.
      assert.equal(await server.sayHello("h2"), "hello legit");
      assert.equal(await server.sayHello("pqrpc/1"), "hello legit");
      assert.ok((await server.release()) <= MAX_STREAMS);
      await until(
        () => server.stats(),
        (x) => x.runningHandlers === 0 && x.server.calls === 0,
        "held handlers returned",
      );
    });
  }

  it("server-streaming calls whose stream never ends, reset once running: still counted, the next stream trips the cap", async () => {
    await server.release();
    await server.resetPeak();
    const raw = await rawH2(server);
    // Phase 1: a full set of calls whose handlers returned their stream and whose generators now wait.
    raw.write(serverStreamingCalls(1, MAX_STREAMS));
    await until(
      () => server.stats(),
      (x) => x.heldHandlers === MAX_STREAMS,
      "every stream's generator waits",
    );
    // Phase 2: reset them all. The router's calls end; the generators do not.
    const resets: Uint8Array[] = [];
    for (let i = 0; i < MAX_STREAMS; i++) resets.push(frame(FRAME.RST_STREAM, 0, 1 + 2 * i, u32(H2_CANCEL)));
    raw.write(concatBytes(...resets));
    // Phase 3: more calls. Counted only until the router returned, these would start another 100 generators.
    raw.write(serverStreamingCalls(1 + 2 * MAX_STREAMS, MAX_STREAMS));
    // Fail fast when the cap does not hold (then no GOAWAY would ever come): more handlers than the cap run.
    let answered = false;
    const overrun = until(
      () => server.stats(),
      (x) => answered || x.peakHandlers > MAX_STREAMS,
      "GOAWAY or an overrun",
    ).then((x) => (answered ? undefined : `${x.peakHandlers} handlers ran at once`));
    const code = await Promise.race([raw.goaway, overrun]);
    answered = true;
    await overrun;
    assert.equal(code, H2_ENHANCE_YOUR_CALM);
    await raw.closed;
    const s = await server.stats();
    assert.ok(s.peakHandlers <= MAX_STREAMS, `at most ${MAX_STREAMS} ran at once, saw ${s.peakHandlers}`);
    assert.equal(await server.sayHello("h2"), "hello legit");
    await server.release();
    await until(
      () => server.stats(),
      (x) => x.runningHandlers === 0 && x.server.calls === 0,
      "all returned",
    );
  });
});
