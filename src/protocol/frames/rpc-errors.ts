/**
 * How the RPC layer reads a pqrpc/1 failure (SPEC §Error codes, the mapping
 * table), on both sides of a call. Mirrors gRPC's RST_STREAM mapping
 * (PROTOCOL-HTTP2.md "Errors", protocol/grpc/http2-errors.ts) where the
 * codes mean the same.
 */
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { ErrorCode } from "./error-codes.ts";
import { StreamError } from "./stream-error.ts";

/** Maps whatever the session threw to the RpcError the rpc core expects. */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof StreamError) return new RpcError(rpcCodeForStreamError(e), e.message, { cause: e });
  return RpcError.from(e, Code.UNAVAILABLE);
}

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
