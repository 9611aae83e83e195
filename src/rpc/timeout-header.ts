/**
 * The gRPC timeout text of PROTOCOL-HTTP2 ("Requests"):
 *
 *   Timeout      -> "grpc-timeout" TimeoutValue TimeoutUnit
 *   TimeoutValue -> {positive integer as ASCII string of at most 8 digits}
 *   TimeoutUnit  -> "H" | "M" | "S" | "m" | "u" | "n"
 *
 * pqrpc/1 carries the same text so both protocols share one codec.
 */
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** PROTOCOL-HTTP2: TimeoutValue has at most 8 digits. */
export const MAX_TIMEOUT_DIGITS = 8;
const MAX_TIMEOUT_VALUE = 10 ** MAX_TIMEOUT_DIGITS - 1;

/** Milliseconds per unit, finest first (the encoder tries them in this order). */
const UNITS: readonly (readonly [string, number])[] = [
  ["n", 1e-6],
  ["u", 1e-3],
  ["m", 1],
  ["S", 1000],
  ["M", 60_000],
  ["H", 3_600_000],
];

/** Longest encodable timeout: 99999999 hours. */
export const MAX_ENCODABLE_TIMEOUT_MS = MAX_TIMEOUT_VALUE * 3_600_000;

/**
 * Encodes a timeout in the finest unit whose value fits in 8 digits, rounding
 * up so the server never sees a shorter deadline than the client set. A
 * non-positive timeout encodes as "1n" (the value must be positive): the
 * caller should have failed the call locally before sending.
 */
export function encodeTimeout(timeoutMs: number): string {
  if (!(timeoutMs > 0)) return "1n";
  const ms = Math.min(timeoutMs, MAX_ENCODABLE_TIMEOUT_MS);
  for (const [unit, perUnit] of UNITS) {
    const value = Math.ceil(ms / perUnit - 1e-9);
    if (value <= MAX_TIMEOUT_VALUE) return `${Math.max(value, 1)}${unit}`;
  }
  return `${MAX_TIMEOUT_VALUE}H`;
}

const TIMEOUT_RE = /^([0-9]{1,8})([HMSmun])$/;

/** Decodes grpc-timeout text into milliseconds; malformed text is INTERNAL (as grpc-go answers it). */
export function decodeTimeout(text: string): number {
  const m = TIMEOUT_RE.exec(text);
  if (!m) {
    throw new RpcError(Code.INTERNAL, `malformed grpc-timeout ${JSON.stringify(text.slice(0, 16))}`);
  }
  const perUnit = UNITS.find(([u]) => u === m[2])![1];
  return Number(m[1]) * perUnit;
}
