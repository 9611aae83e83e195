/**
 * The server handshake (RFC 8446 §2, §4), mirroring client.ts. `handle` is
 * the one transition function:
 *
 *   WaitClientHello --CH--> (HRR) WaitClientHello2 --CH--> ...
 *   WaitClientHello --CH--> [our flight] WaitClientFinished | WaitClientCertificate
 *   WaitClientCertificate --Cert--> WaitClientCertificateVerify | WaitClientFinished (empty)
 *   WaitClientCertificateVerify --CV--> WaitClientFinished --Finished--> Connected
 *
 * Connected accepts no handshake message (KeyUpdate is the connection's).
 * States own their data: every state after the ClientHello carries the
 * Negotiated parameters it needs (rustls's Expect* structs).
 */

import { bytesEqual, wipe } from "../bytes/bytes.ts";
import {
  type CipherSuiteInfo,
  type GroupInfo,
  type SignatureSchemeInfo,
  signatureByName,
} from "../crypto/registry.ts";
import type { Hash } from "../crypto/types.ts";
import type { CertifiedKey, VerifiedPeer } from "../pki/types.ts";
import { fatal } from "./alert.ts";
import * as ext from "./codec/extensions.ts";
import { RANDOM_BYTES } from "./codec/limits.ts";
import {
  type ClientHello,
  certificateRequest,
  clientHello,
  encryptedExtensions,
  type HandshakeMessage,
  newSessionTicket,
  serverHello,
} from "./codec/messages.ts";
import {
  ExtensionType as E,
  HandshakeType as H,
  HELLO_RETRY_REQUEST_RANDOM,
  PskKeyExchangeMode,
  SSL30,
  TLS12,
  TLS13,
} from "./codec/types.ts";
import { type ResolvedConfig, resolveCommon, TlsConfigError, type TlsServerConfig } from "./config.ts";
import {
  checkCertificateVerify,
  checkFinished,
  expectMessage,
  peerSignatureSchemes,
  readCertificateChain,
  respondToShare,
  sendCertificateFlight,
  sendFinished,
  verifyPeerChain,
} from "./handshake-common.ts";
import type { HandshakeEngine, HandshakeIo, NegotiatedInfo } from "./handshake-io.ts";
import { keyLogFor } from "./key-log.ts";
import { KeySchedule, resumptionPsk, verifyFinished } from "./key-schedule.ts";
import { enforceGroup, groupAllowed, signatureAllowed } from "./policy.ts";
import { type PskCandidate, resolveServerPsk } from "./psk.ts";
import { MAX_RECORD_SIZE_LIMIT_BYTES, MIN_RECORD_SIZE_LIMIT_BYTES } from "./record-layer.ts";
import {
  DEFAULT_TICKET_COUNT,
  encodeTicketState,
  TICKET_NONCE_BYTES,
  type TicketState,
  withLineage,
} from "./session-ticket.ts";
import { checkTransition, SERVER_TRANSITIONS } from "./state-table.ts";
import { MAX_TICKET_STATE_BYTES } from "./ticket-sealer.ts";
import { Transcript } from "./transcript.ts";

interface ChosenPsk {
  candidate: PskCandidate;
  index: number;
  mode: "psk_ke" | "psk_dhe_ke";
  /** For a resumption ticket: the client identity it carries and we verified again (else empty). */
  clientCertificates: readonly Uint8Array[];
  /**
   * The key schedule at the Early Secret of this PSK, which its binder was
   * checked with; the handshake's schedule continues from it. Wiped if the
   * handshake does not (HelloRetryRequest, any failure).
   */
  schedule: KeySchedule;
}

/** Bytes of the HelloRetryRequest cookie (§4.2.2): random, checked for an exact echo. */
const COOKIE_BYTES = 32;

type ServerState =
  | { kind: "wait-client-hello" }
  | { kind: "wait-client-hello-2"; retry: RetryContext }
  | { kind: "wait-client-certificate"; n: Negotiated }
  | { kind: "wait-client-certificate-verify"; n: Negotiated; peer: VerifiedPeer }
  | { kind: "wait-client-finished"; n: Negotiated }
  | { kind: "connected" }
  | { kind: "failed" };

interface RetryContext {
  readonly first: ClientHello;
  readonly suite: CipherSuiteInfo;
  readonly group: GroupInfo;
  readonly cookie: Uint8Array;
  readonly transcript: Transcript;
}

/** What a ticket issued on this connection binds to (session-ticket.ts TicketState). */
interface Lineage {
  groups: readonly GroupInfo[];
  signatureSchemes: readonly SignatureSchemeInfo[];
  clientCertificates: readonly Uint8Array[];
}

interface Negotiated {
  lineage: Lineage;
  suite: CipherSuiteInfo;
  hash: Hash;
  transcript: Transcript;
  schedule: KeySchedule;
  clientHandshakeSecret: Uint8Array;
  clientApplicationSecret?: Uint8Array;
  info: NegotiatedInfo;
}

/** Wipes the key schedule and client traffic secrets a mid-handshake state holds (idempotent). */
function wipeNegotiated(s: ServerState): void {
  if (!("n" in s)) return;
  s.n.schedule.wipe();
  wipe(s.n.clientHandshakeSecret, s.n.clientApplicationSecret);
}

export class ServerHandshake implements HandshakeEngine {
  private state: ServerState = { kind: "wait-client-hello" };
  private readonly cfg: ResolvedConfig;
  private readonly certificates: readonly CertifiedKey[];
  private ccsSent = false;

  constructor(
    private readonly config: TlsServerConfig,
    private readonly io: HandshakeIo,
  ) {
    this.cfg = resolveCommon(config);
    const c = config.certificate;
    this.certificates = c === undefined ? [] : Array.isArray(c) ? c : [c as CertifiedKey];
    if ((config.clientAuth ?? "none") !== "none" && !config.clientVerifier) {
      throw new TlsConfigError(`clientAuth "${config.clientAuth}" needs a clientVerifier`);
    }
  }

  get started(): boolean {
    return this.state.kind !== "wait-client-hello";
  }

  handle(m: HandshakeMessage): void {
    const from = this.state.kind;
    this.step(m);
    checkTransition(SERVER_TRANSITIONS, from, m.type, this.state.kind);
  }

  dispose(): void {
    wipeNegotiated(this.state);
  }

  private step(m: HandshakeMessage): void {
    const s = this.state;
    try {
      this.dispatch(m, s);
    } catch (e) {
      // A failure after the ServerHello (a bad client Certificate, CertificateVerify or
      // Finished): the handshake's schedule and client secrets are wiped now, not left for GC.
      wipeNegotiated(s);
      throw e;
    }
  }

  private dispatch(m: HandshakeMessage, s: ServerState): void {
    this.state = { kind: "failed" };
    switch (s.kind) {
      case "wait-client-hello":
        expectMessage(m, H.client_hello);
        this.state = this.onClientHello(m, undefined);
        return;
      case "wait-client-hello-2":
        expectMessage(m, H.client_hello);
        this.state = this.onClientHello(m, s.retry);
        return;
      case "wait-client-certificate":
        expectMessage(m, H.certificate);
        this.state = this.onClientCertificate(m, s.n);
        return;
      case "wait-client-certificate-verify":
        expectMessage(m, H.certificate_verify);
        this.state = this.onClientCertificateVerify(m, s.n, s.peer);
        return;
      case "wait-client-finished":
        expectMessage(m, H.finished);
        this.state = this.onClientFinished(m, s.n);
        return;
      case "connected":
        throw fatal("unexpected_message", `handshake message type ${m.type} after the handshake`);
      case "failed":
        throw fatal("unexpected_message", "handshake already failed");
    }
  }

  // --- ClientHello (§4.1.2)

  private onClientHello(m: HandshakeMessage, retry: RetryContext | undefined): ServerState {
    const ch = clientHello.decode(m.body);
    // Appendix D.5: a ClientHello saying SSL 3.0 or older is refused outright.
    if (ch.legacyVersion <= SSL30)
      throw fatal("protocol_version", `ClientHello legacy_version 0x${ch.legacyVersion.toString(16)}`);
    const x = ch.extensions;
    x.check("CH");
    // §4.2.11: pre_shared_key MUST be the last extension.
    const last = x.list[x.list.length - 1];
    if (x.has(E.pre_shared_key) && last?.type !== E.pre_shared_key)
      throw fatal("illegal_parameter", "pre_shared_key is not the last extension");
    const versions = x.get(E.supported_versions);
    if (!versions || !ext.supportedVersionsClient.decode(versions).includes(TLS13))
      throw fatal("protocol_version", "client does not offer TLS 1.3");
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0)
      throw fatal("illegal_parameter", "legacy_compression_methods must be exactly [0]");
    if (retry) checkSecondClientHello(retry, ch);

    const clientGroups = x.get(E.supported_groups)
      ? ext.u16List.decode(x.get(E.supported_groups)!, "supported_groups")
      : undefined;
    const shares = x.get(E.key_share) ? ext.keyShareClient.decode(x.get(E.key_share)!) : undefined;
    // §9.2: key_share and supported_groups come together.
    if ((clientGroups === undefined) !== (shares === undefined))
      throw fatal("missing_extension", "key_share and supported_groups must both be present");
    if (shares) {
      // Sets: the shares and groups are bounded by bytes only (codec/limits.ts), so no quadratic scan.
      const listed = new Set(clientGroups);
      const seen = new Set<number>();
      for (const s of shares) {
        // §4.2.8: one share per group, each for a group listed in supported_groups.
        if (seen.has(s.group))
          throw fatal("illegal_parameter", `two key shares for group 0x${s.group.toString(16)}`);
        if (!listed.has(s.group))
          throw fatal(
            "illegal_parameter",
            `key share for group 0x${s.group.toString(16)} not in supported_groups`,
          );
        seen.add(s.group);
      }
    }

    // Cipher suite: ours in our order, constrained below by the PSK's hash.
    const offeredSuites = this.cfg.suites.filter((s) => ch.cipherSuites.includes(s.codepoint));
    if (offeredSuites.length === 0) throw fatal("handshake_failure", "no cipher suite in common");

    const sniData = x.get(E.server_name);
    const serverName = sniData ? ext.serverName.decode(sniData) : undefined;
    const psk = this.choosePsk(m, ch, offeredSuites, retry, serverName);
    // The schedule and handshake secrets are this method's own until it returns them in
    // the next state: the catch below wipes them on any failure (a signing key that
    // throws, a record layer that refuses a key), since step() sees only the old state.
    let schedule: KeySchedule | undefined = psk?.schedule;
    const secrets: Uint8Array[] = [];
    try {
      const suite =
        retry?.suite ?? (psk ? offeredSuites.find((s) => s.hash === psk.candidate.hash)! : offeredSuites[0]!);

      // Group: our preference among the client's supported groups (§4.2.7).
      let group: GroupInfo | undefined;
      let share: Uint8Array | undefined;
      if (!psk || psk.mode === "psk_dhe_ke") {
        if (!clientGroups)
          throw fatal("missing_extension", "ClientHello lacks supported_groups and key_share");
        group = this.cfg.groups.find((g) => clientGroups.includes(g.codepoint));
        if (!group) throw fatal("handshake_failure", "no acceptable key exchange group in common");
        enforceGroup(this.cfg.policy, group);
        share = shares!.find((s) => s.group === group!.codepoint)?.share;
        if (!share) {
          if (retry)
            throw fatal("illegal_parameter", "second ClientHello lacks a share for the selected group");
          // §4.2.10: 0-RTT data sent with this ClientHello is skipped until the second one.
          if (x.has(E.early_data)) this.io.skipEarlyData("until-plaintext");
          // The second ClientHello chooses its PSK afresh (§4.1.4), with a new binder.
          psk?.schedule.wipe();
          return this.sendHelloRetryRequest(m, ch, suite, group);
        }
      }

      // Certificate: the first of ours whose scheme the client accepts (§4.4.2.2).
      let certified: CertifiedKey | undefined;
      if (!psk) {
        const schemes = peerSignatureSchemes(x);
        if (!schemes) throw fatal("missing_extension", "ClientHello lacks signature_algorithms");
        certified = this.certificates.find((c) => this.schemeUsable(c.key.algorithm, schemes));
        if (!certified)
          throw fatal("handshake_failure", "no certificate matches the client's signature_algorithms");
      }

      // ALPN (RFC 7301 §3.2).
      let alpn: string | undefined;
      const alpnData = x.get(E.application_layer_protocol_negotiation);
      if (alpnData) {
        const offered = ext.alpn.decode(alpnData);
        if (this.cfg.alpn.length > 0) {
          alpn = this.cfg.alpn.find((p) => offered.includes(p));
          if (!alpn) throw fatal("no_application_protocol", "no ALPN protocol in common");
        }
      }
      let clientRecordLimit: number | undefined;
      const rslData = x.get(E.record_size_limit);
      if (rslData) {
        clientRecordLimit = ext.recordSizeLimit.decode(rslData);
        if (clientRecordLimit < MIN_RECORD_SIZE_LIMIT_BYTES)
          throw fatal(
            "illegal_parameter",
            `record_size_limit ${clientRecordLimit} below ${MIN_RECORD_SIZE_LIMIT_BYTES}`,
          );
      }

      // --- ServerHello
      const hash = this.cfg.crypto.hash(suite.hash);
      let sharedSecret: Uint8Array | undefined;
      const shExtensions: ext.Extension[] = [
        { type: E.supported_versions, data: ext.supportedVersionsServer.encode(TLS13) },
      ];
      if (group && share) {
        const r = respondToShare(this.cfg.crypto, group, share, this.config.keySharePool || undefined);
        sharedSecret = r.sharedSecret;
        shExtensions.push({ type: E.key_share, data: ext.keyShareServer.encode(r.entry) });
      }
      if (psk) shExtensions.push({ type: E.pre_shared_key, data: ext.preSharedKeyServer.encode(psk.index) });
      const sh = serverHello.encode({
        legacyVersion: TLS12,
        random: this.cfg.crypto.randomBytes(RANDOM_BYTES),
        sessionId: ch.sessionId,
        cipherSuite: suite.codepoint,
        compressionMethod: 0,
        extensions: shExtensions,
      });
      const transcript = retry?.transcript ?? new Transcript(hash);
      transcript.add(m.raw);
      transcript.add(sh);
      // With a PSK, the schedule its binder was checked with goes on (no second HKDF-Extract).
      schedule ??= new KeySchedule(hash);
      try {
        schedule.handshake(sharedSecret);
      } finally {
        wipe(sharedSecret);
      }
      const th = transcript.hash();
      const clientHandshakeSecret = schedule.clientHandshakeTrafficSecret(th);
      const serverHandshakeSecret = schedule.serverHandshakeTrafficSecret(th);
      secrets.push(clientHandshakeSecret, serverHandshakeSecret);
      const keyLog = keyLogFor(this.config.keyLog, ch.random);
      keyLog.handshake(clientHandshakeSecret, serverHandshakeSecret);
      this.io.sendHandshake(sh);
      this.sendChangeCipherSpecOnce(ch);
      this.io.setWriteKey(suite, serverHandshakeSecret, "handshake");
      this.io.setReadKey(suite, clientHandshakeSecret, "handshake");
      // §4.2.10: we never accept early data; records the handshake key cannot open are skipped.
      if (x.has(E.early_data) && !retry) this.io.skipEarlyData("until-decryptable");

      // --- EncryptedExtensions
      const eeList: ext.Extension[] = [];
      if (alpn)
        eeList.push({ type: E.application_layer_protocol_negotiation, data: ext.alpn.encode([alpn]) });
      if (serverName) eeList.push({ type: E.server_name, data: ext.empty.encode() });
      if (clientRecordLimit !== undefined) {
        const ours = this.cfg.recordSizeLimit ?? MAX_RECORD_SIZE_LIMIT_BYTES;
        eeList.push({ type: E.record_size_limit, data: ext.recordSizeLimit.encode(ours) });
        this.io.setRecordSizeLimits(ours, clientRecordLimit);
      }
      const ee = encryptedExtensions.encode(eeList);
      transcript.add(ee);
      this.io.sendHandshake(ee);

      const send = (msg: Uint8Array) => this.io.sendHandshake(msg);
      const clientAuth = !psk && (this.config.clientAuth ?? "none") !== "none";
      if (clientAuth) {
        const cr = certificateRequest.encode(new Uint8Array(0), [
          {
            type: E.signature_algorithms,
            data: ext.u16List.encode(this.cfg.signatureSchemes.map((s) => s.codepoint)),
          },
        ]);
        transcript.add(cr);
        send(cr);
      }
      if (certified) sendCertificateFlight(send, transcript, "server", certified.chain, certified.key);
      sendFinished(send, transcript, hash, serverHandshakeSecret);
      schedule.master();
      const thServerFinished = transcript.hash();
      const serverApp = schedule.serverApplicationTrafficSecret(thServerFinished);
      const clientApp = schedule.clientApplicationTrafficSecret(thServerFinished);
      secrets.push(serverApp, clientApp);
      const exporting = schedule;
      keyLog.application(clientApp, serverApp, () => exporting.exporterMasterSecret(thServerFinished));
      this.io.setWriteKey(suite, serverApp, "application");
      wipe(serverHandshakeSecret, serverApp);

      const ticket = psk?.candidate.resumption as TicketState | undefined;
      const resumedClient = ticket ? psk!.clientCertificates : [];
      const n: Negotiated = {
        lineage: ticket
          ? {
              groups: withLineage(ticket.groups, group),
              signatureSchemes: ticket.signatureSchemes,
              clientCertificates: resumedClient,
            }
          : {
              groups: withLineage([], group),
              signatureSchemes: withLineage([], certified && signatureByName(certified.key.algorithm)),
              clientCertificates: [],
            },
        suite,
        hash,
        transcript,
        schedule,
        clientHandshakeSecret,
        clientApplicationSecret: clientApp,
        info: {
          version: "TLSv1.3",
          cipherSuite: suite.name,
          group: group?.name,
          signatureScheme: certified?.key.algorithm,
          alpn,
          serverName,
          resumed: psk?.candidate.binder === "res",
          pskMode: psk?.mode,
          helloRetry: retry !== undefined,
          // §4.6.1: a resumed session keeps the client identity its ticket carries (issue 9 item 5).
          peerCertificates: [...resumedClient],
          clientAuthenticated: resumedClient.length > 0,
        },
      };
      return clientAuth ? { kind: "wait-client-certificate", n } : { kind: "wait-client-finished", n };
    } catch (e) {
      // The PSK's Early Secret (verified with its binder) or the fresh schedule, and
      // every traffic secret derived so far, die with the handshake.
      schedule?.wipe();
      wipe(...secrets);
      throw e;
    }
  }

  private schemeUsable(
    algorithm: CertifiedKey["key"]["algorithm"],
    peerSchemes: readonly SignatureSchemeInfo[],
  ): boolean {
    const mine = this.cfg.signatureSchemes.find((s) => s.name === algorithm);
    return mine !== undefined && signatureAllowed(this.cfg.policy, mine) && peerSchemes.includes(mine);
  }

  /**
   * §4.2.11: picks the first offered identity we can resolve, for a suite we
   * share, in a mode both sides allow; then checks its binder. Unusable
   * identities are skipped; a wrong binder ends the handshake.
   */
  private choosePsk(
    m: HandshakeMessage,
    ch: ClientHello,
    suites: readonly CipherSuiteInfo[],
    retry: RetryContext | undefined,
    serverName: string | undefined,
  ): ChosenPsk | undefined {
    const data = ch.extensions.get(E.pre_shared_key);
    if (!data) return undefined;
    const modesData = ch.extensions.get(E.psk_key_exchange_modes);
    // §4.2.9: a client offering a PSK MUST send psk_key_exchange_modes.
    if (!modesData) throw fatal("missing_extension", "pre_shared_key without psk_key_exchange_modes");
    const modes = ext.pskModes.decode(modesData);
    const offered = ext.preSharedKeyClient.decode(data);
    const canDhe = ch.extensions.has(E.key_share);
    const mode =
      modes.includes(PskKeyExchangeMode.psk_dhe_ke) && canDhe
        ? "psk_dhe_ke"
        : modes.includes(PskKeyExchangeMode.psk_ke)
          ? "psk_ke"
          : undefined;
    if (!mode) return undefined;
    const sources = {
      crypto: this.cfg.crypto,
      sealer: this.config.sessionTickets ? this.config.sessionTickets.sealer : undefined,
      externalPsks: this.config.externalPsks,
      nowMs: this.cfg.now(),
    };
    for (let index = 0; index < offered.identities.length; index++) {
      const id = offered.identities[index]!;
      const candidate = resolveServerPsk(sources, id.identity, id.obfuscatedTicketAge);
      if (!candidate) continue;
      // §4.2.11: a ticket issued under another SNI is not used (we fall back to a full handshake).
      if (candidate.resumption && candidate.resumption.serverName !== serverName) continue;
      let clientCertificates: readonly Uint8Array[] = [];
      if (candidate.binder === "res") {
        const usable = this.resumable(candidate.resumption as TicketState, mode);
        if (usable === undefined) continue;
        clientCertificates = usable;
      }
      if (!suites.some((s) => s.hash === candidate.hash)) continue;
      if (retry && retry.suite.hash !== candidate.hash) continue;
      const hash = this.cfg.crypto.hash(candidate.hash);
      const partial = m.raw.subarray(0, m.raw.length - ext.preSharedKeyClient.bindersLength(offered.binders));
      const t = retry ? retry.transcript : new Transcript(hash);
      const schedule = new KeySchedule(hash);
      schedule.early(candidate.key);
      const binderKey = schedule.binderKey(candidate.binder);
      const ok = verifyFinished(hash, binderKey, t.hashWith(partial), offered.binders[index]!);
      wipe(binderKey);
      if (!ok) {
        schedule.wipe();
        // §4.2.11.2: a binder that does not verify aborts the handshake.
        throw fatal("decrypt_error", `PSK binder ${index} does not verify`);
      }
      return { candidate, index, mode, clientCertificates, schedule };
    }
    return undefined;
  }

  /**
   * Whether a ticket may resume here, and with which client identity; undefined
   * declines it (§4.2.11: the server then runs a full handshake):
   * - issue 9 item 6: every group and signature scheme its session descends
   *   from must be allowed by our policy (a compat ticket does not resume under
   *   pq-strict), and psk_ke only when sessionTickets.allowPskKe says so;
   * - issue 9 item 5: under clientAuth "require" only a ticket with a client
   *   identity resumes, and that identity is verified again (trust, validity,
   *   policy may have changed since), else the full handshake asks for it.
   */
  private resumable(ticket: TicketState, mode: "psk_ke" | "psk_dhe_ke"): readonly Uint8Array[] | undefined {
    const policy = this.cfg.policy;
    if (!ticket.groups.every((g) => groupAllowed(policy, g))) return undefined;
    if (!ticket.signatureSchemes.every((s) => signatureAllowed(policy, s))) return undefined;
    const allowPskKe = this.config.sessionTickets ? this.config.sessionTickets.allowPskKe === true : false;
    if (mode === "psk_ke" && !allowPskKe) return undefined;
    const clientAuth = this.config.clientAuth ?? "none";
    const chain = ticket.clientCertificates;
    if (chain.length === 0) return clientAuth === "require" ? undefined : [];
    if (clientAuth === "none" || !this.config.clientVerifier) return [];
    try {
      verifyPeerChain(this.config.clientVerifier, chain, { usage: "client", nowMs: this.cfg.now() }, policy);
    } catch {
      return clientAuth === "require" ? undefined : [];
    }
    return chain;
  }

  private sendHelloRetryRequest(
    m: HandshakeMessage,
    ch: ClientHello,
    suite: CipherSuiteInfo,
    group: GroupInfo,
  ): ServerState {
    const hash = this.cfg.crypto.hash(suite.hash);
    const cookie = this.cfg.crypto.randomBytes(COOKIE_BYTES);
    const hrr = serverHello.encode({
      legacyVersion: TLS12,
      random: HELLO_RETRY_REQUEST_RANDOM,
      sessionId: ch.sessionId,
      cipherSuite: suite.codepoint,
      compressionMethod: 0,
      extensions: [
        { type: E.supported_versions, data: ext.supportedVersionsServer.encode(TLS13) },
        { type: E.key_share, data: ext.keyShareHelloRetry.encode(group.codepoint) },
        { type: E.cookie, data: ext.cookie.encode(cookie) },
      ],
    });
    // §4.4.1: ClientHello1 is replaced by message_hash before the HRR joins the transcript.
    const transcript = new Transcript(hash);
    transcript.add(m.raw);
    transcript.replaceWithMessageHash();
    transcript.add(hrr);
    this.io.sendHandshake(hrr);
    this.sendChangeCipherSpecOnce(ch);
    return { kind: "wait-client-hello-2", retry: { first: ch, suite, group, cookie, transcript } };
  }

  /** §D.4: a client in compatibility mode (non-empty session id) gets one dummy CCS after our first message. */
  private sendChangeCipherSpecOnce(ch: ClientHello): void {
    if (this.ccsSent || ch.sessionId.length === 0) return;
    this.ccsSent = true;
    this.io.sendChangeCipherSpec();
  }

  // --- client authentication (§4.4.2, §4.4.3)

  private onClientCertificate(m: HandshakeMessage, n: Negotiated): ServerState {
    // (Only reached in a full handshake: a PSK handshake sends no CertificateRequest.)
    const chain = readCertificateChain(m.body, new Uint8Array(0));
    n.transcript.add(m.raw);
    if (chain.length === 0) {
      // §4.4.2.4: "require" turns an empty Certificate into certificate_required.
      if (this.config.clientAuth === "require")
        throw fatal("certificate_required", "client sent no certificate");
      return { kind: "wait-client-finished", n };
    }
    const peer = verifyPeerChain(
      this.config.clientVerifier!,
      chain,
      { usage: "client", nowMs: this.cfg.now() },
      this.cfg.policy,
    );
    n.info.peerCertificates = chain;
    return { kind: "wait-client-certificate-verify", n, peer };
  }

  private onClientCertificateVerify(m: HandshakeMessage, n: Negotiated, peer: VerifiedPeer): ServerState {
    checkCertificateVerify(
      m.body,
      "client",
      n.transcript.hash(),
      peer,
      this.cfg.signatureSchemes,
      this.cfg.policy,
    );
    n.transcript.add(m.raw);
    n.info.clientAuthenticated = true;
    n.lineage = {
      ...n.lineage,
      signatureSchemes: withLineage(
        n.lineage.signatureSchemes,
        signatureByName(peer.algorithm),
        ...(peer.pathSignatures ?? []).map((name) => signatureByName(name)),
      ),
      clientCertificates: n.info.peerCertificates,
    };
    return { kind: "wait-client-finished", n };
  }

  private onClientFinished(m: HandshakeMessage, n: Negotiated): ServerState {
    checkFinished(n.hash, n.clientHandshakeSecret, n.transcript.hash(), m.body);
    n.transcript.add(m.raw);
    this.io.setReadKey(n.suite, n.clientApplicationSecret!, "application");
    wipe(n.clientApplicationSecret!, n.clientHandshakeSecret);
    const resumptionMaster = n.schedule.resumptionMasterSecret(n.transcript.hash());
    n.schedule.wipe();
    this.io.complete(n.info);
    this.sendTickets(n, resumptionMaster);
    wipe(resumptionMaster);
    return { kind: "connected" };
  }

  /** §4.6.1: tickets carry the sealed resumption PSK; each has its own nonce and age_add. */
  private sendTickets(n: Negotiated, resumptionMaster: Uint8Array): void {
    const opts = this.config.sessionTickets;
    if (!opts) return;
    const count = opts.count ?? DEFAULT_TICKET_COUNT;
    for (let i = 0; i < count; i++) {
      const nonce = this.cfg.crypto.randomBytes(TICKET_NONCE_BYTES);
      const ageAdd = new DataView(this.cfg.crypto.randomBytes(4).buffer).getUint32(0);
      const now = this.cfg.now();
      const psk = resumptionPsk(n.hash, resumptionMaster, nonce);
      const state = encodeTicketState({
        suite: n.suite,
        psk,
        createdMs: now,
        ageAdd,
        lifetimeSeconds: opts.sealer.lifetimeSeconds,
        alpn: n.info.alpn,
        serverName: n.info.serverName,
        ...n.lineage,
      });
      wipe(psk);
      // A client chain too large to seal: no ticket (resuming without the identity would lose it).
      if (state.length > MAX_TICKET_STATE_BYTES) {
        wipe(state);
        return;
      }
      const ticket = opts.sealer.seal(state, now);
      wipe(state);
      this.io.sendHandshake(
        newSessionTicket.encode({
          lifetimeSeconds: opts.sealer.lifetimeSeconds,
          ageAdd,
          nonce,
          ticket,
          extensions: [],
        }),
      );
    }
  }
}

/** §4.1.2: the second ClientHello repeats the first except for key_share, cookie, pre_shared_key, early_data, padding. */
function checkSecondClientHello(retry: RetryContext, ch: ClientHello): void {
  const a = retry.first;
  const same = (what: string, ok: boolean) => {
    if (!ok) throw fatal("illegal_parameter", `second ClientHello changed ${what}`);
  };
  same("random", bytesEqual(a.random, ch.random));
  same("legacy_session_id", bytesEqual(a.sessionId, ch.sessionId));
  same(
    "cipher_suites",
    a.cipherSuites.length === ch.cipherSuites.length &&
      a.cipherSuites.every((s, i) => s === ch.cipherSuites[i]),
  );
  same("legacy_version", a.legacyVersion === ch.legacyVersion);
  const mayChange = new Set<number>([E.key_share, E.cookie, E.pre_shared_key, E.early_data, E.padding]);
  const kept = (c: ClientHello) => c.extensions.list.filter((e) => !mayChange.has(e.type));
  const before = kept(a);
  const after = kept(ch);
  same(
    "extensions",
    before.length === after.length &&
      before.every((e, i) => e.type === after[i]!.type && bytesEqual(e.data, after[i]!.data)),
  );
  const cookieData = ch.extensions.get(E.cookie);
  if (!cookieData || !bytesEqual(ext.cookie.decode(cookieData), retry.cookie))
    throw fatal("illegal_parameter", "second ClientHello does not echo the cookie");
  if (ch.extensions.has(E.early_data)) throw fatal("illegal_parameter", "early_data after HelloRetryRequest");
  const shares = ext.keyShareClient.decode(ch.extensions.get(E.key_share) ?? new Uint8Array([0, 0]));
  // §4.2.8: exactly one share, for the group the HelloRetryRequest named.
  if (shares.length !== 1 || shares[0]!.group !== retry.group.codepoint)
    throw fatal("illegal_parameter", "second ClientHello must carry one share for the selected group");
  if (!ch.cipherSuites.includes(retry.suite.codepoint))
    throw fatal("illegal_parameter", "second ClientHello dropped the selected cipher suite");
}

export function createServerHandshake(config: TlsServerConfig, io: HandshakeIo): HandshakeEngine {
  return new ServerHandshake(config, io);
}
