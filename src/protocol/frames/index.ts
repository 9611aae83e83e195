/** pqrpc/1 compact framing (ALPN "pqrpc/1"): codec, header compression, the sans-IO connection, the Node session. See docs/SPEC.md. */
export { MAX_VARINT } from "../../bytes/varint.ts";
export { type ConnectionState, FrameConnection } from "./connection.ts";
export type { ConnectionEvent, ConnectionOptions, ConnectionStats } from "./connection-options.ts";
export * from "./constants.ts";
export * from "./error-codes.ts";
export type * from "./frame.ts";
export { FrameDecoder } from "./frame-decoder.ts";
export { encodeFrame, encodeFrameHeader } from "./frame-encoder.ts";
export { FrameStream, type SendOptions, type StreamEvent } from "./frame-stream.ts";
export { type FramesServerOptions, serveFrames } from "./handler.ts";
export { type DecodedHeaders, HeaderDecoder } from "./header-decoder.ts";
export { HeaderEncoder } from "./header-encoder.ts";
export type { HeaderField, HeaderValue } from "./header-field.ts";
export { STATIC_TABLE } from "./header-static-table.ts";
export { rpcCodeForStreamError, toRpcError } from "./rpc-errors.ts";
export {
  FrameSession,
  type FrameSessionOptions,
  type KeepaliveOptions,
  NODE_SESSION_SETTINGS,
  type SessionStats,
} from "./session.ts";
export { DEFAULT_SETTINGS, SettingId, type Settings } from "./settings.ts";
export { StreamError, type StreamFailureReason } from "./stream-error.ts";
export {
  STREAM_INPUTS,
  STREAM_STATES,
  STREAM_TRANSITIONS,
  type StreamInput,
  type StreamState,
  transition as streamTransition,
} from "./stream-state.ts";
export { createFramesClientTransport, type FramesClientTransportOptions } from "./transport.ts";
