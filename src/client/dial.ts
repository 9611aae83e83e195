/**
 * One connection attempt: the carrier (TCP, or a WebSocket carrying TLS
 * records), then the TLS handshake, bounded as a whole by a timeout.
 */
import { connectTls, type TlsConnectOptions, tlsConnect } from "../transport/tls-connect.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { connectWebSocket } from "../transport/websocket-connect.ts";
import { formatAddress, type HostPort } from "./address.ts";

export interface DialOptions {
  readonly target: HostPort;
  readonly transport: "tcp" | "websocket";
  readonly webSocketPath: string;
  readonly timeoutMs: number;
  /** TLS options except the abort signal and handshake timeout, which the dial sets. */
  readonly tls: TlsConnectOptions;
}

export async function dial(options: DialOptions): Promise<TlsSocket> {
  const { target, timeoutMs } = options;
  // Aborting ends the attempt; the signal is never fired once the handshake is done.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const tls: TlsConnectOptions = { ...options.tls, signal: abort.signal, handshakeTimeoutMs: timeoutMs };
  try {
    if (options.transport === "websocket") {
      const path = options.webSocketPath.startsWith("/")
        ? options.webSocketPath
        : `/${options.webSocketPath}`;
      const carrier = await connectWebSocket(`ws://${formatAddress(target)}${path}`, {
        openTimeoutMs: timeoutMs,
        signal: abort.signal,
      });
      return await tlsConnect(carrier, tls);
    }
    return await connectTls(target.host, target.port, tls);
  } finally {
    clearTimeout(timer);
  }
}
