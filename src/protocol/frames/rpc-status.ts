/**
 * How the RPC layer reads a pqrpc/1 stream failure (SPEC §Error codes, the
 * mapping table). Mirrors gRPC's RST_STREAM mapping (PROTOCOL-HTTP2.md
 * "Errors") where the codes mean the same.
 */
import { Code } from "../../rpc/code.ts";
import { ErrorCode } from "./error-codes.ts";
import type { StreamError } from "./stream-error.ts";

export function rpcCodeForStreamError(e: StreamError): Code {
  switch (e.reason) {
    case "refused":
    case "stream-limit":
    case "going-away":
    case "ids-exhausted":
    case "connection-lost":
    case "keepalive-timeout":
      return Code.UNAVAILABLE;
    default:
      break;
  }
  switch (e.code) {
    case ErrorCode.CANCEL:
      return Code.CANCELLED;
    case ErrorCode.REFUSED_STREAM:
      return Code.UNAVAILABLE;
    case ErrorCode.ENHANCE_YOUR_CALM:
    case ErrorCode.HEADERS_TOO_LARGE:
    case ErrorCode.MESSAGE_TOO_LARGE:
      return Code.RESOURCE_EXHAUSTED;
    case ErrorCode.KEEPALIVE_TIMEOUT:
      return Code.UNAVAILABLE;
    default:
      return Code.INTERNAL;
  }
}
