/**
 * RST_STREAM error codes (RFC 9113 §7) -> gRPC status, per PROTOCOL-HTTP2
 * "Errors". CANCEL from a server is CANCELLED; from a client it is call
 * cancellation (the server aborts the handler's signal with CANCELLED).
 */
import { constants } from "node:http2";
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";

export const H2_NO_ERROR = constants.NGHTTP2_NO_ERROR;
export const H2_CANCEL = constants.NGHTTP2_CANCEL;
export const H2_REFUSED_STREAM = constants.NGHTTP2_REFUSED_STREAM;
export const H2_ENHANCE_YOUR_CALM = constants.NGHTTP2_ENHANCE_YOUR_CALM;
export const H2_INADEQUATE_SECURITY = constants.NGHTTP2_INADEQUATE_SECURITY;

const NAMES: Readonly<Record<number, string>> = {
  0: "NO_ERROR",
  1: "PROTOCOL_ERROR",
  2: "INTERNAL_ERROR",
  3: "FLOW_CONTROL_ERROR",
  4: "SETTINGS_TIMEOUT",
  5: "STREAM_CLOSED",
  6: "FRAME_SIZE_ERROR",
  7: "REFUSED_STREAM",
  8: "CANCEL",
  9: "COMPRESSION_ERROR",
  10: "CONNECT_ERROR",
  11: "ENHANCE_YOUR_CALM",
  12: "INADEQUATE_SECURITY",
  13: "HTTP_1_1_REQUIRED",
};

export function h2ErrorName(code: number): string {
  return NAMES[code] ?? `0x${code.toString(16)}`;
}

/** The gRPC code for an RST_STREAM received by a client. */
export function codeFromRstCode(rstCode: number): Code {
  switch (rstCode) {
    case H2_REFUSED_STREAM:
      // No processing occurred: the call may be retried elsewhere.
      return Code.UNAVAILABLE;
    case H2_CANCEL:
      return Code.CANCELLED;
    case H2_ENHANCE_YOUR_CALM:
      return Code.RESOURCE_EXHAUSTED;
    case H2_INADEQUATE_SECURITY:
      return Code.PERMISSION_DENIED;
    default:
      // NO_ERROR too: an explicit grpc-status should have been sent first.
      return Code.INTERNAL;
  }
}

export function errorFromRstCode(rstCode: number): RpcError {
  return new RpcError(codeFromRstCode(rstCode), `stream reset by the peer with ${h2ErrorName(rstCode)}`);
}
