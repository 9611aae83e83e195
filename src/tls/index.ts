/** Public surface of the TLS 1.3 engine. */
export { AlertDescription, type AlertName, alertName, TlsError } from "./alert.ts";
export {
  type ExternalPsk,
  type ResumptionSession,
  type TlsClientConfig,
  TlsConfigError,
  type TlsServerConfig,
} from "./config.ts";
export { createTlsClient, createTlsServer, type NegotiatedInfo, type TlsConnection } from "./connection.ts";
export {
  DEFAULT_KEY_SHARE_POOL_SIZE,
  KeySharePool,
  type KeySharePoolOptions,
  type KeySharePoolStats,
  MAX_KEY_SHARE_POOL_SIZE,
} from "./key-share-pool.ts";
export { POLICIES, type PolicyName } from "./policy.ts";
export { TicketSealer } from "./ticket-sealer.ts";
