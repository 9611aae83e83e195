/**
 * A WebSocket (the `ws` package) as a byte-stream carrier for TLS records:
 * a node:stream Duplex whose bytes travel in binary messages (RFC 6455
 * §5.6). Message boundaries mean nothing: the TLS deframer above re-splits
 * the stream, so writes may be coalesced or split freely.
 *
 * Flow control, both ways:
 * - writing: a write is acknowledged at once while the WebSocket's own
 *   buffer (bufferedAmount) is under our highWaterMark, else only once `ws`
 *   has handed the message to the socket, so a slow network holds the writer;
 * - reading: when our readable buffer is full (push() false) the WebSocket is
 *   paused (its socket stops being read) until the consumer reads again.
 *
 * Closing: WebSocket has no half-close (a Close frame ends both directions,
 * §5.5.1), while TLS sends close_notify and then waits for the peer's. So
 * end() does not close the WebSocket at once: it closes when the peer's side
 * has ended too, when the stream is destroyed, or after CLOSE_LINGER_MS.
 * Data the peer sends after its Close frame cannot exist; our own writes
 * after the WebSocket closed are dropped, as bytes written to a socket the
 * peer has closed are lost (the reader already saw the end).
 */

import { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";
import { rechunk } from "../bytes/bytes.ts";
import { TransportError } from "./errors.ts";
import {
  WEBSOCKET_CLOSE_LINGER_MS,
  WS_CLOSE_NORMAL,
  WS_CLOSE_UNSUPPORTED_DATA,
} from "./websocket-carrier.ts";

/** Default readable/writable buffer of the stream, bytes. */
export const DEFAULT_WEBSOCKET_STREAM_HIGH_WATER_MARK_BYTES = 64 * 1024;
/** Largest message we send: coalesced writes are cut at this size, bytes. */
export const WEBSOCKET_COALESCE_BYTES = 256 * 1024;
/**
 * Largest message we accept (the `ws` maxPayload on both ends), bytes: a
 * bound on one message's memory; our peers send at most WEBSOCKET_COALESCE_BYTES.
 */
export const WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;

/** readyState values of `ws` (the WHATWG WebSocket constants). */
const WS_CONNECTING = 0;
const WS_OPEN = 1;

export interface WebSocketStreamOptions {
  /** Readable and writable buffer, bytes (default 64 KiB). */
  highWaterMark?: number;
  /** The peer's address, reported like net.Socket's (the server knows it from the upgraded socket). */
  remoteAddress?: string;
  remotePort?: number;
}

export class WebSocketStream extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  private wsPaused = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly wsListeners: {
    message: (data: RawData, isBinary: boolean) => void;
    close: () => void;
    error: (error: Error) => void;
  };

  constructor(
    readonly ws: WebSocket,
    options: WebSocketStreamOptions = {},
  ) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_WEBSOCKET_STREAM_HIGH_WATER_MARK_BYTES;
    super({ highWaterMark, allowHalfOpen: false });
    this.remoteAddress = options.remoteAddress;
    this.remotePort = options.remotePort;
    ws.binaryType = "nodebuffer";
    this.wsListeners = {
      message: (data, isBinary) => this.onMessage(data, isBinary),
      close: () => this.onClose(),
      error: (error) => this.destroy(error),
    };
    ws.on("message", this.wsListeners.message);
    ws.on("close", this.wsListeners.close);
    ws.on("error", this.wsListeners.error);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.destroyed) return;
    if (!isBinary) {
      // Only TLS records travel here; a text message is a peer that speaks something else.
      this.ws.close(WS_CLOSE_UNSUPPORTED_DATA, "binary messages only");
      this.destroy(
        new TransportError("websocket-protocol", "a text message on a TLS-over-WebSocket carrier"),
      );
      return;
    }
    // binaryType "nodebuffer": one Buffer per message, fragments already joined.
    if (!this.push(data as Buffer) && !this.wsPaused) {
      this.wsPaused = true;
      this.ws.pause();
    }
  }

  private onClose(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.readableEnded && !this.destroyed) this.push(null);
  }

  override _read(): void {
    if (this.wsPaused) {
      this.wsPaused = false;
      this.ws.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendAll([chunk], callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.sendAll(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  /** Sends `chunks` as messages of at most WEBSOCKET_COALESCE_BYTES; calls back per the flow control above. */
  private sendAll(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.ws.readyState !== WS_OPEN) {
      if (this.ws.readyState === WS_CONNECTING) {
        callback(new TransportError("websocket-upgrade", "write before the WebSocket opened"));
      } else {
        callback(); // closed: see the file comment
      }
      return;
    }
    const messages = rechunk(chunks, WEBSOCKET_COALESCE_BYTES);
    let acknowledged = false;
    const acknowledge = (error?: Error | null) => {
      if (acknowledged) return;
      acknowledged = true;
      callback(error);
    };
    messages.forEach((message, i) => {
      const last = i === messages.length - 1;
      this.ws.send(message, { binary: true, compress: false }, (error) => {
        // A send that fails because the WebSocket is closing is reported by 'close', not as an error.
        if (error && this.ws.readyState === WS_OPEN) this.destroy(error);
        else if (last) acknowledge();
      });
    });
    if (this.ws.bufferedAmount <= this.writableHighWaterMark) acknowledge();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.readableEnded) {
      this.closeWebSocket();
    } else if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => this.closeWebSocket(), WEBSOCKET_CLOSE_LINGER_MS);
      this.lingerTimer.unref?.();
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.ws.off("message", this.wsListeners.message);
    this.ws.off("close", this.wsListeners.close);
    this.ws.off("error", this.wsListeners.error);
    // Late errors of the WebSocket must not crash the process once nobody listens.
    this.ws.on("error", () => {});
    if (error || this.ws.readyState === WS_CONNECTING) this.ws.terminate();
    else this.closeWebSocket();
    callback(error);
  }

  private closeWebSocket(): void {
    if (this.ws.readyState === WS_OPEN) this.ws.close(WS_CLOSE_NORMAL);
  }

  // Socket-like no-ops, so code written for net.Socket runs unchanged (`ws` already sets TCP_NODELAY).
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _initialDelayMs?: number): this {
    return this;
  }
}
