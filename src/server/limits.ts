/** Limits of the server's connection handling (ours, not wire rules); each is overridable in ServerOptions. */

/** Connections open at once (sniffing, handshaking or serving); more are closed on accept. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Graceful close: time in-flight calls get to finish before connections are destroyed, ms. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
/** The WebSocket endpoint's path. */
export const DEFAULT_WEBSOCKET_PATH = "/";
/** TLSPlaintext.type of a handshake record (RFC 8446 §5.1): the first byte of every TLS ClientHello. */
export const TLS_HANDSHAKE_CONTENT_TYPE = 0x16;
