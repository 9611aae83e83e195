/**
 * What `pqrpc serve` runs beside the server for its operator: security
 * events logged one line each (every refused handshake with its cause) in
 * text or JSON on stderr, the Prometheus endpoint of --metrics, the block
 * list of --block, and SSLKEYLOGFILE's key log.
 */
import { KEY_LOG_WARNING, type KeyLogFile, keyLogFromEnv } from "../observability/key-log-file.ts";
import { createLineLogger, type LogFormat, type Logger } from "../observability/logger.ts";
import { type MetricsEndpoint, startPrometheusEndpoint } from "../observability/prometheus-endpoint.ts";
import { createTelemetry, type Telemetry } from "../observability/telemetry.ts";
import { parseAddress } from "./address.ts";
import { CliError, type CliIo } from "./cli-error.ts";

export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

export interface ServeTelemetryOptions {
  /** --metrics HOST:PORT */
  readonly metrics?: string | undefined;
  /** --log-format */
  readonly logFormat: string;
  /** --block: sources that trip a detector are refused for a while. */
  readonly block: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ServeTelemetry {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly metrics: MetricsEndpoint | undefined;
  readonly keyLog: KeyLogFile | undefined;
  close(): Promise<void>;
}

export function parseLogFormat(text: string): LogFormat {
  if (!LOG_FORMATS.includes(text as LogFormat)) {
    throw new CliError(`serve: unknown --log-format "${text}" (one of: ${LOG_FORMATS.join(", ")})`);
  }
  return text as LogFormat;
}

export async function setUpServeTelemetry(o: ServeTelemetryOptions, io: CliIo): Promise<ServeTelemetry> {
  const logger = createLineLogger({ format: parseLogFormat(o.logFormat), write: (line) => io.stderr(line) });
  const at = o.metrics === undefined ? undefined : parseAddress(o.metrics);
  let metrics: MetricsEndpoint | undefined;
  if (at !== undefined) {
    try {
      metrics = await startPrometheusEndpoint(at.host, at.port);
    } catch (e) {
      throw new CliError(`serve: --metrics ${o.metrics}: ${(e as Error).message}`);
    }
  }
  const telemetry = createTelemetry({
    ...(metrics === undefined ? {} : { meterProvider: metrics.meterProvider }),
    logger,
    security: { logger, blockList: o.block },
  });
  const keyLog = keyLogFromEnv(o.env);
  if (keyLog !== undefined) logger.warn(KEY_LOG_WARNING, { file: keyLog.path });
  return {
    telemetry,
    logger,
    metrics,
    keyLog,
    async close() {
      keyLog?.close();
      await metrics?.close();
    },
  };
}
