/**
 * The status of a call as HTTP/2 trailers (PROTOCOL-HTTP2 "Responses"):
 *
 *   Trailers -> Status [Status-Message] *Custom-Metadata
 *   Status   -> "grpc-status" 1*DIGIT          ; decimal, no leading zeros
 *   Status-Message -> "grpc-message" Percent-Encoded
 *
 * plus grpc-status-details-bin, a google.rpc.Status whose code and message
 * repeat the first two and whose details the transport hands to the core.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, codeFromWire } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { decodeStatus, encodeStatus, StatusDecodeError } from "../../rpc/status-details.ts";
import type { CallStatus, ResponseTrailer } from "../../rpc/transport.ts";
import { decodeBinaryHeader, encodeBinaryHeader } from "./binary-header.ts";
import {
  HEADER_GRPC_MESSAGE,
  HEADER_GRPC_STATUS,
  HEADER_GRPC_STATUS_DETAILS,
  headerValue,
  readMetadata,
  writeMetadata,
} from "./headers.ts";
import { percentDecode, percentEncode } from "./percent-encoding.ts";

const STATUS_RE = /^(?:0|[1-9][0-9]{0,9})$/;

/** Adds grpc-status, grpc-message, grpc-status-details-bin and the trailing metadata to `into`. */
export function writeTrailer(trailer: ResponseTrailer, into: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  writeMetadata(trailer.metadata, into);
  const { code, message, details } = trailer.status;
  into[HEADER_GRPC_STATUS] = String(code);
  if (message !== "") into[HEADER_GRPC_MESSAGE] = percentEncode(message);
  if (details.length > 0) {
    into[HEADER_GRPC_STATUS_DETAILS] = encodeBinaryHeader(encodeStatus({ code, message, details }));
  }
  return into;
}

/** True if the block carries a status (a Trailers or a Trailers-Only block). */
export function hasStatus(headers: IncomingHttpHeaders): boolean {
  return headers[HEADER_GRPC_STATUS] !== undefined;
}

/**
 * Reads the status of a Trailers block that has grpc-status. A malformed
 * grpc-status or grpc-status-details-bin makes the status INTERNAL (as grpc-go
 * does), naming what was wrong; an unknown code is UNKNOWN (statuscodes.md).
 */
export function readStatus(headers: IncomingHttpHeaders): CallStatus {
  const raw = headerValue(headers, HEADER_GRPC_STATUS) ?? "";
  if (!STATUS_RE.test(raw)) {
    return {
      code: Code.INTERNAL,
      message: `protocol error: malformed grpc-status ${JSON.stringify(raw.slice(0, 16))}`,
      details: [],
    };
  }
  const code = codeFromWire(Number(raw));
  const message = percentDecode(headerValue(headers, HEADER_GRPC_MESSAGE) ?? "");
  const detailsText = headerValue(headers, HEADER_GRPC_STATUS_DETAILS);
  if (detailsText === undefined) return { code, message, details: [] };
  try {
    const proto = decodeStatus(decodeBinaryHeader(HEADER_GRPC_STATUS_DETAILS, detailsText));
    return { code, message, details: proto.details };
  } catch (e) {
    if (!(e instanceof StatusDecodeError || e instanceof RpcError)) throw e;
    return {
      code: Code.INTERNAL,
      message: `protocol error: malformed ${HEADER_GRPC_STATUS_DETAILS} (status ${code}: ${message})`,
      details: [],
    };
  }
}

/** Status and trailing metadata of a block that has grpc-status. */
export function readTrailer(headers: IncomingHttpHeaders): ResponseTrailer {
  return { status: readStatus(headers), metadata: readMetadata(headers) };
}
