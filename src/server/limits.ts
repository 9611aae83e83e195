/** Limits of the server's connection handling (ours, not wire rules); each is overridable in ServerOptions. */

/** Connections open at once (sniffing, handshaking or serving); more are closed on accept. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Connections open at once from one source address (grpc-go has none; nginx's limit_conn is per source too). */
export const DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 64;
/** Connections before their TLS handshake finished, at once; more are closed on accept. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 256;
/** From accept to the first byte (a ClientHello or an HTTP/1.1 upgrade), ms: silent connections go early. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 10_000;
/** Graceful close: time in-flight calls get to finish before connections are destroyed, ms. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
/** The WebSocket endpoint's path. */
export const DEFAULT_WEBSOCKET_PATH = "/";
/** TLSPlaintext.type of a handshake record (RFC 8446 §5.1): the first byte of every TLS ClientHello. */
export const TLS_HANDSHAKE_CONTENT_TYPE = 0x16;
