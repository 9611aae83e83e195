/**
 * Options and reference-implementation limits of the pqrpc/1 session
 * (SPEC §Limits: these are ours, not wire rules).
 */
import type { FrameStream } from "./frame-stream.ts";
import type { Settings } from "./settings.ts";
import type { StreamError } from "./stream-error.ts";

/** Settings a Node endpoint announces: windows large enough for > 1 Gbps on one connection. */
export const NODE_SESSION_SETTINGS: Readonly<Partial<Settings>> = {
  maxFrameBytes: 64 * 1024,
  initialStreamWindowBytes: 1024 * 1024,
  initialConnectionWindowBytes: 8 * 1024 * 1024,
};
/** Carrier buffer under which we keep writing data frames, bytes. */
export const DEFAULT_WRITE_BUFFER_BYTES = 256 * 1024;
/** Carrier backlog at which a peer that sends control frames but does not read is cut off, bytes. */
export const DEFAULT_MAX_CONTROL_BACKLOG_BYTES = 1024 * 1024;
/** Time the peer has to acknowledge our SETTINGS, ms. */
export const DEFAULT_SETTINGS_ACK_TIMEOUT_MS = 10_000;
/** Time a closing connection may linger for the peer's end before it is destroyed, ms. */
export const CLOSE_LINGER_MS = 2_000;
/** Bytes written in one scheduling turn before yielding to the event loop (fairness with reads). */
export const PUMP_BYTES_PER_TURN = 1024 * 1024;
/**
 * Streams a client may reset within PEER_RESET_WINDOW_MS before the server
 * closes the connection (ENHANCE_YOUR_CALM): each stream may start a handler,
 * so open-and-reset floods ("rapid reset", CVE-2023-44487) must cost the client.
 */
export const MAX_PEER_RESETS_PER_WINDOW = 1000;
export const PEER_RESET_WINDOW_MS = 1000;

export interface KeepaliveOptions {
  /** Time between PINGs, ms. */
  intervalMs: number;
  /** Time a PING may go unanswered before the peer is declared dead, ms. */
  timeoutMs: number;
}

export interface FrameSessionOptions {
  role: "client" | "server";
  /** Our settings (announced to the peer). Default: NODE_SESSION_SETTINGS. */
  settings?: Partial<Settings>;
  keepalive?: KeepaliveOptions;
  settingsAckTimeoutMs?: number;
  maxReceiveMessageBytes?: number;
  writeBufferBytes?: number;
  maxControlBacklogBytes?: number;
  /** Server: a new stream with its request headers (read them with stream.read()). */
  onStream?: (stream: FrameStream) => void;
  /** The peer sent GOAWAY. */
  onGoaway?: (info: { lastStreamId: number; code: number; debug: string }) => void;
  /** The session ended; `error` is set unless it closed cleanly. */
  onClose?: (error: StreamError | undefined) => void;
}

export interface SessionStats {
  openStreams: number;
  /** Timers and immediates the session holds. */
  timers: number;
  /** Listeners the session holds on its carrier. */
  carrierListeners: number;
  /** Bytes waiting in the carrier and our batch. */
  bufferedWriteBytes: number;
  /** Bytes of a partly received frame. */
  bufferedReadBytes: number;
  pendingPings: number;
  /** Callers waiting for a stream slot (whenStreamAvailable). */
  streamWaiters: number;
}
