/**
 * The 17 gRPC status codes (grpc/doc/statuscodes.md; google.rpc.Code). The
 * numbers are wire values: they travel in `grpc-status` and pqrpc/1 TRAILERS.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Code = (typeof Code)[keyof typeof Code];
export type CodeName = keyof typeof Code;

const NAMES: readonly CodeName[] = Object.keys(Code) as CodeName[];

/** The canonical upper-case name of a code, e.g. "DEADLINE_EXCEEDED". */
export function codeName(code: Code): CodeName {
  return NAMES[code]!;
}

/** True for an integer that is one of the 17 codes. */
export function isCode(value: number): value is Code {
  return Number.isInteger(value) && value >= Code.OK && value <= Code.UNAUTHENTICATED;
}

/**
 * Maps a received wire value to a code. gRPC says an unknown status value
 * must be treated as UNKNOWN (statuscodes.md), so nothing here throws.
 */
export function codeFromWire(value: number): Code {
  return isCode(value) ? value : Code.UNKNOWN;
}
