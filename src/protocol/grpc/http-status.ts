/**
 * HTTP status -> gRPC code for responses without grpc-status (gRPC
 * doc/http-grpc-status-mapping.md). Only for that case: a grpc-status, when
 * present, always wins, and servers never use this table in reverse.
 */
import { Code } from "../../rpc/code.ts";

export const HTTP_STATUS_OK = 200;
export const HTTP_STATUS_METHOD_NOT_ALLOWED = 405;
export const HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE = 415;

const MAPPING: ReadonlyMap<number, Code> = new Map<number, Code>([
  [400, Code.INTERNAL],
  [401, Code.UNAUTHENTICATED],
  [403, Code.PERMISSION_DENIED],
  [404, Code.UNIMPLEMENTED],
  [429, Code.UNAVAILABLE],
  [431, Code.INTERNAL],
  [502, Code.UNAVAILABLE],
  [503, Code.UNAVAILABLE],
  [504, Code.UNAVAILABLE],
]);

/** "All other codes" are UNKNOWN, 200 included: a real OK carries grpc-status. */
export function codeFromHttpStatus(status: number): Code {
  return MAPPING.get(status) ?? Code.UNKNOWN;
}
