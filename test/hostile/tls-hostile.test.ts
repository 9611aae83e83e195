/**
 * Issue 9, TLS: the hostile and RFC-edge ClientHellos and records of the
 * engine tests (src/tls/rfc8446-edges.test.ts, key-update.test.ts, the
 * builders in src/tls/edge-test-helpers.ts) sent over TCP to a real server
 * process (harness.ts). Each case asserts the server's answer on the wire
 * (served, or the alert it sent), that no handler ran for the hostile
 * connection, that the process's RSS stays within a generous bound, and that
 * a legitimate client is served afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { concatChunks, fromHex } from "../../src/bytes/bytes.ts";
import { cipherSuiteByName } from "../../src/crypto/registry.ts";
import { MAX_CONSECUTIVE_EMPTY_RECORDS } from "../../src/tls/connection.ts";
import {
  addToHello,
  earlyDataHooks,
  helloLegacyVersion,
  recordVersion,
  unassigned,
  unknownKeyShares,
} from "../../src/tls/edge-test-helpers.ts";
import { crypto } from "../../src/tls/engine-test-helpers.ts";
import { KeyLogLabel } from "../../src/tls/key-log.ts";
import {
  ContentType,
  MAX_PLAINTEXT_BYTES,
  MAX_SKIPPED_EARLY_DATA_BYTES,
  RecordProtector,
} from "../../src/tls/record-layer.ts";
import { type HostileServer, MIB, startHostileServer } from "./harness.ts";
import { type TlsOutcome, type TlsPeerOptions, tlsPeer } from "./tls-peer.ts";

/** Growth of the server's RSS over its baseline that fails a case (generous: GC and allocator slack). */
const RSS_BOUND_BYTES = 32 * MIB;

let server: HostileServer;
let baselineRss = 0;
/** Handlers the legitimate calls of this file ran (hostile connections must add none). */
let legitCalls = 0;

before(async () => {
  server = await startHostileServer();
  // Warm the server up with a legitimate call so the baseline includes the first-connection allocations.
  await legit();
  baselineRss = await server.rssBytes();
});
after(() => server?.stop());

async function legit(): Promise<void> {
  assert.equal(await server.sayHello("pqrpc/1", "legit"), "hello legit");
  legitCalls++;
}

/** After each hostile case: no handler ran for it, RSS bounded, and another client is served. */
async function assertServerHealthy(what: string): Promise<void> {
  const stats = await server.stats();
  assert.equal(stats.completedHandlers, legitCalls, `${what}: only the legitimate calls ran handlers`);
  assert.equal(stats.runningHandlers, 0);
  const rss = await server.rssBytes();
  assert.ok(
    rss <= baselineRss + RSS_BOUND_BYTES,
    `${what}: server RSS ${(rss / MIB).toFixed(1)} MiB, baseline ${(baselineRss / MIB).toFixed(1)} MiB`,
  );
  await legit();
}

async function answer(o: TlsPeerOptions): Promise<TlsOutcome> {
  const peer = await tlsPeer(server, o);
  const out = await peer.outcome;
  peer.destroy();
  return out;
}

const served: TlsOutcome = { kind: "served", alpn: "pqrpc/1" };
const alert = (name: string): TlsOutcome => ({ kind: "alert", alert: name, origin: "peer" });

describe("tls hostile input against a server process", { timeout: 120_000 }, () => {
  describe("RFC 8446 §5.1: legacy_record_version is ignored", () => {
    for (const version of [0x0300, 0x0302]) {
      it(`a ClientHello record saying 0x${version.toString(16).padStart(4, "0")} is served`, async () => {
        assert.deepEqual(await answer({ wire: recordVersion(ContentType.handshake, version) }), served);
        await assertServerHealthy("record version");
      });
    }
    it("a change_cipher_spec record saying 0x0301 is dropped as usual", async () => {
      let sawCcs = false;
      const ccs = recordVersion(ContentType.change_cipher_spec, 0x0301);
      const out = await answer({
        wire: (dir, chunk, i) => {
          if (chunk[0] === ContentType.change_cipher_spec) sawCcs = true;
          return ccs(dir, chunk, i);
        },
      });
      assert.ok(sawCcs, "the client sent a middlebox-compatibility change_cipher_spec");
      assert.deepEqual(out, served);
      await assertServerHealthy("ccs version");
    });
  });

  describe("§4.2.10: 0-RTT records the server does not accept", () => {
    it("after a ClientHello with early_data: skipped, the handshake completes", async () => {
      assert.deepEqual(await answer({ hooks: earlyDataHooks(3) }), served);
      await assertServerHealthy("early data skipped");
    });
    it(`more than MAX_SKIPPED_EARLY_DATA_BYTES (${MAX_SKIPPED_EARLY_DATA_BYTES}) -> unexpected_message`, async () => {
      const records = Math.floor(MAX_SKIPPED_EARLY_DATA_BYTES / MAX_PLAINTEXT_BYTES) + 1;
      assert.deepEqual(
        await answer({ hooks: earlyDataHooks(records, MAX_PLAINTEXT_BYTES) }),
        alert("unexpected_message"),
      );
      await assertServerHealthy("early data over the limit");
    });
  });

  it("Appendix D.5: ClientHello.legacy_version 0x0300 -> protocol_version", async () => {
    assert.deepEqual(await answer({ hooks: helloLegacyVersion(0x0300) }), alert("protocol_version"));
    await assertServerHealthy("legacy_version");
  });

  describe("the ClientHello is bounded by bytes, not by counts", () => {
    it("4,096 unassigned extensions are ignored: served", async () => {
      assert.deepEqual(await answer({ hooks: addToHello((l) => [...l, ...unassigned(4096)]) }), served);
      await assertServerHealthy("4096 extensions");
    });
    it("250 key shares for unknown groups: served", async () => {
      assert.deepEqual(await answer({ hooks: unknownKeyShares(250) }), served);
      await assertServerHealthy("250 key shares");
    });
  });

  it("RFC 7301 §3.2: no common ALPN -> no_application_protocol on the wire", async () => {
    assert.deepEqual(
      await answer({ client: { alpnProtocols: ["spdy/3"] } }),
      alert("no_application_protocol"),
    );
    const stats = await server.stats();
    assert.ok(stats.server.failedHandshakes > 0, "counted as a failed handshake");
    await assertServerHealthy("no ALPN");
  });

  describe("§5: records that carry nothing, and plaintext where protection is due", () => {
    const SUITE = "TLS_AES_128_GCM_SHA256" as const;
    /** A served peer and a protector sealing as it would under CLIENT_TRAFFIC_SECRET_0 (from its key log). */
    async function servedWithProtector() {
      const lines: string[] = [];
      const peer = await tlsPeer(server, { client: { cipherSuites: [SUITE], keyLog: (l) => lines.push(l) } });
      assert.deepEqual(await peer.outcome, served);
      const line = lines.find((l) => l.startsWith(`${KeyLogLabel.clientApplication} `))!;
      const seal = new RecordProtector(crypto, cipherSuiteByName(SUITE)!, fromHex(line.split(" ")[2]!));
      return { peer, seal };
    }

    it(`more than MAX_CONSECUTIVE_EMPTY_RECORDS (${MAX_CONSECUTIVE_EMPTY_RECORDS}) empty application data records -> unexpected_message`, async () => {
      const { peer, seal } = await servedWithProtector();
      const empty = Array.from({ length: MAX_CONSECUTIVE_EMPTY_RECORDS + 1 }, () =>
        seal.seal(ContentType.application_data, new Uint8Array(0)),
      );
      peer.writeRaw(concatChunks(empty));
      assert.deepEqual(await peer.nextFailure(), alert("unexpected_message"));
      peer.destroy();
      await assertServerHealthy("empty records");
    });

    it("a plaintext alert after the client's keys are in use -> unexpected_message", async () => {
      const { peer } = await servedWithProtector();
      peer.writeRaw(Uint8Array.of(ContentType.alert, 3, 3, 0, 2, 2, 40));
      assert.deepEqual(await peer.nextFailure(), alert("unexpected_message"));
      peer.destroy();
      await assertServerHealthy("plaintext alert");
    });
  });

  it("KeyUpdate flood with update_requested from a client that does not read: answers coalesce, output bounded", async () => {
    const peer = await tlsPeer(server, { pauseWhenServed: true });
    assert.deepEqual(await peer.outcome, served);
    const before = peer.recordsReceived();
    const BATCH = 1000;
    const BATCHES = 50;
    for (let b = 0; b < BATCHES; b++) {
      for (let i = 0; i < BATCH; i++) peer.conn.keyUpdate(true);
      peer.flushCoalesced();
    }
    const during = await server.rssBytes();
    assert.ok(
      during <= baselineRss + RSS_BOUND_BYTES,
      `RSS during the flood ${(during / MIB).toFixed(1)} MiB`,
    );
    // Read again and close: the server processes every held request in order (the keys stay in
    // step: its close_notify opens under its latest key) and answers the close.
    peer.socket.resume();
    peer.conn.close();
    peer.flush();
    await peer.closed;
    assert.equal(peer.conn.error, undefined, peer.conn.error?.message);
    assert.ok(peer.conn.peerClosed, "the server sent close_notify");
    const answers = peer.recordsReceived() - before - 1;
    assert.ok(answers >= 1, "update_requested was answered");
    assert.ok(
      answers <= (BATCH * BATCHES) / 10,
      `${answers} KeyUpdate answers to ${BATCH * BATCHES} requests: they coalesce`,
    );
    await assertServerHealthy("KeyUpdate flood");
  });
});
