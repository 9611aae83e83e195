/** Parsing of option values shared by the network commands. */
import { CliError } from "./cli-error.ts";

/** Upper bound of --timeout: a day, so a typo cannot ask for a century. */
export const MAX_TIMEOUT_MS = 86_400_000;

/** --timeout MS: a positive integer of milliseconds, or undefined when absent. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parsePositiveInteger("--timeout", text, MAX_TIMEOUT_MS);
}

export function parsePositiveInteger(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) {
    throw new CliError(`${name} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return n;
}
