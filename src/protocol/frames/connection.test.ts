/**
 * The sans-IO frame connection, driven byte by byte with a fake clock: no
 * socket, no timer, no wall-clock time. Covers every frame type, flow
 * control and its memory bound, SETTINGS and their timeouts, PING and
 * keepalive, GOAWAY draining, the stream limit with held handlers, the
 * reset meter (peer and server-caused resets) and the empty-frame meter.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { concatBytes } from "../../bytes/bytes.ts";
import { ReceiveBudget } from "../../rpc/receive-budget.ts";
import { FrameConnection } from "./connection.ts";
import {
  DEFAULT_SERVER_IDLE_TIMEOUT_MS,
  DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
  DEFAULT_SETTINGS_TIMEOUT_MS,
  MAX_EMPTY_FRAMES_PER_WINDOW,
  MAX_PEER_RESETS_PER_WINDOW,
} from "./connection-options.ts";
import { messageFrame, Pair, RawPeer } from "./connection-test-helpers.ts";
import { DEFAULT_INITIAL_STREAM_WINDOW_BYTES, FrameType } from "./constants.ts";
import { ErrorCode } from "./error-codes.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { SettingId } from "./settings.ts";

const PATH: [string, string][] = [[":path", "/a.B/C"]];
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

function goawayCode(peer: RawPeer): number | undefined {
  return peer.framesOf(FrameType.GOAWAY).at(-1)?.code;
}

function rstCodes(peer: RawPeer, streamId: number): number[] {
  return peer
    .framesOf(FrameType.RST)
    .filter((f) => f.streamId === streamId)
    .map((f) => f.code);
}

test("a unary call through two cores: events, send tickets and the stream states both sides walk", () => {
  const p = new Pair();
  p.run();
  const id = p.client.conn.openStream(PATH);
  assert.equal(p.client.conn.streamState(id), "idle", "nothing has left yet");
  const msgTicket = p.client.conn.sendMessage(id, bytes(10), { endStream: true });
  p.run();
  assert.equal(p.client.conn.streamState(id), "request-ended");
  assert.equal(p.server.conn.streamState(id), "request-ended");
  assert.ok(p.client.of("sent").some((e) => e.ticket === msgTicket));
  const stream = p.server.of("stream")[0]!;
  assert.deepEqual(stream.fields, PATH);
  assert.deepEqual(p.server.of("message")[0]!.data, bytes(10));
  assert.ok(p.server.of("end").some((e) => e.streamId === id));

  p.server.conn.sendHeaders(id, [["x-h", "1"]]);
  p.run();
  assert.equal(p.client.conn.streamState(id), "request-ended-responding");
  p.server.conn.sendMessage(id, bytes(3, 1));
  p.server.conn.sendTrailers(id, 0, "ok", [["x-t", "2"]]);
  p.run();
  assert.deepEqual(p.client.of("headers")[0]!.fields, [["x-h", "1"]]);
  assert.deepEqual(p.client.of("message")[0]!.data, bytes(3, 1));
  const trailers = p.client.of("trailers")[0]!;
  assert.equal(trailers.status, 0);
  assert.equal(trailers.message, "ok");
  assert.deepEqual(trailers.fields, [["x-t", "2"]]);
  assert.equal(p.client.conn.streamState(id), "closed");
  assert.equal(p.server.conn.streamState(id), "closed");
  assert.equal(p.client.conn.stats.openStreams, 0);
  assert.equal(p.server.conn.stats.openStreams, 0);
  assert.equal(p.server.conn.stats.receivedBytesHeld, 0, "consumed messages hold nothing");
});

test("queue-time checks use the same table: no message after END_STREAM, no second response HEADERS", () => {
  const p = new Pair();
  p.run();
  const id = p.client.conn.openStream(PATH, { endStream: true });
  assert.throws(() => p.client.conn.sendMessage(id, bytes(1)), /cannot send now/);
  p.run();
  p.server.conn.sendHeaders(id, []);
  assert.throws(() => p.server.conn.sendHeaders(id, []), /second response HEADERS/);
  p.server.conn.sendTrailers(id, 0);
  p.run();
  assert.throws(() => p.server.conn.sendTrailers(id, 0), /not open/);
});

test("SETTINGS: announced values apply, a second SETTINGS and a second ACK are PROTOCOL_ERROR", () => {
  const p = new Pair({}, { settings: { maxConcurrentStreams: 3, maxFrameBytes: 32 * 1024 } });
  p.run();
  assert.equal(p.client.conn.peerSettings.maxConcurrentStreams, 3);
  assert.equal(p.client.conn.peerSettings.maxFrameBytes, 32 * 1024);
  assert.equal(p.client.conn.availableStreams, 3);

  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  peer.send({ type: FrameType.SETTINGS, ack: false, entries: [] });
  assert.equal(goawayCode(peer), ErrorCode.PROTOCOL_ERROR);
  assert.ok(peer.conn.isClosed);

  const acks = new RawPeer({ role: "server" });
  acks.handshake();
  acks.send({ type: FrameType.SETTINGS, ack: true, entries: [] });
  assert.equal(goawayCode(acks), ErrorCode.PROTOCOL_ERROR);

  const range = new RawPeer({ role: "server" });
  range.send({ type: FrameType.SETTINGS, ack: false, entries: [[SettingId.MAX_FRAME_SIZE, 100]] });
  assert.equal(goawayCode(range), ErrorCode.PROTOCOL_ERROR, "MAX_FRAME_SIZE below the default");

  const first = new RawPeer({ role: "server" });
  first.send({ type: FrameType.PING, ack: false, payload: bytes(8) });
  assert.equal(goawayCode(first), ErrorCode.PROTOCOL_ERROR, "the first frame must be SETTINGS");
});

test("SETTINGS timeouts run on the caller's clock: the peer's SETTINGS, then the ACK of ours", () => {
  const silent = new RawPeer({ role: "server" });
  assert.equal(silent.conn.nextDeadline(), silent.clock.now + DEFAULT_SETTINGS_TIMEOUT_MS);
  silent.advance(DEFAULT_SETTINGS_TIMEOUT_MS - 1);
  assert.ok(!silent.conn.isClosed, "not yet");
  silent.advance(1);
  assert.equal(goawayCode(silent), ErrorCode.SETTINGS_TIMEOUT);
  assert.equal(silent.side.of("closed")[0]!.error?.code, ErrorCode.SETTINGS_TIMEOUT);
  assert.equal(silent.conn.nextDeadline(), undefined, "a closed connection has no deadline");

  const noAck = new RawPeer({ role: "client", settingsAckTimeoutMs: 500 });
  noAck.send({ type: FrameType.SETTINGS, ack: false, entries: [] });
  assert.equal(noAck.conn.nextDeadline(), noAck.clock.now + 500);
  noAck.advance(500);
  assert.equal(goawayCode(noAck), ErrorCode.SETTINGS_TIMEOUT);

  const fine = new RawPeer({ role: "client" });
  fine.handshake();
  assert.equal(fine.conn.nextDeadline(), undefined, "a client after the handshake waits for nothing");
  fine.advance(DEFAULT_SETTINGS_ACK_TIMEOUT_MS * 10);
  assert.ok(fine.conn.isOpen);
});

test("PING is answered with the same payload; ping() reports the round trip on the fake clock", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  peer.send({ type: FrameType.PING, ack: false, payload: bytes(8, 9) });
  const pong = peer.framesOf(FrameType.PING).find((f) => f.ack)!;
  assert.deepEqual(pong.payload, bytes(8, 9));

  const p = new Pair();
  p.run();
  const id = p.client.conn.ping();
  const out = p.client.conn.takeOutgoing()!;
  p.clock.advance(37);
  for (const f of out) p.server.conn.receive(f, p.clock.now);
  p.run();
  assert.deepEqual(p.client.of("pong"), [{ type: "pong", pingId: id, rttMs: 37 }]);
});

test("keepalive: a PING every interval; an answered one keeps the connection, an unanswered one ends it", () => {
  const p = new Pair({ keepalive: { intervalMs: 1_000, timeoutMs: 300 } });
  p.run();
  assert.equal(p.client.conn.nextDeadline(), p.clock.now + 1_000);
  for (let i = 0; i < 5; i++) p.advance(1_000);
  assert.ok(p.client.conn.isOpen);
  assert.ok(p.client.of("pong").length >= 5, "each PING was answered");

  const dead = new RawPeer({ role: "client", keepalive: { intervalMs: 1_000, timeoutMs: 300 } });
  dead.handshake();
  const id = dead.conn.openStream(PATH);
  dead.flush();
  dead.advance(1_000);
  assert.equal(dead.framesOf(FrameType.PING).filter((f) => !f.ack).length, 1);
  assert.equal(dead.conn.nextDeadline(), dead.clock.now + 300);
  dead.advance(299);
  assert.ok(dead.conn.isOpen);
  dead.advance(1);
  assert.ok(dead.conn.isClosed);
  const failed = dead.side.of("stream-failed").find((e) => e.streamId === id)!;
  assert.equal(failed.error.reason, "keepalive-timeout");
  assert.equal(failed.error.code, ErrorCode.KEEPALIVE_TIMEOUT);
});

test("flow control: a reader that does not consume stops the sender after one stream window", () => {
  const p = new Pair({}, {}, false);
  p.run();
  for (const e of p.client.drain()) void e;
  const id = p.client.conn.openStream(PATH);
  p.client.conn.sendMessage(id, bytes(10_000));
  p.client.conn.sendMessage(id, bytes(DEFAULT_INITIAL_STREAM_WINDOW_BYTES));
  p.run();
  const messages = p.server.of("message");
  assert.equal(messages.length, 1, "the second message cannot complete within the window");
  assert.ok(p.server.conn.stats.receivedBytesHeld <= DEFAULT_INITIAL_STREAM_WINDOW_BYTES);
  assert.ok(p.client.conn.takeOutgoing() === null, "the sender is blocked");
  // The server consumes the stream event and the first message: the rest flows.
  p.server.conn.consume(id);
  p.server.conn.consume(id);
  p.run();
  assert.equal(p.server.of("message").length, 2);
  assert.equal(p.server.of("message")[1]!.data.length, DEFAULT_INITIAL_STREAM_WINDOW_BYTES);
});

test("a message larger than both windows completes when the reader keeps up", () => {
  const p = new Pair({}, { maxReceiveMessageBytes: 1_000_000 });
  p.run();
  const id = p.client.conn.openStream(PATH);
  const big = bytes(700_000, 3);
  p.client.conn.sendMessage(id, big, { endStream: true });
  p.run();
  assert.deepEqual(p.server.of("message")[0]!.data, big);
});

test("issue 9 item 1: one connection's unfinished messages hold at most the connection window plus one message", () => {
  const window = 256 * 1024;
  const streamWindow = 64 * 1024;
  const maxMessage = 128 * 1024;
  const frame = 16 * 1024;
  const peer = new RawPeer({
    role: "server",
    maxReceiveMessageBytes: maxMessage,
    settings: { initialConnectionWindowBytes: window, initialStreamWindowBytes: streamWindow },
  });
  peer.handshake();
  const sent = new Map<number, number>([[0, 0]]);
  const granted = (id: number) =>
    (id === 0 ? window : streamWindow) +
    peer
      .framesOf(FrameType.WINDOW_UPDATE)
      .filter((f) => f.streamId === id)
      .reduce((n, f) => n + f.increment, 0);
  const ids = Array.from({ length: 100 }, (_, i) => 2 * i + 1);
  for (const id of ids) {
    peer.send(peer.headers(id));
    sent.set(id, 0);
  }
  // Every stream an unfinished message, round robin, as far as the windows let a well-behaved peer go.
  let peak = 0;
  for (let progress = true; progress; ) {
    progress = false;
    for (const id of ids) {
      if (granted(id) - sent.get(id)! < frame || granted(0) - sent.get(0)! < frame) continue;
      if (sent.get(id)! + frame >= maxMessage) continue; // never complete a message
      peer.send(peer.message(id, bytes(frame), { end: false }));
      sent.set(id, sent.get(id)! + frame);
      sent.set(0, sent.get(0)! + frame);
      peak = Math.max(peak, peer.conn.stats.receivedBytesHeld);
      progress = true;
    }
  }
  assert.ok(peer.conn.isOpen, "a peer within the windows is not an error");
  assert.ok(sent.get(0)! > window, "the designated message got through the full window");
  assert.ok(peak <= window + maxMessage, `held ${peak} bytes`);
  // Past the connection window: FLOW_CONTROL_ERROR, the connection ends.
  const over = granted(0) - sent.get(0)! + 1;
  assert.ok(over <= frame);
  peer.send(peer.message(ids.at(-1)!, bytes(over), { end: false }));
  assert.equal(goawayCode(peer), ErrorCode.FLOW_CONTROL_ERROR);
});

test("interleaved large messages on several streams all complete (one is let through when they fill the window)", () => {
  const p = new Pair(
    { settings: { maxFrameBytes: 16 * 1024 } },
    { maxReceiveMessageBytes: 200_000, settings: { initialConnectionWindowBytes: 128 * 1024 } },
  );
  p.run();
  const ids = [0, 1, 2].map(() => p.client.conn.openStream(PATH));
  for (const [i, id] of ids.entries())
    p.client.conn.sendMessage(id, bytes(150_000, i + 1), { endStream: true });
  p.run();
  const messages = p.server.of("message");
  assert.equal(messages.length, 3);
  for (const m of messages) assert.deepEqual(m.data, bytes(150_000, ids.indexOf(m.streamId) + 1));
});

test("a message past the receive limit is refused as it passes the limit (MESSAGE_TOO_LARGE), its bytes returned", () => {
  const peer = new RawPeer({ role: "server", maxReceiveMessageBytes: 20_000 });
  peer.handshake();
  peer.send(peer.headers(1), peer.message(1, bytes(16_000), { end: false }));
  assert.equal(peer.conn.stats.receivedBytesHeld, 16_000);
  peer.send(peer.message(1, bytes(16_000), { end: false }));
  assert.deepEqual(rstCodes(peer, 1), [ErrorCode.MESSAGE_TOO_LARGE]);
  assert.equal(peer.conn.stats.receivedBytesHeld, 0, "nothing of the refused message is kept");
  assert.ok(peer.conn.isOpen);
});

test("a window past 2^31-1 and bytes past a window are FLOW_CONTROL_ERROR (stream: RST, connection: GOAWAY)", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  peer.send(peer.headers(1));
  peer.send({ type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 2 ** 30 - 1 });
  peer.send({ type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 2 ** 30 - 1 });
  peer.send({ type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 2 ** 30 - 1 });
  assert.deepEqual(rstCodes(peer, 1), [ErrorCode.FLOW_CONTROL_ERROR]);
  for (let i = 0; i < 3; i++)
    peer.send({ type: FrameType.WINDOW_UPDATE, streamId: 0, increment: 2 ** 30 - 1 });
  assert.equal(goawayCode(peer), ErrorCode.FLOW_CONTROL_ERROR);
});

test("frames on idle and closed streams: RST/MESSAGE on an idle id and HEADERS on a lower unused id are connection errors", () => {
  const rst = new RawPeer({ role: "server" });
  rst.handshake();
  rst.send({ type: FrameType.RST, streamId: 5, code: ErrorCode.CANCEL });
  assert.equal(goawayCode(rst), ErrorCode.PROTOCOL_ERROR);

  const lower = new RawPeer({ role: "server" });
  lower.handshake();
  lower.send(lower.headers(7));
  lower.send(lower.headers(3)); // never used, below 7 (issue 9 item 10)
  assert.equal(goawayCode(lower), ErrorCode.PROTOCOL_ERROR);

  const even = new RawPeer({ role: "server" });
  even.handshake();
  even.send(even.headers(2));
  assert.equal(goawayCode(even), ErrorCode.PROTOCOL_ERROR);

  // A frame on a closed stream is ignored (it may have been in flight), its bytes credited.
  const closed = new RawPeer({ role: "server" });
  closed.handshake();
  closed.send(closed.headers(1), { type: FrameType.RST, streamId: 1, code: ErrorCode.CANCEL });
  closed.send(closed.message(1, bytes(100)), { type: FrameType.RST, streamId: 1, code: ErrorCode.CANCEL });
  assert.ok(closed.conn.isOpen);
  assert.equal(closed.conn.stats.receivedBytesHeld, 0);

  const trailers = new RawPeer({ role: "server" });
  trailers.handshake();
  trailers.send(trailers.headers(1), {
    type: FrameType.TRAILERS,
    streamId: 1,
    status: 0,
    message: "",
    block: new Uint8Array(0),
  });
  assert.equal(goawayCode(trailers), ErrorCode.PROTOCOL_ERROR, "TRAILERS from a client");
});

test("stream rule violations are stream errors: a second HEADERS, END_STREAM inside a message, MESSAGE after END_STREAM", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  peer.send(peer.headers(1), peer.headers(1));
  assert.deepEqual(rstCodes(peer, 1), [ErrorCode.PROTOCOL_ERROR]);
  peer.send(
    peer.headers(3),
    peer.message(3, bytes(5), { end: false }),
    peer.message(3, new Uint8Array(0), { end: false, endStream: true }),
  );
  assert.deepEqual(rstCodes(peer, 3), [ErrorCode.PROTOCOL_ERROR]);
  peer.send(peer.headers(5, PATH, true), peer.message(5, bytes(1)));
  assert.deepEqual(rstCodes(peer, 5), [ErrorCode.STREAM_CLOSED]);
  assert.ok(peer.conn.isOpen);
  assert.equal(peer.conn.stats.localResets, 3, "each reset the server caused is counted");
});

test("the stream limit: past MAX_CONCURRENT_STREAMS a stream is refused (REFUSED_STREAM) and counted", () => {
  const peer = new RawPeer({ role: "server", settings: { maxConcurrentStreams: 2 } });
  peer.handshake();
  peer.send(peer.headers(1), peer.headers(3), peer.headers(5));
  assert.deepEqual(rstCodes(peer, 5), [ErrorCode.REFUSED_STREAM]);
  assert.equal(peer.side.of("stream").length, 2);
  assert.equal(peer.conn.stats.localResets, 1);
});

test("CVE-2025-8671: a reset stream whose handler still runs keeps its slot until released", () => {
  const peer = new RawPeer({
    role: "server",
    holdStreamsUntilReleased: true,
    settings: { maxConcurrentStreams: 2 },
  });
  peer.handshake();
  peer.send(peer.headers(1), { type: FrameType.RST, streamId: 1, code: ErrorCode.CANCEL });
  // A server-caused reset: END_STREAM inside a message.
  peer.send(
    peer.headers(3),
    peer.message(3, bytes(1), { end: false }),
    peer.message(3, new Uint8Array(0), { end: false, endStream: true }),
  );
  assert.equal(peer.conn.stats.openStreams, 0);
  assert.equal(peer.conn.stats.heldStreams, 2);
  peer.send(peer.headers(5));
  assert.deepEqual(rstCodes(peer, 5), [ErrorCode.REFUSED_STREAM], "two handlers still run");
  assert.equal(peer.side.of("stream").length, 2);
  peer.conn.releaseStream(1);
  peer.send(peer.headers(7));
  assert.equal(peer.side.of("stream").length, 3, "a released slot admits a new stream");
  assert.deepEqual(rstCodes(peer, 7), []);
});

test("the reset meter: peer RSTs and server-caused resets share one limit; past it GOAWAY ENHANCE_YOUR_CALM", () => {
  const peerResets = new RawPeer({ role: "server" });
  peerResets.handshake();
  let id = 1;
  for (; id < 4 * MAX_PEER_RESETS_PER_WINDOW && peerResets.conn.isOpen; id += 2) {
    peerResets.send(peerResets.headers(id), { type: FrameType.RST, streamId: id, code: ErrorCode.CANCEL });
  }
  assert.equal(goawayCode(peerResets), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(peerResets.conn.stats.peerResets, MAX_PEER_RESETS_PER_WINDOW + 1);

  // MadeYouReset: duplicate HEADERS make the server reset; they count the same.
  const induced = new RawPeer({ role: "server" });
  induced.handshake();
  let streams = 0;
  for (id = 1; id < 4 * MAX_PEER_RESETS_PER_WINDOW && induced.conn.isOpen; id += 2) {
    induced.send(induced.headers(id), induced.headers(id));
    streams++;
  }
  assert.equal(goawayCode(induced), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(streams, MAX_PEER_RESETS_PER_WINDOW + 1);

  // Spread over time, the same number of resets is fine.
  const slow = new RawPeer({ role: "server" });
  slow.handshake();
  for (id = 1; id < 4 * MAX_PEER_RESETS_PER_WINDOW; id += 2) {
    slow.send(slow.headers(id), { type: FrameType.RST, streamId: id, code: ErrorCode.CANCEL });
    if (id % 200 === 1) slow.advance(250);
  }
  assert.ok(slow.conn.isOpen);
});

test("issue 9 item 10: unknown-type frames and empty MESSAGE frames are bounded per window", () => {
  const unknown = new RawPeer({ role: "server" });
  unknown.handshake();
  const frame = new Uint8Array([0x0a, 0x00, 0x00]); // type 0xa, stream 0, length 0
  for (let i = 0; i < 10; i++) unknown.sendBytes(frame);
  assert.ok(unknown.conn.isOpen, "a few are ignored (SPEC §Extensibility)");
  for (let i = 0; i < MAX_EMPTY_FRAMES_PER_WINDOW && unknown.conn.isOpen; i++) unknown.sendBytes(frame);
  assert.equal(goawayCode(unknown), ErrorCode.ENHANCE_YOUR_CALM);

  const empty = new RawPeer({ role: "server" });
  empty.handshake();
  empty.send(empty.headers(1));
  for (let i = 0; i <= MAX_EMPTY_FRAMES_PER_WINDOW && empty.conn.isOpen; i++) {
    empty.send(empty.message(1, new Uint8Array(0), { end: false }));
  }
  assert.equal(goawayCode(empty), ErrorCode.ENHANCE_YOUR_CALM);

  // Empty messages (MESSAGE_END) are messages, not empty frames.
  const messages = new RawPeer({ role: "server" });
  messages.handshake();
  messages.send(messages.headers(1));
  for (let i = 0; i <= MAX_EMPTY_FRAMES_PER_WINDOW; i++)
    messages.send(messages.message(1, new Uint8Array(0)));
  assert.ok(messages.conn.isOpen);
});

test("GOAWAY draining (server close): in-flight streams finish, later ones are refused, then drained and closed", () => {
  const p = new Pair();
  p.run();
  const a = p.client.conn.openStream(PATH);
  p.run();
  p.server.conn.close();
  p.run();
  assert.ok(!p.client.conn.isOpen, "the client opens no new stream after GOAWAY");
  assert.throws(() => p.client.conn.openStream(PATH), { reason: "going-away" });
  assert.equal(p.client.of("goaway")[0]!.lastStreamId, a);
  p.client.conn.sendMessage(a, bytes(4), { endStream: true });
  p.run();
  assert.equal(p.server.of("drained").length, 0, "a stream is still open");
  p.server.conn.sendTrailers(a, 0);
  p.run();
  assert.equal(p.server.of("drained").length, 1);
  assert.equal(p.client.of("trailers").length, 1, "the in-flight call finished");
  p.advance(2_000);
  assert.deepEqual(p.server.of("closed"), [{ type: "closed", error: undefined }]);
});

test("GOAWAY: a client fails streams past the last id as refused (safe to retry); a grace period cancels stragglers", () => {
  const peer = new RawPeer({ role: "client" });
  peer.handshake();
  const a = peer.conn.openStream(PATH);
  const b = peer.conn.openStream(PATH);
  peer.flush();
  peer.send({ type: FrameType.GOAWAY, lastStreamId: a, code: ErrorCode.NO_ERROR, debug: new Uint8Array(0) });
  const failed = peer.side.of("stream-failed");
  assert.deepEqual(
    failed.map((e) => [e.streamId, e.error.reason]),
    [[b, "refused"]],
  );
  assert.equal(peer.conn.streamState(a), "open");

  const server = new RawPeer({ role: "server", goawayGraceMs: 5_000 });
  server.handshake();
  server.send(server.headers(1));
  server.conn.close();
  server.flush();
  server.advance(4_999);
  assert.deepEqual(rstCodes(server, 1), []);
  server.advance(1);
  assert.deepEqual(rstCodes(server, 1), [ErrorCode.CANCEL]);
  assert.equal(server.side.of("drained").length, 1);
});

test("issue 9 item 3: a server closes a connection idle (no open stream) for the idle timeout; a call in progress holds it", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  assert.equal(peer.conn.nextDeadline(), peer.clock.now + DEFAULT_SERVER_IDLE_TIMEOUT_MS);
  peer.send(peer.headers(1));
  assert.equal(peer.conn.nextDeadline(), undefined, "a stream is open: no idle deadline");
  peer.advance(DEFAULT_SERVER_IDLE_TIMEOUT_MS * 2);
  assert.ok(peer.conn.isOpen);
  peer.conn.sendTrailers(1, 0);
  peer.flush();
  const idleFrom = peer.clock.now;
  assert.equal(peer.conn.nextDeadline(), idleFrom + DEFAULT_SERVER_IDLE_TIMEOUT_MS);
  peer.advance(DEFAULT_SERVER_IDLE_TIMEOUT_MS);
  const goaway = peer.framesOf(FrameType.GOAWAY)[0]!;
  assert.equal(goaway.code, ErrorCode.NO_ERROR);
  assert.equal(goaway.lastStreamId, 1);
  assert.equal(peer.side.of("drained").length, 1);

  const custom = new RawPeer({ role: "server", idleTimeoutMs: 50 });
  custom.handshake();
  custom.advance(50);
  assert.equal(goawayCode(custom), ErrorCode.NO_ERROR);

  const client = new RawPeer({ role: "client" });
  client.handshake();
  client.advance(DEFAULT_SERVER_IDLE_TIMEOUT_MS * 2);
  assert.ok(client.conn.isOpen, "a client has no idle timeout by default");
});

test("a peer that provokes answers but never takes them is cut off at the control backlog (ENHANCE_YOUR_CALM)", () => {
  const conn = new FrameConnection({ role: "server", maxControlBacklogBytes: 4096 }, 0);
  conn.receive(new Uint8Array([0x00, 0x00, 0x00])); // SETTINGS, no entries
  const ping = new Uint8Array([0x06, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]);
  for (let i = 0; i < 1000 && !conn.isClosed; i++) conn.receive(ping);
  assert.ok(conn.isClosed);
  assert.equal(conn.error?.code, ErrorCode.ENHANCE_YOUR_CALM);
  assert.ok(conn.stats.controlBacklogBytes <= 4096 + 300, `${conn.stats.controlBacklogBytes}`);
});

test("RST from the peer fails the stream on our side with reset-by-peer and returns its unread bytes", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  peer.send(peer.headers(1), peer.message(1, bytes(1000)));
  assert.equal(peer.conn.stats.receivedBytesHeld, 1000, "delivered, not consumed");
  peer.send({ type: FrameType.RST, streamId: 1, code: ErrorCode.CANCEL });
  const failed = peer.side.of("stream-failed")[0]!;
  assert.equal(failed.error.reason, "reset-by-peer");
  assert.equal(failed.error.code, ErrorCode.CANCEL);
  assert.equal(peer.conn.stats.receivedBytesHeld, 0);
});

test("a header block that may not fit the peer's frame fails locally before it is encoded", () => {
  const p = new Pair();
  p.run();
  const id = p.client.conn.openStream([
    [":path", "/a.B/C"],
    ["x-big", "v".repeat(20_000)],
  ]);
  p.run();
  const failed = p.client.of("stream-failed").find((e) => e.streamId === id)!;
  assert.equal(failed.error.code, ErrorCode.HEADERS_TOO_LARGE);
  assert.equal(p.server.of("stream").length, 0, "nothing reached the server");
  const ok = p.client.conn.openStream(PATH, { endStream: true });
  p.run();
  assert.deepEqual(p.server.of("stream")[0]!.fields, PATH, "the tables are still in step");
  assert.equal(p.server.of("stream")[0]!.streamId, ok);
});

test("a stream error ends that stream only: frames after it in the same bytes are still processed", () => {
  const peer = new RawPeer({ role: "server" });
  peer.handshake();
  const frames = [
    peer.headers(1),
    peer.headers(1), // stream PROTOCOL_ERROR
    { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 0 } as const, // on a closed stream: ignored
    peer.headers(3),
    { type: FrameType.WINDOW_UPDATE, streamId: 3, increment: 0 } as const, // stream PROTOCOL_ERROR
    peer.headers(5),
  ];
  peer.sendBytes(concatBytes(...frames.map((f) => encodeFrame(f))));
  assert.deepEqual(
    peer.side.of("stream").map((e) => e.streamId),
    [1, 3, 5],
  );
  assert.deepEqual(rstCodes(peer, 1), [ErrorCode.PROTOCOL_ERROR]);
  assert.deepEqual(rstCodes(peer, 3), [ErrorCode.PROTOCOL_ERROR]);
  assert.equal(peer.conn.streamState(5), "open");
  assert.ok(peer.conn.isOpen);
});

test("time options are checked: a negative or non-finite duration is a RangeError", () => {
  assert.throws(() => new FrameConnection({ role: "server", idleTimeoutMs: -1 }, 0), RangeError);
  assert.throws(() => new FrameConnection({ role: "server", settingsTimeoutMs: Number.NaN }, 0), RangeError);
  assert.throws(
    () => new FrameConnection({ role: "client", keepalive: { intervalMs: 0, timeoutMs: 10 } }, 0),
    RangeError,
  );
  assert.ok(
    new FrameConnection({ role: "server", idleTimeoutMs: 0 }, 0).isOpen,
    "0 disables the idle timeout",
  );
});

test("issue 9 item 1: connections draw held message bytes from one server-wide receive budget; the greediest is evicted", () => {
  const budget = new ReceiveBudget({ maxConnectionBytes: 30_000, maxServerBytes: 40_000 });
  const open = (): RawPeer => {
    let peer: RawPeer | undefined;
    const account = budget.open((detail) => peer?.conn.evict(detail));
    peer = new RawPeer({ role: "server", receiveBudget: account });
    peer.handshake();
    return peer;
  };
  const part = (streamId: number, n: number) => messageFrame(streamId, new Uint8Array(n), { end: false });
  const a = open();
  const b = open();
  // a gathers unfinished messages on two streams: held, and counted.
  a.send(a.headers(1), part(1, 6_000), part(1, 6_000), a.headers(3), part(3, 6_000), part(3, 6_000));
  assert.equal(budget.heldBytes, 24_000);
  // Past the connection's share: that stream is refused, its bytes return; the connection lives.
  a.send(part(3, 7_000));
  assert.deepEqual(rstCodes(a, 3), [ErrorCode.ENHANCE_YOUR_CALM]);
  assert.equal(budget.heldBytes, 12_000, "the refused stream's bytes are back");
  assert.equal(goawayCode(a), undefined);
  a.send(a.headers(5), part(5, 6_000), part(5, 6_000), part(5, 5_000));
  assert.equal(budget.heldBytes, 29_000);
  // b takes the server past its share: a holds the most and is evicted (GOAWAY ENHANCE_YOUR_CALM); b's part fits.
  b.send(b.headers(1), part(1, 6_000), part(1, 6_000));
  a.flush();
  assert.equal(goawayCode(a), ErrorCode.ENHANCE_YOUR_CALM, "the greediest connection goes");
  assert.equal(a.conn.isClosed, true);
  assert.equal(goawayCode(b), undefined);
  assert.equal(budget.heldBytes, 12_000, "only b's bytes are held");
  // Delivered, b's message is held until the application consumes it.
  b.send(messageFrame(1, new Uint8Array(1)));
  assert.equal(b.side.of("message")[0]?.data.length, 12_001);
  assert.equal(budget.heldBytes, 12_001);
  b.conn.consume(1);
  b.conn.consume(1);
  assert.equal(budget.heldBytes, 0);
  // A connection that ends returns what it held.
  b.send(b.headers(3), part(3, 5_000));
  assert.equal(budget.heldBytes, 5_000);
  b.conn.evict("test");
  b.flush();
  assert.equal(goawayCode(b), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(budget.heldBytes, 0);
  assert.equal(budget.connections, 0);
});

test("messages whose frames span many received chunks arrive whole, whatever the cut (parts gathered once)", () => {
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const random = rng(7);
  for (let trial = 0; trial < 20; trial++) {
    const peer = new RawPeer({ role: "server", settings: { maxFrameBytes: 64 * 1024 } });
    peer.handshake();
    peer.send(peer.headers(1));
    // A message over two frames (a full one that does not end it, and a short one that does),
    // then a message of one frame: the shape of a 64 KiB gRPC payload on a 64 KiB frame limit.
    const a = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + trial) & 0xff);
    const b = Uint8Array.from({ length: 30 }, (_, i) => i);
    const c = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 3) & 0xff);
    const wire = concatBytes(
      encodeFrame(peer.message(1, a, { end: false })),
      encodeFrame(peer.message(1, b)),
      encodeFrame(peer.message(1, c)),
    );
    // Cut into chunks of 1..16 KiB, each its own buffer or a view into a larger one (a carrier read).
    for (let at = 0; at < wire.length; ) {
      const n = Math.min(wire.length - at, 1 + Math.floor(random() * 16_384));
      const piece = wire.subarray(at, at + n);
      if (random() < 0.5) {
        peer.sendBytes(piece.slice());
      } else {
        const big = new Uint8Array(n + 4096);
        big.set(piece, 100);
        peer.sendBytes(big.subarray(100, 100 + n));
      }
      at += n;
    }
    const messages = peer.side.events.filter((e) => e.type === "message");
    assert.equal(messages.length, 2, `trial ${trial}`);
    assert.deepEqual(
      messages[0]!.type === "message" && messages[0]!.data,
      concatBytes(a, b),
      `trial ${trial}`,
    );
    assert.deepEqual(messages[1]!.type === "message" && messages[1]!.data, c, `trial ${trial}`);
    assert.equal(peer.conn.stats.receivedBytesHeld, a.length + b.length + c.length);
  }
});
