/**
 * Opens a browser WebSocket (RFC 6455 §4.1) for TLS records. ws:// is
 * enough: the TLS 1.3 connection inside is the security layer; a page served
 * over https must use wss:// (mixed content), which wraps the browser's own
 * classical TLS around ours and costs nothing in security.
 */

import { TransportError } from "../transport/errors.ts";
import { DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS } from "../transport/websocket-carrier.ts";

export interface OpenWebSocketOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves with the open WebSocket; rejects with a TransportError (the browser gives no detail on failure). */
export function openWebSocket(url: string, options: OpenWebSocketOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      // A malformed URL or a forbidden scheme/port is the caller's mistake, reported as a rejection.
      reject(error);
      return;
    }
    ws.binaryType = "arraybuffer";
    const timeoutMs = options.timeoutMs ?? DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS;
    const settle = (error: Error | undefined) => {
      clearTimeout(timer);
      ws.removeEventListener("open", onOpen);
      ws.removeEventListener("error", onError);
      options.signal?.removeEventListener("abort", onAbort);
      if (error === undefined) {
        resolve(ws);
      } else {
        ws.close();
        reject(error);
      }
    };
    const onOpen = () => settle(undefined);
    const onError = () =>
      settle(
        new TransportError("websocket-upgrade", `WebSocket ${url} could not be opened (refused or not 101)`),
      );
    const onAbort = () => settle(new TransportError("aborted", `WebSocket connect to ${url} aborted`));
    const timer = setTimeout(
      () =>
        settle(new TransportError("websocket-upgrade", `WebSocket ${url} not open after ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.addEventListener("open", onOpen);
    ws.addEventListener("error", onError);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
