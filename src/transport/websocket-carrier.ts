/**
 * Constants of TLS-over-WebSocket carriers that the Node adapter
 * (websocket-stream.ts, over `ws`) and the browser's (web/web-frame-session.ts)
 * share. No imports: the browser bundle takes this file and nothing of Node.
 */

/** Time for the TCP connect plus the HTTP upgrade of a WebSocket we open, ms. */
export const DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS = 10_000;
/** After end(), how long the peer may take to end its side before the WebSocket is closed, ms. */
export const WEBSOCKET_CLOSE_LINGER_MS = 2_000;
/** RFC 6455 §7.4.1 status code of a normal closure. */
export const WS_CLOSE_NORMAL = 1000;
/** RFC 6455 §7.4.1: the endpoint received data it cannot accept (a text message). */
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
