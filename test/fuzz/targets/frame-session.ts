/**
 * A live pqrpc/1 session (server or client) after a proper SETTINGS
 * exchange, fed the input as raw bytes on its carrier. It must keep serving
 * or end with a typed StreamError, never throw, never hang, keep its read
 * buffer within one frame, and leave no stream, timer or listener behind.
 */
import { DEFAULT_MAX_FRAME_BYTES, MAX_FRAME_HEADER_BYTES } from "../../../src/protocol/frames/constants.ts";
import { FrameSession } from "../../../src/protocol/frames/session.ts";
import { echoHandler, isClean, RawPeer } from "../../../src/protocol/frames/session-test-helpers.ts";
import { StreamError } from "../../../src/protocol/frames/stream-error.ts";
import { createMemoryPair } from "../../../src/transport/memory-pair.ts";
import { FuzzInput } from "../harness/input.ts";
import { assertBounded, check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

/** Event-loop turns one execution may take to go quiet; a session that is still busy then is checked as it is. */
const MAX_SETTLE_TURNS = 1000;

/**
 * Waits until the session and its carrier are quiet: no change in the
 * session's counters or the bytes either end wrote over one event-loop
 * turn. Stream events run on process.nextTick and the session defers work
 * with setImmediate, so one quiet turn means nothing is left to run; this
 * takes microseconds where a timer turn (setTimeout 0) takes a millisecond,
 * which was two thirds of an execution.
 */
async function settle(session: FrameSession, ends: readonly { bytesWritten: number }[]): Promise<void> {
  let last = "";
  for (let turn = 0; turn < MAX_SETTLE_TURNS; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = JSON.stringify([session.stats, ends.map((e) => e.bytesWritten)]);
    if (now === last) return;
    last = now;
  }
}

/** The largest frame payload a Node session accepts (its announced maxFrameBytes). */
const NODE_MAX_FRAME_BYTES = 64 * 1024;

export const target: FuzzTarget = {
  name: "frame-session",
  description: "bytes to a session after SETTINGS: [role, chunk size] then the byte stream",
  typed: [StreamError],
  asynchronous: true,
  async run(data) {
    const input = new FuzzInput(data);
    const role = input.bool() ? "client" : "server";
    const chunkBytes = 1 + input.u8() * 16;
    const stream = input.rest();
    const [a, b] = createMemoryPair();
    const session = new FrameSession(b, { role, onStream: echoHandler, settingsAckTimeoutMs: 1000 });
    if (role === "client")
      session
        .openStream([[":path", "/a.B/C"]])
        .read()
        .catch(() => {});
    new RawPeer(a).handshake();
    for (let at = 0; at < stream.length; at += chunkBytes) a.write(stream.slice(at, at + chunkBytes));
    await settle(session, [a, b]);
    assertBounded(
      "a session's read buffer",
      session.stats.bufferedReadBytes,
      MAX_FRAME_HEADER_BYTES + Math.max(NODE_MAX_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES),
    );
    session.destroy();
    const outcome = await session.closed;
    check(outcome === undefined || outcome instanceof StreamError, `session ended with ${String(outcome)}`);
    check(isClean(session), `session left state behind: ${JSON.stringify(session.stats)}`);
  },
};

export const fuzz = jazzerEntry(target);
