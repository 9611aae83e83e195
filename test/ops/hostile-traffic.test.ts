/**
 * Hostile traffic against a real server produces the security events, the
 * anomaly metric, and a block-list entry that refuses the source on accept
 * until it expires (a fake clock drives the monitor; nothing here depends on
 * the machine's speed). The traffic is made by real clients misbehaving:
 * classical-only offers (downgrade attempts), a replayed session ticket, a
 * ticket with a forged PSK (its binder cannot verify), stream-reset floods
 * on pqrpc/1, and connections that never say a word.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { describe, it } from "node:test";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { greeterHandlers } from "../../src/cli/greeter-service.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createLineLogger } from "../../src/observability/logger.ts";
import type { SecurityEvent, SecurityEventKind } from "../../src/observability/security-events.ts";
import { createTelemetry } from "../../src/observability/telemetry.ts";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import { ErrorCode } from "../../src/protocol/frames/error-codes.ts";
import { encodeFrame } from "../../src/protocol/frames/frame-encoder.ts";
import { HeaderEncoder } from "../../src/protocol/frames/header-encoder.ts";
import { requestHeadToFields } from "../../src/protocol/frames/headers.ts";
import { Metadata } from "../../src/rpc/metadata.ts";
import { createServer, type ServerOptions } from "../../src/server/index.ts";
import type { ResumptionSession } from "../../src/tls/index.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import { eventually, SERVER_NAME, testPki } from "../rpc/helpers.ts";
import { TestSdk } from "./otel-sdk.ts";

/** pqrpc/1's limit on stream resets (session-options.ts: 1000 per 1000 ms), passed with room. */
const FLOOD_RESETS = 1200;
const DOWNGRADE_THRESHOLD = 10;
const IDLE_THRESHOLD = 20;
const SHORT_HANDSHAKE_TIMEOUT_MS = 300;
const BLOCK_TTL_MS = 60_000;

async function hostileServer(extra: Partial<ServerOptions> = {}) {
  const { pki, trust } = await testPki();
  const sdk = new TestSdk();
  const events: SecurityEvent[] = [];
  const lines: string[] = [];
  const clock = { now: 1_000_000 };
  const telemetry = createTelemetry({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
    security: {
      onEvent: (e) => events.push(e),
      logger: createLineLogger({ format: "text", write: (l) => lines.push(l), now: () => clock.now }),
      blockList: { ttlMs: BLOCK_TTL_MS },
      now: () => clock.now,
    },
  });
  const server = createServer({ identity: pki.server.certifiedKey, telemetry, ...extra }).service(
    Greeter,
    greeterHandlers,
  );
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  const of = (kind: SecurityEventKind) => events.filter((e) => e.kind === kind);
  return {
    server,
    port,
    trust,
    sdk,
    events,
    lines,
    clock,
    of,
    async close() {
      await server.close({ graceMs: 0 });
      await sdk.shutdown();
    },
  };
}

describe("security events from hostile traffic", () => {
  it("classical-only offers: refusals with cause, downgrade events, an anomaly that blocks the source until it expires", async () => {
    const h = await hostileServer();
    try {
      const classical = () =>
        connectTls("127.0.0.1", h.port, {
          verifier: h.trust,
          serverName: SERVER_NAME,
          policy: "compat",
          groups: ["x25519", "secp256r1"],
          alpnProtocols: ["pqrpc/1"],
        });
      for (let i = 0; i < DOWNGRADE_THRESHOLD; i++) await assert.rejects(classical());
      await eventually(() => h.of("downgrade_attempt").length === DOWNGRADE_THRESHOLD, "downgrade events");
      const refused = h.of("handshake_refused")[0]!;
      assert.equal(refused.reason, "classical-only-offer");
      assert.equal(refused.policy, "hybrid");
      assert.equal(refused.source, "127.0.0.1");
      assert.match(refused.peer!, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(refused.offered?.groups, ["x25519", "secp256r1"]);
      assert.ok(refused.alert, "the alert sent is named");
      // One log line per refused handshake, with its cause.
      const line = h.lines.find((l) => l.includes("handshake refused"))!;
      assert.match(line, /^\S+ WARN handshake refused /);
      for (const field of [
        / reason=classical-only-offer /,
        / alert=handshake_failure /,
        / peer=127\.0\.0\.1:\d+ /,
      ]) {
        assert.match(line, field);
      }
      assert.equal(line.split("\n").length, 2, "one line");
      const anomaly = h.of("anomaly").find((e) => e.detector === "downgrade-attempts");
      assert.ok(anomaly, "the downgrade detector fired");
      assert.equal(anomaly.blocked, true);
      assert.equal(anomaly.count, DOWNGRADE_THRESHOLD);
      const [metric] = await h.sdk.find("pqrpc.security.anomalies", {
        "pqrpc.security.detector": "downgrade-attempts",
      });
      assert.equal(metric?.value, 1);
      const [refusals] = await h.sdk.find("pqrpc.tls.policy_refusals", {
        "pqrpc.tls.refusal_reason": "classical-only-offer",
      });
      assert.equal(refusals?.value, DOWNGRADE_THRESHOLD);

      // Blocked: even a good client from that source is refused on accept.
      const good = () =>
        connectTls("127.0.0.1", h.port, {
          verifier: h.trust,
          serverName: SERVER_NAME,
          alpnProtocols: ["pqrpc/1"],
        });
      await assert.rejects(good());
      await eventually(() => h.of("blocked_connection").length === 1, "blocked_connection event");
      assert.equal(h.of("blocked_connection")[0]!.reason, "downgrade-attempts");
      const [blocked] = await h.sdk.find("pqrpc.security.blocked_connections");
      assert.equal(blocked?.value, 1);
      // The entry expires: the same client gets in.
      h.clock.now += BLOCK_TTL_MS;
      const socket = await good();
      assert.equal(socket.info?.group, "X25519MLKEM768");
      socket.destroy();
    } finally {
      await h.close();
    }
  });

  it("session tickets: a replayed ticket, and a ticket with a forged PSK (bad binder)", async () => {
    const h = await hostileServer();
    try {
      const tickets: ResumptionSession[] = [];
      const first = await connectTls("127.0.0.1", h.port, {
        verifier: h.trust,
        serverName: SERVER_NAME,
        alpnProtocols: ["pqrpc/1"],
        onSessionTicket: (t) => tickets.push(t),
      });
      await eventually(() => tickets.length > 0, "a session ticket");
      first.destroy();
      const resume = (session: ResumptionSession) =>
        connectTls("127.0.0.1", h.port, {
          verifier: h.trust,
          serverName: SERVER_NAME,
          alpnProtocols: ["pqrpc/1"],
          session,
        });
      const ticket = tickets[0]!;
      (await resume(ticket)).destroy();
      (await resume(ticket)).destroy(); // the same ticket again: a replay
      await eventually(() => h.of("ticket_replayed").length === 1, "ticket_replayed");
      const forged = { ...ticket, psk: ticket.psk.map((b) => b ^ 0xff) };
      await assert.rejects(resume(forged), /decrypt_error/);
      await eventually(() => h.of("bad_binder").length === 1, "bad_binder");
      assert.equal(h.of("handshake_refused").at(-1)!.reason, "bad-binder");
      const [alerts] = await h.sdk.find("pqrpc.tls.alerts", {
        "pqrpc.side": "server",
        "pqrpc.direction": "sent",
        "pqrpc.tls.alert": "decrypt_error",
      });
      assert.equal(alerts?.value, 1);
    } finally {
      await h.close();
    }
  });

  it("a stream-reset flood on pqrpc/1 (rapid reset) is reported as reset_flood", async () => {
    const h = await hostileServer();
    try {
      // A hostile pqrpc/1 client: SETTINGS, then HEADERS and RST for stream after stream, all in one
      // write, so the server meets more than its limit of resets in one burst whatever the machine's speed.
      const socket = await connectTls("127.0.0.1", h.port, {
        verifier: h.trust,
        serverName: SERVER_NAME,
        alpnProtocols: ["pqrpc/1"],
      });
      socket.on("error", () => {});
      const encoder = new HeaderEncoder();
      const head = {
        path: "/helloworld.Greeter/SayHello",
        metadata: new Metadata(),
        timeoutMs: undefined,
        format: "proto" as const,
        encoding: "identity",
        acceptEncoding: [],
      };
      const frames: Uint8Array[] = [encodeFrame({ type: FrameType.SETTINGS, ack: false, entries: [] })];
      for (let i = 0; i < FLOOD_RESETS; i++) {
        const streamId = 2 * i + 1; // client streams are odd (RFC 9113 §5.1.1)
        const block = encoder.encode(requestHeadToFields(head, SERVER_NAME));
        frames.push(encodeFrame({ type: FrameType.HEADERS, streamId, endStream: false, block }));
        frames.push(encodeFrame({ type: FrameType.RST, streamId, code: ErrorCode.CANCEL }));
      }
      socket.write(concatBytes(...frames));
      await eventually(
        () => h.of("reset_flood").length === 1,
        `reset_flood (events: ${JSON.stringify(h.events.map((e) => e.kind))})`,
        30_000,
      );
      assert.match(h.of("reset_flood")[0]!.detail!, /stream resets/);
      assert.equal(h.of("reset_flood")[0]!.source, "127.0.0.1");
      socket.destroy();
    } finally {
      await h.close();
    }
  });

  it("silent connections: idle_connection events and the idle-connections anomaly", async () => {
    const h = await hostileServer({ handshakeTimeoutMs: SHORT_HANDSHAKE_TIMEOUT_MS });
    try {
      const sockets = Array.from({ length: IDLE_THRESHOLD }, () => {
        const s = netConnect({ host: "127.0.0.1", port: h.port });
        s.on("error", () => {});
        return s;
      });
      await eventually(
        () => h.of("idle_connection").length >= IDLE_THRESHOLD,
        "idle_connection events",
        30_000,
      );
      assert.equal(h.of("idle_connection")[0]!.reason, "handshake-timeout");
      assert.ok(h.of("anomaly").some((e) => e.detector === "idle-connections" && e.blocked));
      for (const s of sockets) s.destroy();
    } finally {
      await h.close();
    }
  });
});
