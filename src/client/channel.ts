/**
 * The client channel (DESIGN.md §7): a ClientTransport over one PQ TLS
 * connection at a time, so `createClient(Greeter, channel)` works.
 *
 * - Connecting: eagerly in connect(), or by the first call (lazy). Calls
 *   opened while connecting wait for the connection (PendingCall).
 * - Loss: calls in flight fail with UNAVAILABLE (the protocol session fails
 *   their streams); the next call reconnects. A session that received GOAWAY
 *   finishes its calls while new ones go to a fresh connection.
 * - Resumption: the newest session ticket (RFC 8446 §4.6.1) is offered on
 *   the next connection, which then skips the certificate exchange. Each
 *   ticket is offered once (§C.4: clients should not reuse tickets); the
 *   server sends new ones on every connection.
 * - Backoff: after a failed attempt, calls fail at once with UNAVAILABLE
 *   until the backoff allows the next attempt; a success resets it.
 */
import { loadWasmProvider } from "../crypto/index.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { RPC_SYSTEM_GRPC, RPC_SYSTEM_PQRPC } from "../observability/semconv.ts";
import { resolveTelemetry, type Telemetry } from "../observability/telemetry.ts";
import { closeGracefully } from "../protocol/graceful-close.ts";
import type { CallObserver, ObservedTransport } from "../rpc/call-observer.ts";
import { Code } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { ClientCallStream, ClientTransport, RequestHead } from "../rpc/transport.ts";
import type { NegotiatedInfo, ResumptionSession } from "../tls/index.ts";
import { DEFAULT_POLICY } from "../tls/policy.ts";
import { formatAddress, type HostPort, parseAddress } from "./address.ts";
import { Backoff } from "./backoff.ts";
import type { ConnectOptions } from "./connect-options.ts";
import { dial } from "./dial.ts";
import {
  DEFAULT_CHANNEL_CLOSE_GRACE_MS,
  DEFAULT_CLIENT_WEBSOCKET_PATH,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_MAX_MS,
} from "./limits.ts";
import { failedCall, PendingCall } from "./pending-call.ts";
import { type ProtocolSession, startSession } from "./protocol-session.ts";

/** One connection attempt as the channel asks for it. */
export interface ConnectAttempt {
  readonly target: HostPort;
  /** :authority of the calls (RFC 9110 §7.2): the server name and port. */
  readonly authority: string;
  readonly options: ConnectOptions;
  readonly serverName: string;
  /** A ticket from an earlier connection to offer (RFC 8446 §4.6.1). */
  readonly session: ResumptionSession | undefined;
  readonly onSessionTicket: (ticket: ResumptionSession) => void;
  /** The channel's telemetry, for the handshake's observer and the timed crypto. */
  readonly telemetry: Telemetry | undefined;
}

/** The outside world of a channel: tests pass fakes (no sockets, no clock). */
export interface ChannelDeps {
  /** Makes one connection and starts its protocol session. */
  connect(attempt: ConnectAttempt): Promise<ProtocolSession>;
  /** Milliseconds since the epoch, for the reconnect backoff. */
  now(): number;
}

/** The real thing: TCP or WebSocket, the TLS handshake, then pqrpc/1 or h2 over it. */
export const NODE_CHANNEL_DEPS: ChannelDeps = {
  async connect(a) {
    // Fast PQ crypto (liboqs wasm) on runtimes without it natively; idempotent.
    await loadWasmProvider();
    const o = a.options;
    const t = a.telemetry;
    const base = o.crypto ?? defaultCrypto();
    const crypto = t === undefined ? o.crypto : t.crypto(base);
    const observer = t?.handshake("client", {
      peer: formatAddress(a.target),
      policy: o.policy ?? DEFAULT_POLICY,
      crypto: base,
    });
    const tls = await dial({
      target: a.target,
      transport: o.transport ?? "tcp",
      webSocketPath: o.webSocketPath ?? DEFAULT_CLIENT_WEBSOCKET_PATH,
      timeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      tls: {
        verifier: t === undefined ? o.trust : t.verifier(o.trust, base),
        serverName: a.serverName,
        alpnProtocols: [o.protocol ?? "pqrpc/1"],
        ...(o.policy === undefined ? {} : { policy: o.policy }),
        ...(crypto === undefined ? {} : { crypto }),
        ...(o.identity === undefined ? {} : { certificate: o.identity }),
        ...(a.session === undefined ? {} : { session: a.session }),
        onSessionTicket: a.onSessionTicket,
        ...(observer === undefined ? {} : { handshakeObserver: observer }),
        // The engine's keyLog callback (TLS branch); an engine without it ignores the field.
        ...(o.keyLog === undefined ? {} : { keyLog: o.keyLog }),
      },
    });
    return startSession(tls, a.authority, o);
  },
  now: () => Date.now(),
};

/** Counts for monitoring and leak checks. */
export interface ChannelStats {
  /** Connections open now (the current one plus any finishing after GOAWAY). */
  readonly openConnections: number;
  /** Successful connections so far (1 + reconnects). */
  readonly connects: number;
  /** Of those, connections that resumed a TLS session. */
  readonly resumed: number;
  /** Failed connection attempts so far. */
  readonly failedAttempts: number;
}

export class Channel implements ClientTransport, ObservedTransport {
  readonly target: HostPort;
  /** Metrics and traces (undefined with `telemetry: false`). */
  readonly telemetry: Telemetry | undefined;
  /** What createClient observes this channel's calls with (rpc/call-observer.ts). */
  readonly callObserver: CallObserver | undefined;
  private readonly options: ConnectOptions;
  private readonly serverName: string;
  private readonly backoff: Backoff;
  private current: ProtocolSession | undefined;
  private connecting: Promise<ProtocolSession> | undefined;
  private readonly open = new Set<ProtocolSession>();
  private ticket: ResumptionSession | undefined;
  private lastError: RpcError | undefined;
  private lastInfo: NegotiatedInfo | undefined;
  private closing: Promise<void> | undefined;
  private counts = { connects: 0, resumed: 0, failedAttempts: 0 };

  constructor(
    address: string,
    options: ConnectOptions,
    private readonly deps: ChannelDeps = NODE_CHANNEL_DEPS,
  ) {
    this.target = parseAddress(address);
    this.options = options;
    this.serverName = options.serverName ?? this.target.host;
    this.telemetry = resolveTelemetry(options.telemetry);
    this.callObserver = this.telemetry?.clientCalls({
      system: options.protocol === "h2" ? RPC_SYSTEM_GRPC : RPC_SYSTEM_PQRPC,
      serverAddress: this.serverName,
      serverPort: this.target.port,
    });
    this.backoff = new Backoff(
      options.reconnect?.initialMs ?? DEFAULT_RECONNECT_INITIAL_MS,
      options.reconnect?.maxMs ?? DEFAULT_RECONNECT_MAX_MS,
    );
  }

  /** The negotiated TLS parameters of the newest connection (undefined before the first). */
  get info(): NegotiatedInfo | undefined {
    return this.lastInfo;
  }

  get stats(): ChannelStats {
    return { openConnections: this.open.size, ...this.counts };
  }

  openCall(head: RequestHead): ClientCallStream {
    if (this.closing) return failedCall(new RpcError(Code.UNAVAILABLE, "the channel is closed"));
    const current = this.current;
    if (current?.usable) return current.transport.openCall(head);
    return new PendingCall(this.connection().then((session) => session.transport.openCall(head)));
  }

  /** Connects now if not connected; resolves with the connection's TLS parameters. */
  async ready(): Promise<NegotiatedInfo> {
    return (await this.connection()).info;
  }

  /**
   * Closes the channel: new calls fail with UNAVAILABLE, calls in flight get
   * `graceMs` to finish, then the connections are destroyed.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutDown(options.graceMs ?? DEFAULT_CHANNEL_CLOSE_GRACE_MS);
    return this.closing;
  }

  private async shutDown(graceMs: number): Promise<void> {
    await this.connecting?.catch(() => {});
    await closeGracefully([...this.open], graceMs);
  }

  /** The usable connection, the one being made, or a new attempt (unless backing off). */
  private connection(): Promise<ProtocolSession> {
    if (this.closing) return Promise.reject(new RpcError(Code.UNAVAILABLE, "the channel is closed"));
    if (this.current?.usable) return Promise.resolve(this.current);
    if (this.connecting) return this.connecting;
    const wait = this.backoff.remaining(this.deps.now());
    if (wait > 0) {
      const last = this.lastError?.rawMessage ?? "the last attempt failed";
      return Promise.reject(
        new RpcError(Code.UNAVAILABLE, `${last}; next connection attempt in ${wait} ms`, {
          cause: this.lastError,
        }),
      );
    }
    const attempt = this.attempt();
    this.connecting = attempt;
    const forget = () => {
      if (this.connecting === attempt) this.connecting = undefined;
    };
    attempt.then(forget, forget);
    return attempt;
  }

  private async attempt(): Promise<ProtocolSession> {
    const session = this.ticket;
    this.ticket = undefined;
    let connection: ProtocolSession;
    try {
      connection = await this.deps.connect({
        target: this.target,
        authority: `${this.serverName}:${this.target.port}`,
        options: this.options,
        serverName: this.serverName,
        session,
        onSessionTicket: (t) => {
          this.ticket = t;
        },
        telemetry: this.telemetry,
      });
    } catch (e) {
      this.counts.failedAttempts++;
      this.backoff.fail(this.deps.now());
      const error = new RpcError(
        Code.UNAVAILABLE,
        `connect to ${formatAddress(this.target)} failed: ${(e as Error).message ?? String(e)}`,
        { cause: e },
      );
      this.lastError = error;
      throw error;
    }
    this.backoff.succeed();
    this.counts.connects++;
    if (connection.info.resumed) this.counts.resumed++;
    this.lastInfo = connection.info;
    this.open.add(connection);
    void connection.closed.then(() => {
      this.open.delete(connection);
      if (this.current === connection) this.current = undefined;
    });
    if (this.closing) {
      // close() came while we were connecting: this connection takes no calls.
      void connection.close();
      throw new RpcError(Code.UNAVAILABLE, "the channel is closed");
    }
    this.current = connection;
    return connection;
  }
}

/** A channel that connects on its first call. */
export function createChannel(address: string, options: ConnectOptions): Channel {
  return new Channel(address, options);
}

/**
 * Opens a channel to `address` ("host:port"). Unless `lazy`, resolves once
 * the first connection is up and rejects (RpcError UNAVAILABLE) if it cannot be made.
 */
export async function connect(address: string, options: ConnectOptions): Promise<Channel> {
  const channel = new Channel(address, options);
  if (!options.lazy) {
    try {
      await channel.ready();
    } catch (e) {
      await channel.close();
      throw e;
    }
  }
  return channel;
}
