/**
 * Options of the Node pqrpc/1 session (session.ts): the endpoint's options
 * (frame-endpoint.ts, connection-options.ts) plus the carrier's write buffer.
 */
import type { FrameEndpointOptions } from "./frame-endpoint.ts";

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
export { PUMP_BYTES_PER_TURN } from "./frame-endpoint.ts";

/** Carrier buffer under which we keep writing data frames, bytes. */
export const DEFAULT_WRITE_BUFFER_BYTES = 256 * 1024;

export interface FrameSessionOptions extends FrameEndpointOptions {
  writeBufferBytes?: number;
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
