/**
 * The channel's connection logic against fake connections and a fake clock:
 * lazy connect, one attempt at a time, backoff after failures, reconnect
 * after loss and after GOAWAY, ticket reuse, graceful close. No sockets, no
 * TLS, no waiting on real time.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import type { PeerVerifier } from "../pki/types.ts";
import { rejectsWith } from "../rpc/call-test-helpers.ts";
import { Code } from "../rpc/code.ts";
import { Metadata } from "../rpc/metadata.ts";
import type { ClientCallStream, ClientReadEvent, RequestHead } from "../rpc/transport.ts";
import type { NegotiatedInfo, ResumptionSession } from "../tls/index.ts";
import { Channel, type ChannelDeps, type ConnectAttempt } from "./channel.ts";
import { ChannelError } from "./errors.ts";
import { DEFAULT_RECONNECT_INITIAL_MS } from "./limits.ts";
import type { ProtocolSession } from "./protocol-session.ts";

const head: RequestHead = {
  path: "/t.S/M",
  metadata: new Metadata(),
  timeoutMs: undefined,
  format: "proto",
  encoding: "identity",
  acceptEncoding: [],
};
const ok: ClientReadEvent = {
  type: "trailer",
  trailer: { status: { code: Code.OK, message: "", details: [] }, metadata: new Metadata() },
};
const trust = {} as PeerVerifier;

/** A connection whose life the test controls. */
class FakeSession implements ProtocolSession {
  usable = true;
  readonly calls: string[] = [];
  readonly log: string[] = [];
  readonly closed: Promise<void>;
  private end!: () => void;
  private inFlight = 0;
  private closing = false;

  constructor(
    readonly id: number,
    readonly info: NegotiatedInfo,
  ) {
    this.closed = new Promise((resolve) => (this.end = resolve));
  }

  readonly transport = {
    openCall: (h: RequestHead): ClientCallStream => {
      this.calls.push(h.path);
      this.inFlight++;
      return {
        send: async () => {},
        closeSend: async () => {},
        read: async () => {
          if (--this.inFlight === 0 && this.closing) this.end();
          return ok;
        },
        cancel: () => {},
      };
    },
  };

  close(): Promise<void> {
    this.log.push("close");
    this.usable = false;
    this.closing = true;
    if (this.inFlight === 0) this.end();
    return this.closed;
  }

  destroy(): void {
    this.log.push("destroy");
    this.usable = false;
    this.end();
  }

  /** The carrier is gone. */
  lose(): void {
    this.usable = false;
    this.end();
  }
}

function info(resumed = false): NegotiatedInfo {
  return {
    version: "TLSv1.3",
    cipherSuite: "TLS_AES_256_GCM_SHA384",
    resumed,
    helloRetry: false,
    peerCertificates: [],
    clientAuthenticated: false,
  };
}

/** Fake connect + clock; each attempt waits until the test answers it. */
class World implements ChannelDeps {
  clock = 1_000_000;
  readonly attempts: { attempt: ConnectAttempt; succeed(): FakeSession; fail(e: Error): void }[] = [];
  readonly sessions: FakeSession[] = [];

  now = () => this.clock;

  connect = (attempt: ConnectAttempt): Promise<ProtocolSession> =>
    new Promise((resolve, reject) => {
      this.attempts.push({
        attempt,
        succeed: () => {
          const s = new FakeSession(this.sessions.length + 1, info(attempt.session !== undefined));
          this.sessions.push(s);
          resolve(s);
          return s;
        },
        fail: reject,
      });
    });

  /** The latest attempt (the test answers it). */
  get last() {
    const a = this.attempts.at(-1);
    assert.ok(a, "no connection attempt was made");
    return a;
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One call: open, half-close, read until the trailer. */
async function call(channel: { openCall(h: RequestHead): ClientCallStream }): Promise<void> {
  const c = channel.openCall(head);
  await c.closeSend();
  assert.equal((await c.read()).type, "trailer");
}

/** One call that needs a new connection, which then comes up. */
async function callOnNewConnection(channel: Channel, world: World): Promise<void> {
  const p = call(channel);
  await settle();
  world.last.succeed();
  await p;
}

const reconnect = { initialMs: 100, maxMs: 1_000 };

describe("Channel", () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });

  it("a lazy channel connects on its first call; calls made meanwhile share the one attempt", async () => {
    const channel = new Channel("svc.example:443", { trust, reconnect }, world);
    assert.equal(world.attempts.length, 0, "nothing happens before the first call");
    const first = call(channel);
    const second = call(channel);
    await settle();
    assert.equal(world.attempts.length, 1);
    const { attempt } = world.last;
    assert.equal(attempt.authority, "svc.example:443");
    assert.equal(attempt.serverName, "svc.example");
    world.last.succeed();
    await Promise.all([first, second]);
    assert.deepEqual(world.sessions[0]!.calls, ["/t.S/M", "/t.S/M"]);
    await call(channel);
    assert.equal(world.attempts.length, 1, "a usable connection is reused");
    assert.deepEqual(channel.stats, { openConnections: 1, connects: 1, resumed: 0, failedAttempts: 0 });
  });

  it("after a failed attempt, calls fail fast with UNAVAILABLE until the backoff allows the next", async () => {
    const channel = new Channel("127.0.0.1:1", { trust, reconnect }, world);
    const first = call(channel);
    await settle();
    world.last.fail(new Error("connect ECONNREFUSED 127.0.0.1:1"));
    await rejectsWith(first, Code.UNAVAILABLE, /connect to 127\.0\.0\.1:1 failed: connect ECONNREFUSED/);
    await rejectsWith(call(channel), Code.UNAVAILABLE, /ECONNREFUSED.*next connection attempt in \d+ ms/);
    assert.equal(world.attempts.length, 1, "no attempt during the backoff");
    world.clock += reconnect.initialMs * 2; // past the first wait, whatever the jitter
    const third = call(channel);
    await settle();
    assert.equal(world.attempts.length, 2);
    world.last.succeed();
    await third;
    assert.equal(channel.stats.failedAttempts, 1);
  });

  it("backs off longer after each failure, up to the cap, and a success starts over", async () => {
    const channel = new Channel("127.0.0.1:1", { trust, reconnect }, world);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const p = call(channel);
      await settle();
      world.last.fail(new Error("refused"));
      await rejectsWith(p, Code.UNAVAILABLE);
      const e = await rejectsWith(call(channel), Code.UNAVAILABLE);
      waits.push(Number(/next connection attempt in (\d+) ms/.exec(e.rawMessage)![1]));
      world.clock += 2 * reconnect.maxMs;
    }
    for (let i = 1; i < 4; i++) assert.ok(waits[i]! > waits[i - 1]!, `waits grow: ${waits}`);
    for (const w of waits) assert.ok(w <= reconnect.maxMs * 1.2, `capped: ${waits}`);
    await callOnNewConnection(channel, world);
    world.sessions[0]!.lose();
    await settle();
    const again = call(channel);
    await settle();
    assert.equal(world.attempts.length, 8, "after a loss the next call reconnects at once");
    world.last.succeed();
    await again;
  });

  it("a lost connection is replaced on the next call, offering the newest ticket once", async () => {
    const channel = new Channel("localhost:8443", { trust }, world);
    const first = call(channel);
    await settle();
    const a = world.last;
    assert.equal(a.attempt.session, undefined);
    a.succeed();
    await first;
    const ticket = { ticket: Uint8Array.of(1) } as ResumptionSession;
    a.attempt.onSessionTicket({ ticket: Uint8Array.of(0) } as ResumptionSession);
    a.attempt.onSessionTicket(ticket);
    world.sessions[0]!.lose();
    await settle();
    assert.equal(channel.stats.openConnections, 0);
    const second = call(channel);
    await settle();
    assert.equal(world.last.attempt.session, ticket, "the newest ticket is offered");
    world.last.succeed();
    await second;
    assert.equal(channel.stats.resumed, 1);
    assert.equal(channel.info?.resumed, true);
    world.sessions[1]!.lose();
    await settle();
    const third = call(channel);
    await settle();
    assert.equal(world.last.attempt.session, undefined, "a ticket is offered once (RFC 8446 §C.4)");
    world.last.succeed();
    await third;
  });

  it("after GOAWAY new calls go to a new connection while the old one finishes its calls", async () => {
    const channel = new Channel("localhost:8443", { trust }, world);
    await callOnNewConnection(channel, world);
    const old = world.sessions[0]!;
    const inFlight = old.transport.openCall(head);
    old.usable = false; // the server sent GOAWAY
    const next = call(channel);
    await settle();
    assert.equal(world.attempts.length, 2);
    world.last.succeed();
    await next;
    assert.equal(channel.stats.openConnections, 2);
    assert.equal(world.sessions[1]!.calls.length, 1);
    await inFlight.read();
  });

  it("ready() connects now and resolves with the connection's TLS parameters", async () => {
    const channel = new Channel("localhost:8443", { trust }, world);
    const ready = channel.ready();
    await settle();
    world.last.succeed();
    assert.equal((await ready).version, "TLSv1.3");
  });

  it("rejects a bad address with ChannelError before any attempt", () => {
    assert.throws(
      () => new Channel("no-port", { trust }, world),
      (e: unknown) => e instanceof ChannelError && e.code === "bad-address",
    );
  });

  describe("close()", () => {
    beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
    afterEach(() => mock.timers.reset());

    it("lets calls in flight finish, then ends the connections; new calls fail at once", async () => {
      const channel = new Channel("localhost:8443", { trust }, world);
      await callOnNewConnection(channel, world);
      const session = world.sessions[0]!;
      const inFlight = session.transport.openCall(head);
      let closed = false;
      void channel.close({ graceMs: 5_000 }).then(() => (closed = true));
      await settle();
      assert.deepEqual(session.log, ["close"]);
      await rejectsWith(call(channel), Code.UNAVAILABLE, /the channel is closed/);
      assert.equal(closed, false, "the call in flight holds the close");
      await inFlight.read();
      await settle();
      assert.equal(closed, true);
      assert.deepEqual(session.log, ["close"], "never destroyed");
    });

    it("destroys what is still open when the grace period ends", async () => {
      const channel = new Channel("localhost:8443", { trust }, world);
      await callOnNewConnection(channel, world);
      const session = world.sessions[0]!;
      session.transport.openCall(head); // never finishes
      let closed = false;
      void channel.close({ graceMs: 5_000 }).then(() => (closed = true));
      await settle();
      mock.timers.tick(5_000);
      await settle();
      assert.equal(closed, true);
      assert.deepEqual(session.log, ["close", "destroy"]);
    });

    it("a connection that comes up after close() takes no calls and is closed", async () => {
      const channel = new Channel("localhost:8443", { trust }, world);
      const pending = call(channel);
      await settle();
      const closing = channel.close({ graceMs: 1_000 });
      world.last.succeed();
      await rejectsWith(pending, Code.UNAVAILABLE, /the channel is closed/);
      await closing;
      assert.deepEqual(world.sessions[0]!.log, ["close"]);
      assert.deepEqual(world.sessions[0]!.calls, []);
    });
  });

  it("uses DEFAULT_RECONNECT_INITIAL_MS when no reconnect pacing is given", async () => {
    const channel = new Channel("127.0.0.1:1", { trust }, world);
    const p = call(channel);
    await settle();
    world.last.fail(new Error("refused"));
    await rejectsWith(p, Code.UNAVAILABLE);
    const e = await rejectsWith(call(channel), Code.UNAVAILABLE);
    const wait = Number(/in (\d+) ms/.exec(e.rawMessage)![1]);
    assert.ok(wait >= DEFAULT_RECONNECT_INITIAL_MS * 0.8 && wait <= DEFAULT_RECONNECT_INITIAL_MS * 1.2);
  });
});
