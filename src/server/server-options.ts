/** What createServer takes (DESIGN.md §7). */
import type { Crypto } from "../crypto/types.ts";
import type { Telemetry } from "../observability/telemetry.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import type { KeepaliveOptions, Settings } from "../protocol/frames/index.ts";
import type { RouterOptions } from "../rpc/router.ts";
import type { HealthRegistryOptions } from "../services/health/index.ts";
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
  /** Connections open at once; more are closed on accept (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /**
   * From accept to a finished TLS handshake (first byte, WebSocket upgrade and
   * TLS), ms: a peer that connects and stays silent holds a slot at most this
   * long (default DEFAULT_HANDSHAKE_TIMEOUT_MS, 120 s).
   */
  readonly handshakeTimeoutMs?: number;
  /** pqrpc/1 session tuning: announced settings and keepalive PINGs. */
  readonly frames?: { readonly settings?: Partial<Settings>; readonly keepalive?: KeepaliveOptions };
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
  /** Connections closed on accept because of maxConnections or shutdown (cumulative). */
  readonly rejected: number;
  /** Connections that failed before serving: timeout, bad handshake, no ALPN (cumulative). */
  readonly failedHandshakes: number;
}
