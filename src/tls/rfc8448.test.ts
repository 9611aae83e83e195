/**
 * Known answers: our key schedule, transcript and record protection against
 * the RFC 8448 traces (§3 simple 1-RTT, §4 resumption binder, §5 HelloRetryRequest).
 * Transcript hashes are computed from the trace's handshake messages, never pasted.
 * Every check runs with each provider that has SHA-256 and AES-128-GCM.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cipherSuiteByName } from "../crypto/registry.ts";
import { createCrypto } from "../crypto/select.ts";
import type { Crypto, ProviderName } from "../crypto/types.ts";
import { finishedMac, KeySchedule, resumptionPsk, trafficKeys, verifyFinished } from "./key-schedule.ts";
import { ContentType, RecordDeframer, RecordProtector } from "./record-layer.ts";
import { helloRetry, resumed0Rtt, simple1Rtt as t } from "./testdata/rfc8448.ts";
import { Transcript } from "./transcript.ts";

const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256");
const providers: ProviderName[] = ["node", "noble"];

function transcriptOf(crypto: Crypto, ...messages: Uint8Array[]): Transcript {
  const tr = new Transcript(crypto.hash("sha256"));
  for (const m of messages) tr.add(m);
  return tr;
}

function recordsOf(bytes: Uint8Array) {
  const d = new RecordDeframer();
  d.push(bytes);
  const r = d.next();
  assert.ok(r);
  assert.equal(d.next(), undefined);
  assert.equal(d.buffered, 0);
  return r;
}

for (const provider of providers) {
  const crypto = createCrypto({ providers: [provider] });
  const hash = crypto.hash("sha256");
  const aead = crypto.aead("aes-128-gcm");

  describe(`RFC 8448 §3 simple 1-RTT handshake (${provider})`, () => {
    test("every secret of the key schedule", () => {
      const ks = new KeySchedule(hash);
      ks.early();
      assert.deepEqual(ks.currentSecret(), t.earlySecret);
      ks.handshake(t.sharedSecret);
      assert.deepEqual(ks.currentSecret(), t.handshakeSecret);

      const thHello = transcriptOf(crypto, t.clientHello, t.serverHello).hash();
      assert.deepEqual(thHello, t.hashClientHelloServerHello);
      const cHs = ks.clientHandshakeTrafficSecret(thHello);
      const sHs = ks.serverHandshakeTrafficSecret(thHello);
      assert.deepEqual(cHs, t.clientHandshakeTrafficSecret);
      assert.deepEqual(sHs, t.serverHandshakeTrafficSecret);

      ks.master();
      assert.deepEqual(ks.currentSecret(), t.masterSecret);
      const tr = transcriptOf(
        crypto,
        t.clientHello,
        t.serverHello,
        t.encryptedExtensions,
        t.certificate,
        t.certificateVerify,
      );
      // Server Finished over ClientHello..CertificateVerify (§4.4.4).
      const sFin = finishedMac(hash, sHs, tr.hash());
      assert.deepEqual(sFin, t.serverFinishedVerifyData);
      assert.deepEqual(t.serverFinished.subarray(4), sFin);
      assert.ok(verifyFinished(hash, sHs, tr.hash(), t.serverFinished.subarray(4)));

      tr.add(t.serverFinished);
      const thServerFinished = tr.hash();
      assert.deepEqual(thServerFinished, t.hashThroughServerFinished);
      assert.deepEqual(ks.clientApplicationTrafficSecret(thServerFinished), t.clientApplicationTrafficSecret);
      assert.deepEqual(ks.serverApplicationTrafficSecret(thServerFinished), t.serverApplicationTrafficSecret);
      assert.deepEqual(ks.exporterMasterSecret(thServerFinished), t.exporterMasterSecret);

      // Client Finished over ClientHello..server Finished.
      const cFin = finishedMac(hash, cHs, thServerFinished);
      assert.deepEqual(cFin, t.clientFinishedVerifyData);
      assert.deepEqual(t.clientFinished.subarray(4), cFin);

      tr.add(t.clientFinished);
      const thClientFinished = tr.hash();
      assert.deepEqual(thClientFinished, t.hashThroughClientFinished);
      const rms = ks.resumptionMasterSecret(thClientFinished);
      assert.deepEqual(rms, t.resumptionMasterSecret);
      assert.deepEqual(resumptionPsk(hash, rms, t.ticketNonce), t.resumptionPsk);
      // The ticket nonce sits in the NewSessionTicket: lifetime(4) age_add(4) nonce<0..255>.
      assert.deepEqual(t.newSessionTicket.subarray(13, 15), t.ticketNonce);
      ks.wipe();
    });

    test("handshake and master secrets (intermediate values)", () => {
      // Derive-Secret(., "derived", "") and the extracts, as logged by the trace.
      const ks = new KeySchedule(hash);
      ks.handshake(t.sharedSecret); // early() implied: no PSK
      const th = transcriptOf(crypto, t.clientHello, t.serverHello).hash();
      assert.deepEqual(ks.clientHandshakeTrafficSecret(th), t.clientHandshakeTrafficSecret);
      assert.deepEqual(hash.hkdfExtract(t.derivedEarly, t.sharedSecret), t.handshakeSecret);
      assert.deepEqual(hash.hkdfExtract(t.derivedHandshake, new Uint8Array(32)), t.masterSecret);
    });

    test("every traffic key and IV", () => {
      const cases = [
        [t.serverHandshakeTrafficSecret, t.serverHandshakeKey, t.serverHandshakeIv],
        [t.clientHandshakeTrafficSecret, t.clientHandshakeKey, t.clientHandshakeIv],
        [t.serverApplicationTrafficSecret, t.serverApplicationKey, t.serverApplicationIv],
        [t.clientApplicationTrafficSecret, t.clientApplicationKey, t.clientApplicationIv],
      ] as const;
      for (const [secret, key, iv] of cases) {
        const k = trafficKeys(hash, aead, secret);
        assert.deepEqual(k.key, key);
        assert.deepEqual(k.iv, iv);
      }
    });

    test("the server's protected handshake flight decrypts to EE..Finished and re-encrypts byte-identically", () => {
      const record = recordsOf(t.serverHandshakeRecord);
      const reader = new RecordProtector(crypto, suite, t.serverHandshakeTrafficSecret);
      const opened = reader.open(record);
      assert.equal(opened.type, ContentType.handshake);
      assert.deepEqual(opened.content, t.serverHandshakeRecordPlain);
      const flight = new Uint8Array([
        ...t.encryptedExtensions,
        ...t.certificate,
        ...t.certificateVerify,
        ...t.serverFinished,
      ]);
      assert.deepEqual(opened.content, flight);
      const writer = new RecordProtector(crypto, suite, t.serverHandshakeTrafficSecret);
      assert.deepEqual(writer.seal(ContentType.handshake, flight), t.serverHandshakeRecord);
    });

    test("client Finished, NewSessionTicket, application data and close_notify records", () => {
      const clientHs = new RecordProtector(crypto, suite, t.clientHandshakeTrafficSecret);
      assert.deepEqual(clientHs.seal(ContentType.handshake, t.clientFinished), t.clientFinishedRecord);

      // Server application keys: the ticket (seq 0), the data (seq 1), the alert (seq 2).
      const serverAppRead = new RecordProtector(crypto, suite, t.serverApplicationTrafficSecret);
      const ticket = serverAppRead.open(recordsOf(t.newSessionTicketRecord));
      assert.equal(ticket.type, ContentType.handshake);
      assert.deepEqual(ticket.content, t.newSessionTicket);
      const data = serverAppRead.open(recordsOf(t.serverApplicationDataRecord));
      assert.equal(data.type, ContentType.application_data);
      assert.deepEqual(data.content, t.applicationData);
      const alert = serverAppRead.open(recordsOf(t.serverAlertRecord));
      assert.equal(alert.type, ContentType.alert);
      assert.deepEqual(alert.content, Uint8Array.of(1, 0));

      const serverAppWrite = new RecordProtector(crypto, suite, t.serverApplicationTrafficSecret);
      assert.deepEqual(
        serverAppWrite.seal(ContentType.handshake, t.newSessionTicket),
        t.newSessionTicketRecord,
      );
      assert.deepEqual(
        serverAppWrite.seal(ContentType.application_data, t.applicationData),
        t.serverApplicationDataRecord,
      );
      assert.deepEqual(serverAppWrite.seal(ContentType.alert, Uint8Array.of(1, 0)), t.serverAlertRecord);

      // Client application keys: the data (seq 0), the alert (seq 1).
      const clientAppWrite = new RecordProtector(crypto, suite, t.clientApplicationTrafficSecret);
      assert.deepEqual(
        clientAppWrite.seal(ContentType.application_data, t.applicationData),
        t.clientApplicationDataRecord,
      );
      assert.deepEqual(clientAppWrite.seal(ContentType.alert, Uint8Array.of(1, 0)), t.clientAlertRecord);
    });

    test("a wrong Finished is refused", () => {
      const th = transcriptOf(crypto, t.clientHello, t.serverHello).hash();
      const bad = t.serverFinishedVerifyData.slice();
      bad[31]! ^= 1;
      assert.equal(verifyFinished(hash, t.serverHandshakeTrafficSecret, th, bad), false);
      assert.equal(verifyFinished(hash, t.serverHandshakeTrafficSecret, th, bad.subarray(0, 31)), false);
    });
  });

  describe(`RFC 8448 §4 resumption PSK binder (${provider})`, () => {
    test("early secret, binder key and binder from the §3 ticket", () => {
      const ks = new KeySchedule(hash);
      ks.early(t.resumptionPsk);
      const binderKey = ks.binderKey("res");
      assert.deepEqual(binderKey, resumed0Rtt.binderKey);
      assert.deepEqual(ks.currentSecret(), resumed0Rtt.earlySecret);

      // The binder covers the ClientHello up to its binders list (§4.2.11.2).
      const tr = new Transcript(hash);
      const binderHash = tr.hashWith(resumed0Rtt.clientHelloPrefix);
      assert.deepEqual(binderHash, resumed0Rtt.binderHash);
      const binder = finishedMac(hash, binderKey, binderHash);
      assert.deepEqual(binder, resumed0Rtt.binder);
      // ... and it is what the full ClientHello carries: binders<33> = len(32) ‖ binder.
      const full = resumed0Rtt.clientHello;
      assert.deepEqual(full.subarray(0, resumed0Rtt.clientHelloPrefix.length), resumed0Rtt.clientHelloPrefix);
      assert.deepEqual(full.subarray(full.length - 32), binder);

      const thClientHello = transcriptOf(crypto, full).hash();
      assert.deepEqual(ks.clientEarlyTrafficSecret(thClientHello), resumed0Rtt.clientEarlyTrafficSecret);
      assert.deepEqual(ks.earlyExporterMasterSecret(thClientHello), resumed0Rtt.earlyExporterMasterSecret);
      ks.wipe();
    });
  });

  describe(`RFC 8448 §5 HelloRetryRequest transcript (${provider})`, () => {
    const h = helloRetry;
    test("message_hash rewrite before the HelloRetryRequest is added", () => {
      const tr = transcriptOf(crypto, h.clientHello1);
      tr.replaceWithMessageHash();
      tr.add(h.helloRetryRequest);
      tr.add(h.clientHello2);
      tr.add(h.serverHello);
      assert.deepEqual(tr.hash(), h.hashClientHelloServerHello);
    });
    test("message_hash rewrite after the HelloRetryRequest is added", () => {
      const tr = transcriptOf(crypto, h.clientHello1, h.helloRetryRequest);
      tr.replaceWithMessageHash();
      tr.add(h.clientHello2);
      tr.add(h.serverHello);
      assert.deepEqual(tr.hash(), h.hashClientHelloServerHello);
    });
  });
}
