/**
 * Options of the Node pqrpc/1 session (session.ts): the connection's
 * options (connection-options.ts) plus what only an adapter has — the
 * carrier's write buffer, callbacks, the clock.
 */
import type { ConnectionOptions } from "./connection-options.ts";
import type { FrameStream } from "./frame-stream.ts";
import type { StreamError } from "./stream-error.ts";

export {
  CLOSE_LINGER_MS,
  DEFAULT_MAX_CONTROL_BACKLOG_BYTES,
  DEFAULT_SERVER_IDLE_TIMEOUT_MS,
  DEFAULT_SETTINGS_ACK_TIMEOUT_MS,
  DEFAULT_SETTINGS_TIMEOUT_MS,
  EMPTY_FRAME_WINDOW_MS,
  type KeepaliveOptions,
  MAX_EMPTY_FRAMES_PER_WINDOW,
  MAX_PEER_RESETS_PER_WINDOW,
  NODE_SESSION_SETTINGS,
  PEER_RESET_WINDOW_MS,
} from "./connection-options.ts";

/** Carrier buffer under which we keep writing data frames, bytes. */
export const DEFAULT_WRITE_BUFFER_BYTES = 256 * 1024;
/** Bytes written in one event-loop turn before yielding (fairness with reads and other connections). */
export const PUMP_BYTES_PER_TURN = 1024 * 1024;

export interface FrameSessionOptions extends ConnectionOptions {
  writeBufferBytes?: number;
  /** Milliseconds for the connection's deadlines; default performance.now. */
  clock?: () => number;
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
  /** Bytes waiting in the carrier, our batch and the connection's control queue. */
  bufferedWriteBytes: number;
  /** Bytes of a partly received frame. */
  bufferedReadBytes: number;
  pendingPings: number;
  /** Callers waiting for a stream slot (whenStreamAvailable). */
  streamWaiters: number;
}
