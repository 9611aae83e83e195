/**
 * Default limits of the rpc layer. Every input path is bounded by one of these;
 * clients and routers take overrides in their options.
 */

/** gRPC's default maximum received message (grpc-js, grpc-go: 4 MiB). */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest message we serialize and send unless configured otherwise. */
export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * Largest header or trailer block, counted as HTTP/2 counts it (RFC 7541 §4.1:
 * name + value + 32 per entry); gRPC's default max header list size is 8 KiB
 * (grpc-go defaultServerMaxHeaderListSize is 16 MiB, grpc-core 8 KiB; we pick the tighter).
 */
export const DEFAULT_MAX_METADATA_BYTES = 8 * 1024;
/** Per-entry overhead of RFC 7541 §4.1 header-size accounting. */
export const METADATA_ENTRY_OVERHEAD_BYTES = 32;
/** Longest grpc-message text we send; longer texts are truncated (not a wire limit, a sanity bound). */
export const MAX_STATUS_MESSAGE_CHARS = 4096;
/** Most details (google.protobuf.Any) we decode from one status. */
export const MAX_STATUS_DETAILS = 64;
