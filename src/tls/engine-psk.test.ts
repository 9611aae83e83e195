/** Session tickets, resumption, external PSKs (plain and RFC 9258-imported), client certificates. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResumptionSession } from "./config.ts";
import { createTlsClient, createTlsServer, type TlsConnection } from "./connection.ts";
import { clientConfig, connectPair, crypto, pki, serverConfig, transfer } from "./engine-test-helpers.ts";
import { KeySchedule } from "./key-schedule.ts";
import { TicketSealer } from "./ticket-sealer.ts";

function ticketPair(sealer: TicketSealer, extra: { client?: object; server?: object } = {}) {
  const sessions: ResumptionSession[] = [];
  const first = connectPair({
    client: { onSessionTicket: (s) => sessions.push(s), ...extra.client },
    server: { sessionTickets: { sealer, count: 2 }, ...extra.server },
  });
  return { first, sessions };
}

describe("tls engine: resumption", () => {
  it("a ticket from one connection resumes the next with psk_dhe_ke", () => {
    const sealer = new TicketSealer(crypto);
    const { first, sessions } = ticketPair(sealer, {
      client: { alpnProtocols: ["h2"] },
      server: { alpnProtocols: ["h2"] },
    });
    assert.equal(first.client.info?.resumed, false);
    assert.equal(sessions.length, 2, "two tickets");
    const { client, server } = connectPair({
      client: { session: sessions[0], alpnProtocols: ["h2"] },
      server: { sessionTickets: { sealer }, alpnProtocols: ["h2"] },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.resumed, true);
    assert.equal(server.info?.resumed, true);
    assert.equal(client.info?.pskMode, "psk_dhe_ke");
    assert.equal(client.info?.peerCertificates.length, 0, "no certificate in a resumed handshake");
    assert.ok(client.info?.group);
    const data = crypto.randomBytes(64);
    assert.deepEqual(transfer(client, server, data), data);
  });
  it("an unknown ticket falls back to a full handshake", () => {
    const { sessions } = ticketPair(new TicketSealer(crypto));
    const { client, server } = connectPair({
      client: { session: sessions[0] },
      server: { sessionTickets: { sealer: new TicketSealer(crypto) } },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined);
    assert.equal(client.info?.resumed, false);
  });
  it("an expired ticket is not offered, and the server ignores stale ages", () => {
    const sealer = new TicketSealer(crypto, { lifetimeSeconds: 60 });
    const { sessions } = ticketPair(sealer);
    const old = { ...sessions[0]!, receivedAtMs: Date.now() - 120_000 };
    const { client } = connectPair({ client: { session: old }, server: { sessionTickets: { sealer } } });
    assert.equal(client.info?.resumed, false);
    // A ticket whose claimed age is far from the server's view: full handshake.
    const skewed = { ...sessions[1]!, receivedAtMs: Date.now() - 40_000 };
    const second = connectPair({ client: { session: skewed }, server: { sessionTickets: { sealer } } });
    assert.equal(second.client.error, undefined);
    assert.equal(second.client.info?.resumed, false);
  });
  it("a ticket is not used for another server name", () => {
    const sealer = new TicketSealer(crypto);
    const { sessions } = ticketPair(sealer);
    const { client, server } = connectPair({
      client: { session: { ...sessions[0]!, serverName: "other.example" } },
      server: { sessionTickets: { sealer } },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.info?.resumed, false);
  });
  it("resumption works after HelloRetryRequest", () => {
    const sealer = new TicketSealer(crypto);
    const { sessions } = ticketPair(sealer);
    const { client, server } = connectPair({
      client: { session: sessions[0], groups: ["X25519MLKEM768", "MLKEM768"] },
      server: { sessionTickets: { sealer }, groups: ["MLKEM768"] },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.helloRetry, true);
    assert.equal(client.info?.resumed, true);
  });
});

describe("tls engine: psk_ke resumption (opted in with sessionTickets.allowPskKe)", () => {
  it("a psk_ke-only client sends no key share and resumes without (EC)DHE", () => {
    const sealer = new TicketSealer(crypto);
    const { sessions } = ticketPair(sealer);
    const shares: number[] = [];
    const { client, server } = connectPair({
      client: { session: sessions[0], pskModes: ["psk_ke"] },
      server: { sessionTickets: { sealer, allowPskKe: true } },
      wire: (dir, chunk, index) => {
        // The first client->server record is the ClientHello: count its key_share entries.
        if (dir === "client->server" && index === 0) shares.push(countKeyShares(chunk));
        return chunk;
      },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.deepEqual(shares, [0], "empty client_shares");
    assert.equal(client.info?.resumed, true);
    assert.equal(client.info?.pskMode, "psk_ke");
    assert.equal(server.info?.pskMode, "psk_ke");
    assert.equal(client.info?.group, undefined);
    const data = crypto.randomBytes(48);
    assert.deepEqual(transfer(client, server, data), data);
  });
  it("a refused psk_ke ticket falls back to a full handshake through HelloRetryRequest", () => {
    const { sessions } = ticketPair(new TicketSealer(crypto));
    const { client, server } = connectPair({
      client: { session: sessions[0], pskModes: ["psk_ke"] },
      server: { sessionTickets: { sealer: new TicketSealer(crypto) } },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.resumed, false);
    assert.equal(client.info?.helloRetry, true);
    assert.ok(client.info?.group, "the full handshake has a key exchange");
  });
  it("an explicit keyShareGroups still sends its shares with psk_ke", () => {
    const sealer = new TicketSealer(crypto);
    const { sessions } = ticketPair(sealer);
    const shares: number[] = [];
    const { client } = connectPair({
      client: { session: sessions[0], pskModes: ["psk_ke"], keyShareGroups: ["X25519MLKEM768"] },
      server: { sessionTickets: { sealer, allowPskKe: true } },
      wire: (dir, chunk, index) => {
        if (dir === "client->server" && index === 0) shares.push(countKeyShares(chunk));
        return chunk;
      },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.deepEqual(shares, [1]);
    assert.equal(client.info?.pskMode, "psk_ke");
  });
});

/** Number of KeyShareEntry items in a plaintext ClientHello record (RFC 8446 §4.1.2, §4.2.8). */
function countKeyShares(record: Uint8Array): number {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  // record header (5) + handshake header (4) + legacy_version (2) + random (32)
  let at = 5 + 4 + 2 + 32;
  at += 1 + record[at]!; // legacy_session_id
  at += 2 + v.getUint16(at); // cipher_suites
  at += 1 + record[at]!; // legacy_compression_methods
  const end = at + 2 + v.getUint16(at);
  at += 2;
  while (at < end) {
    const type = v.getUint16(at);
    const length = v.getUint16(at + 2);
    if (type === 51) {
      let n = 0;
      let p = at + 6;
      const sharesEnd = p + v.getUint16(at + 4);
      while (p < sharesEnd) {
        p += 4 + v.getUint16(p + 2);
        n++;
      }
      return n;
    }
    at += 4 + length;
  }
  return -1;
}

describe("tls engine: external PSK", () => {
  const identity = new TextEncoder().encode("device-42");
  const key = crypto.randomBytes(32);
  for (const mode of ["psk_ke", "psk_dhe_ke"] as const) {
    for (const imported of [false, true]) {
      it(`${mode}${imported ? " with the RFC 9258 importer" : ""}`, () => {
        const psk = {
          identity,
          key,
          hash: "sha256" as const,
          ...(imported ? { importer: { context: new Uint8Array([1, 2]) } } : {}),
        };
        const { client, server } = connectPair({
          client: { externalPsk: psk, pskModes: [mode], cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] },
          server: {
            certificate: undefined,
            externalPsks: (id) =>
              id.length === identity.length && id.every((b, i) => b === identity[i]) ? psk : undefined,
          },
        });
        assert.equal(client.error, undefined, client.error?.message);
        assert.equal(server.error, undefined, server.error?.message);
        assert.equal(client.info?.pskMode, mode);
        assert.equal(server.info?.pskMode, mode);
        assert.equal(client.info?.resumed, false);
        assert.equal(client.info?.group !== undefined, mode === "psk_dhe_ke");
        const data = crypto.randomBytes(32);
        assert.deepEqual(transfer(server, client, data), data);
      });
    }
  }
  it("the importer derives a key for the suite's hash (SHA-384 suite)", () => {
    const psk = { identity, key, importer: {} };
    const { client, server } = connectPair({
      client: { externalPsk: psk, cipherSuites: ["TLS_AES_256_GCM_SHA384"] },
      server: { certificate: undefined, externalPsks: () => psk },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.info?.pskMode, "psk_dhe_ke");
  });
});

describe("tls engine: two PSK offers", () => {
  it("a ticket the server cannot open and an external PSK it knows: the second offer's schedule carries on", () => {
    const suites = ["TLS_AES_128_GCM_SHA256" as const];
    const { sessions } = ticketPair(new TicketSealer(crypto), { client: { cipherSuites: suites } });
    const psk = {
      identity: new TextEncoder().encode("second"),
      key: crypto.randomBytes(32),
      hash: "sha256" as const,
    };
    const { client, server } = connectPair({
      client: { session: sessions[0], externalPsk: psk, cipherSuites: suites },
      server: {
        certificate: undefined,
        sessionTickets: { sealer: new TicketSealer(crypto) },
        externalPsks: (id) => (new TextDecoder().decode(id) === "second" ? psk : undefined),
      },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.pskMode, "psk_dhe_ke");
    assert.equal(client.info?.resumed, false, "the external PSK, not the ticket");
    const data = crypto.randomBytes(32);
    assert.deepEqual(transfer(client, server, data), data);
  });
});

describe("tls engine: PSK offers across HelloRetryRequest", () => {
  it("a PSK whose hash does not fit the HRR's suite is dropped, the handshake goes on in full", () => {
    const psk = { identity: new TextEncoder().encode("unknown"), key: crypto.randomBytes(32) };
    const { client, server } = connectPair({
      client: { externalPsk: psk, groups: ["X25519MLKEM768", "MLKEM768"] },
      server: { groups: ["MLKEM768"] },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.helloRetry, true);
    assert.equal(client.info?.pskMode, undefined);
    assert.equal(client.info?.cipherSuite, "TLS_AES_256_GCM_SHA384");
  });
});

describe("tls engine: client certificates", () => {
  it("request: the client authenticates with its certificate", () => {
    const { client, server } = connectPair({
      client: { certificate: pki().client.certifiedKey },
      server: { clientAuth: "require" },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(server.info?.clientAuthenticated, true);
    assert.equal(server.info?.peerCertificates.length, 2);
    assert.equal(client.info?.clientAuthenticated, true);
  });
  it("request without a client certificate: empty Certificate, handshake succeeds", () => {
    const { client, server } = connectPair({ server: { clientAuth: "request" } });
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.error, undefined);
    assert.equal(server.info?.clientAuthenticated, false);
  });
  it("require without a client certificate: certificate_required", () => {
    const { client, server } = connectPair({ server: { clientAuth: "require" } });
    assert.equal(server.error?.alertName, "certificate_required");
    assert.equal(client.error?.alertName, "certificate_required");
    assert.equal(client.error?.origin, "peer");
  });
});

describe("tls engine: a client's PSK binder schedules on a handshake that fails", () => {
  // Each offered PSK's Early Secret schedule lives from the ClientHello to the
  // ServerHello (the selected one carries on into the handshake); a handshake
  // that ends before then must wipe them, not leave them for GC.
  const identity = new TextEncoder().encode("device-7");
  const psk = { identity, key: crypto.randomBytes(32), hash: "sha256" as const };

  function watchWipes(): { wiped: KeySchedule[]; restore: () => void } {
    const wiped: KeySchedule[] = [];
    const original = KeySchedule.prototype.wipe;
    KeySchedule.prototype.wipe = function (this: KeySchedule) {
      wiped.push(this);
      original.call(this);
    };
    return { wiped, restore: () => (KeySchedule.prototype.wipe = original) };
  }

  const endings: [string, (c: TlsConnection) => void][] = [
    ["a fatal alert from the server", (c) => c.receive(Uint8Array.of(21, 3, 3, 0, 2, 2, 40))],
    ["a ServerHello that does not parse", (c) => c.receive(Uint8Array.of(22, 3, 3, 0, 4, 2, 0, 0, 0))],
    ["close() before the ServerHello", (c) => c.close()],
    [
      "close_notify from the server before its ServerHello",
      (c) => c.receive(Uint8Array.of(21, 3, 3, 0, 2, 1, 0)),
    ],
  ];
  for (const [name, end] of endings) {
    it(name, () => {
      const watch = watchWipes();
      try {
        const client = createTlsClient(clientConfig({ externalPsk: psk }));
        assert.ok(client.takeOutgoing().length > 0, "ClientHello sent");
        assert.equal(watch.wiped.length, 0, "nothing wiped while the offer is live");
        end(client);
        assert.ok(watch.wiped.length >= 1, "the binder schedule was wiped");
      } finally {
        watch.restore();
      }
    });
  }
});

/** Fails unless `schedule`'s current secret is all zeros (KeySchedule.wipe ran on it). */
function assertWiped(schedule: KeySchedule, what: string): void {
  const secret = (schedule as unknown as { secret: Uint8Array }).secret;
  assert.ok(
    secret.every((b) => b === 0),
    what,
  );
}

describe("tls engine: a server's handshake secrets when the client fails after the ServerHello", () => {
  it("require without a client certificate: the server's key schedule is wiped with the certificate_required alert", () => {
    // Schedules the server advances to the Handshake Secret (collected only while it runs).
    const serverSchedules: KeySchedule[] = [];
    let inServer = false;
    const original = KeySchedule.prototype.handshake;
    KeySchedule.prototype.handshake = function (this: KeySchedule, shared: Uint8Array) {
      if (inServer) serverSchedules.push(this);
      return original.call(this, shared);
    };
    try {
      const client = createTlsClient(clientConfig());
      const server = createTlsServer(serverConfig({ clientAuth: "require" }));
      for (let round = 0; round < 10; round++) {
        const toServer = client.takeOutgoing();
        const toClient = server.takeOutgoing();
        if (toServer.length === 0 && toClient.length === 0) break;
        inServer = true;
        for (const chunk of toServer) server.receive(chunk);
        inServer = false;
        for (const chunk of toClient) client.receive(chunk);
      }
      assert.equal(server.error?.alertName, "certificate_required");
      assert.equal(serverSchedules.length, 1, "the server reached its Handshake Secret");
      assertWiped(serverSchedules[0]!, "the server's schedule was wiped");
    } finally {
      KeySchedule.prototype.handshake = original;
      inServer = false;
    }
  });
});

describe("tls engine: a server's fresh key schedule when its own flight fails", () => {
  it("a signing key that throws: the full handshake's schedule and traffic secrets are wiped", () => {
    // No PSK: the schedule is created inside onClientHello after the ServerHello is built,
    // and neither step()'s catch nor dispose() can reach it until onClientHello returns.
    const serverSchedules: KeySchedule[] = [];
    const derived: Uint8Array[] = [];
    let inServer = false;
    const originalHandshake = KeySchedule.prototype.handshake;
    const originalServerHs = KeySchedule.prototype.serverHandshakeTrafficSecret;
    KeySchedule.prototype.handshake = function (this: KeySchedule, shared: Uint8Array) {
      if (inServer) serverSchedules.push(this);
      return originalHandshake.call(this, shared);
    };
    KeySchedule.prototype.serverHandshakeTrafficSecret = function (this: KeySchedule, th: Uint8Array) {
      const secret = originalServerHs.call(this, th);
      if (inServer) derived.push(secret);
      return secret;
    };
    try {
      const real = pki().server.certifiedKey;
      const failing = {
        chain: real.chain,
        key: {
          algorithm: real.key.algorithm,
          sign(): Uint8Array {
            throw new Error("signing device unavailable");
          },
        },
      };
      const client = createTlsClient(clientConfig());
      const server = createTlsServer(serverConfig({ certificate: failing }));
      inServer = true;
      for (const chunk of client.takeOutgoing()) server.receive(chunk);
      inServer = false;
      assert.ok(server.error, "the handshake failed");
      assert.equal(serverSchedules.length, 1, "the server reached its Handshake Secret");
      assertWiped(serverSchedules[0]!, "the server's schedule was wiped");
      assert.equal(derived.length, 1, "the server derived its handshake traffic secret");
      assert.ok(
        derived[0]!.every((b) => b === 0),
        "the server handshake traffic secret was wiped",
      );
    } finally {
      KeySchedule.prototype.handshake = originalHandshake;
      KeySchedule.prototype.serverHandshakeTrafficSecret = originalServerHs;
      inServer = false;
    }
  });
});

describe("tls engine: a client's fresh key schedule when the ServerHello's processing fails late", () => {
  it("a key-log sink that throws: the client's schedule and handshake secrets are wiped", () => {
    const clientSchedules: KeySchedule[] = [];
    const derived: Uint8Array[] = [];
    let inClient = false;
    const originalHandshake = KeySchedule.prototype.handshake;
    const originalClientHs = KeySchedule.prototype.clientHandshakeTrafficSecret;
    KeySchedule.prototype.handshake = function (this: KeySchedule, shared: Uint8Array) {
      if (inClient) clientSchedules.push(this);
      return originalHandshake.call(this, shared);
    };
    KeySchedule.prototype.clientHandshakeTrafficSecret = function (this: KeySchedule, th: Uint8Array) {
      const secret = originalClientHs.call(this, th);
      if (inClient) derived.push(secret);
      return secret;
    };
    try {
      const client = createTlsClient(
        clientConfig({
          keyLog: () => {
            throw new Error("key log disk full");
          },
        }),
      );
      const server = createTlsServer(serverConfig());
      for (const chunk of client.takeOutgoing()) server.receive(chunk);
      inClient = true;
      for (const chunk of server.takeOutgoing()) client.receive(chunk);
      inClient = false;
      assert.ok(client.error, "the handshake failed");
      assert.equal(clientSchedules.length, 1, "the client reached its Handshake Secret");
      assertWiped(clientSchedules[0]!, "the client's schedule was wiped");
      assert.equal(derived.length, 1, "the client derived its handshake traffic secret");
      assert.ok(
        derived[0]!.every((b) => b === 0),
        "the client handshake traffic secret was wiped",
      );
    } finally {
      KeySchedule.prototype.handshake = originalHandshake;
      KeySchedule.prototype.clientHandshakeTrafficSecret = originalClientHs;
      inClient = false;
    }
  });
});

describe("tls engine: a server's PSK schedule when its ClientHello fails after the binder checked", () => {
  it("no ALPN protocol in common: the verified PSK's Early Secret schedule is wiped with the alert", () => {
    // The handshake engine's step() catch and dispose() see only the state before the
    // ClientHello (no schedule yet); this schedule is onClientHello's own until it returns.
    const psk = {
      identity: new TextEncoder().encode("device-9"),
      key: crypto.randomBytes(32),
      hash: "sha256" as const,
    };
    const serverSchedules: KeySchedule[] = [];
    let inServer = false;
    const original = KeySchedule.prototype.early;
    KeySchedule.prototype.early = function (this: KeySchedule, key?: Uint8Array) {
      if (inServer) serverSchedules.push(this);
      return original.call(this, key);
    };
    try {
      const client = createTlsClient(clientConfig({ externalPsk: psk, alpnProtocols: ["a"] }));
      const server = createTlsServer(
        serverConfig({ certificate: undefined, externalPsks: () => psk, alpnProtocols: ["b"] }),
      );
      inServer = true;
      for (const chunk of client.takeOutgoing()) server.receive(chunk);
      inServer = false;
      assert.equal(server.error?.alertName, "no_application_protocol");
      assert.equal(serverSchedules.length, 1, "the server checked the binder");
      assertWiped(serverSchedules[0]!, "the PSK schedule was wiped");
    } finally {
      KeySchedule.prototype.early = original;
      inServer = false;
    }
  });
});
