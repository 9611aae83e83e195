/**
 * `connect` of pqrpc/web: the browser's WebSocket carries TLS records, our
 * TLS 1.3 engine secures them (X25519MLKEM768 + ML-DSA by default), and
 * pqrpc/1 frames carry the calls. The result is a channel for
 * `createClient(Service, channel)`, as in Node (DESIGN.md §7).
 *
 * One channel is one connection: once it is lost, calls fail with
 * UNAVAILABLE and the page connects again (no automatic reconnect here).
 */
import type { KemName, SignatureName } from "../crypto/types.ts";
import { TrustStore } from "../pki/trust-store.ts";
import type { KeepaliveOptions } from "../protocol/frames/connection-options.ts";
import { ALPN_PQRPC_1 } from "../protocol/frames/constants.ts";
import type { Settings } from "../protocol/frames/settings.ts";
import { createFramesClientTransport } from "../protocol/frames/transport.ts";
import type { NegotiatedInfo, TlsConnection } from "../tls/index.ts";
import type { PolicyName } from "../tls/policy.ts";
import { loadBrowserCrypto } from "./browser-crypto.ts";
import { type ChannelInfo, describeChannel, WebChannel } from "./channel.ts";
import { WebConnectError } from "./errors.ts";
import { openWebSocket } from "./open-websocket.ts";
import { WebFrameSession, webTlsConnect } from "./web-frame-session.ts";

/**
 * Settings the browser announces. The WebSocket API cannot stop reading, so
 * these windows are what bounds the bytes a server may have in flight to us:
 * 256 KiB per stream, 1 MiB per connection.
 */
export const BROWSER_SESSION_SETTINGS: Readonly<Partial<Settings>> = {
  initialStreamWindowBytes: 256 * 1024,
  initialConnectionWindowBytes: 1024 * 1024,
};
/** Default bound of the WebSocket open plus the TLS handshake, ms. */
export const DEFAULT_WEB_CONNECT_TIMEOUT_MS = 15_000;

export interface WebConnectOptions {
  /** The trusted CA certificates, PEM (one or more "BEGIN CERTIFICATE" blocks). */
  readonly trust: string;
  /** SNI and the name the certificate must carry; default: the URL's host name. */
  readonly serverName?: string;
  /** TLS policy (DESIGN.md §4); default "hybrid". */
  readonly policy?: PolicyName;
  /** WebSocket open plus TLS handshake, ms (default DEFAULT_WEB_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
  /** Aborts connecting. */
  readonly signal?: AbortSignal;
  /** liboqs modules to compile (see ./browser-crypto.ts), or false for noble only. */
  readonly wasm?: false | readonly (KemName | SignatureName)[];
  /** Largest received message, bytes (the transport's check; the rpc client has its own). */
  readonly maxReceiveMessageBytes?: number;
  /** pqrpc/1 session tuning: announced settings and keepalive PINGs. */
  readonly frames?: { readonly settings?: Partial<Settings>; readonly keepalive?: KeepaliveOptions };
}

/** Connects to `url` (ws:// or wss://host:port/path) and resolves once the server is verified. */
export async function connect(url: string, options: WebConnectOptions): Promise<WebChannel> {
  const parsed = parseUrl(url);
  if (typeof options?.trust !== "string") {
    throw new WebConnectError("bad-options", "options.trust must be the trusted CA certificates as PEM text");
  }
  const started = performance.now();
  const { crypto, wasmError } = await loadBrowserCrypto(
    options.wasm === undefined ? {} : { wasm: options.wasm },
  );
  const verifier = new TrustStore({ roots: options.trust, crypto });
  const serverName = options.serverName ?? parsed.hostname;
  const loaded = performance.now();

  // The caller's signal bounds connecting only.
  const connecting = new AbortController();
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_WEB_CONNECT_TIMEOUT_MS;
  const onCallerAbort = () => connecting.abort();
  if (options.signal?.aborted) connecting.abort();
  else options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  let opened: number;
  let ws: WebSocket;
  let tls: TlsConnection;
  let negotiated: NegotiatedInfo;
  try {
    ws = await openWebSocket(parsed.href, { timeoutMs, signal: connecting.signal });
    opened = performance.now();
    ({ tls, info: negotiated } = await webTlsConnect(
      ws,
      {
        crypto,
        verifier,
        serverName,
        alpnProtocols: [ALPN_PQRPC_1],
        ...(options.policy === undefined ? {} : { policy: options.policy }),
      },
      // What is left of the connect bound (a precise "handshake-timeout" error when it runs out).
      { timeoutMs: Math.max(1, timeoutMs - (opened - loaded)), signal: connecting.signal },
    ));
  } finally {
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
  const secured = performance.now();
  if (negotiated.alpn !== ALPN_PQRPC_1) {
    ws.close();
    throw new WebConnectError(
      "no-pqrpc",
      `the server at ${parsed.href} did not agree to ALPN "${ALPN_PQRPC_1}" (got ${negotiated.alpn ?? "none"})`,
    );
  }
  const session = new WebFrameSession(ws, tls, {
    role: "client",
    settings: { ...BROWSER_SESSION_SETTINGS, ...options.frames?.settings },
    ...(options.frames?.keepalive === undefined ? {} : { keepalive: options.frames.keepalive }),
    ...(options.maxReceiveMessageBytes === undefined
      ? {}
      : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
  });
  const authority = parsed.port === "" ? serverName : `${serverName}:${parsed.port}`;
  const info: ChannelInfo = describeChannel(negotiated, crypto, {
    url: parsed.href,
    cryptoLoadMs: loaded - started,
    webSocketMs: opened - loaded,
    handshakeMs: secured - opened,
    wasmError,
  });
  return new WebChannel(session, createFramesClientTransport(session, { authority }), info);
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebConnectError(
      "bad-url",
      `"${url}" is not a URL (expected ws://host:port or wss://host:port)`,
    );
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new WebConnectError("bad-url", `"${url}": the scheme must be ws: or wss:, not ${parsed.protocol}`);
  }
  return parsed;
}
