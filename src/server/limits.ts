/** Limits of the server's connection handling (ours, not wire rules); each is overridable in ServerOptions. */

/** Connections open at once (sniffing, handshaking or serving); more are closed on accept. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/**
 * Time from accept to a finished TLS handshake, ms: covers the first byte,
 * the WebSocket upgrade when there is one, and the TLS handshake itself, so a
 * peer that connects and stays silent holds a slot for at most this long.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Graceful close: time in-flight calls get to finish before connections are destroyed, ms. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
/** The WebSocket endpoint's path. */
export const DEFAULT_WEBSOCKET_PATH = "/";
/** TLSPlaintext.type of a handshake record (RFC 8446 §5.1): the first byte of every TLS ClientHello. */
export const TLS_HANDSHAKE_CONTENT_TYPE = 0x16;
