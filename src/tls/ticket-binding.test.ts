/**
 * Issue 9 items 5 and 6: a ticket resumes only the session it came from.
 * It carries the client identity (clientAuth "require" never resumes an
 * anonymous client, handlers see the same peer after resumption) and the
 * algorithms that session used (a compat ticket does not resume under
 * pq-strict; psk_ke only when opted in). Tickets of another format version
 * give a full handshake, not an error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteWriter } from "../bytes/byte-writer.ts";
import { utf8Encode } from "../bytes/bytes.ts";
import { createVerifier } from "../pki/trust-store.ts";
import type { ResumptionSession, TlsClientConfig, TlsServerConfig } from "./config.ts";
import { createTlsClient, createTlsServer, type TlsConnection } from "./connection.ts";
import { connectPair, crypto, pki, pump } from "./engine-test-helpers.ts";
import { TICKET_STATE_VERSION } from "./session-ticket.ts";
import { TicketSealer } from "./ticket-sealer.ts";

function connect(
  client: Partial<TlsClientConfig>,
  server: Partial<TlsServerConfig>,
): { client: TlsConnection; server: TlsConnection; sessions: ResumptionSession[] } {
  const sessions: ResumptionSession[] = [];
  const { client: c, server: s } = connectPair({
    client: { onSessionTicket: (t) => sessions.push(t), ...client },
    server,
  });
  assert.equal(c.error, undefined, c.error?.message);
  assert.equal(s.error, undefined, s.error?.message);
  return { client: c, server: s, sessions };
}

describe("tickets carry the client identity (clientAuth)", () => {
  const clientCert = { certificate: pki().client.certifiedKey };

  it('"require": a resumed session has the same verified client certificates as the full one', () => {
    const sealer = new TicketSealer(crypto);
    const server = { clientAuth: "require" as const, sessionTickets: { sealer } };
    const first = connect(clientCert, server);
    assert.equal(first.server.info?.clientAuthenticated, true);
    const second = connect({ ...clientCert, session: first.sessions[0] }, server);
    assert.equal(second.server.info?.resumed, true);
    assert.equal(second.server.info?.clientAuthenticated, true);
    assert.deepEqual(second.server.info?.peerCertificates, first.server.info?.peerCertificates);
    assert.ok((second.server.info?.peerCertificates.length ?? 0) > 0);
    // And again from the ticket of the resumed session: the identity is carried forward.
    const third = connect({ ...clientCert, session: second.sessions[0] }, server);
    assert.equal(third.server.info?.resumed, true);
    assert.deepEqual(third.server.info?.peerCertificates, first.server.info?.peerCertificates);
  });

  it('"require": a ticket without a client identity does not resume; the full handshake asks for the certificate', () => {
    const sealer = new TicketSealer(crypto);
    const anonymous = connect({}, { sessionTickets: { sealer } });
    // Without a certificate the client is refused, not resumed anonymously.
    const { server: refused } = connectPair({
      client: { session: anonymous.sessions[0] },
      server: { clientAuth: "require", sessionTickets: { sealer } },
    });
    assert.equal(refused.error?.alertName, "certificate_required");
    // With one, it authenticates in a full handshake.
    const full = connect(
      { ...clientCert, session: anonymous.sessions[0] },
      { clientAuth: "require", sessionTickets: { sealer } },
    );
    assert.equal(full.server.info?.resumed, false);
    assert.equal(full.server.info?.clientAuthenticated, true);
  });

  it('"require": a ticket whose client certificate the server no longer trusts falls back to a full handshake', () => {
    const sealer = new TicketSealer(crypto);
    const first = connect(clientCert, { clientAuth: "require", sessionTickets: { sealer } });
    const otherTrust = createVerifier({ roots: pki("ml-dsa-44").ca.certificate, crypto });
    const { server } = connectPair({
      client: { ...clientCert, session: first.sessions[0] },
      server: { clientAuth: "require", clientVerifier: otherTrust, sessionTickets: { sealer } },
    });
    assert.equal(server.info?.resumed ?? false, false);
    assert.equal(server.error?.alertName, "unknown_ca", "the full handshake checks the certificate again");
  });
});

describe("tickets are bound to the policy and key exchange mode", () => {
  it("a compat (x25519 + Ed25519) ticket does not resume under pq-strict; a hybrid one does", () => {
    const sealer = new TicketSealer(crypto);
    const roots = [pki("ed25519").ca.certificate, pki("ml-dsa-65").ca.certificate];
    const verifier = createVerifier({ roots, crypto });
    const client = (session?: ResumptionSession): TlsClientConfig => ({
      crypto,
      policy: "compat",
      serverName: "localhost",
      verifier,
      ...(session ? { session } : {}),
    });
    const sessions: ResumptionSession[] = [];
    const classical = createTlsServer({
      crypto,
      policy: "compat",
      groups: ["x25519"],
      certificate: pki("ed25519").server.certifiedKey,
      sessionTickets: { sealer },
    });
    const c1 = createTlsClient({ ...client(), groups: ["x25519"], onSessionTicket: (s) => sessions.push(s) });
    pump(c1, classical);
    assert.equal(c1.info?.group, "x25519");
    assert.equal(sessions.length, 1);

    const strict = (): TlsConnection =>
      createTlsServer({
        crypto,
        policy: "pq-strict",
        certificate: pki("ml-dsa-65").server.certifiedKey,
        sessionTickets: { sealer },
      });
    const s2 = strict();
    const c2 = createTlsClient({ ...client(sessions[0]), onSessionTicket: (s) => sessions.push(s) });
    pump(c2, s2);
    assert.equal(s2.error, undefined, s2.error?.message);
    assert.equal(s2.info?.resumed, false, "the compat ticket is declined");
    assert.equal(s2.info?.signatureScheme, "ml-dsa-65");

    // The pq-strict session's ticket resumes under pq-strict.
    const s3 = strict();
    const c3 = createTlsClient(client(sessions[1]));
    pump(c3, s3);
    assert.equal(s3.error, undefined, s3.error?.message);
    assert.equal(s3.info?.resumed, true);
  });

  it("psk_ke is refused for a ticket unless sessionTickets.allowPskKe: a full handshake runs instead", () => {
    const sealer = new TicketSealer(crypto);
    const first = connect({}, { sessionTickets: { sealer } });
    const second = connect(
      { session: first.sessions[0], pskModes: ["psk_ke"] },
      { sessionTickets: { sealer } },
    );
    assert.equal(second.server.info?.resumed, false);
    assert.equal(second.server.info?.pskMode, undefined);
    assert.ok(second.server.info?.group, "a fresh key exchange");
    const optedIn = connect(
      { session: first.sessions[0], pskModes: ["psk_ke"] },
      { sessionTickets: { sealer, allowPskKe: true } },
    );
    assert.equal(optedIn.server.info?.pskMode, "psk_ke");
  });

  it("external PSKs keep psk_ke (the embedded profile)", () => {
    const psk = { identity: utf8Encode("device-1"), key: crypto.randomBytes(32) };
    const { server } = connect(
      { externalPsk: psk, pskModes: ["psk_ke"], cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
      { externalPsks: () => psk },
    );
    assert.equal(server.info?.pskMode, "psk_ke");
  });
});

describe("ticket format version", () => {
  it(`a version-1 ticket (before ${TICKET_STATE_VERSION}) gives a full handshake, not an error`, () => {
    const sealer = new TicketSealer(crypto);
    const first = connect({}, { sessionTickets: { sealer } });
    const real = first.sessions[0]!;
    // The version-1 layout: version, suite, psk, created, age_add, lifetime, alpn, server_name.
    const now = Date.now();
    const v1 = new ByteWriter()
      .u8(1)
      .u16(0x1302)
      .vector(1, real.psk)
      .u64(now)
      .u32(real.ageAdd)
      .u32(real.lifetimeSeconds)
      .vector(1, new Uint8Array(0))
      .vector(1, utf8Encode("localhost"))
      .finish();
    const old = { ...real, ticket: sealer.seal(v1, now), receivedAtMs: now };
    const second = connect({ session: old }, { sessionTickets: { sealer } });
    assert.equal(second.server.info?.resumed, false);
    assert.equal(second.client.info?.resumed, false);
    // The same ticket in the current format resumes: the refusal is the version.
    const current = connect({ session: first.sessions[1] ?? real }, { sessionTickets: { sealer } });
    assert.equal(current.server.info?.resumed, true);
  });
});
