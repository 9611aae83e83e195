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
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { concatChunks, fromHex } from "../../src/bytes/bytes.ts";
import { cipherSuiteByName } from "../../src/crypto/registry.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../../src/pki/development-pki.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { makeChild, makeRoot } from "../../src/pki/test-helpers.ts";
import { createVerifier } from "../../src/pki/trust-store.ts";
import type { CertifiedKey, PeerVerifier } from "../../src/pki/types.ts";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import { encodeFrame } from "../../src/protocol/frames/frame-encoder.ts";
import { newTicketKeys, writeTicketKeyFile } from "../../src/server/index.ts";
import type { ResumptionSession } from "../../src/tls/config.ts";
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
import { testPki } from "../rpc/helpers.ts";
import { type HostileServer, MIB, startHostileServer, until } from "./harness.ts";
import { type TlsOutcome, type TlsPeerOptions, tlsPeer } from "./tls-peer.ts";

/** Growth of the server's RSS over its baseline that fails a case (generous: GC and allocator slack). */
const RSS_BOUND_BYTES = 32 * MIB;

/** A server process under attack: its RSS baseline and the handlers its legitimate calls ran. */
interface Watched {
  readonly server: HostileServer;
  baselineRss: number;
  /** Handlers the legitimate calls ran (hostile connections must add none). */
  legitCalls: number;
}

async function watch(server: HostileServer): Promise<Watched> {
  const w: Watched = { server, baselineRss: 0, legitCalls: 0 };
  // A legitimate call first, so the baseline includes the first-connection allocations.
  await legit(w);
  w.baselineRss = await settledRss(server);
  return w;
}

async function legit(w: Watched): Promise<void> {
  assert.equal(await w.server.sayHello("pqrpc/1", "legit"), "hello legit");
  w.legitCalls++;
}

/**
 * The server's VmRSS after a full GC in it (stats() runs one), the least of a few readings:
 * collected garbage (a flood's spent keys and records) goes back to the system over a moment.
 */
async function settledRss(server: HostileServer): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 4; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    await server.stats();
    least = Math.min(least, await server.rssBytes());
  }
  return least;
}

async function assertRssBounded(w: Watched, what: string, t?: TestContext): Promise<void> {
  const rss = await settledRss(w.server);
  t?.diagnostic(`${what}: server RSS +${((rss - w.baselineRss) / MIB).toFixed(1)} MiB over its baseline`);
  assert.ok(
    rss <= w.baselineRss + RSS_BOUND_BYTES,
    `${what}: server RSS ${(rss / MIB).toFixed(1)} MiB, baseline ${(w.baselineRss / MIB).toFixed(1)} MiB`,
  );
}

/** After each hostile case: no handler ran for it, RSS bounded, and another client is served. */
async function assertServerHealthy(w: Watched, what: string): Promise<void> {
  const stats = await w.server.stats();
  assert.equal(stats.completedHandlers, w.legitCalls, `${what}: only the legitimate calls ran handlers`);
  assert.equal(stats.runningHandlers, 0);
  await assertRssBounded(w, what);
  await legit(w);
}

async function answer(server: HostileServer, o: TlsPeerOptions): Promise<TlsOutcome> {
  const peer = await tlsPeer(main.server, o);
  const out = await peer.outcome;
  peer.destroy();
  return out;
}

let main: Watched;
before(async () => {
  main = await watch(await startHostileServer());
});
after(() => main?.server.stop());

/**
 * How a connection the server must refuse ends: with the alert, and never with application data
 * first (the server completes its side only after the client's Certificate, CertificateVerify
 * and Finished are verified, so it has nothing to send a client it refuses).
 */
async function refusal(server: HostileServer, o: TlsPeerOptions): Promise<TlsOutcome> {
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
        assert.deepEqual(
          await answer(main.server, { wire: recordVersion(ContentType.handshake, version) }),
          served,
        );
        await assertServerHealthy(main, "record version");
      });
    }
    it("a change_cipher_spec record saying 0x0301 is dropped as usual", async () => {
      let sawCcs = false;
      const ccs = recordVersion(ContentType.change_cipher_spec, 0x0301);
      const out = await answer(main.server, {
        wire: (dir, chunk, i) => {
          if (chunk[0] === ContentType.change_cipher_spec) sawCcs = true;
          return ccs(dir, chunk, i);
        },
      });
      assert.ok(sawCcs, "the client sent a middlebox-compatibility change_cipher_spec");
      assert.deepEqual(out, served);
      await assertServerHealthy(main, "ccs version");
    });
  });

  describe("§4.2.10: 0-RTT records the server does not accept", () => {
    it("after a ClientHello with early_data: skipped, the handshake completes", async () => {
      assert.deepEqual(await answer(main.server, { hooks: earlyDataHooks(3) }), served);
      await assertServerHealthy(main, "early data skipped");
    });
    it(`more than MAX_SKIPPED_EARLY_DATA_BYTES (${MAX_SKIPPED_EARLY_DATA_BYTES}) -> unexpected_message`, async () => {
      const records = Math.floor(MAX_SKIPPED_EARLY_DATA_BYTES / MAX_PLAINTEXT_BYTES) + 1;
      assert.deepEqual(
        await answer(main.server, {
          hooks: earlyDataHooks(records, MAX_PLAINTEXT_BYTES),
          firstFlightOnly: true,
        }),
        alert("unexpected_message"),
      );
      await assertServerHealthy(main, "early data over the limit");
    });
  });

  it("Appendix D.5: ClientHello.legacy_version 0x0300 -> protocol_version", async () => {
    assert.deepEqual(
      await answer(main.server, { hooks: helloLegacyVersion(0x0300) }),
      alert("protocol_version"),
    );
    await assertServerHealthy(main, "legacy_version");
  });

  describe("the ClientHello is bounded by bytes, not by counts", () => {
    it("4,096 unassigned extensions are ignored: served", async () => {
      assert.deepEqual(
        await answer(main.server, { hooks: addToHello((l) => [...l, ...unassigned(4096)]) }),
        served,
      );
      await assertServerHealthy(main, "4096 extensions");
    });
    it("250 key shares for unknown groups: served", async () => {
      assert.deepEqual(await answer(main.server, { hooks: unknownKeyShares(250) }), served);
      await assertServerHealthy(main, "250 key shares");
    });
  });

  it("RFC 7301 §3.2: no common ALPN -> no_application_protocol on the wire", async () => {
    assert.deepEqual(
      await answer(main.server, { client: { alpnProtocols: ["spdy/3"] } }),
      alert("no_application_protocol"),
    );
    const stats = await main.server.stats();
    assert.ok(stats.server.failedHandshakes > 0, "counted as a failed handshake");
    await assertServerHealthy(main, "no ALPN");
  });

  describe("§5: records that carry nothing, and plaintext where protection is due", () => {
    const SUITE = "TLS_AES_128_GCM_SHA256" as const;
    /** A served peer and a protector sealing as it would under CLIENT_TRAFFIC_SECRET_0 (from its key log). */
    async function servedWithProtector() {
      const lines: string[] = [];
      const peer = await tlsPeer(main.server, {
        client: { cipherSuites: [SUITE], keyLog: (l) => lines.push(l) },
      });
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
      await assertServerHealthy(main, "empty records");
    });

    it("a plaintext alert after the client's keys are in use -> unexpected_message", async () => {
      const { peer } = await servedWithProtector();
      peer.writeRaw(Uint8Array.of(ContentType.alert, 3, 3, 0, 2, 2, 40));
      assert.deepEqual(await peer.nextFailure(), alert("unexpected_message"));
      peer.destroy();
      await assertServerHealthy(main, "plaintext alert");
    });
  });

  it("KeyUpdate flood with update_requested from a client that does not read: answers coalesce, output bounded", async (t) => {
    const peer = await tlsPeer(main.server, { pauseWhenServed: true });
    assert.deepEqual(await peer.outcome, served);
    // A pqrpc/1 client's SETTINGS and its ACK of the server's (which is what served it), so the
    // session then waits on its idle timeout (minutes), not on the 10 s settings timeouts, however
    // long a loaded machine takes over the flood; else the server may end the session mid-test.
    peer.conn.send(
      concatChunks([
        encodeFrame({ type: FrameType.SETTINGS, ack: false, entries: [] }),
        encodeFrame({ type: FrameType.SETTINGS, ack: true, entries: [] }),
      ]),
    );
    peer.flushCoalesced();
    const before = peer.recordsReceived();
    const BATCH = 1000;
    const BATCHES = 50;
    for (let b = 0; b < BATCHES; b++) {
      for (let i = 0; i < BATCH; i++) peer.conn.keyUpdate(true);
      peer.flushCoalesced();
    }
    await assertRssBounded(main, "after the KeyUpdate flood", t);
    // Read again and close: the server processes every held request in order (the keys stay in
    // step: its close_notify opens under its latest key) and answers the close.
    await peer.closeOrderly();
    assert.equal(peer.conn.error, undefined, peer.conn.error?.message);
    assert.ok(peer.conn.peerClosed, "the server sent close_notify");
    const answers = peer.recordsReceived() - before - 1;
    assert.ok(answers >= 1, "update_requested was answered");
    assert.ok(
      answers <= (BATCH * BATCHES) / 10,
      `${answers} KeyUpdate answers to ${BATCH * BATCHES} requests: they coalesce`,
    );
    await assertServerHealthy(main, "KeyUpdate flood");
  });
});

describe("client authentication, tickets and the certificate path against server processes", {
  timeout: 120_000,
}, () => {
  let strict: Watched;
  let compat: HostileServer;
  let dir: string;
  let testCa: DevelopmentPki;
  let classical: DevelopmentPki;
  /** An ML-DSA-65 client leaf certified by an Ed25519 CA the strict server trusts. */
  let classicalPath: CertifiedKey;
  let bothRoots: PeerVerifier;

  before(async () => {
    ({ pki: testCa } = await testPki());
    classical = createDevelopmentPki({ algorithm: "ed25519", crypto });
    const classicalRoot = makeRoot("ed25519");
    const leaf = makeChild(classicalRoot, "client", { extendedKeyUsage: ["clientAuth"] }, "ml-dsa-65");
    classicalPath = { chain: [leaf.der, classicalRoot.der], key: leaf.key.signingKey };
    bothRoots = createVerifier({ roots: [testCa.ca.certificate, classical.ca.certificate], crypto });
    // Both processes seal tickets with the same keys, so a ticket of one is offered to the other.
    dir = await mkdtemp(join(tmpdir(), "pqrpc-tls-hostile-"));
    const ticketKeyFile = join(dir, "tickets.json");
    await writeTicketKeyFile(
      ticketKeyFile,
      newTicketKeys((n) => crypto.randomBytes(n), Date.now()),
    );
    const [s, c] = await Promise.all([
      startHostileServer(
        {},
        {
          policy: "pq-strict",
          clientAuth: "require",
          trustRootsPem: testCa.ca.chainPem + encodePem("CERTIFICATE", classicalRoot.der),
          ticketKeyFile,
          clientIdentity: testCa.client.certifiedKey,
        },
      ),
      startHostileServer({}, { policy: "compat", identity: classical.server, ticketKeyFile }),
    ]);
    strict = await watch(s);
    compat = c;
  });
  after(async () => {
    await Promise.all([strict?.server.stop(), compat?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A served connection to `server`; resolves with its first session ticket. */
  async function ticketFrom(
    server: HostileServer,
    client: TlsPeerOptions["client"],
  ): Promise<ResumptionSession> {
    const sessions: ResumptionSession[] = [];
    const peer = await tlsPeer(server, { client: { ...client, onSessionTicket: (t) => sessions.push(t) } });
    assert.deepEqual(await peer.outcome, served);
    await until(
      async () => sessions.length,
      (n) => n > 0,
      "a session ticket",
    );
    peer.destroy();
    return sessions[0]!;
  }

  async function resume(
    client: TlsPeerOptions["client"],
  ): Promise<{ out: TlsOutcome; resumed: boolean | undefined }> {
    const peer = await tlsPeer(strict.server, { client });
    const out = await peer.outcome;
    const resumed = peer.conn.info?.resumed;
    // "served" may be the server's 0.5-RTT bytes: an orderly close shows it took the client's whole flight.
    if (out.kind === "served") {
      await peer.closeOrderly();
      assert.equal(peer.conn.error, undefined, peer.conn.error?.message);
      assert.ok(peer.conn.peerClosed, "the server answered close_notify");
    }
    peer.destroy();
    return { out, resumed };
  }

  it("clientAuth \"require\": the client's own ticket resumes; a compat server's anonymous ticket without a certificate -> certificate_required", async () => {
    const withCert = { certificate: testCa.client.certifiedKey };
    const own = await ticketFrom(strict.server, withCert);
    const again = await resume({ ...withCert, session: own });
    assert.deepEqual(again.out, served);
    assert.equal(again.resumed, true);
    // A ticket with no client identity, offered by a client with no certificate: not resumed anonymously.
    const anonymous = await ticketFrom(compat, { policy: "compat", verifier: bothRoots });
    const refused = await refusal(strict.server, {
      client: { policy: "compat", verifier: bothRoots, session: anonymous },
    });
    assert.deepEqual(refused, alert("certificate_required"));
    await assertServerHealthy(strict, "anonymous ticket");
  });

  it("a compat (x25519 + Ed25519) ticket is declined by the pq-strict process: a full handshake", async () => {
    const ticket = await ticketFrom(compat, { policy: "compat", groups: ["x25519"], verifier: bothRoots });
    const r = await resume({
      policy: "compat",
      verifier: bothRoots,
      certificate: testCa.client.certifiedKey,
      session: ticket,
    });
    assert.deepEqual(r.out, served);
    assert.equal(r.resumed, false);
    await assertServerHealthy(strict, "compat ticket");
  });

  it("psk_ke is refused for a ticket (allowTicketPskKe off): a full handshake", async () => {
    const withCert = { certificate: testCa.client.certifiedKey };
    const own = await ticketFrom(strict.server, withCert);
    const r = await resume({ ...withCert, session: own, pskModes: ["psk_ke"] });
    assert.deepEqual(r.out, served);
    assert.equal(r.resumed, false);
    await assertServerHealthy(strict, "psk_ke");
  });

  it("pq-strict: a client certificate whose CA signature is Ed25519 -> bad_certificate", async () => {
    const out = await refusal(strict.server, { client: { certificate: classicalPath } });
    assert.deepEqual(out, alert("bad_certificate"));
    await assertServerHealthy(strict, "classical CA");
  });
});
