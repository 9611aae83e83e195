/**
 * pqrpc/1 error codes (SPEC §Error codes): carried by RST and GOAWAY, and by
 * the typed errors of the codec and the session. The numbers follow HTTP/2's
 * (RFC 9113 §7) where the meaning is the same, so operators read them alike.
 */
import { CodedError } from "../../errors/coded-error.ts";
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  SETTINGS_TIMEOUT: 4,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 11,
  HEADERS_TOO_LARGE: 16,
  MESSAGE_TOO_LARGE: 17,
  KEEPALIVE_TIMEOUT: 18,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** "PROTOCOL_ERROR", or "UNKNOWN(0x2a)" for a code this version does not define. */
export function errorCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(0x${code.toString(16)})`;
}

/** A received code this version does not define is treated as INTERNAL_ERROR (SPEC §Error codes). */
export function errorCodeFromWire(code: number): ErrorCode {
  return NAMES.has(code) ? (code as ErrorCode) : ErrorCode.INTERNAL_ERROR;
}

/**
 * A malformed or illegal frame. `streamId` is set when the error is confined
 * to one stream (answered with RST); otherwise it ends the connection (GOAWAY).
 */
export class FrameError extends CodedError<ErrorCode> {
  override readonly name = "FrameError";
  readonly streamId: number | undefined;
  constructor(code: ErrorCode, message: string, streamId?: number) {
    super(code, `${errorCodeName(code)}: ${message}`);
    this.streamId = streamId;
  }
}
