/**
 * The seam between a handshake state machine (client.ts, server.ts) and the
 * connection that owns the record layer (connection.ts). The state machines
 * decide what to send and when keys change; the connection frames, protects
 * and orders the bytes.
 */
import type { CipherSuiteInfo, CipherSuiteName, GroupName } from "../crypto/registry.ts";
import type { SignatureName } from "../crypto/types.ts";
import type { HandshakeMessage } from "./codec/messages.ts";

export interface NegotiatedInfo {
  version: "TLSv1.3";
  cipherSuite: CipherSuiteName;
  group?: GroupName;
  /** The scheme of the server's CertificateVerify (absent when resumed or PSK-authenticated). */
  signatureScheme?: SignatureName;
  alpn?: string;
  serverName?: string;
  resumed: boolean;
  pskMode?: "psk_ke" | "psk_dhe_ke";
  helloRetry: boolean;
  /** The peer's Certificate entries, leaf first, DER (empty when the peer sent none). */
  peerCertificates: Uint8Array[];
  clientAuthenticated: boolean;
}

export type Epoch = "handshake" | "application";
export type EarlyDataSkip = "until-decryptable" | "until-plaintext";

export interface HandshakeIo {
  /** Queues an encoded handshake message under the current write protection. */
  sendHandshake(message: Uint8Array): void;
  /** Queues the §D.4 dummy change_cipher_spec record (always unprotected). */
  sendChangeCipherSpec(): void;
  /** New write protection; everything queued before is sealed under the old one. */
  setWriteKey(suite: CipherSuiteInfo, secret: Uint8Array, epoch: Epoch): void;
  /** New read protection; throws unexpected_message when a handshake message straddles the change (§5.1). */
  setReadKey(suite: CipherSuiteInfo, secret: Uint8Array, epoch: Epoch): void;
  /** RFC 8449 limits, both in TLSInnerPlaintext bytes: `ours` bounds what we receive, `peers` what we send. */
  setRecordSizeLimits(ours: number, peers: number): void;
  /**
   * §4.2.10, a server that does not accept the client's early data: skip the
   * 0-RTT records, up to MAX_SKIPPED_EARLY_DATA_BYTES. "until-decryptable":
   * protected records the current read key cannot open are dropped until one
   * opens; "until-plaintext" (after a HelloRetryRequest): protected records
   * are dropped until the next plaintext handshake record (the second ClientHello).
   */
  skipEarlyData(mode: EarlyDataSkip): void;
  /** The handshake is verified: application data may flow. */
  complete(info: NegotiatedInfo): void;
}

/** A client or server handshake state machine. */
export interface HandshakeEngine {
  /** Processes one whole handshake message; throws TlsError on any protocol violation. */
  handle(message: HandshakeMessage): void;
  /** True once the first handshake message was sent or received (gates §D.4 change_cipher_spec). */
  readonly started: boolean;
  /**
   * Wipes what a handshake that will not complete still holds (a client's
   * binder key schedules and key shares); called when the connection fails or
   * is closed before the handshake completed. Idempotent.
   */
  dispose?(): void;
}
