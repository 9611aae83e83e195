/**
 * Memory under unfinished messages over pqrpc/1 from 100 connections, against
 * a real server process with the default limits (issue 9, item 1 and its
 * target "100 of them by at most 512 MiB"). frames-hostile.test.ts item 1 is
 * the one-connection case; h2-memory.test.ts is this one for HTTP/2.
 *
 * Each hostile connection (HostilePeer: hand-built pqrpc/1 frames over real
 * TLS) opens several upload streams (LotsOfGreetings) and pushes parts of
 * messages it never finishes, as far as the windows the server grants allow.
 * 100 connections could hold 100 x the connection's share (8 MiB) of the
 * receive budget; the server's share is 128 MiB, so the budget must refuse
 * streams (RST ENHANCE_YOUR_CALM: the connection's share) and close the
 * connections holding the most (GOAWAY ENHANCE_YOUR_CALM: the server's).
 * Checked: the server's RSS grows by at most 512 MiB, the bytes the budget
 * holds never pass the server's share, every refusal has those codes, a
 * legitimate client is served during the attack, while the survivors hold
 * their share, and after; and the attack was real: every connection finished
 * its handshake and SETTINGS (none was turned away at accept), and the server
 * read (answered a PING after) several times its share.
 *
 * The test waits for states (a PING answered after the bytes, GOAWAY, counts
 * in the server), never for time; every wait is bounded.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import { ErrorCode } from "../../src/protocol/frames/error-codes.ts";
import type { Frame } from "../../src/protocol/frames/frame.ts";
import { SettingId } from "../../src/protocol/frames/settings.ts";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../../src/rpc/limits.ts";
import {
  DEFAULT_MAX_CONNECTION_BUFFERED_BYTES,
  DEFAULT_MAX_SERVER_BUFFERED_BYTES,
} from "../../src/rpc/receive-budget.ts";
import { ANSWER_TIMEOUT_MS, HostilePeer } from "./frames-peer.ts";
import { type HostileServer, MIB, startHostileServer, until } from "./harness.ts";

const UPLOAD = "/helloworld.Greeter/LotsOfGreetings";
const HOSTILE_CONNECTIONS = 100;
const STREAMS_PER_CONNECTION = 6;
/** The target. */
const HUNDRED_CONNECTIONS_BOUND_BYTES = 512 * MIB;
/**
 * Two loopback sources for the hostile connections: the per-source limit
 * (64, left at its default) would refuse the rest of 100 from one; the
 * legitimate client comes from 127.0.0.1.
 */
const HOSTILE_SOURCES = ["127.0.1.1", "127.0.1.2"];
/** A bound on the whole attack hanging (a loaded 2-core machine moves ~1 GiB through TLS twice). */
const ATTACK_TIMEOUT_MS = 300_000;

const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

/** What one hostile connection pushed. */
interface Pushed {
  readonly peer: HostilePeer;
  readonly ids: readonly number[];
  /** Message bytes written. */
  readonly sent: number;
  /** Of those, the bytes written before the last PING the server answered: bytes it read. */
  readonly confirmed: number;
}

/** A hostile connection as it stands now (the server may close a settled one later, for another's bytes). */
interface State extends Pushed {
  /**
   * What the server says it read: for a connection it closed, the bytes the
   * connection held then (its GOAWAY's debug text, "this connection N");
   * else `confirmed`.
   */
  readonly read: number;
  /** Streams the server has not reset on an open connection: their handlers wait for the messages. */
  readonly openStreams: number;
  /** RST codes the server sent, and its GOAWAY's code. */
  readonly resets: readonly number[];
  readonly goaway: number | undefined;
  /** Open, GOAWAY received, or closed without one (the socket's error then: the GOAWAY was lost with it). */
  readonly state: "open" | "goaway" | "closed";
}

function stateOf(p: Pushed): State {
  const { peer } = p;
  const goaway = peer.goaway();
  const heldThen = goaway && /this connection (\d+)/.exec(new TextDecoder().decode(goaway.debug));
  const rsts = peer.frames.filter((f) => f.type === FrameType.RST) as { streamId: number; code: number }[];
  const state = goaway !== undefined ? "goaway" : peer.closed ? "closed" : "open";
  return {
    ...p,
    read: Math.max(p.confirmed, heldThen ? Number(heldThen[1]) : 0),
    openStreams: state === "open" ? p.ids.filter((id) => !rsts.some((f) => f.streamId === id)).length : 0,
    resets: rsts.map((f) => f.code),
    goaway: goaway?.code,
    state,
  };
}

type Ping = Extract<Frame, { type: typeof FrameType.PING }>;

/**
 * Opens `STREAMS_PER_CONNECTION` uploads on `peer` and writes parts of one
 * unfinished message on each as far as the windows allow, until the server
 * closes the connection or has read everything (it answered a PING sent after
 * it) and granted no more room.
 */
async function pushUnfinished(peer: HostilePeer, deadline: number, onSettled: () => void): Promise<Pushed> {
  const connWindow = peer.setting(SettingId.INITIAL_CONNECTION_WINDOW, 65_535);
  const streamWindow = peer.setting(SettingId.INITIAL_STREAM_WINDOW, 65_535);
  const maxFrame = peer.setting(SettingId.MAX_FRAME_SIZE, 16_384);
  const ids = Array.from({ length: STREAMS_PER_CONNECTION }, (_, i) => 2 * i + 1);
  peer.send(...ids.map((id) => peer.headers(id, UPLOAD)));
  const sent = new Map(ids.map((id) => [id, 0]));
  let sentConn = 0;
  let confirmed = 0;
  let pings = 0;
  let scanned = 0;
  const reset = () =>
    new Set(
      peer.frames.filter((f) => f.type === FrameType.RST).map((f) => (f as { streamId: number }).streamId),
    );
  // The server's keepalive PINGs are answered, as a live peer would.
  const answerPings = () => {
    for (; scanned < peer.frames.length; scanned++) {
      const f = peer.frames[scanned]!;
      if (f.type === FrameType.PING && !f.ack)
        peer.send({ type: FrameType.PING, ack: true, payload: f.payload });
    }
  };
  const ended = () => peer.closed || peer.goaway() !== undefined;
  while (!ended()) {
    if (Date.now() > deadline)
      throw new Error(`attack not settled: ${sentConn} bytes sent, ${confirmed} read`);
    answerPings();
    const gone = reset();
    let pushed = 0;
    for (let progress = true; progress; ) {
      progress = false;
      for (const id of ids) {
        if (gone.has(id)) continue;
        const room = Math.min(
          streamWindow + peer.granted(id) - sent.get(id)!,
          connWindow + peer.granted(0) - sentConn,
          maxFrame,
          DEFAULT_MAX_RECEIVE_MESSAGE_BYTES - 1 - sent.get(id)!,
        );
        if (room <= 0) continue;
        peer.send(peer.message(id, new Uint8Array(room).fill(id), { end: false }));
        sent.set(id, sent.get(id)! + room);
        sentConn += room;
        pushed += room;
        progress = true;
      }
    }
    // Nothing more to send after the server read all we sent: it grants no more.
    if (pushed === 0 && pings > 0 && confirmed === sentConn) break;
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(4, ++pings);
    const asOf = sentConn;
    const from = peer.frames.length;
    peer.send({ type: FrameType.PING, ack: false, payload });
    await peer.waitFor(
      (fs) =>
        ended() ||
        fs
          .slice(from)
          .some(
            (f) => f.type === FrameType.PING && f.ack && Buffer.from((f as Ping).payload).equals(payload),
          ),
      "the answer to our PING",
      Math.min(ANSWER_TIMEOUT_MS * 4, Math.max(0, deadline - Date.now())),
    );
    if (!ended()) confirmed = asOf;
  }
  onSettled();
  return { peer, ids, sent: sentConn, confirmed };
}

describe("pqrpc/1 unfinished messages from 100 connections against a server process (default limits)", () => {
  let server: HostileServer;
  let baseline: number;
  let baselineHandlers: number;
  before(async () => {
    server = await startHostileServer();
    // Warm up both protocols, TLS from the hostile sources, and one connection filling its share,
    // so their code and buffers are in the baseline.
    assert.equal(await server.sayHello("pqrpc/1"), "hello legit");
    assert.equal(await server.sayHello("h2"), "hello legit");
    const warm = await Promise.all(HOSTILE_SOURCES.map((a) => HostilePeer.connect(server.port, a)));
    await Promise.all(warm.map((p) => p.handshake()));
    await Promise.all(warm.map((p) => pushUnfinished(p, Date.now() + ATTACK_TIMEOUT_MS, () => {})));
    for (const p of warm) p.destroy();
    await until(
      () => server.stats(),
      (s) => s.server.bufferedRequestBytes === 0 && s.runningHandlers === 0,
      "the warm-up's budget and handlers returned",
    );
    const s = await server.stats();
    baselineHandlers = s.runningHandlers;
    baseline = await server.rssBytes();
  });
  after(async () => {
    await server?.stop();
  });

  it(`${HOSTILE_CONNECTIONS} connections x ${STREAMS_PER_CONNECTION} streams: RSS within 512 MiB, the server's share never exceeded, refusals ENHANCE_YOUR_CALM, others served`, {
    timeout: ATTACK_TIMEOUT_MS + 120_000,
  }, async (t) => {
    const peers = await Promise.all(
      Array.from({ length: HOSTILE_CONNECTIONS }, (_, i) =>
        HostilePeer.connect(server.port, HOSTILE_SOURCES[i % HOSTILE_SOURCES.length]),
      ),
    );
    try {
      // Every connection got the server's SETTINGS: none was turned away at accept or in the handshake.
      await Promise.all(peers.map((p) => p.handshake()));
      assert.equal(
        peers.filter((p) => p.closed).length,
        0,
        "no hostile connection refused before the attack",
      );

      let peakRss = 0;
      let peakBuffered = 0;
      let sampling: Promise<void> | undefined;
      // One sample of the budget at a time (the child runs a GC for it); RSS (/proc, no GC) every time.
      const sample = (): Promise<void> =>
        (sampling ??= (async () => {
          const s = await server.stats();
          peakBuffered = Math.max(peakBuffered, s.server.bufferedRequestBytes);
          peakRss = Math.max(peakRss, await server.rssBytes());
          sampling = undefined;
        })());
      let attacking = true;
      const rssSampler = (async () => {
        while (attacking) {
          peakRss = Math.max(peakRss, await server.rssBytes());
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      let settled = 0;
      const deadline = Date.now() + ATTACK_TIMEOUT_MS;
      const attacks = peers.map((p) =>
        pushUnfinished(p, deadline, () => {
          settled++;
          void sample();
        }),
      );
      const all = Promise.all(attacks);
      all.catch(() => {});

      // During the attack: once the budget has closed a connection holding the most.
      await until(
        async () => ({ evicted: peers.filter((p) => p.goaway() !== undefined).length, settled }),
        (x) => x.evicted > 0 || x.settled === HOSTILE_CONNECTIONS,
        "a connection closed by the receive budget",
        ATTACK_TIMEOUT_MS,
      );
      const settledAtLegit = settled;
      assert.equal(await server.sayHello("pqrpc/1", "during"), "hello during", "served during the attack");
      assert.equal(await server.sayHello("h2", "during"), "hello during", "served during the attack (h2)");
      const pushed = await all;
      attacking = false;
      await rssSampler;
      await sample();

      // Settled: nothing moves but the closing of connections evicted last and their handlers' ends.
      let outcomes: State[] = [];
      const held = await until(
        async () => {
          const stats = await server.stats();
          outcomes = pushed.map(stateOf);
          return stats;
        },
        (s) =>
          s.runningHandlers - baselineHandlers === outcomes.reduce((n, o) => n + o.openStreams, 0) &&
          (s.events.resource_limit ?? 0) === outcomes.filter((o) => o.state !== "open").length,
        "the upload handlers of the closed connections ended, the survivors' wait",
      );
      const sent = outcomes.reduce((n, o) => n + o.sent, 0);
      const confirmed = outcomes.reduce((n, o) => n + o.confirmed, 0);
      const read = outcomes.reduce((n, o) => n + o.read, 0);
      const evicted = outcomes.filter((o) => o.state === "goaway");
      const lost = outcomes.filter((o) => o.state === "closed");
      const survivors = outcomes.filter((o) => o.state === "open");
      const resets = outcomes.flatMap((o) => o.resets);
      const heldStreams = survivors.reduce((n, o) => n + o.openStreams, 0);
      // A connection "had bytes in" when the server read at least 1 MiB from it. Each should: a closed one
      // held the most then, so at least the server's share / 100 (1.28 MiB); a survivor filled its share.
      const reads = outcomes.map((o) => o.read).sort((a, b) => a - b);
      const gotIn = outcomes.filter((o) => o.read >= MIB).length;
      const heldRss = await server.rssBytes();
      peakRss = Math.max(peakRss, heldRss);
      const grew = peakRss - baseline;
      t.diagnostic(
        `${HOSTILE_CONNECTIONS} hostile pqrpc/1 connections: peak RSS +${mib(grew)} (bound ${mib(HUNDRED_CONNECTIONS_BOUND_BYTES)}; ` +
          `baseline ${mib(baseline)}), RSS while held +${mib(heldRss - baseline)}, peak buffered ${mib(peakBuffered)} ` +
          `(server share ${mib(DEFAULT_MAX_SERVER_BUFFERED_BYTES)}), held now ${mib(held.server.bufferedRequestBytes)}`,
      );
      t.diagnostic(
        `sent ${mib(sent)}, read by the server ${mib(read)} (PING-confirmed ${mib(confirmed)}); ${gotIn} connections had ` +
          `1 MiB or more read; ${evicted.length} closed by GOAWAY, ` +
          `${survivors.length} hold ${heldStreams} streams; ${resets.length} streams reset; ` +
          `${lost.length} closed with their GOAWAY lost (${lost.map((o) => o.peer.error?.message).join(", ")}); ` +
          `${settledAtLegit} attacks settled at the legitimate call; events ${JSON.stringify(held.events)}; ` +
          `read per connection: min ${mib(reads[0]!)}, median ${mib(reads[reads.length >> 1]!)}, max ${mib(reads.at(-1)!)}`,
      );

      // The attack was real: the server read several times its share, from most connections.
      assert.ok(
        read >= (HOSTILE_CONNECTIONS * DEFAULT_MAX_CONNECTION_BUFFERED_BYTES) / 2,
        `the server read ${mib(read)} of the hostile bytes`,
      );
      // (A connection whose GOAWAY was lost has only its PING answers to show, maybe none.)
      assert.ok(lost.length <= HOSTILE_CONNECTIONS / 10, `${lost.length} connections lost their GOAWAY`);
      assert.ok(
        outcomes.every((o) => o.state === "closed" || o.read >= MIB),
        "every hostile connection the server answered had 1 MiB or more read",
      );
      assert.ok(gotIn >= HOSTILE_CONNECTIONS - lost.length);
      // Refusals are the budget's and nothing else's.
      assert.deepEqual(
        new Set(resets),
        new Set([ErrorCode.ENHANCE_YOUR_CALM]),
        "streams refused by the budget",
      );
      assert.ok(
        evicted.length > 0,
        "the server's share ran out: the connections holding the most were closed",
      );
      for (const o of evicted) assert.equal(o.goaway, ErrorCode.ENHANCE_YOUR_CALM);
      // A connection closed without the GOAWAY reaching us: only when the server's close cut off our writes
      // (the kernel drops what we had not read yet with the reset).
      for (const o of lost)
        assert.match(
          String(o.peer.error?.message),
          /EPIPE|ECONNRESET/,
          "closed without a GOAWAY, for no reset",
        );
      assert.equal(
        held.events.resource_limit,
        evicted.length + lost.length,
        "each closed connection is a resource_limit event",
      );
      // The budget: never past the server's share; what the survivors hold is within it.
      assert.ok(peakBuffered <= DEFAULT_MAX_SERVER_BUFFERED_BYTES, `peak buffered ${peakBuffered}`);
      assert.ok(held.server.bufferedRequestBytes <= DEFAULT_MAX_SERVER_BUFFERED_BYTES);
      assert.ok(
        held.server.bufferedRequestBytes <= survivors.length * DEFAULT_MAX_CONNECTION_BUFFERED_BYTES,
        "no connection past its share",
      );
      assert.ok(grew <= HUNDRED_CONNECTIONS_BOUND_BYTES, `RSS grew by ${mib(grew)}`);

      // While the survivors hold their bytes: a legitimate call still gets in.
      assert.equal(await server.sayHello("pqrpc/1", "held"), "hello held");
      assert.equal(await server.sayHello("h2", "held"), "hello held");
    } finally {
      for (const p of peers) p.destroy();
    }
    const done = await until(
      () => server.stats(),
      (s) => s.server.bufferedRequestBytes === 0 && s.runningHandlers === baselineHandlers,
      "the budget and the upload handlers returned",
    );
    t.diagnostic(`after the hostile connections left: RSS +${mib(done.rssBytes - baseline)} (after a GC)`);
    assert.equal(await server.sayHello("pqrpc/1", "after"), "hello after");
    assert.equal(await server.sayHello("h2", "after"), "hello after");
  });
});
