/**
 * The client handshake (RFC 8446 §2, §4): a state machine over whole
 * handshake messages. `handle` is the one transition function; each state
 * names the messages it accepts and the state that follows.
 *
 *   WaitServerHello --HRR--> WaitServerHello (once)
 *   WaitServerHello --SH--> WaitEncryptedExtensions
 *   WaitEncryptedExtensions --EE--> WaitFinished (PSK) | WaitCertificateOrRequest
 *   WaitCertificateOrRequest --CR--> WaitCertificate --Cert--> WaitCertificateVerify
 *   WaitCertificateOrRequest --Cert--> WaitCertificateVerify --CV--> WaitFinished
 *   WaitFinished --Finished--> Connected (NewSessionTicket, handled repeatedly)
 *
 * States own their data (rustls's Expect* structs): each variant carries
 * what the ServerHello fixed (Negotiated) and what later messages added (the
 * CertificateRequest, the server's chain and key, the ALPN choice), so no
 * step can read a value before the message that sets it was processed.
 */

import { bytesEqual, copyBytes, wipe } from "../bytes/bytes.ts";
import {
  type CipherSuiteInfo,
  cipherSuiteByCodepoint,
  type GroupInfo,
  groupByCodepoint,
  groupByName,
  type SignatureSchemeInfo,
  signatureByName,
} from "../crypto/registry.ts";
import type { Hash } from "../crypto/types.ts";
import type { VerifiedPeer } from "../pki/types.ts";
import { fatal } from "./alert.ts";
import * as ext from "./codec/extensions.ts";
import { RANDOM_BYTES } from "./codec/limits.ts";
import {
  certificateRequest,
  clientHello,
  encryptedExtensions,
  type HandshakeMessage,
  newSessionTicket,
  serverHello,
} from "./codec/messages.ts";
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  HandshakeType as H,
  HELLO_RETRY_REQUEST_RANDOM,
  PskKeyExchangeMode,
  TLS12,
  TLS13,
} from "./codec/types.ts";
import { type ResolvedConfig, resolveCommon, type TlsClientConfig, TlsConfigError } from "./config.ts";
import {
  type ClientShare,
  checkCertificateVerify,
  checkFinished,
  expectMessage,
  makeClientShare,
  peerSignatureSchemes,
  readCertificateChain,
  sendCertificateFlight,
  sendFinished,
  verifyPeerChain,
} from "./handshake-common.ts";
import type { HandshakeEngine, HandshakeIo } from "./handshake-io.ts";
import { type KeyLog, keyLogFor } from "./key-log.ts";
import { finishedMac, KeySchedule, resumptionPsk } from "./key-schedule.ts";
import { enforceGroup } from "./policy.ts";
import { clientPskOffers, type PskCandidate } from "./psk.ts";
import { MIN_RECORD_SIZE_LIMIT_BYTES } from "./record-layer.ts";
import { MAX_TICKET_LIFETIME_SECONDS } from "./session-ticket.ts";
import { CLIENT_TRANSITIONS, checkTransition } from "./state-table.ts";
import { Transcript } from "./transcript.ts";

const MIDDLEBOX_SESSION_ID_BYTES = 32;

/** What EncryptedExtensions added to the Negotiated parameters. */
interface AfterEncryptedExtensions {
  readonly n: Negotiated;
  readonly alpn: string | undefined;
}

/** The server asked for our certificate with these schemes (§4.3.2). */
interface CertificateRequested {
  readonly schemes: readonly SignatureSchemeInfo[];
}

/** Everything the client Finished and NegotiatedInfo need, once the server is authenticated (or PSK). */
interface ServerAuthenticated extends AfterEncryptedExtensions {
  readonly request: CertificateRequested | undefined;
  readonly serverCertificates: Uint8Array[];
  readonly signatureScheme: SignatureSchemeInfo | undefined;
}

/** After our Finished: what NewSessionTicket needs (§4.6.1). */
interface Resumable {
  readonly suite: CipherSuiteInfo;
  readonly hash: Hash;
  readonly resumptionMaster: Uint8Array;
  readonly alpn: string | undefined;
}

type ClientState =
  | { kind: "wait-server-hello" }
  | { kind: "wait-encrypted-extensions"; n: Negotiated }
  | { kind: "wait-certificate-or-request"; ee: AfterEncryptedExtensions }
  | { kind: "wait-certificate"; ee: AfterEncryptedExtensions; request: CertificateRequested }
  | {
      kind: "wait-certificate-verify";
      ee: AfterEncryptedExtensions;
      request: CertificateRequested | undefined;
      serverCertificates: Uint8Array[];
      peer: VerifiedPeer;
    }
  | { kind: "wait-finished"; auth: ServerAuthenticated }
  | { kind: "connected"; session: Resumable }
  | { kind: "failed" };

/** Secrets and choices fixed by the ServerHello. */
interface Negotiated {
  suite: CipherSuiteInfo;
  hash: Hash;
  transcript: Transcript;
  schedule: KeySchedule;
  clientHandshakeSecret: Uint8Array;
  serverHandshakeSecret: Uint8Array;
  group?: GroupInfo;
  psk?: PskCandidate;
  pskMode?: "psk_ke" | "psk_dhe_ke";
}

export class ClientHandshake implements HandshakeEngine {
  readonly started = true;
  private state: ClientState = { kind: "wait-server-hello" };
  private readonly cfg: ResolvedConfig;
  private readonly random: Uint8Array;
  private readonly keyLog: KeyLog;
  private readonly sessionId: Uint8Array;
  private readonly serverName: string | undefined;
  private readonly pskModes: number[];
  private shares = new Map<number, ClientShare>();
  private offers: PskCandidate[];
  private readonly offersPsk: boolean;
  /** Raw ClientHello(s) sent so far, for the transcript once the hash is known. */
  private clientHello1: Uint8Array = new Uint8Array(0);
  private clientHelloExtensions: ext.Extension[] = [];
  private offeredExtensions = new Set<number>();
  private retry?: { suite: CipherSuiteInfo; transcript: Transcript };
  /**
   * Per PSK offer (same order), the key schedule at its Early Secret that the
   * binder was computed with: the selected one becomes the handshake's
   * schedule (one HKDF-Extract per PSK), the rest are wiped at the
   * ServerHello; all are wiped at a HelloRetryRequest (new binders follow).
   */
  private earlySchedules: KeySchedule[] = [];
  private ccsSent = false;

  constructor(
    private readonly config: TlsClientConfig,
    private readonly io: HandshakeIo,
    private readonly editExtensions: (list: ext.Extension[]) => ext.Extension[] = (list) => list,
  ) {
    this.cfg = resolveCommon(config);
    if (!config.verifier) throw new TlsConfigError("a client needs a verifier");
    this.random = this.cfg.crypto.randomBytes(RANDOM_BYTES);
    this.keyLog = keyLogFor(config.keyLog, this.random);
    this.sessionId =
      config.middleboxCompat === false
        ? new Uint8Array(0)
        : this.cfg.crypto.randomBytes(MIDDLEBOX_SESSION_ID_BYTES);
    // Issue 9 item 9: a missing serverName used to skip the host-name check silently.
    if (config.serverName === undefined) {
      throw new TlsConfigError(
        "a client needs serverName (the host name or IP the certificate must match), or serverName: false to connect without checking it",
      );
    }
    this.serverName = config.serverName === false ? undefined : config.serverName;
    this.pskModes = (config.pskModes ?? ["psk_dhe_ke"]).map((m) => PskKeyExchangeMode[m]);
    this.offers = clientPskOffers(
      this.cfg.crypto,
      this.cfg.suites,
      config.session,
      config.externalPsk,
      this.cfg.now(),
      this.serverName,
    );
    this.offersPsk = this.offers.length > 0;
    // A client that offers a PSK and allows only psk_ke has no use for a key share when the
    // PSK is accepted; it sends an empty client_shares (§4.2.8 permits it), which saves the
    // key generation, and pays a HelloRetryRequest round trip only if the PSK is refused.
    const pskOnly = this.offersPsk && !this.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke);
    const defaultShares = pskOnly ? [] : [this.cfg.groups[0]!.name];
    const keyShareGroups = (config.keyShareGroups ?? defaultShares).map((name) => {
      const g = groupByName(name);
      if (!g || !this.cfg.groups.includes(g))
        throw new TlsConfigError(`key share group ${name} is not in the configured groups`);
      return g;
    });
    for (const g of keyShareGroups)
      this.shares.set(
        g.codepoint,
        makeClientShare(this.cfg.crypto, g, this.config.keySharePool || undefined),
      );
    this.sendClientHello();
  }

  handle(m: HandshakeMessage): void {
    const from = this.state.kind;
    this.step(m);
    checkTransition(CLIENT_TRANSITIONS, from, m.type, this.state.kind);
  }

  dispose(): void {
    this.wipeEarlySchedules();
    this.disposeShares();
  }

  private step(m: HandshakeMessage): void {
    try {
      this.dispatch(m);
    } catch (e) {
      // Any failure (a second HRR, a refused group, a bad ServerHello): the PSK
      // binder schedules and key shares are wiped now, not left for GC.
      this.dispose();
      throw e;
    }
  }

  private dispatch(m: HandshakeMessage): void {
    const s = this.state;
    this.state = { kind: "failed" };
    switch (s.kind) {
      case "wait-server-hello":
        expectMessage(m, H.server_hello);
        this.state = this.onServerHello(m);
        return;
      case "wait-encrypted-extensions":
        expectMessage(m, H.encrypted_extensions);
        this.state = this.onEncryptedExtensions(m, s.n);
        return;
      case "wait-certificate-or-request":
        expectMessage(m, H.certificate_request, H.certificate);
        this.state =
          m.type === H.certificate_request
            ? this.onCertificateRequest(m, s.ee)
            : this.onCertificate(m, s.ee, undefined);
        return;
      case "wait-certificate":
        expectMessage(m, H.certificate);
        this.state = this.onCertificate(m, s.ee, s.request);
        return;
      case "wait-certificate-verify":
        expectMessage(m, H.certificate_verify);
        this.state = this.onCertificateVerify(m, s);
        return;
      case "wait-finished":
        expectMessage(m, H.finished);
        this.state = this.onFinished(m, s.auth);
        return;
      case "connected":
        expectMessage(m, H.new_session_ticket);
        this.onNewSessionTicket(m, s.session);
        this.state = s;
        return;
      case "failed":
        throw fatal("unexpected_message", "handshake already failed");
    }
  }

  // --- ClientHello (§4.1.2)

  private buildExtensions(cookie?: Uint8Array): ext.Extension[] {
    const list: ext.Extension[] = [];
    const add = (type: number, data: Uint8Array) => list.push({ type, data });
    // RFC 6066 §3: literal IP addresses are not sent as SNI.
    if (this.serverName && !isIpLiteral(this.serverName))
      add(E.server_name, ext.serverName.encode(this.serverName));
    add(E.supported_versions, ext.supportedVersionsClient.encode([TLS13]));
    add(E.supported_groups, ext.u16List.encode(this.cfg.groups.map((g) => g.codepoint)));
    add(E.signature_algorithms, ext.u16List.encode(this.cfg.signatureSchemes.map((s) => s.codepoint)));
    add(E.key_share, ext.keyShareClient.encode([...this.shares.values()].map((s) => s.entry)));
    if (this.cfg.alpn.length > 0)
      add(E.application_layer_protocol_negotiation, ext.alpn.encode(this.cfg.alpn));
    if (this.cfg.recordSizeLimit !== undefined)
      add(E.record_size_limit, ext.recordSizeLimit.encode(this.cfg.recordSizeLimit));
    if (cookie) add(E.cookie, ext.cookie.encode(cookie));
    // Kept in a second ClientHello even when HRR's suite leaves no PSK to offer: §4.1.2 allows no other change.
    if (this.offersPsk) add(E.psk_key_exchange_modes, ext.pskModes.encode(this.pskModes));
    return this.editExtensions(list);
  }

  /** Encodes the ClientHello; with PSK offers, computes the binders over the truncated message (§4.2.11.2). */
  private encodeClientHello(extensions: ext.Extension[], priorTranscript?: Transcript): Uint8Array {
    const base = {
      legacyVersion: TLS12,
      random: this.random,
      sessionId: this.sessionId,
      cipherSuites: this.cfg.suites.map((s) => s.codepoint),
      compressionMethods: Uint8Array.of(0),
    };
    if (this.offers.length === 0) return clientHello.encode({ ...base, extensions });
    const identities = this.offers.map((o) => ({
      identity: o.identity,
      obfuscatedTicketAge: o.obfuscatedAge,
    }));
    const placeholder = this.offers.map((o) => new Uint8Array(this.cfg.crypto.hash(o.hash).outputLength));
    const withPsk = (binders: Uint8Array[]) => [
      ...extensions,
      { type: E.pre_shared_key, data: ext.preSharedKeyClient.encode({ identities, binders }) },
    ];
    const message = clientHello.encode({ ...base, extensions: withPsk(placeholder) });
    const partial = message.subarray(0, message.length - ext.preSharedKeyClient.bindersLength(placeholder));
    this.wipeEarlySchedules();
    const binders = this.offers.map((o) => {
      const hash = this.cfg.crypto.hash(o.hash);
      // After HelloRetryRequest the binder covers message_hash(CH1) ‖ HRR ‖ partial CH2 (§4.2.11.2).
      const t = priorTranscript ?? new Transcript(hash);
      const ks = new KeySchedule(hash);
      ks.early(o.key);
      this.earlySchedules.push(ks);
      const key = ks.binderKey(o.binder);
      const binder = finishedMac(hash, key, t.hashWith(partial));
      wipe(key);
      return binder;
    });
    // The binders take the placeholders' places; nothing else in the message changes.
    ext.preSharedKeyClient.writeBinders(message, binders);
    return message;
  }

  /** Wipes the offers' early key schedules and forgets them. */
  private wipeEarlySchedules(): void {
    for (const ks of this.earlySchedules) ks.wipe();
    this.earlySchedules = [];
  }

  private sendClientHello(): void {
    this.clientHelloExtensions = this.buildExtensions();
    this.offeredExtensions = new Set([
      ...this.clientHelloExtensions.map((e) => e.type),
      ...(this.offers.length ? [E.pre_shared_key] : []),
    ]);
    this.clientHello1 = this.encodeClientHello(this.clientHelloExtensions);
    this.io.sendHandshake(this.clientHello1);
  }

  // --- ServerHello / HelloRetryRequest (§4.1.3, §4.1.4)

  private onServerHello(m: HandshakeMessage): ClientState {
    const sh = serverHello.decode(m.body);
    const isRetry = bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
    const versionData = sh.extensions.get(E.supported_versions);
    if (!versionData) {
      // §4.1.3: a TLS 1.3 client seeing the downgrade sentinel MUST abort with illegal_parameter.
      const tail = sh.random.subarray(RANDOM_BYTES - 8);
      if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11))
        throw fatal("illegal_parameter", "ServerHello carries the downgrade sentinel");
      throw fatal("protocol_version", "server did not negotiate TLS 1.3");
    }
    if (sh.legacyVersion !== TLS12)
      throw fatal("protocol_version", `ServerHello legacy_version 0x${sh.legacyVersion.toString(16)}`);
    const offered = new Set(this.offeredExtensions);
    if (isRetry) offered.add(E.cookie);
    sh.extensions.check(isRetry ? "HRR" : "SH", offered);
    // §4.2.1: only a version we offered, and not below TLS 1.3.
    if (ext.supportedVersionsServer.decode(versionData) !== TLS13)
      throw fatal("illegal_parameter", "ServerHello selected a version we did not offer");
    if (!bytesEqual(sh.sessionId, this.sessionId))
      throw fatal("illegal_parameter", "legacy_session_id_echo does not match");
    if (sh.compressionMethod !== 0) throw fatal("illegal_parameter", "legacy_compression_method is not 0");
    const suite = cipherSuiteByCodepoint(sh.cipherSuite);
    if (!suite || !this.cfg.suites.includes(suite))
      throw fatal(
        "illegal_parameter",
        `server chose cipher suite 0x${sh.cipherSuite.toString(16)} we did not offer`,
      );
    if (this.retry && suite !== this.retry.suite)
      throw fatal("illegal_parameter", "ServerHello cipher suite differs from the HelloRetryRequest's");
    return isRetry ? this.onHelloRetryRequest(m, sh, suite) : this.onRealServerHello(m, sh, suite);
  }

  private onHelloRetryRequest(
    m: HandshakeMessage,
    hrr: ReturnType<typeof serverHello.decode>,
    suite: CipherSuiteInfo,
  ): ClientState {
    // §4.1.4: a second HelloRetryRequest is unexpected_message.
    if (this.retry) throw fatal("unexpected_message", "second HelloRetryRequest");
    const groupData = hrr.extensions.get(E.key_share);
    const cookieData = hrr.extensions.get(E.cookie);
    let group: GroupInfo | undefined;
    if (groupData) {
      const code = ext.keyShareHelloRetry.decode(groupData);
      group = groupByCodepoint(code);
      // §4.2.8: the group must be one we support and not one we already sent a share for.
      if (!group || !this.cfg.groups.includes(group))
        throw fatal(
          "illegal_parameter",
          `HelloRetryRequest selects group 0x${code.toString(16)} we did not offer`,
        );
      if (this.shares.has(code))
        throw fatal("illegal_parameter", "HelloRetryRequest selects a group we already sent a share for");
      enforceGroup(this.cfg.policy, group);
    }
    const cookie = cookieData ? ext.cookie.decode(cookieData) : undefined;
    // §4.1.4: an HRR that would not change the ClientHello is illegal_parameter.
    if (!group && !cookie) throw fatal("illegal_parameter", "HelloRetryRequest changes nothing");
    const hash = this.cfg.crypto.hash(suite.hash);
    const transcript = new Transcript(hash);
    transcript.add(this.clientHello1);
    transcript.replaceWithMessageHash();
    transcript.add(m.raw);
    this.retry = { suite, transcript };
    if (group) {
      this.disposeShares();
      this.shares = new Map([
        [group.codepoint, makeClientShare(this.cfg.crypto, group, this.config.keySharePool || undefined)],
      ]);
    }
    // §4.1.4: only PSKs for the selected suite's hash stay in the second ClientHello.
    this.wipeEarlySchedules();
    this.offers = this.offers.filter((o) => o.hash === suite.hash);
    this.sendChangeCipherSpecOnce();
    const extensions = this.buildExtensions(cookie);
    this.offeredExtensions = new Set([
      ...extensions.map((e) => e.type),
      ...(this.offers.length ? [E.pre_shared_key] : []),
    ]);
    const ch2 = this.encodeClientHello(extensions, transcript);
    transcript.add(ch2);
    this.io.sendHandshake(ch2);
    return { kind: "wait-server-hello" };
  }

  private onRealServerHello(
    m: HandshakeMessage,
    sh: ReturnType<typeof serverHello.decode>,
    suite: CipherSuiteInfo,
  ): ClientState {
    const hash = this.cfg.crypto.hash(suite.hash);
    let psk: PskCandidate | undefined;
    let pskSchedule: KeySchedule | undefined;
    const shareData = sh.extensions.get(E.key_share);
    let sharedSecret: Uint8Array | undefined;
    let group: GroupInfo | undefined;
    try {
      const pskData = sh.extensions.get(E.pre_shared_key);
      if (pskData) {
        const index = ext.preSharedKeyServer.decode(pskData);
        psk = this.offers[index];
        // §4.2.11: an index we did not offer, or a PSK whose hash is not the suite's, is illegal_parameter.
        if (!psk) throw fatal("illegal_parameter", `server selected PSK ${index} of ${this.offers.length}`);
        if (psk.hash !== suite.hash)
          throw fatal("illegal_parameter", "selected PSK's hash differs from the cipher suite's");
        pskSchedule = this.earlySchedules[index];
        if (!pskSchedule) throw fatal("internal_error", `no early key schedule for PSK offer ${index}`);
      }
      if (shareData) {
        const entry = ext.keyShareServer.decode(shareData);
        const share = this.shares.get(entry.group);
        group = groupByCodepoint(entry.group);
        if (!share || !group)
          throw fatal(
            "illegal_parameter",
            `ServerHello key share for group 0x${entry.group.toString(16)} we did not send`,
          );
        enforceGroup(this.cfg.policy, group);
        if (psk && !this.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke))
          throw fatal("illegal_parameter", "psk_dhe_ke was not offered");
        sharedSecret = share.finish(entry.share);
      } else if (!psk) {
        throw fatal("missing_extension", "ServerHello has neither key_share nor pre_shared_key");
      } else if (!this.pskModes.includes(PskKeyExchangeMode.psk_ke)) {
        throw fatal("missing_extension", "ServerHello lacks key_share and psk_ke was not offered");
      }
    } catch (e) {
      pskSchedule = undefined;
      throw e;
    } finally {
      // Our key shares are done with, used or not (the one used was wiped by finish);
      // so are the PSKs' early schedules but the selected one's.
      this.disposeShares();
      this.earlySchedules = this.earlySchedules.filter((ks) => ks !== pskSchedule);
      this.wipeEarlySchedules();
    }
    const transcript = this.retry?.transcript ?? new Transcript(hash);
    if (!this.retry) transcript.add(this.clientHello1);
    transcript.add(m.raw);
    // With a PSK, the schedule its binder was computed with goes on (no second HKDF-Extract).
    const schedule = pskSchedule ?? new KeySchedule(hash);
    // Until the next state holds them, the schedule and its secrets are this method's
    // own: a failure here (a key-log callback that throws, a record layer that refuses a
    // key) wipes them, since step() sees only the old state.
    const secrets: Uint8Array[] = [];
    try {
      try {
        schedule.handshake(sharedSecret);
      } finally {
        wipe(sharedSecret);
      }
      const th = transcript.hash();
      const n: Negotiated = {
        suite,
        hash,
        transcript,
        schedule,
        clientHandshakeSecret: schedule.clientHandshakeTrafficSecret(th),
        serverHandshakeSecret: schedule.serverHandshakeTrafficSecret(th),
        group,
        psk,
        pskMode: psk ? (group ? "psk_dhe_ke" : "psk_ke") : undefined,
      };
      secrets.push(n.clientHandshakeSecret, n.serverHandshakeSecret);
      this.keyLog.handshake(n.clientHandshakeSecret, n.serverHandshakeSecret);
      this.io.setReadKey(suite, n.serverHandshakeSecret, "handshake");
      // §D.4: the dummy change_cipher_spec goes before our first protected record.
      this.sendChangeCipherSpecOnce();
      this.io.setWriteKey(suite, n.clientHandshakeSecret, "handshake");
      return { kind: "wait-encrypted-extensions", n };
    } catch (e) {
      schedule.wipe();
      wipe(...secrets);
      throw e;
    }
  }

  private disposeShares(): void {
    for (const share of this.shares.values()) share.dispose();
    this.shares.clear();
  }

  private sendChangeCipherSpecOnce(): void {
    if (this.sessionId.length === 0 || this.ccsSent) return;
    this.ccsSent = true;
    this.io.sendChangeCipherSpec();
  }

  // --- EncryptedExtensions (§4.3.1)

  private onEncryptedExtensions(m: HandshakeMessage, n: Negotiated): ClientState {
    const ee = encryptedExtensions.decode(m.body);
    let alpn: string | undefined;
    ee.check("EE", this.offeredExtensions);
    const alpnData = ee.get(E.application_layer_protocol_negotiation);
    if (alpnData) {
      const chosen = ext.alpn.decode(alpnData);
      // RFC 7301 §3.1: exactly one protocol, one we offered.
      if (chosen.length !== 1 || !this.cfg.alpn.includes(chosen[0]!))
        throw fatal("illegal_parameter", "server selected an ALPN protocol we did not offer");
      alpn = chosen[0];
    }
    const sni = ee.get(E.server_name);
    if (sni) ext.empty.decode(sni, "server_name");
    const rsl = ee.get(E.record_size_limit);
    if (rsl) {
      const peers = ext.recordSizeLimit.decode(rsl);
      if (peers < MIN_RECORD_SIZE_LIMIT_BYTES)
        throw fatal("illegal_parameter", `record_size_limit ${peers} below ${MIN_RECORD_SIZE_LIMIT_BYTES}`);
      this.io.setRecordSizeLimits(this.cfg.recordSizeLimit!, peers);
    }
    if (ee.has(E.early_data)) throw fatal("unsupported_extension", "early_data accepted but not offered");
    n.transcript.add(m.raw);
    const after: AfterEncryptedExtensions = { n, alpn };
    // §4.4: a PSK handshake has no Certificate, CertificateRequest or CertificateVerify.
    return n.psk
      ? {
          kind: "wait-finished",
          auth: { ...after, request: undefined, serverCertificates: [], signatureScheme: undefined },
        }
      : { kind: "wait-certificate-or-request", ee: after };
  }

  // --- CertificateRequest (§4.3.2)

  private onCertificateRequest(m: HandshakeMessage, ee: AfterEncryptedExtensions): ClientState {
    const n = ee.n;
    const cr = certificateRequest.decode(m.body);
    cr.extensions.check("CR");
    if (cr.context.length !== 0)
      throw fatal("illegal_parameter", "certificate_request_context must be empty in the handshake");
    const schemes = peerSignatureSchemes(cr.extensions);
    if (!schemes) throw fatal("missing_extension", "CertificateRequest lacks signature_algorithms");
    n.transcript.add(m.raw);
    return { kind: "wait-certificate", ee, request: { schemes } };
  }

  // --- server Certificate, CertificateVerify (§4.4.2, §4.4.3)

  private onCertificate(
    m: HandshakeMessage,
    ee: AfterEncryptedExtensions,
    request: CertificateRequested | undefined,
  ): ClientState {
    const n = ee.n;
    const chain = readCertificateChain(m.body, new Uint8Array(0));
    // §4.4.2.4: an empty server Certificate is decode_error.
    if (chain.length === 0) throw fatal("decode_error", "server sent an empty Certificate");
    const peer = verifyPeerChain(
      this.config.verifier,
      chain,
      { usage: "server", serverName: this.serverName, nowMs: this.cfg.now() },
      this.cfg.policy,
    );
    n.transcript.add(m.raw);
    return { kind: "wait-certificate-verify", ee, request, serverCertificates: chain, peer };
  }

  private onCertificateVerify(
    m: HandshakeMessage,
    s: Extract<ClientState, { kind: "wait-certificate-verify" }>,
  ): ClientState {
    const n = s.ee.n;
    const scheme = checkCertificateVerify(
      m.body,
      "server",
      n.transcript.hash(),
      s.peer,
      this.cfg.signatureSchemes,
      this.cfg.policy,
    );
    n.transcript.add(m.raw);
    return {
      kind: "wait-finished",
      auth: {
        ...s.ee,
        request: s.request,
        serverCertificates: s.serverCertificates,
        signatureScheme: scheme,
      },
    };
  }

  // --- Finished (§4.4.4) and our second flight

  private onFinished(m: HandshakeMessage, auth: ServerAuthenticated): ClientState {
    const n = auth.n;
    checkFinished(n.hash, n.serverHandshakeSecret, n.transcript.hash(), m.body);
    n.transcript.add(m.raw);
    n.schedule.master();
    const thServerFinished = n.transcript.hash();
    const clientApp = n.schedule.clientApplicationTrafficSecret(thServerFinished);
    const serverApp = n.schedule.serverApplicationTrafficSecret(thServerFinished);
    this.keyLog.application(clientApp, serverApp, () => n.schedule.exporterMasterSecret(thServerFinished));
    this.io.setReadKey(n.suite, serverApp, "application");
    const send = (msg: Uint8Array) => this.io.sendHandshake(msg);
    let clientAuthenticated = false;
    if (auth.request) {
      const mine = this.config.certificate;
      const usable =
        mine &&
        auth.request.schemes.some((s) => s.name === mine.key.algorithm) &&
        this.cfg.signatureSchemes.includes(signatureByName(mine.key.algorithm));
      // §4.4.2: with no suitable certificate the client sends an empty Certificate and no CertificateVerify.
      sendCertificateFlight(
        send,
        n.transcript,
        "client",
        usable ? mine.chain : [],
        usable ? mine.key : undefined,
      );
      clientAuthenticated = Boolean(usable);
    }
    sendFinished(send, n.transcript, n.hash, n.clientHandshakeSecret);
    this.io.setWriteKey(n.suite, clientApp, "application");
    const resumptionMaster = n.schedule.resumptionMasterSecret(n.transcript.hash());
    n.schedule.wipe();
    wipe(n.clientHandshakeSecret, n.serverHandshakeSecret, clientApp, serverApp);
    this.io.complete({
      version: "TLSv1.3",
      cipherSuite: n.suite.name,
      group: n.group?.name,
      signatureScheme: auth.signatureScheme?.name,
      alpn: auth.alpn,
      serverName: this.serverName,
      resumed: n.psk?.binder === "res",
      pskMode: n.pskMode,
      helloRetry: this.retry !== undefined,
      peerCertificates: auth.serverCertificates,
      clientAuthenticated,
    });
    return {
      kind: "connected",
      session: { suite: n.suite, hash: n.hash, resumptionMaster, alpn: auth.alpn },
    };
  }

  // --- NewSessionTicket (§4.6.1)

  private onNewSessionTicket(m: HandshakeMessage, session: Resumable): void {
    const t = newSessionTicket.decode(m.body);
    t.extensions.check("NST");
    if (t.lifetimeSeconds > MAX_TICKET_LIFETIME_SECONDS)
      throw fatal("illegal_parameter", `ticket_lifetime ${t.lifetimeSeconds} exceeds 7 days`);
    if (t.lifetimeSeconds === 0 || !this.config.onSessionTicket) return;
    this.config.onSessionTicket({
      cipherSuite: session.suite.name,
      ticket: copyBytes(t.ticket), // the caller keeps it: not a view of the record
      psk: resumptionPsk(session.hash, session.resumptionMaster, t.nonce),
      ageAdd: t.ageAdd,
      lifetimeSeconds: t.lifetimeSeconds,
      receivedAtMs: this.cfg.now(),
      serverName: this.serverName,
      alpn: session.alpn,
    });
  }
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** `editExtensions` is for tests only (PeerHooks.clientHelloExtensions). */
export function createClientHandshake(
  config: TlsClientConfig,
  io: HandshakeIo,
  editExtensions?: (list: ext.Extension[]) => ext.Extension[],
): HandshakeEngine {
  return new ClientHandshake(config, io, editExtensions);
}
