/**
 * pino as a pqrpc Logger. pino is optional: `fromPino` adapts an instance
 * the application already has (no import), `createPinoLogger` loads pino
 * only when called and says how to install it when it is missing.
 */
import type { LogFields, Logger, LogLevel } from "./logger.ts";

/** The part of a pino logger we call: `logger.warn(fields, message)`. */
export interface PinoLike {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export function fromPino(pino: PinoLike): Logger {
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => pino[level](fields ?? {}, message);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A new pino logger (pino's own options, e.g. { level: "info" }) writing JSON lines to stdout. */
export async function createPinoLogger(options: Record<string, unknown> = {}): Promise<Logger> {
  let mod: { default: (o: object) => PinoLike };
  try {
    mod = (await import("pino")) as unknown as { default: (o: object) => PinoLike };
  } catch {
    throw new Error("the pino logger needs the package pino: npm install pino");
  }
  return fromPino(mod.default(options));
}
