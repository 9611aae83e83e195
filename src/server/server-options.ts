/** What createServer takes (DESIGN.md §7). */
import type { Crypto } from "../crypto/types.ts";
import type { Telemetry } from "../observability/telemetry.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import type { KeepaliveOptions, Settings } from "../protocol/frames/index.ts";
import type { Http2ServerLimits } from "../protocol/grpc/http2-server-settings.ts";
import type { ReceiveBudgetOptions } from "../rpc/receive-budget.ts";
import type { RouterOptions } from "../rpc/router.ts";
import type { HealthRegistryOptions } from "../services/health/index.ts";
import type { ExternalPsk } from "../tls/config.ts";
import type { PolicyName } from "../tls/index.ts";
import type { TicketSealer } from "../tls/ticket-sealer.ts";

/** The application protocols a server offers in ALPN (RFC 7301). */
export type ServerProtocol = "h2" | "pqrpc/1";

export interface ServerOptions extends RouterOptions {
  /** The server's certificate chain and private key (or several, chosen by the client's signature_algorithms). */
  readonly identity: CertifiedKey | readonly CertifiedKey[];
  /** TLS policy (DESIGN.md §4); default "hybrid". */
  readonly policy?: PolicyName;
  /** Crypto for the TLS handshakes; default: the process-wide selection. */
  readonly crypto?: Crypto;
  /** Protocols offered, in the server's preference order; default both, ["h2", "pqrpc/1"]. */
  readonly alpn?: readonly ServerProtocol[];
  /** Client certificates: "request" or "require" them, verified by `trust`. Default "none". */
  readonly clientAuth?: "none" | "request" | "require";
  /** Verifies client certificates (required with clientAuth "request" or "require"). */
  readonly trust?: PeerVerifier;
  /** Accept TLS over WebSocket upgrades on the same port (default true, on path "/"). */
  readonly webSocket?: boolean | { readonly path?: string };
  /**
   * Issue session tickets for resumption (default true: keys of this server's own, rotating).
   * A TicketSealer given here is used as it is: one with shared keys (setKeys, or
   * watchTicketKeyFile) lets several processes resume each other's tickets.
   */
  readonly sessionTickets?: boolean | TicketSealer;
  /**
   * Resume tickets with psk_ke too (no key share: no forward secrecy for the resumed session),
   * for devices that wake on a tight budget (DESIGN.md §4). Default false: tickets need psk_dhe_ke.
   */
  readonly allowTicketPskKe?: boolean;
  /**
   * External PSKs agreed out of band with devices (DESIGN.md §4 embedded profile), by identity;
   * an identity imported with RFC 9258 is looked up by its external identity.
   */
  readonly externalPsks?: (identity: Uint8Array) => ExternalPsk | undefined;
  /** Connections open at once; more are closed on accept (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /**
   * Connections open at once from one source IP address; more from it are
   * closed on accept (default DEFAULT_MAX_CONNECTIONS_PER_SOURCE), so one
   * host cannot take every slot of maxConnections.
   */
  readonly maxConnectionsPerSource?: number;
  /**
   * Connections not yet serving (first byte, WebSocket upgrade, TLS
   * handshake) at once; more are closed on accept (default
   * DEFAULT_MAX_CONCURRENT_HANDSHAKES). Bounds the CPU and memory that
   * handshakes in progress take.
   */
  readonly maxConcurrentHandshakes?: number;
  /** From accept to the connection's first byte, ms (default DEFAULT_FIRST_BYTE_TIMEOUT_MS). */
  readonly firstByteTimeoutMs?: number;
  /**
   * Request message bytes held (being assembled, or waiting for their
   * handler) per connection and in all; over it a message gets
   * RESOURCE_EXHAUSTED, and over the server's share the connection holding
   * the most is closed. Defaults in rpc/receive-budget.ts (8 MiB, 128 MiB).
   */
  readonly receiveBudget?: ReceiveBudgetOptions;
  /** HTTP/2 (ALPN "h2") limits: streams, windows, header list, preface and idle timeouts. */
  readonly http2?: Http2ServerLimits;
  /**
   * From accept to a finished TLS handshake (first byte, WebSocket upgrade and
   * TLS), ms: a peer that connects and stays silent holds a slot at most this
   * long (default DEFAULT_HANDSHAKE_TIMEOUT_MS, 120 s).
   */
  readonly handshakeTimeoutMs?: number;
  /** pqrpc/1 session tuning: announced settings and keepalive PINGs. */
  readonly frames?: {
    readonly settings?: Partial<Settings>;
    readonly keepalive?: KeepaliveOptions;
    /** Close a connection with no open stream after this long, ms (default DEFAULT_SERVER_IDLE_TIMEOUT_MS; 0: never). */
    readonly idleTimeoutMs?: number;
    /** Time a client has to send its SETTINGS after the handshake, ms (default DEFAULT_SETTINGS_TIMEOUT_MS). */
    readonly settingsTimeoutMs?: number;
  };
  /**
   * Serve grpc.health.v1.Health from `server.health`: "" and every service
   * registered with service() start SERVING, close() turns all NOT_SERVING.
   * Default false: like grpc-go, the application opts in.
   */
  readonly health?: boolean | HealthRegistryOptions;
  /** Serve gRPC server reflection (v1 and v1alpha) of the registered services. Default false: it publishes the schema. */
  readonly reflection?: boolean;
  /** Sees connection-level failures (handshake errors, protocol errors) for logging. */
  readonly onConnectionError?: (error: Error) => void;
  /**
   * Metrics, traces and security events (src/observability). Default: the
   * global OpenTelemetry providers (no-op without an SDK); false: none.
   * Its SecurityMonitor, when it has one, gets the server's security events
   * and its block list is consulted on accept.
   */
  readonly telemetry?: Telemetry | false;
  /**
   * Receives every connection's TLS 1.3 secrets as NSS key log lines (for
   * Wireshark; see observability/key-log-file.ts for SSLKEYLOGFILE). Anyone
   * with them can decrypt the traffic: debugging only. Passed to the TLS
   * engine's `keyLog` config callback.
   */
  readonly keyLog?: (line: string) => void;
}

/** Where listen() binds. */
export interface ListenOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default: all interfaces, as node:net ("::" or "0.0.0.0"). */
  readonly host?: string;
}

/** The bound address listen() resolves with. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly family: string;
}

export interface CloseOptions {
  /** Time in-flight calls get to finish before connections are destroyed, ms (default DEFAULT_CLOSE_GRACE_MS). */
  readonly graceMs?: number;
}

/** Counts for monitoring and leak checks. */
export interface ServerStats {
  /** Accepted TCP connections still open (any stage). */
  readonly connections: number;
  /** Of those, connections still sniffing, upgrading or in the TLS handshake. */
  readonly handshaking: number;
  /** Serving sessions (pqrpc/1 and HTTP/2). */
  readonly sessions: number;
  /** Calls whose handler has not finished. */
  readonly calls: number;
  /** Connections closed on accept because of maxConnections, a per-source or handshake cap, or shutdown (cumulative). */
  readonly rejected: number;
  /** Request message bytes held now across connections (the receive budget's use). */
  readonly bufferedRequestBytes: number;
  /** Connections that failed before serving: timeout, bad handshake, no ALPN (cumulative). */
  readonly failedHandshakes: number;
}
