/**
 * pqrpc on a constrained device (issue 8, DESIGN.md §4 embedded profile):
 * the sans-IO TLS 1.3 engine and the sans-IO pqrpc/1 frame connection
 * behind one event-driven object. The host moves bytes and time:
 *
 *   receive(bytes, nowMs)   bytes from the network
 *   takeOutgoing()          bytes for the network (null when none)
 *   poll(nowMs) / nextDeadline()   time: keepalive, timeouts
 *   takeEvents()            connected, ticket, headers, message, trailers, error, closed
 *
 * No promise, timer, Node or DOM API is used; crypto and randomness come in
 * through `crypto`. Calls carry serialized messages (the device encodes its
 * protobuf messages itself, with any codec). sleep() turns the session into
 * bytes for flash; a client created with `resume` resumes it in one round
 * trip (psk_ke, or psk_dhe_ke for forward secrecy).
 */
import { concatChunks } from "../bytes/bytes.ts";
import type { CipherSuiteName, GroupName } from "../crypto/registry.ts";
import type { Crypto, SignatureName } from "../crypto/types.ts";
import type { PeerVerifier } from "../pki/types.ts";
import { FrameConnection } from "../protocol/frames/connection.ts";
import type { KeepaliveOptions } from "../protocol/frames/connection-options.ts";
import type { HeaderField } from "../protocol/frames/header-field.ts";
import { rpcCodeForStreamError } from "../protocol/frames/rpc-errors.ts";
import type { Settings } from "../protocol/frames/settings.ts";
import { Code, codeFromWire } from "../rpc/code.ts";
import { encodeTimeout } from "../rpc/timeout-header.ts";
import type { ExternalPsk, ResumptionSession, TlsClientConfig } from "../tls/config.ts";
import { createTlsClient, type TlsConnection } from "../tls/connection.ts";
import type { NegotiatedInfo } from "../tls/handshake-io.ts";
import type { PolicyName } from "../tls/policy.ts";
import { DeviceError } from "./device-error.ts";
import { decodeSleepState, encodeSleepState } from "./sleep-state.ts";

/** The ALPN of pqrpc/1, the only protocol a device speaks. */
const ALPN = "pqrpc/1";
/** Default record size limit (RFC 8449) a device announces: small records, small buffers. */
export const DEFAULT_DEVICE_RECORD_SIZE_LIMIT = 2048;
/**
 * Default pqrpc/1 settings of a device: few streams. Windows, frame size and header table stay
 * at the protocol's defaults, which are also its minimums (SPEC §SETTINGS: settings only raise
 * them), so a device's receive memory is bounded by the 64 KiB connection window plus one message.
 */
export const DEFAULT_DEVICE_SETTINGS: Readonly<Partial<Settings>> = {
  maxConcurrentStreams: 4,
};
/** Largest message a device accepts by default, bytes. */
export const DEFAULT_DEVICE_MAX_MESSAGE_BYTES = 16 * 1024;
/** From the first byte out to a finished handshake, ms. */
export const DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface DeviceClientOptions {
  /** Crypto and randomness of the device (no default: a device brings its own). */
  readonly crypto: Crypto;
  /** SNI and the certificate name; false only with a PSK and no certificate. */
  readonly serverName: string | false;
  /** Certificate profile: verifies the server's chain. */
  readonly verifier?: PeerVerifier;
  /** PSK profile: an external PSK (RFC 9258 importer if `importer` is set). */
  readonly psk?: ExternalPsk;
  /**
   * PSK modes offered (default ["psk_dhe_ke"]). "psk_ke" alone sends no key share: the
   * cheapest wake, without forward secrecy; the server must allow it.
   */
  readonly pskModes?: readonly ("psk_ke" | "psk_dhe_ke")[];
  /** A sleep state from sleep(): resume that session. */
  readonly resume?: Uint8Array;
  readonly policy?: PolicyName;
  /** Default ["MLKEM768"]: the smallest PQ share a device computes. */
  readonly groups?: readonly GroupName[];
  /** Default ["TLS_CHACHA20_POLY1305_SHA256"]: fast without AES hardware. */
  readonly cipherSuites?: readonly CipherSuiteName[];
  readonly signatureSchemes?: readonly SignatureName[];
  /** RFC 8449, default DEFAULT_DEVICE_RECORD_SIZE_LIMIT. */
  readonly recordSizeLimit?: number;
  /** pqrpc/1 settings over DEFAULT_DEVICE_SETTINGS. */
  readonly settings?: Partial<Settings>;
  readonly keepalive?: KeepaliveOptions;
  readonly maxMessageBytes?: number;
  readonly handshakeTimeoutMs?: number;
  /** The time now, ms (the clock of every later call). */
  readonly nowMs: number;
}

export interface CallOptions {
  /** Metadata (lowercase names; values string, or Uint8Array for -bin names). */
  readonly metadata?: readonly HeaderField[];
  readonly timeoutMs?: number;
  /** Sent at once; with `end`, the whole request of a unary or server-streaming call. */
  readonly request?: Uint8Array;
  /** End the request after `request` (default true when `request` is given). */
  readonly end?: boolean;
}

export type DeviceEvent =
  | { readonly type: "connected"; readonly info: NegotiatedInfo }
  /** A ticket arrived: sleep() can now resume without the PSK or a full handshake. */
  | { readonly type: "ticket" }
  | { readonly type: "headers"; readonly call: number; readonly metadata: readonly HeaderField[] }
  | { readonly type: "message"; readonly call: number; readonly data: Uint8Array }
  /** The call ended: status 0 is OK; failures (resets, a lost connection) end here too. */
  | {
      readonly type: "trailers";
      readonly call: number;
      readonly status: Code;
      readonly message: string;
      readonly metadata: readonly HeaderField[];
    }
  | { readonly type: "error"; readonly error: Error }
  | { readonly type: "closed" };

export class DeviceClient {
  private readonly tls: TlsConnection;
  private frames: FrameConnection | undefined;
  private readonly events: DeviceEvent[] = [];
  private now: number;
  private session: ResumptionSession | undefined;
  private readonly handshakeDeadline: number;
  private readonly calls = new Set<number>();
  private done = false;
  private readonly authority: string | undefined;

  constructor(private readonly options: DeviceClientOptions) {
    this.now = options.nowMs;
    const resume = options.resume === undefined ? undefined : decodeSleepState(options.resume);
    this.session = resume;
    this.authority = options.serverName === false ? undefined : options.serverName;
    const config: TlsClientConfig = {
      crypto: options.crypto,
      serverName: options.serverName,
      verifier: options.verifier ?? refuseCertificates,
      alpnProtocols: [ALPN],
      groups: [...(options.groups ?? ["MLKEM768"])],
      cipherSuites: [...(options.cipherSuites ?? ["TLS_CHACHA20_POLY1305_SHA256"])],
      ...(options.signatureSchemes === undefined ? {} : { signatureSchemes: [...options.signatureSchemes] }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      recordSizeLimit: options.recordSizeLimit ?? DEFAULT_DEVICE_RECORD_SIZE_LIMIT,
      // Middlebox compatibility costs bytes and a device talks to its own server: off.
      middleboxCompat: false,
      now: () => this.now,
      ...(options.psk === undefined ? {} : { externalPsk: options.psk }),
      ...(options.pskModes === undefined ? {} : { pskModes: [...options.pskModes] }),
      ...(resume === undefined ? {} : { session: resume }),
      onSessionTicket: (s) => {
        this.session = s;
        this.events.push({ type: "ticket" });
      },
    };
    this.tls = createTlsClient(config);
    this.handshakeDeadline = this.now + (options.handshakeTimeoutMs ?? DEFAULT_DEVICE_HANDSHAKE_TIMEOUT_MS);
    this.afterTls();
  }

  /** True once the handshake is done and calls can be made. */
  get connected(): boolean {
    return this.frames !== undefined && !this.done;
  }

  get info(): NegotiatedInfo | undefined {
    return this.tls.info;
  }

  receive(bytes: Uint8Array, nowMs: number = this.now): void {
    this.now = nowMs;
    if (this.done) return;
    this.tls.receive(bytes);
    this.afterTls();
  }

  /** Everything to send now, as one buffer; null when there is nothing. */
  takeOutgoing(): Uint8Array | null {
    this.pumpFrames();
    const out = this.tls.takeOutgoing();
    return out.length === 0 ? null : concatChunks(out);
  }

  poll(nowMs: number): void {
    this.now = nowMs;
    if (this.done) return;
    if (this.frames === undefined) {
      if (nowMs >= this.handshakeDeadline)
        this.fail(new DeviceError("not-connected", "the handshake timed out"));
      return;
    }
    this.frames.poll(nowMs);
    this.drainFrames();
  }

  /** When poll() must next be called, ms; undefined when nothing is due. */
  nextDeadline(): number | undefined {
    if (this.done) return undefined;
    if (this.frames === undefined) return this.handshakeDeadline;
    return this.frames.nextDeadline();
  }

  takeEvents(): DeviceEvent[] {
    return this.events.splice(0);
  }

  /** Starts a call to `path` ("/pkg.Service/Method"); returns its id, which its events carry. */
  call(path: string, options: CallOptions = {}): number {
    const frames = this.requireFrames();
    const fields: HeaderField[] = [[":path", path]];
    if (this.authority !== undefined) fields.push([":authority", this.authority]);
    fields.push(["content-type", "application/grpc"]);
    if (options.timeoutMs !== undefined) fields.push(["grpc-timeout", encodeTimeout(options.timeoutMs)]);
    for (const f of options.metadata ?? []) fields.push(f);
    const id = frames.openStream(fields);
    this.calls.add(id);
    if (options.request !== undefined) {
      frames.sendMessage(id, options.request, { endStream: options.end ?? true });
    } else if (options.end === true) {
      frames.sendEnd(id);
    }
    return id;
  }

  /** Sends one request message on a streaming call. */
  send(call: number, data: Uint8Array, options: { end?: boolean } = {}): void {
    this.requireCall(call);
    this.requireFrames().sendMessage(call, data, { endStream: options.end ?? false });
  }

  /** Ends the request half of a call. */
  end(call: number): void {
    this.requireCall(call);
    this.requireFrames().sendEnd(call);
  }

  cancel(call: number): void {
    if (!this.calls.has(call)) return;
    this.requireFrames().resetStream(call);
    this.drainFrames();
  }

  /**
   * The session as bytes to keep while asleep, and an orderly close (GOAWAY, close_notify):
   * send takeOutgoing() before dropping the link. Needs a ticket (a "ticket" event) unless the
   * device has an external PSK, in which case it may wake from its configuration alone.
   */
  sleep(): Uint8Array | undefined {
    const session = this.session;
    if (session === undefined && this.options.psk === undefined) {
      throw new DeviceError("no-session", "no ticket from the server yet and no external PSK to wake with");
    }
    this.close();
    return session === undefined ? undefined : encodeSleepState(session);
  }

  /** An orderly close: GOAWAY and close_notify (send takeOutgoing() before dropping the link). */
  close(): void {
    if (this.done) return;
    this.frames?.close();
    this.pumpFrames();
    this.tls.close();
    this.finish();
  }

  private afterTls(): void {
    const error = this.tls.error;
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    if (this.frames === undefined && this.tls.handshakeComplete) {
      this.frames = new FrameConnection(
        {
          role: "client",
          settings: { ...DEFAULT_DEVICE_SETTINGS, ...this.options.settings },
          maxReceiveMessageBytes: this.options.maxMessageBytes ?? DEFAULT_DEVICE_MAX_MESSAGE_BYTES,
          ...(this.options.keepalive === undefined ? {} : { keepalive: this.options.keepalive }),
        },
        this.now,
      );
      this.events.push({ type: "connected", info: this.tls.info! });
    }
    if (this.frames !== undefined) {
      const data = this.tls.takeApplicationData();
      if (data.length > 0) this.frames.receive(data.length === 1 ? data[0]! : concatChunks(data), this.now);
      this.drainFrames();
    }
    if (this.tls.peerClosed && !this.done) this.finish();
  }

  /** Frames' bytes into TLS records. */
  private pumpFrames(): void {
    if (this.frames === undefined || this.tls.closed) return;
    const chunks = this.frames.takeOutgoing();
    if (chunks !== null && chunks.length > 0) this.tls.sendv(chunks);
    this.drainFrames();
  }

  private drainFrames(): void {
    const frames = this.frames;
    if (frames === undefined) return;
    for (const e of frames.takeEvents()) {
      switch (e.type) {
        case "headers":
          this.events.push({ type: "headers", call: e.streamId, metadata: e.fields });
          break;
        case "message":
          this.events.push({ type: "message", call: e.streamId, data: e.data });
          // The device has the bytes: the window opens again (flow control).
          frames.consume(e.streamId);
          break;
        case "trailers":
          this.calls.delete(e.streamId);
          this.events.push({
            type: "trailers",
            call: e.streamId,
            status: codeFromWire(e.status),
            message: e.message,
            metadata: e.fields,
          });
          break;
        case "stream-failed":
          if (this.calls.delete(e.streamId)) {
            this.events.push({
              type: "trailers",
              call: e.streamId,
              status: rpcCodeForStreamError(e.error),
              message: e.error.message,
              metadata: [],
            });
          }
          break;
        case "closed": {
          // The frame connection ended (keepalive timeout, GOAWAY drained, a protocol error):
          // what it has left to say (a GOAWAY) goes out before close_notify.
          if (e.error !== undefined) this.events.push({ type: "error", error: e.error });
          const rest = frames.takeOutgoing();
          if (!this.tls.closed) {
            if (rest !== null && rest.length > 0) this.tls.sendv(rest);
            this.tls.close();
          }
          if (!this.done) this.finish();
          break;
        }
        default:
          break;
      }
    }
  }

  private endCalls(status: Code, message: string): void {
    for (const call of this.calls)
      this.events.push({ type: "trailers", call, status, message, metadata: [] });
    this.calls.clear();
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.events.push({ type: "error", error });
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.endCalls(Code.UNAVAILABLE, "the connection closed");
    this.events.push({ type: "closed" });
  }

  private requireFrames(): FrameConnection {
    if (this.frames === undefined || this.done) {
      throw new DeviceError("not-connected", "wait for the connected event; calls need a finished handshake");
    }
    return this.frames;
  }

  private requireCall(call: number): void {
    if (!this.calls.has(call)) throw new DeviceError("unknown-call", `no call ${call} in progress`);
  }
}

/** The verifier of a PSK-only device: a server that answers with a certificate is refused. */
const refuseCertificates: PeerVerifier = {
  verify() {
    throw new DeviceError("not-connected", "this device has no trust anchors: PSK only");
  },
};

export function createDeviceClient(options: DeviceClientOptions): DeviceClient {
  return new DeviceClient(options);
}
