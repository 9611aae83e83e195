/** What connect() takes (DESIGN.md §7). */
import type { Crypto } from "../crypto/types.ts";
import type { Telemetry } from "../observability/telemetry.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import type { KeepaliveOptions, Settings } from "../protocol/frames/index.ts";
import type { PolicyName } from "../tls/index.ts";

export interface ConnectOptions {
  /** Verifies the server's certificate chain (e.g. loadTrust("ca.pem")). */
  readonly trust: PeerVerifier;
  /** SNI and the name the certificate must carry; default: the address's host. */
  readonly serverName?: string;
  /** The carrier of TLS: a TCP connection (default) or a WebSocket to ws://host:port/path. */
  readonly transport?: "tcp" | "websocket";
  /** The WebSocket endpoint's path (default "/"). */
  readonly webSocketPath?: string;
  /** Wire protocol, offered in ALPN: "pqrpc/1" (default) or gRPC over HTTP/2 ("h2"). */
  readonly protocol?: "pqrpc/1" | "h2";
  /** TLS policy (DESIGN.md §4); default "hybrid". */
  readonly policy?: PolicyName;
  readonly crypto?: Crypto;
  /** A client certificate, sent if the server asks for one. */
  readonly identity?: CertifiedKey;
  /** Do not connect now: the first call does (default false: connect() resolves once connected). */
  readonly lazy?: boolean;
  /** One attempt's bound: carrier connect plus TLS handshake, ms (default DEFAULT_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
  /** Reconnect pacing after failed attempts, ms (defaults DEFAULT_RECONNECT_INITIAL_MS / _MAX_MS). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Largest received message, bytes (the transport's check; the rpc client has its own). */
  readonly maxReceiveMessageBytes?: number;
  /** pqrpc/1 session tuning: announced settings and keepalive PINGs. */
  readonly frames?: { readonly settings?: Partial<Settings>; readonly keepalive?: KeepaliveOptions };
  /**
   * Metrics and traces of this channel's calls and handshakes (src/observability).
   * Default: the global OpenTelemetry providers (no-op without an SDK); false: none.
   */
  readonly telemetry?: Telemetry | false;
  /** NSS key log lines of this channel's connections (debugging only; see ServerOptions.keyLog). */
  readonly keyLog?: (line: string) => void;
}
