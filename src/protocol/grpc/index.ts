/** gRPC over HTTP/2 (PROTOCOL-HTTP2) on node:http2: client transport and server handler. */

export { contentTypeOf, GRPC_CONTENT_TYPE, isGrpcContentType, parseContentType } from "./content-type.ts";
export { ENVELOPE_PREFIX_BYTES, EnvelopeReader, encodeEnvelope } from "./envelope.ts";
export {
  createGrpcServerHandler,
  type GrpcServerHandler,
  type GrpcServerHandlerOptions,
} from "./handler.ts";
export { codeFromHttpStatus } from "./http-status.ts";
export { codeFromRstCode, errorFromRstCode } from "./http2-errors.ts";
export { percentDecode, percentEncode } from "./percent-encoding.ts";
export { sessionPeer, setSessionPeer } from "./session-peer.ts";
export {
  createGrpcTransport,
  GRPC_USER_AGENT,
  type GrpcClientTransport,
  type GrpcTransportOptions,
} from "./transport.ts";
