/**
 * Client side of the WebSocket carrier: open a WebSocket (RFC 6455 §4.1)
 * and hand back the WebSocketStream that TLS runs over. The WebSocket itself
 * is plain ws:// on purpose: the TLS 1.3 connection inside it is the
 * security layer (wss:// would wrap a second, classical TLS around it).
 */
import type { ClientRequest, IncomingMessage } from "node:http";
import { WebSocket } from "ws";
import { TransportError } from "./errors.ts";
import { DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS } from "./websocket-carrier.ts";
import {
  WEBSOCKET_MAX_MESSAGE_BYTES,
  WebSocketStream,
  type WebSocketStreamOptions,
} from "./websocket-stream.ts";

export interface WebSocketConnectOptions
  extends Omit<WebSocketStreamOptions, "remoteAddress" | "remotePort"> {
  /** Time for the TCP connect and the upgrade, ms (default 10 s). */
  openTimeoutMs?: number;
  /** Extra request headers of the upgrade (e.g. for a proxy). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Opens `url` (ws://host:port/path) and resolves with the open carrier. */
export function connectWebSocket(
  url: string,
  options: WebSocketConnectOptions = {},
): Promise<WebSocketStream> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        perMessageDeflate: false, // TLS records are ciphertext: compression only costs CPU
        maxPayload: WEBSOCKET_MAX_MESSAGE_BYTES,
        handshakeTimeout: options.openTimeoutMs ?? DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS,
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      });
    } catch (error) {
      // A malformed URL is the caller's mistake, reported as a rejection.
      reject(error);
      return;
    }
    const cleanup = () => {
      ws.off("open", onOpen);
      ws.off("error", onError);
      ws.off("unexpected-response", onUnexpected);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: Error) => {
      cleanup();
      ws.on("error", () => {});
      ws.terminate();
      reject(error);
    };
    const onOpen = () => {
      cleanup();
      resolve(new WebSocketStream(ws, { highWaterMark: options.highWaterMark }));
    };
    const onError = (error: Error) => fail(error);
    const onUnexpected = (_req: ClientRequest, res: IncomingMessage) => {
      res.resume();
      fail(
        new TransportError(
          "websocket-upgrade",
          `${url}: the server answered HTTP ${res.statusCode}, not 101`,
        ),
      );
    };
    const onAbort = () => fail(new TransportError("aborted", `WebSocket connect to ${url} aborted`));
    ws.once("open", onOpen);
    ws.once("error", onError);
    ws.once("unexpected-response", onUnexpected);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
