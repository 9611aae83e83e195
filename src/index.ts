/// <reference types="node" preserve="true" />
/**
 * pqrpc's public entry (DESIGN.md §7): the server, the client channel and
 * the rpc API a user needs, plus identity and trust loading. Lower layers
 * (tls/, crypto/, pki/, protocol/) keep their own index.ts for advanced use.
 */

// Server and client channel.
export {
  Channel,
  ChannelError,
  type ChannelErrorCode,
  type ChannelStats,
  type ConnectOptions,
  connect,
  createChannel,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from "./client/index.ts";
// Identity and trust.
export { loadWasmProvider } from "./crypto/index.ts";
// The rpc API: clients, handlers, status, metadata, interceptors, compression (gzip by default on Node).
export { gzipCompression } from "./node/gzip-compression.ts";
export { createClient, createRouter } from "./node/rpc-defaults.ts";
// Node 24: short-lived Buffers reclaimed by scavenges again (nodejs/node#61967); opt-in, process-wide.
export {
  applyYoungBufferGcWorkaround,
  YOUNG_BUFFER_GC_FLAG,
  type YoungBufferGcResult,
} from "./node/young-buffer-gc.ts";
// Operations: metrics and traces (OpenTelemetry), security events, block list, logs.
export {
  BlockList,
  createLineLogger,
  createPinoLogger,
  createTelemetry,
  fromPino,
  type Logger,
  type SecurityEvent,
  type SecurityEventKind,
  SecurityMonitor,
  type SecurityMonitorOptions,
  Telemetry,
  type TelemetryOptions,
} from "./observability/index.ts";
export { createDevelopmentPki, loadIdentity, loadTrust, TrustStore } from "./pki/index.ts";
export type { CertifiedKey, PeerVerifier } from "./pki/types.ts";
export {
  type CallOptions,
  type Client,
  type ClientOptions,
  type ClientTransport,
  Code,
  type CodeName,
  type Compression,
  codeName,
  type ErrorDetail,
  type HandlerContext,
  type Interceptor,
  Metadata,
  type MetadataInit,
  type PeerInfo,
  type Router,
  RpcError,
  type ServiceHandlers,
} from "./rpc/index.ts";
export {
  type CloseOptions,
  createServer,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_MAX_CONNECTIONS,
  type ListenOptions,
  readTicketKeyFile,
  rotateTicketKeys,
  Server,
  type ServerAddress,
  ServerError,
  type ServerErrorCode,
  type ServerOptions,
  type ServerProtocol,
  type ServerStats,
  TicketKeyFileError,
  watchTicketKeyFile,
  writeTicketKeyFile,
} from "./server/index.ts";
// Built-in services: grpc.health.v1 (createServer({ health: true }) -> server.health) and reflection.
export {
  addCertificateAuthorityService,
  addHealthService,
  addReflectionService,
  CertificateAuthority,
  CertificateRenewer,
  createCertificateRenewer,
  EnrollmentTokens,
  Health,
  HealthCheckResponse_ServingStatus,
  HealthRegistry,
  type HealthRegistryOptions,
  ReflectionClient,
  type ServingStatusName,
} from "./services/index.ts";
export type { NegotiatedInfo, PolicyName } from "./tls/index.ts";
export { TicketSealer } from "./tls/ticket-sealer.ts";
export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "./transport/tls-socket.ts";
