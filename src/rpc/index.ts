/** The protocol-neutral rpc core: public API. */
export { abortableIterable, abortReason, raceSignal } from "./abortable.ts";
export { AsyncQueue } from "./async-queue.ts";
export type { CallObserver, ObservedCall, ObservedCallStart, ObservedTransport } from "./call-observer.ts";
export { type CallSignal, createCallSignal, MAX_TIMER_DELAY_MS } from "./call-signal.ts";
export { createClient } from "./client.ts";
export { Code, type CodeName, codeFromWire, codeName, isCode } from "./code.ts";
export { type Compression, findCompression, IDENTITY } from "./compression.ts";
export type { HandlerContext } from "./context.ts";
export {
  type AnyFn,
  applyInterceptors,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "./interceptor.ts";
export * from "./limits.ts";
export {
  DEFAULT_COMPRESS_MIN_BYTES,
  decodeMessage,
  encodeMessage,
  type MessageCodecConfig,
  negotiateSendCompression,
  resolveReceiveCompression,
} from "./message-codec.ts";
export {
  BINARY_SUFFIX,
  isBinaryName,
  Metadata,
  MetadataError,
  type MetadataErrorCode,
  type MetadataInit,
  type MetadataValue,
  normalizeName,
  RESERVED_PREFIX,
} from "./metadata.ts";
export { type CallPathOptions, type ClientOptions, withDefaultCompressions } from "./options.ts";
export type { PeerInfo, TlsPeerInfo } from "./peer.ts";
export { createRouter, INTERNAL_ERROR_MESSAGE, type Router, type RouterOptions } from "./router.ts";
export {
  createRouterTransport,
  DEFAULT_ROUTER_TRANSPORT_HIGH_WATER_MARK,
  type RouterTransportOptions,
} from "./router-transport.ts";
export { RpcError, type RpcErrorOptions } from "./rpc-error.ts";
export {
  createSerializer,
  type SerializationFormat,
  type SerializationOptions,
  type Serializer,
} from "./serialization.ts";
export {
  type CallOptions,
  type Client,
  type ClientMethod,
  type HandlerMethod,
  type MethodDescriptor,
  type MethodKind,
  methodPath,
  type ServiceDescriptor,
  type ServiceHandlers,
} from "./service-types.ts";
export {
  decodeStatus,
  type ErrorDetail,
  encodeStatus,
  StatusDecodeError,
  type StatusProto,
  TYPE_URL_PREFIX,
} from "./status-details.ts";
export {
  decodeTimeout,
  encodeTimeout,
  MAX_ENCODABLE_TIMEOUT_MS,
  MAX_TIMEOUT_DIGITS,
} from "./timeout-header.ts";
export type * from "./transport.ts";
