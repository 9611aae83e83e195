/**
 * The sans-IO TLS 1.3 connection (notes/tls-api.md): bytes in through
 * `receive`, bytes out through `takeOutgoing`. It owns the record layer,
 * handshake-message reassembly, alerts, application data and KeyUpdate; the
 * handshake itself is a ClientHandshake or ServerHandshake state machine.
 *
 * Peer input never makes `receive` throw: a failure queues the alert, sets
 * `error` and `closed`. Application data is released only under the peer's
 * application traffic keys, which are installed after its Finished verifies.
 */
import { allocUninitialized, concatChunks, copyBytes, wipe } from "../bytes/bytes.ts";
import type { CipherSuiteInfo } from "../crypto/registry.ts";
import type { Crypto } from "../crypto/types.ts";
import { AlertDescription, AlertLevel, fatal, TlsError } from "./alert.ts";
import { createClientHandshake } from "./client.ts";
import type { Extension } from "./codec/extensions.ts";
import { HandshakeJoiner } from "./codec/handshake-joiner.ts";
import { type HandshakeMessage, keyUpdate } from "./codec/messages.ts";
import { HandshakeType, KeyUpdateRequest } from "./codec/types.ts";
import { resolveCommon, type TlsClientConfig, type TlsServerConfig } from "./config.ts";
import type { EarlyDataSkip, Epoch, HandshakeEngine, HandshakeIo, NegotiatedInfo } from "./handshake-io.ts";
import { nextTrafficSecret } from "./key-schedule.ts";
import {
  ContentType,
  encodePlainRecord,
  MAX_INNER_PLAINTEXT_BYTES,
  MAX_PLAINTEXT_BYTES,
  MAX_SKIPPED_EARLY_DATA_BYTES,
  maxCiphertextForRecordSizeLimit,
  RECORD_HEADER_BYTES,
  RecordDeframer,
  RecordProtector,
  type TlsRecord,
} from "./record-layer.ts";
import { createServerHandshake } from "./server.ts";

export type { NegotiatedInfo } from "./handshake-io.ts";

export interface TlsConnection {
  /** Never throws for peer input: on a fatal problem it queues the alert, sets `error` and `closed`. */
  receive(data: Uint8Array): void;
  /** Bytes to write to the transport, in order (drains the queue). */
  takeOutgoing(): Uint8Array[];
  /**
   * True while more than MAX_UNTAKEN_OUTGOING_BYTES wait in takeOutgoing():
   * received records are then held, not processed (no answers pile up). A
   * transport whose carrier also pushes back (write() false) stops feeding
   * receive() until it drains; `receive(new Uint8Array(0))` resumes the held records.
   */
  readonly receivePaused: boolean;
  /** Received records not processed yet (held while receivePaused). */
  readonly heldRecords: boolean;
  /**
   * Copies out the received bytes the engine still holds as views of chunks
   * given to receive() (the start of a record), so the caller may rewrite
   * those chunks: a transport reading into one reused buffer calls it after
   * each receive(). Everything else is done with a chunk when receive()
   * returns: a protected record's plaintext is new memory, and a plaintext
   * handshake fragment is copied before the joiner keeps it.
   */
  detachInput(): void;
  /** Decrypted application data (drains); never before the handshake is verified. */
  takeApplicationData(): Uint8Array[];
  /** Throws TlsError if not yet connected or closed; fragments into records. */
  send(data: Uint8Array): void;
  /** Like send, for the concatenation of `chunks`, packed into as few records as the limits allow. */
  sendv(chunks: readonly Uint8Array[]): void;
  /** Queues close_notify. */
  close(): void;
  keyUpdate(requestPeer?: boolean): void;
  readonly handshakeComplete: boolean;
  /** close_notify received. */
  readonly peerClosed: boolean;
  readonly closed: boolean;
  readonly error: TlsError | undefined;
  readonly info: NegotiatedInfo | undefined;
}

/**
 * Lets a test play a misbehaving peer: every handshake message this side
 * sends passes through `outgoingHandshake` after it entered our own
 * transcript, and may be changed, dropped ([]) or multiplied.
 */
export interface PeerHooks {
  /**
   * A client's ClientHello extensions (pre_shared_key excluded) before it is
   * encoded, so the change is in the client's own transcript and the
   * handshake can still complete (unusual but legal hellos).
   */
  clientHelloExtensions?: (extensions: Extension[]) => Extension[];
  /** `inject` queues an extra record (any content type) right after the returned messages. */
  outgoingHandshake?: (
    message: Uint8Array,
    inject: (type: number, content: Uint8Array) => void,
  ) => Uint8Array | Uint8Array[];
}

interface Direction {
  protector: RecordProtector;
  suite: CipherSuiteInfo;
  secret: Uint8Array;
  epoch: Epoch;
}

const ALERT_BYTES = 2;
/**
 * Empty application data records in a row before unexpected_message (the
 * bound OpenSSL applies, MAX_EMPTY_RECORDS 32). Empty handshake and alert
 * fragments are refused outright (record-layer.ts, §5.1 / §5.4).
 */
export const MAX_CONSECUTIVE_EMPTY_RECORDS = 32;
/**
 * Output the transport has not taken after which receive() holds further
 * records (bytes): four full records. A larger single answer (an SLH-DSA
 * certificate flight) is still produced whole; only the records after it
 * wait until the transport takes it.
 */
export const MAX_UNTAKEN_OUTGOING_BYTES = 64 * 1024;
const CHANGE_CIPHER_SPEC_VALUE = 1;

class Connection implements TlsConnection, HandshakeIo {
  private readonly deframer = new RecordDeframer();
  private readonly joiner = new HandshakeJoiner();
  private readonly engine: HandshakeEngine;
  private outgoing: Uint8Array[] = [];
  private pendingHandshake: Uint8Array[] = [];
  private appData: Uint8Array[] = [];
  private read?: Direction;
  private write?: Direction;
  private ccsReceived = false;
  /** A record from the peer opened under its keys: from then on it has keys, and sends no plaintext. */
  private peerProtected = false;
  private consecutiveEmptyRecords = 0;
  /**
   * Where sendv gathers a record's plaintext when the write key seals
   * detached (RecordProtector.sealDetached); holds the last record's
   * plaintext until the next overwrites it, wiped at close.
   */
  private sendScratch: Uint8Array | undefined;
  /** Bytes of sealed records in `outgoing`, not yet taken by the transport. */
  private outgoingBytes = 0;
  /** receive() stopped with input left because receivePaused (see heldRecords). */
  private held = false;
  /** Our KeyUpdate answering update_requested is queued and not yet taken (§4.6.3; coalesced). */
  private keyUpdateReplyQueued = false;
  /** §4.2.10: refused 0-RTT records being skipped, and how many bytes so far (one budget per connection). */
  private earlyDataSkip: EarlyDataSkip | undefined;
  private skippedEarlyDataBytes = 0;
  private peerRecordLimit = MAX_INNER_PLAINTEXT_BYTES;
  private readonly padding: number;
  private readonly crypto: Crypto;
  private _handshakeComplete = false;
  private _peerClosed = false;
  private _closed = false;
  private _error?: TlsError;
  private _info?: NegotiatedInfo;

  constructor(
    side: "client" | "server",
    config: TlsClientConfig | TlsServerConfig,
    private readonly hooks: PeerHooks = {},
  ) {
    const common = resolveCommon(config);
    this.crypto = common.crypto;
    this.padding = common.padding;
    const resolved = { ...config, crypto: common.crypto };
    this.engine =
      side === "client"
        ? createClientHandshake(resolved as TlsClientConfig, this, hooks.clientHelloExtensions)
        : createServerHandshake(resolved as TlsServerConfig, this);
    this.flush();
  }

  get handshakeComplete(): boolean {
    return this._handshakeComplete;
  }
  get peerClosed(): boolean {
    return this._peerClosed;
  }
  get closed(): boolean {
    return this._closed;
  }
  get error(): TlsError | undefined {
    return this._error;
  }
  get info(): NegotiatedInfo | undefined {
    return this._info;
  }

  // --- input

  receive(data: Uint8Array): void {
    if (this._error || this._peerClosed) return;
    try {
      if (data.length > 0) this.deframer.push(data);
      // Backpressure: while the transport has not taken our output, records wait in the deframer
      // (bounded by MAX_DEFRAMER_BUFFER_BYTES), so a peer cannot make us queue answers without end.
      while (!this.receivePaused) {
        const record = this.deframer.next();
        if (!record) break;
        this.onRecord(record);
        if (this._error || this._peerClosed) break;
      }
      this.held = this.receivePaused && this.deframer.buffered > 0;
      this.flush();
    } catch (e) {
      this.fail(e);
    }
  }

  detachInput(): void {
    this.deframer.detach();
  }

  get receivePaused(): boolean {
    return this.outgoingBytes > MAX_UNTAKEN_OUTGOING_BYTES;
  }

  get heldRecords(): boolean {
    return this.held && !this._error && !this._peerClosed;
  }

  private onRecord(record: TlsRecord): void {
    if (record.type === ContentType.change_cipher_spec) {
      this.onChangeCipherSpec(record.fragment);
      return;
    }
    const type = record.type;
    const content = record.fragment;
    if (this.read) {
      // A peer that fails before it has keys (a client refusing our ServerHello) can only answer
      // with a plaintext alert, so one is taken until the peer's first protected record opens.
      // After that its records are protected (§5.2: the outer type is application_data), and a
      // plaintext alert is someone else's: open() refuses it with unexpected_message.
      if (record.type === ContentType.alert && !this.peerProtected && content.length === ALERT_BYTES) {
        this.onAlert(content);
        return;
      }
      const opened =
        this.earlyDataSkip === "until-decryptable"
          ? this.openOrSkipEarlyData(record)
          : this.read.protector.open(record);
      if (opened === undefined) return;
      this.onProtectedContent(opened.type, opened.content);
      return;
    } else if (type === ContentType.application_data) {
      if (this.earlyDataSkip === "until-plaintext") {
        this.countSkippedEarlyData(record);
        return;
      }
      throw fatal("unexpected_message", "application data before the handshake keys");
    } else if (type === ContentType.handshake) {
      // The second ClientHello ends the 0-RTT data of the first (§4.2.10).
      this.earlyDataSkip = undefined;
    }
    this.onContent(type, content);
  }

  private onProtectedContent(type: number, content: Uint8Array): void {
    this.peerProtected = true;
    this.onContent(type, content);
  }

  private onContent(type: number, content: Uint8Array): void {
    if (type === ContentType.alert) this.onAlert(content);
    else if (type === ContentType.handshake) this.onHandshakeFragment(content);
    else if (type === ContentType.application_data) this.onApplicationData(content);
    else throw fatal("unexpected_message", `record content type ${type}`);
  }

  /** §4.2.10: a record the handshake key cannot open is 0-RTT data we refused; the first that opens ends the skipping. */
  private openOrSkipEarlyData(record: TlsRecord): { type: number; content: Uint8Array } | undefined {
    const opened =
      record.type === ContentType.application_data ? this.read!.protector.tryOpen(record) : undefined;
    if (opened === undefined && record.type === ContentType.application_data) {
      this.countSkippedEarlyData(record);
      return undefined;
    }
    this.earlyDataSkip = undefined;
    return opened ?? this.read!.protector.open(record);
  }

  private countSkippedEarlyData(record: TlsRecord): void {
    this.skippedEarlyDataBytes += record.fragment.length;
    if (this.skippedEarlyDataBytes > MAX_SKIPPED_EARLY_DATA_BYTES) {
      throw fatal(
        "unexpected_message",
        `more than ${MAX_SKIPPED_EARLY_DATA_BYTES} bytes of refused early data (${this.skippedEarlyDataBytes})`,
      );
    }
  }

  private onApplicationData(content: Uint8Array): void {
    // Only under the peer's application keys, i.e. after its Finished verified.
    if (this.read?.epoch !== "application")
      throw fatal("unexpected_message", "application data before Finished");
    if (this.joiner.buffered > 0) {
      throw fatal("unexpected_message", "application data inside a fragmented handshake message");
    }
    // §5.4 allows zero-length application data (traffic analysis cover), but a peer sending only
    // those makes us work for nothing: a run of more than MAX_CONSECUTIVE_EMPTY_RECORDS ends it.
    if (content.length === 0) {
      if (++this.consecutiveEmptyRecords > MAX_CONSECUTIVE_EMPTY_RECORDS) {
        throw fatal(
          "unexpected_message",
          `more than ${MAX_CONSECUTIVE_EMPTY_RECORDS} consecutive empty application data records`,
        );
      }
      return;
    }
    this.consecutiveEmptyRecords = 0;
    // A view, not a copy: open() returns a fresh buffer per record that nothing else holds.
    this.appData.push(content);
  }

  /** §5 / §D.4: one unprotected change_cipher_spec (value 1) is dropped during the handshake; anything else is an error. */
  private onChangeCipherSpec(fragment: Uint8Array): void {
    const allowed =
      !this.ccsReceived && !this._handshakeComplete && this.engine.started && this.joiner.buffered === 0;
    if (!allowed || fragment.length !== 1 || fragment[0] !== CHANGE_CIPHER_SPEC_VALUE) {
      throw fatal("unexpected_message", "unexpected change_cipher_spec");
    }
    this.ccsReceived = true;
  }

  private onAlert(content: Uint8Array): void {
    if (content.length !== ALERT_BYTES) throw fatal("decode_error", `alert of ${content.length} bytes`);
    const description = content[1]!;
    if (description === AlertDescription.close_notify) {
      this._peerClosed = true;
      if (!this._handshakeComplete) this.engine.dispose?.();
      return;
    }
    // §6.1: user_canceled is followed by close_notify; every other alert is fatal in TLS 1.3.
    if (description === AlertDescription.user_canceled) return;
    this._error = new TlsError(description, "peer", "alert from peer");
    this._closed = true;
    this.pendingHandshake = [];
    wipe(this.sendScratch);
    this.engine.dispose?.();
  }

  private onHandshakeFragment(content: Uint8Array): void {
    // A copy the joiner owns: a plaintext record is a view of the carrier's chunk (and a Buffer's slice() would be one too).
    this.joiner.push(copyBytes(content));
    for (let m = this.joiner.next(); m; m = this.joiner.next()) {
      this.onHandshakeMessage(m);
      if (this._error || this._closed) return;
    }
  }

  private onHandshakeMessage(m: HandshakeMessage): void {
    if (
      m.type === HandshakeType.key_update &&
      this._handshakeComplete &&
      this.read?.epoch === "application"
    ) {
      this.onKeyUpdate(m);
      return;
    }
    this.engine.handle(m);
  }

  /** §4.6.3: new read keys; answer update_requested with our own KeyUpdate. */
  private onKeyUpdate(m: HandshakeMessage): void {
    const request = keyUpdate.decode(m.body);
    if (request !== KeyUpdateRequest.update_not_requested && request !== KeyUpdateRequest.update_requested) {
      throw fatal("illegal_parameter", `KeyUpdate request_update ${request}`);
    }
    const read = this.read!;
    this.setReadKey(
      read.suite,
      nextTrafficSecret(this.crypto.hash(read.suite.hash), read.secret),
      "application",
    );
    // §4.6.3: answer before our next application data. One answer covers every request that
    // came before it: while ours has not left (takeOutgoing), further requests add nothing.
    if (request === KeyUpdateRequest.update_requested && !this._closed && !this.keyUpdateReplyQueued) {
      this.sendKeyUpdate(false);
      this.keyUpdateReplyQueued = true;
    }
  }

  // --- HandshakeIo (called by the state machines)

  sendHandshake(message: Uint8Array): void {
    const rewrite = this.hooks.outgoingHandshake;
    if (!rewrite) {
      this.pendingHandshake.push(message);
      return;
    }
    const injected: [number, Uint8Array][] = [];
    this.pendingHandshake.push(
      ...[rewrite(message, (type, content) => injected.push([type, content]))].flat(),
    );
    if (injected.length === 0) return;
    this.flush();
    for (const [type, content] of injected) this.pushRecord(type, content);
  }

  sendChangeCipherSpec(): void {
    this.flush();
    this.queueOutgoing(
      encodePlainRecord(ContentType.change_cipher_spec, Uint8Array.of(CHANGE_CIPHER_SPEC_VALUE)),
    );
  }

  setWriteKey(suite: CipherSuiteInfo, secret: Uint8Array, epoch: Epoch): void {
    this.flush();
    this.write?.protector.wipe();
    wipe(this.write?.secret);
    this.write = {
      protector: new RecordProtector(this.crypto, suite, secret),
      suite,
      secret: secret.slice(),
      epoch,
    };
  }

  setReadKey(suite: CipherSuiteInfo, secret: Uint8Array, epoch: Epoch): void {
    // §5.1: handshake messages MUST NOT span a key change.
    if (this.joiner.buffered > 0) throw fatal("unexpected_message", "handshake message spans a key change");
    this.read?.protector.wipe();
    wipe(this.read?.secret);
    this.read = {
      protector: new RecordProtector(this.crypto, suite, secret),
      suite,
      secret: secret.slice(),
      epoch,
    };
  }

  skipEarlyData(mode: EarlyDataSkip): void {
    this.earlyDataSkip = mode;
  }

  setRecordSizeLimits(ours: number, peers: number): void {
    this.peerRecordLimit = Math.min(peers, MAX_INNER_PLAINTEXT_BYTES);
    this.deframer.setMaxCiphertext(maxCiphertextForRecordSizeLimit(ours));
  }

  complete(info: NegotiatedInfo): void {
    this._handshakeComplete = true;
    this._info = info;
  }

  // --- output

  /** Seals queued handshake bytes into as few records as the limits allow (§5.1: several messages per record). */
  private flush(): void {
    if (this.pendingHandshake.length === 0) return;
    const all = concatChunks(this.pendingHandshake);
    this.pendingHandshake = [];
    const max = this.write ? this.maxFragment() : MAX_PLAINTEXT_BYTES;
    for (let i = 0; i < all.length; i += max)
      this.pushRecord(ContentType.handshake, all.subarray(i, i + max));
  }

  /** Largest content per protected record: the peer's RFC 8449 limit counts the content type byte. */
  private maxFragment(): number {
    return Math.min(MAX_PLAINTEXT_BYTES, this.peerRecordLimit - 1);
  }

  private pushRecord(type: number, content: Uint8Array): void {
    if (!this.write) {
      this.queueOutgoing(encodePlainRecord(type, content));
      return;
    }
    this.queueOutgoing(this.write.protector.seal(type, content, this.paddingFor(content.length)));
  }

  /** Zero bytes to add after `contentLength` content bytes: the configured block, within the peer's limit. */
  private paddingFor(contentLength: number): number {
    if (this.padding <= 0) return 0;
    const pad = (this.padding - ((contentLength + 1) % this.padding)) % this.padding;
    return Math.min(pad, this.peerRecordLimit - contentLength - 1);
  }

  private queueOutgoing(record: Uint8Array): void {
    this.outgoing.push(record);
    this.outgoingBytes += record.length;
  }

  takeOutgoing(): Uint8Array[] {
    this.flush();
    const out = this.outgoing;
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.keyUpdateReplyQueued = false;
    return out;
  }

  takeApplicationData(): Uint8Array[] {
    const out = this.appData;
    this.appData = [];
    return out;
  }

  send(data: Uint8Array): void {
    this.sendv([data]);
  }

  /**
   * Sends the concatenation of `chunks` as application data in as few
   * records as the limits allow (§5.1: records need not follow write
   * boundaries): many small writes (frames of node:http2 or pqrpc/1) become
   * one record rather than one each. Each byte is copied once, into its
   * record, which is then sealed in place.
   */
  sendv(chunks: readonly Uint8Array[]): void {
    this.ensureOpen("send");
    // §5.5: rekey before the AEAD's safe record count runs out.
    if (this.write?.protector.keyUpdateDue) this.sendKeyUpdate(false);
    let remaining = 0;
    for (const c of chunks) remaining += c.length;
    if (remaining === 0) return;
    const protector = this.write!.protector;
    const max = this.maxFragment();
    const detached = protector.sealsDetached;
    let index = 0;
    let offset = 0;
    while (remaining > 0) {
      const n = Math.min(max, remaining);
      const pad = this.paddingFor(n);
      // Detached (node:crypto): the content gathers in one reused scratch and the record leaves as the
      // provider's ciphertext and tag behind a small header, so no record-sized array is allocated per
      // record. Otherwise every byte of a new record is written: the content here, the rest by sealInPlace.
      const record = detached
        ? this.scratchFor(n + 1 + pad)
        : allocUninitialized(RecordProtector.recordLength(n, pad));
      let at = detached ? 0 : RECORD_HEADER_BYTES;
      const end = at + n;
      while (at < end) {
        const chunk = chunks[index]!;
        const k = Math.min(chunk.length - offset, end - at);
        record.set(offset === 0 && k === chunk.length ? chunk : chunk.subarray(offset, offset + k), at);
        at += k;
        offset += k;
        if (offset === chunk.length) {
          index++;
          offset = 0;
        }
      }
      if (detached) {
        for (const part of protector.sealDetached(ContentType.application_data, record, n, pad))
          this.queueOutgoing(part);
      } else {
        this.queueOutgoing(protector.sealInPlace(ContentType.application_data, record, n, pad));
      }
      remaining -= n;
    }
  }

  /** The reused gather buffer of detached sealing, at least `length` bytes (at most one record's inner plaintext). */
  private scratchFor(length: number): Uint8Array {
    let scratch = this.sendScratch;
    if (scratch === undefined || scratch.length < length) {
      wipe(scratch);
      scratch = new Uint8Array(Math.max(length, Math.min(MAX_PLAINTEXT_BYTES + 1, this.peerRecordLimit)));
      this.sendScratch = scratch;
    }
    return scratch;
  }

  private ensureOpen(what: string): void {
    if (this._error) throw this._error;
    if (this._closed) throw new TlsError(AlertDescription.internal_error, "local", `${what} after close`);
    if (!this._handshakeComplete || this.write?.epoch !== "application") {
      throw new TlsError(
        AlertDescription.internal_error,
        "local",
        `${what} before the handshake is complete`,
      );
    }
  }

  close(): void {
    if (this._closed) return;
    if (!this._handshakeComplete) this.engine.dispose?.();
    this.flush();
    this.pushRecord(ContentType.alert, Uint8Array.of(AlertLevel.warning, AlertDescription.close_notify));
    this._closed = true;
    wipe(this.sendScratch);
  }

  keyUpdate(requestPeer = false): void {
    this.ensureOpen("keyUpdate");
    this.sendKeyUpdate(requestPeer);
  }

  /** §4.6.3: the KeyUpdate goes under the old key; everything after under the next one. */
  private sendKeyUpdate(requestPeer: boolean): void {
    const write = this.write!;
    this.sendHandshake(
      keyUpdate.encode(
        requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested,
      ),
    );
    const next = nextTrafficSecret(this.crypto.hash(write.suite.hash), write.secret);
    this.setWriteKey(write.suite, next, "application");
    wipe(next);
  }

  /** Ends the connection on a local or peer failure: one fatal alert, nothing after it. */
  private fail(e: unknown): void {
    const error = toTlsError(e);
    this._error = error;
    this._closed = true;
    this.pendingHandshake = [];
    this.engine.dispose?.();
    if (error.origin === "local") {
      try {
        this.pushRecord(ContentType.alert, Uint8Array.of(AlertLevel.fatal, error.alert));
      } catch {
        // The write key itself is unusable: nothing more can be sent.
      }
    }
  }
}

function toTlsError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  const name = (e as { name?: string })?.name;
  const code = (e as { code?: string })?.code;
  if (name === "CryptoError" && code === "invalid-input")
    return fatal("illegal_parameter", (e as Error).message);
  return fatal("internal_error", e instanceof Error ? e.message : String(e));
}

export function createTlsClient(config: TlsClientConfig): TlsConnection {
  return new Connection("client", config);
}

export function createTlsServer(config: TlsServerConfig): TlsConnection {
  return new Connection("server", config);
}

/** For tests only: a connection whose outgoing handshake messages pass through `hooks` (see PeerHooks). */
export function createHostilePeer(side: "client", config: TlsClientConfig, hooks: PeerHooks): TlsConnection;
export function createHostilePeer(side: "server", config: TlsServerConfig, hooks: PeerHooks): TlsConnection;
export function createHostilePeer(
  side: "client" | "server",
  config: TlsClientConfig | TlsServerConfig,
  hooks: PeerHooks,
): TlsConnection {
  return new Connection(side, config, hooks);
}
