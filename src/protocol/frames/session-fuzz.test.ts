/**
 * Hostile peers against a live session: random but well-formed frames (any
 * type, stream id, flags, lengths) and random bytes, after a proper
 * handshake. The session must either keep serving or end with a typed
 * StreamError, never throw, never hang, and leave nothing behind.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryPair } from "../../transport/memory-pair.ts";
import { FrameType } from "./constants.ts";
import type { Frame } from "./frame.ts";
import { FrameSession } from "./session.ts";
import { echoHandler, isClean, RawPeer, tick } from "./session-test-helpers.ts";
import { StreamError } from "./stream-error.ts";
import { prng, randomBytes } from "./test-helpers.ts";

function randomFrame(next: () => number, peer: RawPeer): Frame {
  const streamId = [0, 1, 2, 3, 5, 7, 9, 1001][next() % 8]!;
  const small = () => next() % 70_000;
  switch (next() % 9) {
    case 0:
      return { type: FrameType.SETTINGS, ack: next() % 2 === 0, entries: [[1 + (next() % 7), small()]] };
    case 1:
      return peer.headers(
        streamId || 1,
        [
          [":path", "/a.B/C"],
          [`x-${next() % 9}`, "v".repeat(next() % 50)],
        ],
        next() % 3 === 0,
      );
    case 2:
      return {
        type: FrameType.MESSAGE,
        streamId,
        endStream: next() % 3 === 0,
        messageEnd: next() % 2 === 0,
        compressed: next() % 5 === 0,
        data: new Uint8Array(next() % 20_000),
      };
    case 3:
      return {
        type: FrameType.TRAILERS,
        streamId,
        status: next() % 20,
        message: "x",
        block: new Uint8Array(0),
      };
    case 4:
      return { type: FrameType.RST, streamId, code: next() % 20 };
    case 5:
      return { type: FrameType.WINDOW_UPDATE, streamId, increment: 1 + (next() % 2_000_000) };
    case 6:
      return { type: FrameType.PING, ack: next() % 2 === 0, payload: randomBytes(next, 8) };
    case 7:
      return {
        type: FrameType.GOAWAY,
        lastStreamId: next() % 10,
        code: next() % 3,
        debug: new Uint8Array(0),
      };
    default:
      return {
        type: FrameType.MESSAGE,
        streamId: 1,
        endStream: false,
        messageEnd: true,
        compressed: false,
        data: new Uint8Array(3),
      };
  }
}

for (const role of ["server", "client"] as const) {
  test(`a ${role} session under random frames and bytes stays typed, bounded and clean`, async () => {
    const next = prng(role === "server" ? 2024 : 4048);
    for (let round = 0; round < 60; round++) {
      const [a, b] = createMemoryPair();
      const session = new FrameSession(b, { role, onStream: echoHandler, settingsAckTimeoutMs: 2000 });
      if (role === "client") {
        for (let i = 0; i < 3; i++) {
          const s = session.openStream([[":path", "/a.B/C"]]);
          s.read().catch(() => {});
        }
      }
      const peer = new RawPeer(a);
      peer.handshake();
      const count = 1 + (next() % 25);
      for (let i = 0; i < count; i++) {
        if (next() % 10 === 0) a.write(randomBytes(next, next() % 40));
        else peer.send(randomFrame(next, peer));
      }
      await tick(2);
      if (session.isOpen || session.stats.openStreams > 0) session.destroy();
      const outcome = await session.closed;
      assert.ok(
        outcome === undefined || outcome instanceof StreamError,
        `round ${round}: ${String(outcome)}`,
      );
      assert.ok(isClean(session), `round ${round}: ${JSON.stringify(session.stats)}`);
    }
  });
}
