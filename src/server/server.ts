/**
 * The user-facing server (DESIGN.md §7): one TCP port that takes raw TLS and
 * TLS over WebSocket upgrades, and after the handshake serves gRPC over
 * HTTP/2 (ALPN "h2") or pqrpc/1 (ALPN "pqrpc/1") with one router.
 *
 *   accept -> TCP_NODELAY -> peek first byte
 *     0x16 (a TLS record)  -> TLS handshake on the socket
 *     else (HTTP/1.1)      -> WebSocket upgrade -> TLS handshake on its messages
 *   -> by ALPN: node:http2 + the gRPC handler, or a pqrpc/1 FrameSession
 *
 * Every connection is bounded from accept to its first byte
 * (firstByteTimeoutMs) and to the end of its handshake (handshakeTimeoutMs);
 * open connections by maxConnections, per source address by
 * maxConnectionsPerSource, and those still handshaking by
 * maxConcurrentHandshakes, so one host's silent connections cannot lock
 * the others out (issue 9, item 3). Request bytes held across connections
 * are bounded by one receive budget (rpc/receive-budget.ts).
 * close() is graceful: the port stops accepting, sessions get GOAWAY (both
 * protocols), calls in flight finish, and whatever is left after the grace
 * period is destroyed.
 */
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import type { Duplex } from "node:stream";
import type { DescService } from "@bufbuild/protobuf";
import { loadWasmProvider } from "../crypto/index.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { createRouter } from "../node/rpc-defaults.ts";
import { resolveTelemetry, type Telemetry } from "../observability/telemetry.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { closeGracefully } from "../protocol/graceful-close.ts";
import { peerAddress } from "../rpc/peer.ts";
import { ReceiveBudget } from "../rpc/receive-budget.ts";
import type { Router } from "../rpc/router.ts";
import type { ServiceHandlers } from "../rpc/service-types.ts";
import type { CallHandler } from "../rpc/transport.ts";
import { addHealthService, HealthRegistry } from "../services/health/index.ts";
import { addReflectionService } from "../services/reflection/index.ts";
import type { TlsServerConfig } from "../tls/index.ts";
import { DEFAULT_POLICY } from "../tls/policy.ts";
import { TicketSealer } from "../tls/ticket-sealer.ts";
import { tlsAccept } from "../transport/tls-connect.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type TlsSocket } from "../transport/tls-socket.ts";
import { WEBSOCKET_CLOSE_LINGER_MS } from "../transport/websocket-carrier.ts";
import { ServerError } from "./errors.ts";
import { carrierOf, peekFirstByte } from "./first-byte.ts";
import {
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
  DEFAULT_WEBSOCKET_PATH,
} from "./limits.ts";
import { peerOf } from "./peer.ts";
import {
  createServerProtocols,
  type ServerProtocolSession,
  type ServerProtocols,
} from "./protocol-session.ts";
import type {
  CloseOptions,
  ListenOptions,
  ServerAddress,
  ServerOptions,
  ServerProtocol,
  ServerStats,
} from "./server-options.ts";
import { validateGraceMs, validateIdentity, validateServerOptions } from "./validate-options.ts";
import { createWebSocketAcceptor, type WebSocketAcceptor } from "./websocket-acceptor.ts";

const DEFAULT_ALPN: readonly ServerProtocol[] = ["h2", "pqrpc/1"];

type ServerState = "idle" | "listening" | "closing" | "closed";

export class Server {
  private readonly options: ServerOptions;
  private readonly router: Router;
  private readonly handle: CallHandler;
  private readonly protocols: ServerProtocols;
  private readonly webSocket: WebSocketAcceptor | undefined;
  private readonly maxConnections: number;
  private readonly maxConnectionsPerSource: number;
  private readonly maxConcurrentHandshakes: number;
  private readonly firstByteTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  /** Request message bytes held by every connection's calls. */
  private readonly receiveBudget: ReceiveBudget;
  /** Every registered service, for reflection. */
  private readonly services: DescService[] = [];
  /** The statuses grpc.health.v1.Health reports; present when created with `health`. */
  readonly health: HealthRegistry | undefined;
  /** What the server reports to (metrics, traces, security events); undefined with `telemetry: false`. */
  readonly telemetry: Telemetry | undefined;

  private state: ServerState = "idle";
  private tcp: TcpServer | undefined;
  private tls: TlsServerConfig | undefined;
  /** The chains handshakes choose from; setIdentity() replaces them. */
  private identity: ServerOptions["identity"];
  /** One per server, kept across setIdentity(): tickets issued before a rotation still resume. */
  private ticketSealer: TicketSealer | undefined;
  private closing: Promise<void> | undefined;
  /** Every accepted TCP socket until it closes. */
  private readonly sockets = new Set<Socket>();
  /** Sockets not yet serving (sniffing, upgrading, handshaking). */
  private readonly handshaking = new Set<Socket>();
  /** Serving connections, either protocol. */
  private readonly sessions = new Set<ServerProtocolSession>();
  /** Accept-to-handshake timers of the sockets in `handshaking`. */
  private readonly deadlines = new Map<Socket, NodeJS.Timeout>();
  /** Open sockets per source IP address (maxConnectionsPerSource). */
  private readonly perSource = new Map<string, number>();
  private readonly drainWaiters: (() => void)[] = [];
  private calls = 0;
  private rejected = 0;
  private failedHandshakes = 0;

  constructor(options: ServerOptions) {
    validateServerOptions(options);
    this.options = options;
    this.identity = options.identity;
    this.telemetry = resolveTelemetry(options.telemetry);
    const callObserver = options.callObserver ?? this.telemetry?.serverCalls();
    this.router = createRouter(callObserver === undefined ? options : { ...options, callObserver });
    const builtIn = {
      service: <S extends DescService>(service: S, handlers: Partial<ServiceHandlers<S>>) => {
        this.router.service(service, handlers);
        this.services.push(service);
      },
    };
    if (options.health) {
      this.health = new HealthRegistry(options.health === true ? {} : options.health);
      addHealthService(builtIn, this.health);
    }
    if (options.reflection) addReflectionService(builtIn, () => this.services);
    const route = this.router.handle;
    const ended = () => {
      this.calls--;
    };
    // The router's promise itself, counted until it settles: no async wrapper and await per call.
    this.handle = (call) => {
      this.calls++;
      let handled: Promise<void>;
      try {
        handled = route(call);
      } catch (e) {
        ended();
        return Promise.reject(e);
      }
      handled.then(ended, ended);
      return handled;
    };
    this.receiveBudget = new ReceiveBudget(options.receiveBudget);
    this.protocols = createServerProtocols(this.handle, {
      ...options,
      receiveBudget: this.receiveBudget,
      ...(this.telemetry?.security === undefined ? {} : { security: this.telemetry.security }),
    });
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxConnectionsPerSource = options.maxConnectionsPerSource ?? DEFAULT_MAX_CONNECTIONS_PER_SOURCE;
    this.maxConcurrentHandshakes = options.maxConcurrentHandshakes ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES;
    this.firstByteTimeoutMs = options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const ws = options.webSocket ?? true;
    this.webSocket =
      ws === false
        ? undefined
        : createWebSocketAcceptor({
            path: (ws === true ? undefined : ws.path) ?? DEFAULT_WEBSOCKET_PATH,
            timeoutMs: this.handshakeTimeoutMs,
            onCarrier: (carrier, socket) => this.secure(carrier, socket),
          });
  }

  /** Registers a service; methods without a handler answer UNIMPLEMENTED. Chainable. */
  service<S extends DescService>(service: S, handlers: Partial<ServiceHandlers<S>>): this {
    if (this.state === "closing" || this.state === "closed") {
      throw new ServerError("closed", "service() on a closed server");
    }
    this.router.service(service, handlers);
    this.services.push(service);
    this.health?.addService(service.typeName);
    return this;
  }

  /**
   * Replaces the certificate chains (rotation without downtime): handshakes from now on get the
   * new ones; connections already up keep theirs and their calls go on; tickets issued before
   * still resume.
   */
  setIdentity(identity: ServerOptions["identity"]): void {
    if (this.state === "closing" || this.state === "closed") {
      throw new ServerError("closed", "setIdentity() on a closed server");
    }
    validateIdentity(identity);
    this.identity = identity;
    if (this.tls !== undefined) this.tls = this.tlsConfig();
  }

  /** Registered method paths ("/pkg.Service/Method"). */
  paths(): string[] {
    return this.router.paths();
  }

  /** Binds the port and starts accepting; resolves with the bound address. */
  async listen(options: ListenOptions): Promise<ServerAddress> {
    if (this.state === "listening")
      throw new ServerError("already-listening", "the server is already listening");
    if (this.state !== "idle") throw new ServerError("closed", "listen() on a closed server");
    this.state = "listening";
    try {
      // Fast PQ crypto (liboqs wasm) on runtimes without it natively; idempotent.
      await loadWasmProvider();
      this.tls = this.tlsConfig();
      const tcp = createTcpServer({ noDelay: true }, (socket) => this.onSocket(socket));
      this.tcp = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(options.port, options.host, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
      // Accept errors (EMFILE...) must not crash the process; the listener keeps serving.
      tcp.on("error", (e) => this.options.onConnectionError?.(e));
    } catch (error) {
      this.state = "closed";
      throw error;
    }
    const address = this.address;
    if (address === undefined) throw new ServerError("closed", "the server closed while binding");
    return address;
  }

  /** The bound address, while listening. */
  get address(): ServerAddress | undefined {
    const a = this.tcp?.address();
    if (a === null || a === undefined || typeof a === "string") return undefined;
    return { host: a.address, port: a.port, family: a.family };
  }

  get stats(): ServerStats {
    return {
      connections: this.sockets.size,
      handshaking: this.handshaking.size,
      sessions: this.sessions.size,
      calls: this.calls,
      rejected: this.rejected,
      bufferedRequestBytes: this.receiveBudget.heldBytes,
      failedHandshakes: this.failedHandshakes,
    };
  }

  /**
   * Graceful shutdown: stop accepting, GOAWAY every session, let calls in
   * flight finish for up to `graceMs`, then destroy what is left. Resolves
   * when every connection has closed and the port is released.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
    try {
      validateGraceMs(graceMs);
    } catch (error) {
      return Promise.reject(error);
    }
    this.closing ??= this.shutDown(graceMs);
    return this.closing;
  }

  private async shutDown(graceMs: number): Promise<void> {
    this.state = "closing";
    // NOT_SERVING first, so health watchers (load balancers) drain us while calls finish.
    this.health?.shutdown();
    const tcp = this.tcp;
    const unbound =
      tcp === undefined ? Promise.resolve() : new Promise<void>((resolve) => tcp.close(() => resolve()));
    // Nothing is in flight on a connection that is not serving yet.
    for (const socket of this.handshaking) socket.destroy();
    await closeGracefully([...this.sessions], graceMs, {
      until: this.drained(),
      onGraceOver: () => {
        for (const socket of this.sockets) socket.destroy();
      },
    });
    this.webSocket?.close();
    await unbound;
    this.state = "closed";
  }

  /** Resolves once no accepted socket is open. */
  private drained(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private tlsConfig(): TlsServerConfig {
    const o = this.options;
    const t = this.telemetry;
    const base = o.crypto ?? defaultCrypto();
    const crypto = t === undefined ? base : t.crypto(base);
    const identity = this.identity;
    const identities = (Array.isArray(identity) ? identity : [identity]) as readonly CertifiedKey[];
    const certificate = t === undefined ? identities : identities.map((id) => t.identity(id, base));
    const trust = o.trust === undefined || t === undefined ? o.trust : t.verifier(o.trust, base);
    if (o.sessionTickets !== false) {
      // One ticket key per server unless the caller shares one: tickets resume only where their key is.
      this.ticketSealer ??=
        o.sessionTickets instanceof TicketSealer ? o.sessionTickets : new TicketSealer(crypto);
    }
    return {
      crypto,
      certificate: Array.isArray(identity) ? [...certificate] : certificate[0]!,
      alpnProtocols: [...(o.alpn ?? DEFAULT_ALPN)],
      ...(o.policy === undefined ? {} : { policy: o.policy }),
      ...(o.clientAuth === undefined ? {} : { clientAuth: o.clientAuth }),
      ...(trust === undefined ? {} : { clientVerifier: trust }),
      ...(o.externalPsks === undefined ? {} : { externalPsks: o.externalPsks }),
      // The engine's keyLog callback (TLS branch); an engine without it ignores the field.
      ...(o.keyLog === undefined ? {} : { keyLog: o.keyLog }),
      sessionTickets:
        this.ticketSealer === undefined
          ? false
          : { sealer: this.ticketSealer, ...(o.allowTicketPskKe ? { allowPskKe: true } : {}) },
    };
  }

  private onSocket(socket: Socket): void {
    const source = socket.remoteAddress ?? "unknown";
    const fromSource = this.perSource.get(source) ?? 0;
    if (
      this.state !== "listening" ||
      this.sockets.size >= this.maxConnections ||
      fromSource >= this.maxConnectionsPerSource ||
      this.handshaking.size >= this.maxConcurrentHandshakes
    ) {
      // Refused before reading a byte: nothing was spent on it, and no event per connection (a flood would flood the log).
      this.rejected++;
      socket.destroy();
      return;
    }
    const peer = peerAddress(socket) ?? "unknown";
    if (this.telemetry?.security?.refuseOnAccept(peer)) {
      this.rejected++;
      socket.destroy();
      return;
    }
    this.perSource.set(source, fromSource + 1);
    this.sockets.add(socket);
    this.handshaking.add(socket);
    // Errors end in 'close', where the socket is forgotten; the listener keeps them from being thrown.
    socket.on("error", () => {});
    socket.setNoDelay(true);
    const deadline = setTimeout(() => {
      this.failedHandshakes++;
      this.telemetry?.security?.report({
        kind: "idle_connection",
        peer,
        reason: "handshake-timeout",
        detail: `no finished handshake after ${this.handshakeTimeoutMs} ms`,
      });
      socket.destroy();
    }, this.handshakeTimeoutMs);
    this.deadlines.set(socket, deadline);
    socket.once("close", () => {
      clearTimeout(deadline);
      this.deadlines.delete(socket);
      const left = (this.perSource.get(source) ?? 1) - 1;
      if (left === 0) this.perSource.delete(source);
      else this.perSource.set(source, left);
      this.sockets.delete(socket);
      this.handshaking.delete(socket);
      if (this.sockets.size === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    });
    void this.dispatch(socket, peer);
  }

  private async dispatch(socket: Socket, peer: string): Promise<void> {
    // A connection that says nothing is closed well before the handshake deadline.
    const silent = setTimeout(() => {
      this.failedHandshakes++;
      this.telemetry?.security?.report({
        kind: "idle_connection",
        peer,
        reason: "first-byte-timeout",
        detail: `no byte after ${this.firstByteTimeoutMs} ms`,
      });
      socket.destroy();
    }, this.firstByteTimeoutMs);
    const first = await peekFirstByte(socket);
    clearTimeout(silent);
    if (first === undefined || socket.destroyed) {
      socket.destroy();
      return;
    }
    if (carrierOf(first) === "tls") this.secure(socket, socket);
    else if (this.webSocket !== undefined) this.webSocket.accept(socket);
    else {
      this.failedHandshakes++;
      socket.destroy();
    }
  }

  /** Runs the TLS handshake on `carrier` (the socket itself, or a WebSocket over it), then serves. */
  private secure(carrier: Duplex, socket: Socket): void {
    const tls = this.tls;
    if (this.state !== "listening" || tls === undefined) {
      carrier.destroy();
      socket.destroy();
      return;
    }
    const observer = this.telemetry?.handshake("server", {
      peer: peerAddress(socket),
      policy: this.options.policy ?? DEFAULT_POLICY,
      crypto: tls.crypto ?? defaultCrypto(),
    });
    tlsAccept(carrier, {
      ...tls,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      ...(observer === undefined ? {} : { handshakeObserver: observer }),
    }).then(
      (secured) => {
        clearTimeout(this.deadlines.get(socket));
        this.deadlines.delete(socket);
        this.handshaking.delete(socket);
        this.serve(secured, socket);
      },
      (error: Error) => {
        this.failedHandshakes++;
        this.options.onConnectionError?.(error);
        // The TLS socket flushes its alert (RFC 8446 §6.2) and then closes the carrier; a
        // socket destroyed right away would drop it (a client saw a bare TCP close).
        if (carrier.destroyed) socket.destroy();
        else carrier.once("close", () => socket.destroy());
      },
    );
  }

  private serve(tls: TlsSocket, socket: Socket): void {
    if (this.state !== "listening") {
      tls.destroy();
      return;
    }
    // After the handshake the TLS socket reports failures through the session that owns it.
    tls.on("error", (e: Error) => this.options.onConnectionError?.(e));
    if (tls.carrier !== socket) {
      // A WebSocket waits for the peer's Close frame; a peer that never sends one must not hold the socket.
      tls.once("close", () => setTimeout(() => socket.destroy(), WEBSOCKET_CLOSE_LINGER_MS).unref());
    }
    const session = this.protocols.serve(tls, peerOf(tls));
    if (session === undefined) {
      // No protocol in common was refused by the handshake; a client that offered none gets here.
      this.failedHandshakes++;
      tls.destroy();
      return;
    }
    this.sessions.add(session);
    void session.closed.then(() => this.sessions.delete(session));
  }
}

/** Creates a server; add services with `service()`, then `listen()`. */
export function createServer(options: ServerOptions): Server {
  return new Server(options);
}
