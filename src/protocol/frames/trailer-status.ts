/**
 * The status of a call as a pqrpc/1 TRAILERS frame (SPEC §TRAILERS): the
 * code and message travel in the frame itself, the trailing metadata and
 * grpc-status-details-bin (a google.rpc.Status with the details) in its
 * header block. The counterpart of protocol/grpc/trailer-status.ts.
 */
import { codeFromWire } from "../../rpc/code.ts";
import { decodeStatus, encodeStatus } from "../../rpc/status-details.ts";
import type { CallStatus, ResponseTrailer } from "../../rpc/transport.ts";
import type { HeaderField } from "./header-field.ts";
import { appendMetadata, metadataOf } from "./headers.ts";

const STATUS_DETAILS = "grpc-status-details-bin";

/** Trailing metadata plus grpc-status-details-bin when the status has details. */
export function trailerToFields(trailer: ResponseTrailer): HeaderField[] {
  const out: HeaderField[] = [];
  const { status } = trailer;
  if (status.details.length > 0) out.push([STATUS_DETAILS, encodeStatus(status)]);
  appendMetadata(out, trailer.metadata);
  return out;
}

export function trailerFromFrame(
  status: number,
  message: string,
  fields: readonly HeaderField[],
): ResponseTrailer {
  const code = codeFromWire(status);
  let details: CallStatus["details"] = [];
  for (const [name, value] of fields) {
    if (name === STATUS_DETAILS && value instanceof Uint8Array) {
      try {
        const decoded = decodeStatus(value);
        // Details count only if they describe this status (gRPC's rule for the -bin copy).
        if (decoded.code === code) details = decoded.details;
      } catch {
        // Malformed details: the status itself still stands.
      }
    }
  }
  return { status: { code, message, details }, metadata: metadataOf(fields) };
}
