/** Metrics, traces, security events, logs and the key log: the public surface of src/observability. */
export {
  type BlockEntry,
  BlockList,
  type BlockListOptions,
  DEFAULT_BLOCK_LIST_MAX_ENTRIES,
  DEFAULT_BLOCK_TTL_MS,
} from "./block-list.ts";
export type { ClientHelloSummary } from "./client-hello-summary.ts";
export {
  createLineLogger,
  type LineLoggerOptions,
  type LogFields,
  type LogFormat,
  type Logger,
  type LogLevel,
  silentLogger,
} from "./logger.ts";
export { createPinoLogger, fromPino, type PinoLike } from "./pino-logger.ts";
export { type RefusalReason, refusalReason } from "./refusal-reason.ts";
export {
  DEFAULT_DETECTORS,
  type DetectorConfig,
  type SecurityEvent,
  type SecurityEventKind,
  SecurityMonitor,
  type SecurityMonitorOptions,
  sourceOf,
} from "./security-events.ts";
export * as semconv from "./semconv.ts";
export { createTelemetry, Telemetry, type TelemetryOptions } from "./telemetry.ts";
