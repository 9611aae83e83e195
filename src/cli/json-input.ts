/**
 * The request messages of `pqrpc call -d`: one JSON value, several JSON
 * values one after another ('{"a":1} {"a":2}'), a JSON array of messages
 * (streaming methods), or "@": newline-delimited JSON read from stdin as it
 * arrives (so a bidi call can be driven interactively).
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { CliError } from "./cli-error.ts";

/** Largest -d text accepted (a typo'd @file of gigabytes must not be buffered). */
export const MAX_DATA_CHARS = 64 * 1024 * 1024;
/** Largest single stdin line (one message). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** Splits text into its top-level JSON values and parses each; CliError names the bad value. */
export function parseJsonValues(text: string): unknown[] {
  if (text.length > MAX_DATA_CHARS) throw new CliError(`-d data longer than ${MAX_DATA_CHARS} characters`);
  const values: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const end = valueEnd(text, i);
    const chunk = text.slice(i, end);
    try {
      values.push(JSON.parse(chunk));
    } catch (e) {
      throw new CliError(
        `bad -d JSON (value ${values.length + 1}, "${preview(chunk)}"): ${(e as Error).message}`,
      );
    }
    i = end;
  }
  return values;
}

function preview(s: string): string {
  const MAX_PREVIEW_CHARS = 40;
  return s.length > MAX_PREVIEW_CHARS ? `${s.slice(0, MAX_PREVIEW_CHARS)}...` : s;
}

/**
 * Where the JSON value starting at `start` ends: at its matching bracket for
 * objects and arrays (strings skipped, escapes honoured), at the closing
 * quote for strings, at whitespace or a bracket for scalars. Malformed text
 * still yields a chunk, and JSON.parse then says what is wrong with it.
 */
function valueEnd(text: string, start: number): number {
  const first = text[start]!;
  if (first === '"') return stringEnd(text, start);
  if (first !== "{" && first !== "[") {
    let i = start;
    while (i < text.length && !/[\s{}[\]"]/.test(text[i]!)) i++;
    return i === start ? start + 1 : i;
  }
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return text.length;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "\\") i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}

/**
 * The request values of a call: for a streaming request side, a lone array
 * stands for its elements; a unary request side takes exactly one object.
 */
export function requestValues(values: unknown[], streamingRequests: boolean, method: string): unknown[] {
  if (streamingRequests) {
    if (values.length === 1 && Array.isArray(values[0])) return values[0];
    return values;
  }
  if (values.length === 0) return [{}];
  if (values.length > 1 || Array.isArray(values[0])) {
    throw new CliError(
      `${method} takes one request message; -d holds ${Array.isArray(values[0]) ? "an array" : `${values.length} values`}`,
    );
  }
  return values;
}

/** Newline-delimited JSON from `input`, one value per non-empty line, parsed as it arrives. */
export async function* readJsonLines(input: Readable): AsyncGenerator<unknown> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    if (line.length > MAX_LINE_CHARS)
      throw new CliError(`stdin line ${n} longer than ${MAX_LINE_CHARS} characters`);
    try {
      yield JSON.parse(line);
    } catch (e) {
      throw new CliError(`bad JSON on stdin line ${n}: ${(e as Error).message}`);
    }
  }
}
