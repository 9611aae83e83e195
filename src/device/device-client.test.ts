/**
 * The device API with no socket and no timer: a DeviceClient and a sans-IO
 * server (the TLS server engine and a server FrameConnection, driven by the
 * test) exchange bytes in memory on a fake clock. PSK profile and
 * certificate profile, the four call kinds, sleep and wake in one round trip
 * with psk_ke and psk_dhe_ke, keepalive deadlines, limits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatChunks, utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { FrameConnection } from "../protocol/frames/connection.ts";
import { Code } from "../rpc/code.ts";
import type { ExternalPsk } from "../tls/config.ts";
import { createTlsServer, type TlsConnection } from "../tls/connection.ts";
import { TicketSealer } from "../tls/ticket-sealer.ts";
import { createDeviceClient, type DeviceClient, type DeviceEvent } from "./device-client.ts";
import { DeviceError } from "./device-error.ts";

const crypto = defaultCrypto();
const T0 = 1_800_000_000_000;
const PSK: ExternalPsk = { identity: utf8Encode("device-7"), key: crypto.randomBytes(32), importer: {} };
const pki = createDevelopmentPki({ algorithm: "ml-dsa-44" });

/** A server in memory: echoes every message of every call, then OK; "/fail" ends with NOT_FOUND. */
class MemoryServer {
  readonly tls: TlsConnection;
  frames: FrameConnection | undefined;
  paths: string[] = [];
  constructor(
    readonly sealer: TicketSealer,
    opts: { allowPskKe?: boolean; certificate?: boolean } = {},
  ) {
    this.tls = createTlsServer({
      crypto,
      alpnProtocols: ["pqrpc/1"],
      ...(opts.certificate ? { certificate: pki.server.certifiedKey } : {}),
      externalPsks: (id) => (utf8Decode(id) === "device-7" ? PSK : undefined),
      sessionTickets: { sealer, ...(opts.allowPskKe ? { allowPskKe: true } : {}) },
      now: () => clock.now,
    });
  }
  receive(bytes: Uint8Array): Uint8Array | null {
    this.tls.receive(bytes);
    if (this.frames === undefined && this.tls.handshakeComplete) {
      this.frames = new FrameConnection({ role: "server" }, clock.now);
    }
    if (this.frames) {
      const data = this.tls.takeApplicationData();
      if (data.length > 0) this.frames.receive(concatChunks(data), clock.now);
      for (const e of this.frames.takeEvents()) {
        if (e.type === "stream") {
          const path = e.fields.find(([n]) => n === ":path")![1] as string;
          this.paths.push(path);
          if (path === "/fail") this.frames.sendTrailers(e.streamId, Code.NOT_FOUND, "no such thing");
        }
        if (e.type === "message") {
          this.frames.sendMessage(e.streamId, e.data);
          this.frames.consume(e.streamId);
        }
        if (e.type === "end" && this.frames.streamState(e.streamId) !== "closed") {
          this.frames.sendTrailers(e.streamId, Code.OK);
        }
      }
      const out = this.frames.takeOutgoing();
      if (out && out.length > 0) this.tls.sendv(out);
    }
    const out = this.tls.takeOutgoing();
    return out.length === 0 ? null : concatChunks(out);
  }
}

const clock = { now: T0 };

/** Moves bytes both ways until both sides are quiet; returns the client's events and the flights that crossed. */
function pump(
  device: DeviceClient,
  server: MemoryServer,
): { events: DeviceEvent[]; roundTrips: number; bytes: number } {
  let roundTrips = 0;
  let bytes = 0;
  for (let i = 0; i < 50; i++) {
    const up = device.takeOutgoing();
    if (up === null) break;
    bytes += up.length;
    const down = server.receive(up);
    if (down === null) continue;
    roundTrips++;
    bytes += down.length;
    device.receive(down, clock.now);
  }
  return { events: device.takeEvents(), roundTrips, bytes };
}

const messagesOf = (events: DeviceEvent[], call: number) =>
  events
    .filter((e): e is Extract<DeviceEvent, { type: "message" }> => e.type === "message" && e.call === call)
    .map((e) => utf8Decode(e.data));
const statusOf = (events: DeviceEvent[], call: number) =>
  events.find(
    (e): e is Extract<DeviceEvent, { type: "trailers" }> => e.type === "trailers" && e.call === call,
  )?.status;

describe("DeviceClient (sans-IO, fake clock)", () => {
  it("PSK + ML-KEM-768: connects, then unary, server-stream-like, client-stream upload and failure calls", () => {
    const server = new MemoryServer(new TicketSealer(crypto));
    const device = createDeviceClient({ crypto, serverName: "hub.local", psk: PSK, nowMs: clock.now });
    const first = pump(device, server);
    const connected = first.events.find((e) => e.type === "connected");
    assert.ok(connected && connected.type === "connected");
    assert.equal(connected.info.group, "MLKEM768");
    assert.equal(connected.info.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
    assert.equal(connected.info.pskMode, "psk_dhe_ke", "an external PSK with an ML-KEM share");
    assert.ok(
      first.events.some((e) => e.type === "ticket"),
      "the server sent a ticket",
    );

    const unary = device.call("/sensor.v1.Hub/Ping", { request: utf8Encode("ping") });
    const upload = device.call("/sensor.v1.Hub/Upload");
    for (const reading of ["21.5", "21.7", "21.6"]) device.send(upload, utf8Encode(reading));
    device.end(upload);
    const failing = device.call("/fail", { end: true });
    const { events } = pump(device, server);
    assert.deepEqual(messagesOf(events, unary), ["ping"]);
    assert.equal(statusOf(events, unary), Code.OK);
    assert.deepEqual(messagesOf(events, upload), ["21.5", "21.7", "21.6"]);
    assert.equal(statusOf(events, upload), Code.OK);
    assert.equal(statusOf(events, failing), Code.NOT_FOUND);
    assert.deepEqual(server.paths, ["/sensor.v1.Hub/Ping", "/sensor.v1.Hub/Upload", "/fail"]);
  });

  it("sleep, then wake from the bytes in one round trip: psk_dhe_ke and psk_ke", () => {
    const sealer = new TicketSealer(crypto);
    const server = new MemoryServer(sealer, { allowPskKe: true });
    const device = createDeviceClient({ crypto, serverName: "hub.local", psk: PSK, nowMs: clock.now });
    pump(device, server);
    const state = device.sleep();
    assert.ok(state instanceof Uint8Array && state.length < 1024, `sleep state of ${state?.length} bytes`);
    assert.ok(device.takeEvents().some((e) => e.type === "closed"));
    assert.throws(
      () => device.call("/x"),
      (e: unknown) => e instanceof DeviceError && e.code === "not-connected",
    );

    for (const modes of [["psk_dhe_ke"], ["psk_ke"]] as const) {
      clock.now += 60_000;
      // A new server engine (same ticket key): nothing of the first connection is left on the server.
      const woken = createDeviceClient({
        crypto,
        serverName: "hub.local",
        resume: state!,
        pskModes: modes,
        nowMs: clock.now,
      });
      const call = () => woken.call("/sensor.v1.Hub/Ping", { request: utf8Encode("after wake") });
      const srv = new MemoryServer(sealer, { allowPskKe: true });
      // Flight 1: ClientHello. Flight 2: the server's hello..Finished. Then Finished + the request together.
      const hello = woken.takeOutgoing()!;
      woken.receive(srv.receive(hello)!, clock.now);
      const events = woken.takeEvents();
      const connected = events.find((e) => e.type === "connected");
      assert.ok(connected && connected.type === "connected", `connected after one round trip (${modes})`);
      assert.equal(connected.info.resumed, true);
      assert.equal(connected.info.pskMode, modes[0]);
      const id = call();
      const { events: after, roundTrips } = pump(woken, srv);
      assert.deepEqual(messagesOf(after, id), ["after wake"]);
      assert.equal(roundTrips, 1, "the call's answer in the next flight");
      woken.close();
    }
  });

  it("certificate profile: an ML-DSA-44 chain verified by the device", () => {
    const server = new MemoryServer(new TicketSealer(crypto), { certificate: true });
    const device = createDeviceClient({
      crypto,
      serverName: "localhost",
      verifier: createVerifier({ roots: [pki.ca.certificate], crypto }),
      signatureSchemes: ["ml-dsa-44"],
      nowMs: clock.now,
    });
    const { events } = pump(device, server);
    const connected = events.find((e) => e.type === "connected");
    assert.ok(connected && connected.type === "connected");
    assert.equal(connected.info.signatureScheme, "ml-dsa-44");
    assert.equal(connected.info.resumed, false);
  });

  it("time comes in through poll: the handshake deadline, then keepalive PINGs", () => {
    const silent = createDeviceClient({
      crypto,
      serverName: "hub.local",
      psk: PSK,
      nowMs: clock.now,
      handshakeTimeoutMs: 5000,
    });
    silent.takeOutgoing();
    assert.equal(silent.nextDeadline(), clock.now + 5000);
    silent.poll(clock.now + 4999);
    assert.equal(silent.takeEvents().length, 0);
    silent.poll(clock.now + 5000);
    assert.deepEqual(
      silent.takeEvents().map((e) => e.type),
      ["error", "closed"],
    );

    const server = new MemoryServer(new TicketSealer(crypto));
    const device = createDeviceClient({
      crypto,
      serverName: "hub.local",
      psk: PSK,
      nowMs: clock.now,
      keepalive: { intervalMs: 10_000, timeoutMs: 2_000 },
    });
    pump(device, server);
    const due = device.nextDeadline();
    assert.ok(due !== undefined && due <= clock.now + 10_000, `a keepalive deadline (${due})`);
    clock.now = due;
    device.poll(clock.now);
    const ping = device.takeOutgoing();
    assert.ok(ping !== null, "a PING left");
    device.receive(server.receive(ping)!, clock.now);
    assert.ok(device.connected);
    // No answer to the next PING within its timeout: the connection is declared dead.
    clock.now = device.nextDeadline()!;
    device.poll(clock.now);
    device.takeOutgoing();
    clock.now = device.nextDeadline()!;
    device.poll(clock.now);
    assert.ok(
      device.takeEvents().some((e) => e.type === "closed"),
      "closed after the PING timeout",
    );
  });
});
