/**
 * The logger interface pqrpc writes to: four levels and structured fields.
 * Two built-in writers (one line per entry, text or JSON) and a pino adapter
 * (./pino-logger.ts) cover operators; anything with these four methods fits.
 * Fields must never hold secrets: nothing in pqrpc logs key material, tickets
 * (only their fingerprints) or message contents.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogFormat = "text" | "json";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
/** A field value longer than this is cut in text lines (a long offer list stays one readable line). */
const MAX_TEXT_FIELD_CHARS = 512;

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface LineLoggerOptions {
  readonly format: LogFormat;
  /** Entries below this level are dropped (default "info"). */
  readonly level?: LogLevel;
  /** Where each line goes (default: process.stderr-like `write`). */
  readonly write: (line: string) => void;
  /** Epoch ms (default Date.now), for tests. */
  readonly now?: () => number;
}

function textValue(value: unknown): string {
  let s: string;
  if (typeof value === "string") s = /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  else if (Array.isArray(value)) s = value.map((v) => String(v)).join(",") || "-";
  else if (value !== null && typeof value === "object") s = JSON.stringify(value);
  else s = String(value);
  return s.length > MAX_TEXT_FIELD_CHARS ? `${s.slice(0, MAX_TEXT_FIELD_CHARS)}...` : s;
}

/** One line per entry: `2026-01-02T03:04:05.678Z WARN message key=value ...`, or one JSON object (pino's field names). */
export function createLineLogger(options: LineLoggerOptions): Logger {
  const min = RANK[options.level ?? "info"];
  const now = options.now ?? Date.now;
  const entry = (level: LogLevel, message: string, fields: LogFields | undefined) => {
    if (RANK[level] < min) return;
    const time = now();
    if (options.format === "json") {
      options.write(`${JSON.stringify({ level, time, msg: message, ...fields })}\n`);
      return;
    }
    const parts = [new Date(time).toISOString(), level.toUpperCase(), message];
    for (const [k, v] of Object.entries(fields ?? {}))
      if (v !== undefined) parts.push(`${k}=${textValue(v)}`);
    options.write(`${parts.join(" ")}\n`);
  };
  return {
    debug: (m, f) => entry("debug", m, f),
    info: (m, f) => entry("info", m, f),
    warn: (m, f) => entry("warn", m, f),
    error: (m, f) => entry("error", m, f),
  };
}
