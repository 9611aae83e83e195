/**
 * node:http2 on a carrier that is a JS stream (our TlsSocket), on either side.
 *
 * node:http2 over a JS stream aborts the process (node_http2.cc
 * OnDataChunkReceived: CHECK(session->is_reading_stopped())) when one
 * incoming chunk holds enough frames that its answers start a write midway.
 * The receiving side therefore hands node:http2 one HTTP/2 frame per chunk,
 * and a DATA frame's header apart from its payload, as node:http2's own
 * writes are laid out (Http2FrameSplitter, cut at the 9-byte frame headers of
 * RFC 9113 §4.1, without copying; a whole DATA frame in one chunk still hit
 * the abort on Node 20), whatever records the peer sent; the sender is free to
 * pack node:http2's many small writes (HEADERS, DATA, trailers, WINDOW_UPDATE)
 * into full TLS records, one seal and one socket write for all of them. A
 * carrier without that hook (a net.Socket, node's own TLS) is left as it is.
 */
import http2, { type ClientHttp2Session, type SecureClientSessionOptions } from "node:http2";
import type { Duplex } from "node:stream";
import type { ReadSplitter } from "../../transport/tls-socket.ts";

/** The client connection preface (RFC 9113 §3.4), which comes before the client's first frame. */
const CLIENT_PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const DATA_FRAME = 0;

/** A carrier that can cut what it delivers (TlsSocket.readSplitter). */
interface SplittingCarrier {
  readSplitter?: ReadSplitter | undefined;
}

/**
 * Cuts an HTTP/2 byte stream into one piece per frame, a DATA frame into its
 * header and its payload (a frame that spans records arrives in several
 * pieces, never together with the next frame).
 * Sizes are taken from the frame headers as they are; node:http2 checks them.
 */
export class Http2FrameSplitter implements ReadSplitter {
  /** Bytes of the current frame (or of the preface) not yet passed on. */
  private remaining: number;
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  /** Bytes of a frame header that began at the end of an earlier chunk. */
  private headerHave = 0;

  /** `role`: the side that reads; a server first reads the client's preface. */
  constructor(role: "client" | "server") {
    this.remaining = role === "server" ? CLIENT_PREFACE_BYTES : 0;
  }

  split(data: Uint8Array, push: (piece: Uint8Array) => void): void {
    const n = data.length;
    let start = 0;
    let pos = 0;
    while (pos < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - pos);
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          push(data.subarray(start, pos));
          start = pos;
        }
      } else if (this.headerHave === 0 && n - pos >= FRAME_HEADER_BYTES) {
        const length = payloadLength(data, pos);
        if (data[pos + 3] === DATA_FRAME && length > 0) {
          // A DATA frame's header on its own, its payload after (see above).
          pos += FRAME_HEADER_BYTES;
          push(data.subarray(start, pos));
          start = pos;
          this.remaining = length;
        } else {
          this.remaining = FRAME_HEADER_BYTES + length;
        }
      } else {
        // A frame header cut across chunks: gather it, then count its payload.
        const take = Math.min(FRAME_HEADER_BYTES - this.headerHave, n - pos);
        this.header.set(data.subarray(pos, pos + take), this.headerHave);
        this.headerHave += take;
        pos += take;
        if (this.headerHave === FRAME_HEADER_BYTES) {
          this.headerHave = 0;
          this.remaining = payloadLength(this.header, 0);
          if (this.remaining === 0) {
            push(data.subarray(start, pos));
            start = pos;
          }
        }
      }
    }
    if (start < n) push(data.subarray(start, n));
  }
}

function payloadLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0);
}

/** Makes `carrier` hand node:http2 one frame per chunk (see above) when it can; returns it. */
export function http2Carrier<T extends Duplex>(carrier: T, role: "client" | "server"): T {
  const c = carrier as T & SplittingCarrier;
  if ("readSplitter" in c) c.readSplitter = new Http2FrameSplitter(role);
  return carrier;
}

/** A client session on `carrier`, for calls to `authority` (a URL: its scheme and host). */
export function connectHttp2(
  authority: string,
  carrier: Duplex,
  options: Omit<SecureClientSessionOptions, "createConnection"> & Http2ClientWindows = {},
): ClientHttp2Session {
  const socket = http2Carrier(carrier, "client");
  return connectWithWindows(authority, { ...options, createConnection: () => socket });
}

/**
 * The receive windows a client session advertises (RFC 9113 §6.9). RFC 9113's
 * 65,535-byte defaults, which node:http2 and grpc-js keep, allow one 64 KiB
 * message per round trip on a stream: a server stream over TLS idled both
 * ends for most of the time. The client opens the same windows as pqrpc/1
 * (NODE_SESSION_SETTINGS): what a server can make it hold is still bounded,
 * by these, and a stream that is not read stops the sender at its window.
 */
export interface Http2ClientWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE, per stream (default DEFAULT_H2_CLIENT_STREAM_WINDOW_BYTES); `settings.initialWindowSize` wins. */
  readonly streamWindowBytes?: number;
  /** The connection window, all streams together (default DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES). */
  readonly connectionWindowBytes?: number;
}

export const DEFAULT_H2_CLIENT_STREAM_WINDOW_BYTES = 1024 * 1024;
export const DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

/** http2.connect with the client's receive windows (Http2ClientWindows) applied. */
export function connectWithWindows(
  authority: string,
  options: SecureClientSessionOptions & Http2ClientWindows = {},
): ClientHttp2Session {
  const { streamWindowBytes, connectionWindowBytes, ...rest } = options;
  const session = http2.connect(authority, {
    ...rest,
    settings: {
      initialWindowSize: streamWindowBytes ?? DEFAULT_H2_CLIENT_STREAM_WINDOW_BYTES,
      ...rest.settings,
    },
  });
  rememberSessionError(session);
  const connectionWindow = connectionWindowBytes ?? DEFAULT_H2_CLIENT_CONNECTION_WINDOW_BYTES;
  // The connection window grows by WINDOW_UPDATE on stream 0 only (§6.9.2); sent with our SETTINGS.
  session.once("connect", () => {
    if (!session.destroyed) session.setLocalWindowSize(connectionWindow);
  });
  return session;
}

const sessionErrors = new WeakMap<ClientHttp2Session, Error>();

/**
 * Keeps the first error a session reports (a TLS alert from the peer, a
 * carrier error), so that calls failed by the lost connection can say why:
 * node:http2 itself only closes their streams.
 */
export function rememberSessionError(session: ClientHttp2Session): void {
  session.on("error", (error: Error) => {
    if (!sessionErrors.has(session)) sessionErrors.set(session, error);
  });
}

/** The first error `session` reported, if any (see rememberSessionError). */
export function sessionError(session: ClientHttp2Session): Error | undefined {
  return sessionErrors.get(session);
}
