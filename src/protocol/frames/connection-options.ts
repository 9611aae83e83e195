/**
 * Options, limits and events of the sans-IO frame connection
 * (connection.ts). Limits here are the reference implementation's, not wire
 * rules (SPEC §Limits, §Abuse limits).
 */
import type { ConnectionBudget } from "../../rpc/receive-budget.ts";
import type { HeaderField } from "./header-field.ts";
import type { Settings } from "./settings.ts";
import type { StreamError } from "./stream-error.ts";

/** Settings a Node endpoint announces: windows large enough for > 1 Gbps on one connection. */
export const NODE_SESSION_SETTINGS: Readonly<Partial<Settings>> = {
  maxFrameBytes: 64 * 1024,
  initialStreamWindowBytes: 1024 * 1024,
  initialConnectionWindowBytes: 8 * 1024 * 1024,
};
/** Unsent control frames (PONG, SETTINGS ACK, RST, WINDOW_UPDATE) at which a peer that does not read is cut off, bytes. */
export const DEFAULT_MAX_CONTROL_BACKLOG_BYTES = 1024 * 1024;
/** Time the peer has to acknowledge our SETTINGS, ms (SPEC §Connection start). */
export const DEFAULT_SETTINGS_ACK_TIMEOUT_MS = 10_000;
/** Time the peer has to send its own SETTINGS after the connection starts, ms. */
export const DEFAULT_SETTINGS_TIMEOUT_MS = 10_000;
/** A server closes a connection with no open stream for this long (GOAWAY NO_ERROR), ms. */
export const DEFAULT_SERVER_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Time a closing connection may linger for the peer's end before it is destroyed, ms. */
export const CLOSE_LINGER_MS = 2_000;
/**
 * Streams a server may see reset — by the client's RST or by its own answer
 * to a protocol error, a refusal or an oversize request — within
 * PEER_RESET_WINDOW_MS before it closes the connection (ENHANCE_YOUR_CALM).
 */
export const MAX_PEER_RESETS_PER_WINDOW = 1000;
export const PEER_RESET_WINDOW_MS = 1000;
/**
 * Frames that cost work but carry nothing — unknown types (SPEC
 * §Extensibility) and zero-length MESSAGE frames that neither end a message
 * nor the stream — allowed per EMPTY_FRAME_WINDOW_MS before ENHANCE_YOUR_CALM.
 */
export const MAX_EMPTY_FRAMES_PER_WINDOW = 1000;
export const EMPTY_FRAME_WINDOW_MS = 1000;
/** MESSAGE payloads up to this size leave in one buffer with their frame header (one small copy), bytes. */
export const JOIN_PAYLOAD_MAX_BYTES = 1024;

export interface KeepaliveOptions {
  /** Time between PINGs, ms. */
  intervalMs: number;
  /** Time a PING may go unanswered before the peer is declared dead, ms. */
  timeoutMs: number;
}

export interface ConnectionOptions {
  role: "client" | "server";
  /** Our settings (announced to the peer). Default: the protocol defaults (SPEC §SETTINGS). */
  settings?: Partial<Settings>;
  keepalive?: KeepaliveOptions;
  /** Default DEFAULT_SETTINGS_ACK_TIMEOUT_MS. */
  settingsAckTimeoutMs?: number;
  /** Time the peer has to send its SETTINGS; default DEFAULT_SETTINGS_TIMEOUT_MS. */
  settingsTimeoutMs?: number;
  /**
   * Close after this long without an open stream (GOAWAY NO_ERROR). Default:
   * DEFAULT_SERVER_IDLE_TIMEOUT_MS for a server, none for a client (its
   * channel decides); 0 disables.
   */
  idleTimeoutMs?: number;
  /** After our graceful GOAWAY, streams still open this much later are cancelled, ms. Default: none. */
  goawayGraceMs?: number;
  /** Largest message gathered from MESSAGE frames, bytes; default DEFAULT_MAX_RECEIVE_MESSAGE_BYTES. */
  maxReceiveMessageBytes?: number;
  /** Default DEFAULT_MAX_CONTROL_BACKLOG_BYTES. */
  maxControlBacklogBytes?: number;
  /**
   * Server: a stream counts against MAX_CONCURRENT_STREAMS until the
   * application calls releaseStream(id) (its handler ended), even after the
   * stream closed or was reset, so resets cannot start more handlers than the
   * limit (CVE-2025-8671). Default false.
   */
  holdStreamsUntilReleased?: boolean;
  /**
   * Server: this connection's account of the server-wide receive budget
   * (rpc/receive-budget.ts, opened with an eviction callback that calls
   * evict()). Message bytes the connection holds are reserved from it and
   * returned when the application consumes them or they are discarded.
   */
  receiveBudget?: ConnectionBudget;
}

export type ConnectionEvent =
  /** Server: a new stream with its request headers. */
  | { type: "stream"; streamId: number; fields: HeaderField[] }
  /** Client: the response headers. */
  | { type: "headers"; streamId: number; fields: HeaderField[] }
  /** A whole message; call consume(streamId) once the application has taken it (flow control). */
  | { type: "message"; streamId: number; data: Uint8Array; compressed: boolean }
  /** Client: the server's TRAILERS. */
  | { type: "trailers"; streamId: number; status: number; message: string; fields: HeaderField[] }
  /** The peer's half of the stream ended: no more headers, messages or trailers. */
  | { type: "end"; streamId: number }
  /** The send operation `ticket` has left (its last frame was taken by takeOutgoing). */
  | { type: "sent"; streamId: number; ticket: number }
  /** Queued sends of the stream were dropped (the peer finished the stream): they fail with `error`. */
  | { type: "unsent"; streamId: number; error: StreamError }
  /** The stream failed (RST either way, refused, connection ended): sends and reads fail with `error`. */
  | { type: "stream-failed"; streamId: number; error: StreamError }
  /** Client: stream slots may have opened up (a stream ended, the peer's SETTINGS arrived). */
  | { type: "slots" }
  /** A PING of ours was answered. */
  | { type: "pong"; pingId: number; rttMs: number }
  /** The peer sent GOAWAY. */
  | { type: "goaway"; lastStreamId: number; code: number; debug: string }
  /** Shut down gracefully and nothing is left to send: the adapter ends its write side. */
  | { type: "drained" }
  /** The connection is over; `error` unless it closed cleanly. Outgoing bytes may remain (a GOAWAY): send them, then close. */
  | { type: "closed"; error: StreamError | undefined };

export interface ConnectionStats {
  openStreams: number;
  /** Server: streams counted against the limit because their handler has not been released. */
  heldStreams: number;
  /** MESSAGE bytes received and not yet consumed (partial and delivered messages). */
  receivedBytesHeld: number;
  /** Bytes of control frames waiting for takeOutgoing. */
  controlBacklogBytes: number;
  /** Bytes of a partly received frame. */
  bufferedReadBytes: number;
  pendingPings: number;
  /** Resets counted by the reset meter, by cause. */
  peerResets: number;
  localResets: number;
}
