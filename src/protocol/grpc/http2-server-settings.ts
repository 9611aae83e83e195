/**
 * The node:http2 server options and SETTINGS (RFC 9113 §6.5.2) of the gRPC
 * server, from named limits. node:http2's defaults leave the bounds to the
 * application: no SETTINGS_MAX_CONCURRENT_STREAMS (unlimited), so one
 * connection opened 250 streams that each assembled a large message
 * (issue 9, item 1). Here every bound is explicit:
 *
 * - streams per connection: SETTINGS_MAX_CONCURRENT_STREAMS, and the same
 *   number caps running handlers (session-guard.ts);
 * - what a peer may send ahead of our reading: the stream and connection
 *   windows (RFC 9113 §5.2); a paused stream holds at most its window;
 * - header blocks: SETTINGS_MAX_HEADER_LIST_SIZE, enforced by node:http2
 *   (the handler answers blocks above maxMetadataBytes with RESOURCE_EXHAUSTED);
 * - nghttp2's own memory (HPACK tables, queued frames): maxSessionMemory.
 */
import type { ServerHttp2Session, ServerOptions } from "node:http2";
import { DEFAULT_MAX_METADATA_BYTES } from "../../rpc/limits.ts";
import { DEFAULT_H2_MAX_CONCURRENT_STREAMS } from "./session-guard.ts";

/** SETTINGS_INITIAL_WINDOW_SIZE: RFC 9113 §6.9.2's default, 65,535 bytes, rounded to 64 KiB. */
export const DEFAULT_H2_STREAM_WINDOW_BYTES = 64 * 1024;
/** The connection's receive window (all streams together), set by WINDOW_UPDATE on stream 0 (RFC 9113 §6.9). */
export const DEFAULT_H2_CONNECTION_WINDOW_BYTES = 1024 * 1024;
/** node:http2 maxSessionMemory, MiB: nghttp2's memory per connection; above it new streams are refused. */
export const DEFAULT_H2_MAX_SESSION_MEMORY_MIB = 10;
/**
 * SETTINGS_MAX_HEADER_LIST_SIZE over maxMetadataBytes: a block a little
 * larger than the metadata limit reaches the handler, which answers it with
 * RESOURCE_EXHAUSTED; node:http2 resets streams with larger ones.
 */
export const H2_HEADER_LIST_SIZE_FACTOR = 2;
/** Largest SETTINGS_INITIAL_WINDOW_SIZE and connection window (RFC 9113 §6.9.1: 2^31-1). */
export const H2_MAX_WINDOW_BYTES = 2 ** 31 - 1;

export interface Http2ServerLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS and running handlers per connection (default DEFAULT_H2_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams?: number;
  /** Per-stream receive window, bytes (default DEFAULT_H2_STREAM_WINDOW_BYTES). */
  readonly streamWindowBytes?: number;
  /** Connection receive window, bytes (default DEFAULT_H2_CONNECTION_WINDOW_BYTES). */
  readonly connectionWindowBytes?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, bytes (default H2_HEADER_LIST_SIZE_FACTOR x maxMetadataBytes). */
  readonly maxHeaderListBytes?: number;
  /** node:http2 maxSessionMemory, MiB (default DEFAULT_H2_MAX_SESSION_MEMORY_MIB). */
  readonly maxSessionMemoryMiB?: number;
  /** Client preface deadline after the TLS handshake, ms (default DEFAULT_H2_PREFACE_TIMEOUT_MS). */
  readonly prefaceTimeoutMs?: number;
  /** No open stream for this long closes the connection (GOAWAY), ms; 0 never (default DEFAULT_H2_IDLE_TIMEOUT_MS). */
  readonly idleTimeoutMs?: number;
}

/** The resolved windows and stream cap, for tests and the memory bound (windows + buffered bytes). */
export interface Http2Windows {
  readonly maxConcurrentStreams: number;
  readonly streamWindowBytes: number;
  readonly connectionWindowBytes: number;
}

export function http2Windows(limits: Http2ServerLimits = {}): Http2Windows {
  return {
    maxConcurrentStreams: limits.maxConcurrentStreams ?? DEFAULT_H2_MAX_CONCURRENT_STREAMS,
    streamWindowBytes: limits.streamWindowBytes ?? DEFAULT_H2_STREAM_WINDOW_BYTES,
    connectionWindowBytes: limits.connectionWindowBytes ?? DEFAULT_H2_CONNECTION_WINDOW_BYTES,
  };
}

/** Options for http2.createServer(). */
export function http2ServerOptions(
  limits: Http2ServerLimits = {},
  maxMetadataBytes = DEFAULT_MAX_METADATA_BYTES,
): ServerOptions {
  const w = http2Windows(limits);
  return {
    maxSessionMemory: limits.maxSessionMemoryMiB ?? DEFAULT_H2_MAX_SESSION_MEMORY_MIB,
    // Node's own refusal counters stay (maxSessionRejectedStreams, maxSessionInvalidFrames).
    settings: {
      maxConcurrentStreams: w.maxConcurrentStreams,
      initialWindowSize: w.streamWindowBytes,
      maxHeaderListSize: limits.maxHeaderListBytes ?? H2_HEADER_LIST_SIZE_FACTOR * maxMetadataBytes,
    },
  };
}

/** Sets a new session's connection window (the SETTINGS above cover only streams). */
export function applyConnectionWindow(session: ServerHttp2Session, limits: Http2ServerLimits = {}): void {
  session.setLocalWindowSize(http2Windows(limits).connectionWindowBytes);
}
