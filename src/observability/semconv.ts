/**
 * Names of every metric, span and attribute pqrpc emits, in one place.
 *
 * RPC names follow OpenTelemetry's RPC semantic conventions (v1.44,
 * docs/rpc/rpc-metrics.md and rpc-spans.md): `rpc.{server,client}.call.duration`
 * in seconds, `rpc.system.name`, `rpc.method` as "package.Service/Method"
 * ("_OTHER" for a method the server does not know, the path then in
 * `rpc.method_original` on the span), `rpc.response.status_code` as the
 * status name ("OK", "DEADLINE_EXCEEDED") and `error.type`. Conventions v1.44
 * have no message or byte counts per call any more, and none for TLS: those
 * are ours, under `pqrpc.*`.
 */

// --- RPC (OpenTelemetry semantic conventions)
export const RPC_SERVER_CALL_DURATION = "rpc.server.call.duration";
export const RPC_CLIENT_CALL_DURATION = "rpc.client.call.duration";
export const ATTR_RPC_SYSTEM_NAME = "rpc.system.name";
export const ATTR_RPC_METHOD = "rpc.method";
export const ATTR_RPC_METHOD_ORIGINAL = "rpc.method_original";
export const ATTR_RPC_RESPONSE_STATUS_CODE = "rpc.response.status_code";
export const ATTR_ERROR_TYPE = "error.type";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";
export const ATTR_NETWORK_PEER_ADDRESS = "network.peer.address";
export const ATTR_NETWORK_PEER_PORT = "network.peer.port";
/** rpc.method of a call to a method the server does not serve (bounded cardinality). */
export const OTHER_METHOD = "_OTHER";
/** rpc.system.name over ALPN h2 (a well-known value) and over pqrpc/1 (ours). */
export const RPC_SYSTEM_GRPC = "grpc";
export const RPC_SYSTEM_PQRPC = "pqrpc";

// --- RPC, ours: messages and bytes of finished calls (counters, by method and direction), calls in progress
export const PQRPC_SERVER_CALL_MESSAGES = "pqrpc.rpc.server.call.messages";
export const PQRPC_CLIENT_CALL_MESSAGES = "pqrpc.rpc.client.call.messages";
export const PQRPC_SERVER_CALL_BYTES = "pqrpc.rpc.server.call.bytes";
export const PQRPC_CLIENT_CALL_BYTES = "pqrpc.rpc.client.call.bytes";
export const PQRPC_STREAMS_OPEN = "pqrpc.streams.open";
/** "sent" or "received": the direction of messages and bytes. */
export const ATTR_PQRPC_DIRECTION = "pqrpc.direction";
/** "client" or "server". */
export const ATTR_PQRPC_SIDE = "pqrpc.side";

// --- TLS, ours
export const PQRPC_TLS_HANDSHAKE_DURATION = "pqrpc.tls.handshake.duration";
export const PQRPC_TLS_HANDSHAKE_BYTES = "pqrpc.tls.handshake.bytes";
export const PQRPC_TLS_HELLO_RETRY_REQUESTS = "pqrpc.tls.hello_retry_requests";
export const PQRPC_TLS_ALERTS = "pqrpc.tls.alerts";
export const PQRPC_TLS_POLICY_REFUSALS = "pqrpc.tls.policy_refusals";
export const PQRPC_CONNECTIONS_OPEN = "pqrpc.connections.open";
export const PQRPC_CRYPTO_OPERATION_DURATION = "pqrpc.crypto.operation.duration";
export const ATTR_TLS_GROUP = "pqrpc.tls.group";
export const ATTR_TLS_SIGNATURE_SCHEME = "pqrpc.tls.signature_scheme";
export const ATTR_TLS_CIPHER_SUITE = "pqrpc.tls.cipher_suite";
export const ATTR_TLS_RESUMED = "pqrpc.tls.resumed";
/** "psk_dhe_ke", "psk_ke" or "none". */
export const ATTR_TLS_PSK_MODE = "pqrpc.tls.psk_mode";
export const ATTR_TLS_HELLO_RETRY = "pqrpc.tls.hello_retry";
export const ATTR_TLS_ALERT = "pqrpc.tls.alert";
export const ATTR_TLS_REFUSAL_REASON = "pqrpc.tls.refusal_reason";
export const ATTR_TLS_ALPN = "pqrpc.tls.alpn";
export const ATTR_CRYPTO_PROVIDER = "pqrpc.crypto.provider";
export const ATTR_CRYPTO_ALGORITHM = "pqrpc.crypto.algorithm";
/** "keygen", "encapsulate", "decapsulate", "sign", "verify". */
export const ATTR_CRYPTO_OPERATION = "pqrpc.crypto.operation";
export const SPAN_TLS_HANDSHAKE = "pqrpc.tls.handshake";

// --- Security events, ours
export const PQRPC_SECURITY_EVENTS = "pqrpc.security.events";
export const PQRPC_SECURITY_ANOMALIES = "pqrpc.security.anomalies";
export const PQRPC_SECURITY_BLOCKED = "pqrpc.security.blocked_connections";
export const ATTR_SECURITY_EVENT = "pqrpc.security.event";
export const ATTR_SECURITY_DETECTOR = "pqrpc.security.detector";

/**
 * Bucket bounds, s. Calls: the conventions' recommendation for durations.
 * Handshakes and crypto operations are sub-millisecond to tens of ms (DESIGN.md §8), so they start lower.
 */
export const CALL_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
export const HANDSHAKE_DURATION_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
export const CRYPTO_DURATION_BUCKETS_S = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
];
export const BYTE_BUCKETS = [0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
