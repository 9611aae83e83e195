/**
 * The browser adapter of pqrpc/1: the sans-IO TLS engine and the sans-IO
 * frame connection (through FrameEndpoint) over the browser's WebSocket,
 * with no stream library in between — bytes go message -> TLS records ->
 * frames and back, and the bundle carries no Node stream shim.
 *
 * - writing is held back by `bufferedAmount` (the WebSocket API has no
 *   drain event: it is polled every BUFFERED_AMOUNT_POLL_MS while over the
 *   bound);
 * - reading cannot be paused in the WebSocket API: what bounds the bytes in
 *   flight to us are the windows we announce (BROWSER_SESSION_SETTINGS);
 * - closing (RFC 8446 §6.1): a graceful close sends close_notify, then
 *   closes the WebSocket once the peer has closed or after
 *   WEBSOCKET_CLOSE_LINGER_MS.
 */
import { rechunk } from "../bytes/bytes.ts";
import {
  type FrameCarrier,
  FrameEndpoint,
  type FrameEndpointOptions,
} from "../protocol/frames/frame-endpoint.ts";
import {
  createTlsClient,
  type NegotiatedInfo,
  type TlsClientConfig,
  type TlsConnection,
} from "../tls/index.ts";
import { TransportError } from "../transport/errors.ts";
import { WEBSOCKET_CLOSE_LINGER_MS, WS_CLOSE_NORMAL } from "../transport/websocket-carrier.ts";

/** WebSocket bytes buffered by the browser under which we keep writing frames, bytes. */
export const BROWSER_WRITE_BUFFER_BYTES = 64 * 1024;
/** Largest message we send (the server accepts up to 1 MiB: WEBSOCKET_MAX_MESSAGE_BYTES), bytes. */
export const BROWSER_WEBSOCKET_MAX_SEND_BYTES = 256 * 1024;
/** How often held-back writing checks whether bufferedAmount has drained, ms. */
export const BUFFERED_AMOUNT_POLL_MS = 5;
/** WebSocket readyState values (WHATWG WebSockets §3), named here so no global is needed to read them. */
const WS_CONNECTING = 0;
const WS_OPEN = 1;

/** Sends what the TLS engine has to send. */
function flushRecords(ws: WebSocket, tls: TlsConnection): void {
  const records = tls.takeOutgoing();
  if (records.length === 0 || ws.readyState !== WS_OPEN) return;
  // Our chunks are never views of a SharedArrayBuffer: the cast only narrows the type.
  for (const m of rechunk(records, BROWSER_WEBSOCKET_MAX_SEND_BYTES)) ws.send(m as Uint8Array<ArrayBuffer>);
}

function bytesOf(event: MessageEvent): Uint8Array | undefined {
  return event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : undefined;
}

/**
 * The client handshake over an open WebSocket; resolves with the engine once
 * the server is verified. Application data that arrived with the server's
 * flight stays in the engine for the session to take.
 */
export function webTlsConnect(
  ws: WebSocket,
  config: TlsClientConfig,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ tls: TlsConnection; info: NegotiatedInfo }> {
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    let tls: TlsConnection;
    const done = (error?: Error) => {
      clearTimeout(timer);
      ws.removeEventListener("message", onMessage);
      ws.removeEventListener("close", onClose);
      options.signal?.removeEventListener("abort", onAbort);
      if (error === undefined) {
        resolve({ tls, info: tls.info! });
        return;
      }
      if (ws.readyState === WS_OPEN) ws.close(WS_CLOSE_NORMAL);
      reject(error);
    };
    const onMessage = (event: MessageEvent) => {
      const bytes = bytesOf(event);
      if (!bytes) {
        done(new TransportError("websocket-protocol", "a text message on a TLS-over-WebSocket carrier"));
        return;
      }
      tls.receive(bytes);
      flushRecords(ws, tls);
      if (tls.error) done(tls.error);
      else if (tls.handshakeComplete) done();
    };
    const onClose = () =>
      done(new TransportError("closed-during-handshake", "the WebSocket closed during the TLS handshake"));
    const onAbort = () => done(new TransportError("aborted", "connecting was aborted"));
    const timer = setTimeout(
      () =>
        done(new TransportError("handshake-timeout", `TLS handshake not done after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    try {
      tls = createTlsClient(config);
    } catch (e) {
      clearTimeout(timer);
      reject(e);
      return;
    }
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", onClose);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    flushRecords(ws, tls);
  });
}

/** A client pqrpc/1 session on a secured WebSocket (see webTlsConnect). */
export class WebFrameSession extends FrameEndpoint {
  private readonly ws: WebSocket;
  private readonly tls: TlsConnection;
  private drainPoll: ReturnType<typeof setInterval> | undefined;
  private linger: ReturnType<typeof setTimeout> | undefined;
  private released = false;
  private readonly onMessage = (event: MessageEvent) => this.onBytes(event);
  private readonly onClose = () => this.onWebSocketClosed();

  constructor(ws: WebSocket, tls: TlsConnection, options: FrameEndpointOptions) {
    const self = { session: undefined as WebFrameSession | undefined };
    const carrier: FrameCarrier = {
      writableRoom: () => {
        const room = BROWSER_WRITE_BUFFER_BYTES - ws.bufferedAmount;
        if (room <= 0) self.session?.pollDrain();
        return room;
      },
      write: (frames) => {
        if (tls.closed || ws.readyState !== WS_OPEN) return;
        tls.sendv(frames);
        flushRecords(ws, tls);
      },
      end: () => self.session?.closeNotify(),
      release: (abrupt) => self.session?.letGo(abrupt),
      later: (fn) => {
        const t = setTimeout(fn, 0);
        return () => clearTimeout(t);
      },
    };
    super(carrier, options);
    self.session = this;
    this.ws = ws;
    this.tls = tls;
    ws.addEventListener("message", this.onMessage);
    ws.addEventListener("close", this.onClose);
    this.start();
    // The server's first frames may have come with its handshake flight.
    this.takeApplicationData();
  }

  private onBytes(event: MessageEvent): void {
    const bytes = bytesOf(event);
    if (!bytes) {
      this.carrierGone("a text message on a TLS-over-WebSocket carrier");
      return;
    }
    this.tls.receive(bytes);
    flushRecords(this.ws, this.tls); // KeyUpdate answers, alerts
    this.takeApplicationData();
  }

  private takeApplicationData(): void {
    for (const chunk of this.tls.takeApplicationData()) this.receiveBytes(chunk);
    if (this.tls.error) this.carrierGone(`TLS: ${this.tls.error.message}`);
    else if (this.tls.peerClosed) this.carrierGone("the peer closed the connection (close_notify)");
  }

  private onWebSocketClosed(): void {
    this.carrierGone("the WebSocket closed");
    this.letGo(true);
  }

  private pollDrain(): void {
    if (this.drainPoll !== undefined || this.released) return;
    this.drainPoll = setInterval(() => {
      if (this.ws.readyState !== WS_OPEN || this.ws.bufferedAmount < BROWSER_WRITE_BUFFER_BYTES) {
        clearInterval(this.drainPoll);
        this.drainPoll = undefined;
        this.resume();
      }
    }, BUFFERED_AMOUNT_POLL_MS);
  }

  /** A graceful end: close_notify; the WebSocket closes when the peer has closed, or after the linger. */
  private closeNotify(): void {
    if (!this.tls.closed) {
      this.tls.close();
      flushRecords(this.ws, this.tls);
    }
    this.linger ??= setTimeout(() => this.letGo(true), WEBSOCKET_CLOSE_LINGER_MS);
  }

  private letGo(abrupt: boolean): void {
    if (!abrupt && !this.tls.closed && this.ws.readyState === WS_OPEN) {
      this.closeNotify();
      return;
    }
    if (this.released) return;
    this.released = true;
    clearInterval(this.drainPoll);
    clearTimeout(this.linger);
    this.drainPoll = this.linger = undefined;
    this.ws.removeEventListener("message", this.onMessage);
    this.ws.removeEventListener("close", this.onClose);
    if (this.ws.readyState === WS_OPEN || this.ws.readyState === WS_CONNECTING) {
      this.ws.close(WS_CLOSE_NORMAL);
    }
  }
}
