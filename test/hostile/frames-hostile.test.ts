/**
 * pqrpc/1 against hostile peers (issue 9, items 1, 2, 3 and 10): each test
 * sends the hostile bytes over a real TLS connection to a real server
 * process (frames-server.ts) and checks the GOAWAY or RST code, the
 * server's RSS and handler counts (through a control RPC on another
 * connection), and that another client is still served. Nothing depends on
 * the machine's speed: the tests wait for answers (bounded), never for time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import { ErrorCode } from "../../src/protocol/frames/error-codes.ts";
import { SettingId } from "../../src/protocol/frames/settings.ts";
import { DEFAULT_MAX_CONNECTION_BUFFERED_BYTES } from "../../src/rpc/receive-budget.ts";
import {
  ANSWER_TIMEOUT_MS,
  type FramesServer,
  HostilePeer,
  helloRequest,
  startFramesServer,
  statsOverNewConnection,
} from "./frames-peer.ts";

const UPLOAD = "/helloworld.Greeter/LotsOfGreetings";
const UNARY = "/helloworld.Greeter/SayHello";
/** The server's limits as it announces them (NODE_SESSION_SETTINGS, DEFAULT_MAX_RECEIVE_MESSAGE_BYTES). */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const MAX_STREAMS = 100;
/**
 * Slack of the RSS bound: one hostile connection may make the server hold
 * what it committed to (its connection window plus one message, SPEC §Flow
 * control; checked exactly on ArrayBuffers) plus the transient copies of one
 * window in flight, and this.
 */
const RSS_SLACK_BYTES = 16 * 1024 * 1024;
const SETTINGS_TIMEOUT_MS = 1_000;
const IDLE_TIMEOUT_MS = 1_500;

describe("pqrpc/1 hostile peers against a server process", () => {
  let server: FramesServer;
  before(async () => {
    server = await startFramesServer({
      frames: { idleTimeoutMs: IDLE_TIMEOUT_MS, settingsTimeoutMs: SETTINGS_TIMEOUT_MS },
    });
  });
  after(async () => {
    await server?.stop();
  });

  it("item 1: unfinished messages on 100 streams hold at most the connection window (+ one message) and the connection share of the receive budget; past the window, FLOW_CONTROL_ERROR", async (t) => {
    const before = await statsOverNewConnection(server.port);
    const peer = await HostilePeer.connect(server.port);
    try {
      await peer.handshake();
      const connWindow = peer.setting(SettingId.INITIAL_CONNECTION_WINDOW, 65_535);
      const streamWindow = peer.setting(SettingId.INITIAL_STREAM_WINDOW, 65_535);
      const maxFrame = peer.setting(SettingId.MAX_FRAME_SIZE, 16_384);
      const ids = Array.from({ length: MAX_STREAMS }, (_, i) => 2 * i + 1);
      peer.send(...ids.map((id) => peer.headers(id, UPLOAD)));
      let opened = await statsOverNewConnection(server.port);
      for (let i = 0; opened.running - before.running < MAX_STREAMS && i < 300; i++) {
        await new Promise((r) => setTimeout(r, 100));
        opened = await statsOverNewConnection(server.port);
      }
      const sent = new Map(ids.map((id) => [id, 0]));
      let sentConn = 0;
      // Push every byte the windows allow, never finishing a message, until the server grants no more.
      for (let quiet = 0; quiet < 3; ) {
        let progress = false;
        for (const id of ids) {
          const room = Math.min(
            streamWindow + peer.granted(id) - sent.get(id)!,
            connWindow + peer.granted(0) - sentConn,
            maxFrame,
            MAX_MESSAGE_BYTES - 1 - sent.get(id)!,
          );
          if (room <= 0) continue;
          peer.send(peer.message(id, new Uint8Array(room).fill(id), { end: false }));
          sent.set(id, sent.get(id)! + room);
          sentConn += room;
          progress = true;
        }
        if (progress) quiet = 0;
        else {
          quiet++;
          // Wait for the server's answer to what we sent: a WINDOW_UPDATE, or its SETTINGS ACK-like silence.
          const frames = peer.frames.length;
          await peer.waitFor((fs) => fs.length > frames, "credit", 1_000).catch(() => {});
        }
      }
      assert.ok(!peer.closed, "a peer within the windows is not cut off");
      assert.ok(sentConn >= connWindow, `the attack pushed the whole window (${sentConn} bytes)`);
      assert.ok(sentConn <= connWindow + MAX_MESSAGE_BYTES, `the server let in ${sentConn} bytes`);
      // The least of a few readings: collected memory goes back to the system over a moment.
      let during = await statsOverNewConnection(server.port);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const next = await statsOverNewConnection(server.port);
        if (next.rss < during.rss) during = next;
      }
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      // What the server keeps: the bytes it let in, no more (no view pins a larger carrier buffer).
      const kept = during.arrayBuffers - opened.arrayBuffers;
      assert.ok(kept <= sentConn + 2 ** 20, `ArrayBuffers grew by ${mib(kept)} holding ${mib(sentConn)}`);
      // What the process shows: that, plus the buffers a burst of in-flight bytes passed through
      // (ciphertext and plaintext: two copies of at most one connection window) that the
      // allocator keeps after they are freed.
      const growth = during.rss - before.rss;
      t.diagnostic(
        `held ${mib(sentConn)}: ArrayBuffers +${mib(kept)}, RSS +${mib(growth)} (+${mib(during.rss - opened.rss)} since the streams opened)`,
      );
      assert.ok(
        growth <= connWindow + MAX_MESSAGE_BYTES + 2 * connWindow + RSS_SLACK_BYTES,
        `RSS grew by ${mib(growth)} holding ${mib(sentConn)}`,
      );
      // The connection's share of the server's receive budget is smaller than window + one message:
      // the streams that would take it past the share are refused (RST ENHANCE_YOUR_CALM), their bytes returned.
      const refused = peer.frames.filter(
        (f) => f.type === FrameType.RST && f.code === ErrorCode.ENHANCE_YOUR_CALM,
      ).length;
      assert.ok(
        kept <= DEFAULT_MAX_CONNECTION_BUFFERED_BYTES + 2 ** 20,
        `ArrayBuffers grew by ${mib(kept)}, over the connection's share of the receive budget`,
      );
      assert.ok(refused > 0, "the window + one message is more than the connection's share: streams refused");
      assert.equal(
        during.running - before.running + refused,
        MAX_STREAMS,
        "every upload handler the budget did not refuse waits for its message",
      );
      // One byte past the granted connection window.
      const over = connWindow + peer.granted(0) - sentConn + 1;
      peer.send(peer.message(ids[0]!, new Uint8Array(Math.min(over, maxFrame)), { end: false }));
      if (over <= maxFrame) {
        await peer.waitFor(() => peer.goaway() !== undefined, "GOAWAY");
        assert.equal(peer.goaway()!.code, ErrorCode.FLOW_CONTROL_ERROR);
        await peer.waitClosed();
      }
    } finally {
      peer.destroy();
    }
    const afterStats = await statsOverNewConnection(server.port);
    assert.ok(afterStats.running <= MAX_STREAMS, "the upload handlers ended with the connection");
  });

  it("item 2 (MadeYouReset): server-caused resets keep running handlers' slots and count; past the limit, ENHANCE_YOUR_CALM", async () => {
    await statsOverNewConnection(server.port, "reset-stats");
    const peer = await HostilePeer.connect(server.port);
    try {
      await peer.handshake();
      // Phase 1: 150 calls whose handlers keep running; at most MAX_STREAMS are admitted.
      const first = Array.from({ length: 150 }, (_, i) => 2 * i + 1);
      peer.send(
        ...first.flatMap((id) => [
          peer.headers(id, UNARY),
          peer.message(id, helloRequest("hold"), { endStream: true }),
        ]),
      );
      const refused = () =>
        peer.frames.filter((f) => f.type === FrameType.RST && f.code === ErrorCode.REFUSED_STREAM).length;
      await peer.waitFor(() => refused() >= 50, "50 refused streams");
      let stats = await statsOverNewConnection(server.port);
      for (let i = 0; stats.running < MAX_STREAMS && i < 300; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stats = await statsOverNewConnection(server.port);
      }
      assert.equal(stats.running, MAX_STREAMS, "the admitted handlers run");
      // Phase 2: a MESSAGE after END_STREAM on each admitted stream makes the server reset it (STREAM_CLOSED).
      const admitted = first.filter(
        (id) => !peer.frames.some((f) => f.type === FrameType.RST && f.streamId === id),
      );
      assert.equal(admitted.length, MAX_STREAMS);
      peer.send(...admitted.map((id) => peer.message(id, new Uint8Array([1]))));
      await peer.waitFor(
        (fs) =>
          fs.filter((f) => f.type === FrameType.RST && f.code === ErrorCode.STREAM_CLOSED).length ===
          MAX_STREAMS,
        "the server's STREAM_CLOSED resets",
      );
      // Phase 3: more calls while those handlers still run: refused, counted, until the connection is cut off.
      for (let id = 2 * first.length + 1; id < 2 * 3000 && !peer.closed && !peer.goaway(); id += 200) {
        const batch = Array.from({ length: 100 }, (_, k) => id + 2 * k);
        peer.send(
          ...batch.flatMap((s) => [
            peer.headers(s, UNARY),
            peer.message(s, helloRequest("hold"), { endStream: true }),
          ]),
        );
        await peer.waitFor(
          (fs) =>
            fs.some((f) => f.type === FrameType.RST && f.streamId === batch.at(-1)) ||
            peer.goaway() !== undefined,
          "an answer to the batch",
        );
      }
      await peer.waitFor(() => peer.goaway() !== undefined, "GOAWAY");
      assert.equal(peer.goaway()!.code, ErrorCode.ENHANCE_YOUR_CALM);
      await peer.waitClosed();
    } finally {
      peer.destroy();
    }
    const stats = await statsOverNewConnection(server.port);
    assert.ok(stats.maxRunning <= MAX_STREAMS, `${stats.maxRunning} handlers ran at once`);
    assert.equal(stats.started, MAX_STREAMS, "no handler started past the limit");
  });

  it("item 3: a connection that sends no SETTINGS, and one idle after SETTINGS, are closed", async () => {
    const silent = await HostilePeer.connect(server.port);
    const idle = await HostilePeer.connect(server.port);
    try {
      await idle.handshake();
      await silent.waitFor(() => silent.goaway() !== undefined, "GOAWAY for the silent connection");
      assert.equal(silent.goaway()!.code, ErrorCode.SETTINGS_TIMEOUT);
      await silent.waitClosed();
      await idle.waitFor(() => idle.goaway() !== undefined, "GOAWAY for the idle connection");
      assert.equal(idle.goaway()!.code, ErrorCode.NO_ERROR);
      await idle.waitClosed();
    } finally {
      silent.destroy();
      idle.destroy();
    }
    assert.equal(
      typeof (await statsOverNewConnection(server.port)).rss,
      "number",
      "another client is served",
    );
  });

  it("item 10: unknown-type and empty MESSAGE floods are cut off (ENHANCE_YOUR_CALM); HEADERS on a lower unused id is PROTOCOL_ERROR", async () => {
    const unknown = await HostilePeer.connect(server.port);
    const empty = await HostilePeer.connect(server.port);
    const lower = await HostilePeer.connect(server.port);
    try {
      await Promise.all([unknown.handshake(), empty.handshake(), lower.handshake()]);
      const frame = new Uint8Array([0x0a, 0x00, 0x00]); // reserved type 0xa, stream 0, no payload
      const flood = new Uint8Array(frame.length * 1500);
      for (let i = 0; i < 1500; i++) flood.set(frame, i * frame.length);
      unknown.sendBytes(flood);
      empty.send(
        empty.headers(1, UPLOAD),
        ...Array.from({ length: 1500 }, () => empty.message(1, new Uint8Array(0), { end: false })),
      );
      lower.send(lower.headers(7, UPLOAD), lower.headers(3, UPLOAD));
      for (const [peer, code] of [
        [unknown, ErrorCode.ENHANCE_YOUR_CALM],
        [empty, ErrorCode.ENHANCE_YOUR_CALM],
        [lower, ErrorCode.PROTOCOL_ERROR],
      ] as const) {
        await peer.waitFor(() => peer.goaway() !== undefined, "GOAWAY", ANSWER_TIMEOUT_MS);
        assert.equal(peer.goaway()!.code, code);
        await peer.waitClosed();
      }
    } finally {
      unknown.destroy();
      empty.destroy();
      lower.destroy();
    }
    assert.equal(
      typeof (await statsOverNewConnection(server.port)).rss,
      "number",
      "another client is served",
    );
  });
});
