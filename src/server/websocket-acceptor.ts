/**
 * The WebSocket side of the shared port: a node:http server that is never
 * listening itself but is fed the sniffed sockets whose first byte was not a
 * TLS record. It accepts only an RFC 6455 upgrade on the configured path
 * (via `ws` in noServer mode); any other HTTP request gets 426 Upgrade
 * Required (RFC 9110 §15.5.22), a wrong path 404.
 */
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { WEBSOCKET_MAX_MESSAGE_BYTES, WebSocketStream } from "../transport/websocket-stream.ts";

export interface WebSocketAcceptorOptions {
  readonly path: string;
  /** Bounds the upgrade request's headers (node:http headersTimeout), ms. */
  readonly timeoutMs: number;
  /** A carrier for TLS, with the upgraded socket it runs on. */
  readonly onCarrier: (carrier: WebSocketStream, socket: Socket) => void;
}

export interface WebSocketAcceptor {
  /** Hands a sniffed (non-TLS) socket to the HTTP parser. */
  accept(socket: Socket): void;
  /** Stops the helper servers (sockets are the owner's to destroy). */
  close(): void;
}

export function createWebSocketAcceptor(options: WebSocketAcceptorOptions): WebSocketAcceptor {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false, // TLS records are ciphertext: compression only costs CPU
    maxPayload: WEBSOCKET_MAX_MESSAGE_BYTES,
    clientTracking: false,
  });
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(426, { connection: "close", upgrade: "websocket", "content-type": "text/plain" });
    res.end("this port speaks TLS, or TLS over a WebSocket upgrade\n");
  });
  http.headersTimeout = options.timeoutMs;
  http.requestTimeout = options.timeoutMs;
  http.keepAliveTimeout = 0;
  http.on("clientError", (_error, socket: Duplex) => socket.destroy());
  http.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => {});
    const path = (req.url ?? "").split("?")[0];
    if (path !== options.path) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    // handleUpgrade answers a malformed upgrade (400) itself and then never calls back.
    wss.handleUpgrade(req, socket, head, (ws) => {
      const carrier = new WebSocketStream(ws, {
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
      });
      options.onCarrier(carrier, socket);
    });
  });
  return {
    accept(socket) {
      http.emit("connection", socket);
    },
    close() {
      wss.close();
      http.close();
    },
  };
}
