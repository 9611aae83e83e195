/**
 * The browser's native WebSocket as the byte-stream carrier of TLS records:
 * a Duplex (node:stream in the types; the `readable-stream` package in the
 * bundle, see scripts/build-web.mjs) whose bytes travel in binary messages
 * (RFC 6455 §5.6). Message boundaries mean nothing: the TLS deframer
 * re-splits the stream. The Node twin over `ws` is src/transport/websocket-stream.ts.
 *
 * Flow control: the WHATWG WebSocket API has no way to stop reading, so
 * received bytes are bounded by the peer's flow control instead (pqrpc/1
 * stream and connection windows, BROWSER_SESSION_SETTINGS in ./connect.ts).
 * Writing is held back by `bufferedAmount`: a write is acknowledged while it
 * stays under our highWaterMark, else once it has drained (polled: the API
 * has no 'drain' event).
 *
 * Closing: a Close frame ends both directions (§5.5.1) while TLS sends
 * close_notify and then waits for the peer's, so end() closes the WebSocket
 * when the peer's side has ended too, or after WEBSOCKET_CLOSE_LINGER_MS.
 * A failed WebSocket fires 'error' (with no detail, by the WHATWG spec) and
 * then 'close': both end the readable side, and the TLS socket above reports
 * the missing close_notify as a truncation.
 */

import { Duplex } from "node:stream";
import { rechunk } from "../bytes/bytes.ts";
import { TransportError } from "../transport/errors.ts";
import { WEBSOCKET_CLOSE_LINGER_MS, WS_CLOSE_NORMAL } from "../transport/websocket-carrier.ts";

/** Default readable/writable buffer of the stream, bytes. */
export const DEFAULT_BROWSER_WEBSOCKET_HIGH_WATER_MARK_BYTES = 64 * 1024;
/** Largest message we send (the server accepts up to 1 MiB: WEBSOCKET_MAX_MESSAGE_BYTES), bytes. */
export const BROWSER_WEBSOCKET_MAX_SEND_BYTES = 256 * 1024;
/** How often a held-back write checks whether bufferedAmount has drained, ms. */
export const BUFFERED_AMOUNT_POLL_MS = 5;

export interface BrowserWebSocketStreamOptions {
  /** Readable and writable buffer, bytes (default 64 KiB). */
  highWaterMark?: number;
}

type Callback = (error?: Error | null) => void;

export class BrowserWebSocketStream extends Duplex {
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private drainTimer: ReturnType<typeof setInterval> | undefined;
  private readonly onMessage = (event: MessageEvent) => this.receive(event.data);
  private readonly onClose = () => this.peerClosed();

  /** `ws` must be open (see openWebSocket in ./open-websocket.ts). */
  constructor(
    readonly ws: WebSocket,
    options: BrowserWebSocketStreamOptions = {},
  ) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_BROWSER_WEBSOCKET_HIGH_WATER_MARK_BYTES;
    super({ highWaterMark, allowHalfOpen: false });
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", this.onMessage);
    ws.addEventListener("close", this.onClose);
  }

  private receive(data: unknown): void {
    if (this.destroyed) return;
    if (!(data instanceof ArrayBuffer)) {
      // Only TLS records travel here; a text message is a peer that speaks something else.
      this.ws.close(WS_CLOSE_NORMAL, "binary messages only");
      this.destroy(
        new TransportError("websocket-protocol", "a text message on a TLS-over-WebSocket carrier"),
      );
      return;
    }
    // No pause in the WebSocket API: see the file comment for what bounds this buffer.
    this.push(new Uint8Array(data));
  }

  private peerClosed(): void {
    this.clearTimers();
    if (!this.readableEnded && !this.destroyed) this.push(null);
  }

  override _read(): void {
    // Nothing to do: messages are pushed as they arrive.
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: Callback): void {
    this.send([chunk], callback);
  }

  override _writev(chunks: { chunk: Uint8Array; encoding: BufferEncoding }[], callback: Callback): void {
    this.send(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  private send(chunks: Uint8Array[], callback: Callback): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      // Closed: bytes written to a connection the peer has closed are lost (the reader already saw the end).
      callback();
      return;
    }
    // Our chunks are never views of a SharedArrayBuffer: the cast only narrows the type.
    for (const m of rechunk(chunks, BROWSER_WEBSOCKET_MAX_SEND_BYTES))
      this.ws.send(m as Uint8Array<ArrayBuffer>);
    if (this.ws.bufferedAmount <= this.writableHighWaterMark) {
      callback();
      return;
    }
    this.drainTimer = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount <= this.writableHighWaterMark) {
        clearInterval(this.drainTimer);
        this.drainTimer = undefined;
        callback();
      }
    }, BUFFERED_AMOUNT_POLL_MS);
  }

  override _final(callback: Callback): void {
    if (this.readableEnded) this.closeWebSocket();
    else this.lingerTimer ??= setTimeout(() => this.closeWebSocket(), WEBSOCKET_CLOSE_LINGER_MS);
    callback();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.clearTimers();
    this.ws.removeEventListener("message", this.onMessage);
    this.ws.removeEventListener("close", this.onClose);
    this.closeWebSocket();
    callback(error);
  }

  private clearTimers(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.drainTimer !== undefined) clearInterval(this.drainTimer);
    this.lingerTimer = undefined;
    this.drainTimer = undefined;
  }

  private closeWebSocket(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(WS_CLOSE_NORMAL);
    }
  }
}
