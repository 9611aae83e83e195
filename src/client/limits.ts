/** Limits of the client channel (ours, not wire rules); each is overridable in ConnectOptions. */

/**
 * Time for one connection attempt: TCP connect (and WebSocket upgrade) plus
 * the TLS handshake, ms. 20 s, gRPC's MIN_CONNECT_TIMEOUT
 * (doc/connection-backoff.md), which grpc-js and grpc-go clients use.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** Wait after the first failed attempt before the next may start, ms; doubles per failure. */
export const DEFAULT_RECONNECT_INITIAL_MS = 100;
/** Longest wait between attempts, ms. */
export const DEFAULT_RECONNECT_MAX_MS = 10_000;
/** Spread of each wait, as a fraction (gRPC connection-backoff.md uses 0.2): clients do not retry in lockstep. */
export const RECONNECT_JITTER = 0.2;
/** channel.close(): time calls in flight get before the connections are destroyed, ms. */
export const DEFAULT_CHANNEL_CLOSE_GRACE_MS = 5_000;
/** Default WebSocket path of the server endpoint. */
export const DEFAULT_CLIENT_WEBSOCKET_PATH = "/";
