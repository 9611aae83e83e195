/**
 * Content-Type of PROTOCOL-HTTP2: "application/grpc" [("+proto" / "+json" / {custom})].
 * A bare "application/grpc" means protobuf (Appendix A).
 */
import type { SerializationFormat } from "../../rpc/serialization.ts";

export const GRPC_CONTENT_TYPE = "application/grpc";
const PROTO_SUFFIXES = new Set(["", "+proto"]);
const JSON_SUFFIX = "+json";

const GRPC_PROTO_CONTENT_TYPE = `${GRPC_CONTENT_TYPE}+proto`;
const GRPC_JSON_CONTENT_TYPE = `${GRPC_CONTENT_TYPE}${JSON_SUFFIX}`;

export function contentTypeOf(format: SerializationFormat): string {
  return format === "json" ? GRPC_JSON_CONTENT_TYPE : GRPC_PROTO_CONTENT_TYPE;
}

/**
 * The format of the exact types gRPC peers send (grpc-js, grpc-go and we send
 * these as they are): no split, trim or lower-casing on the per-call path.
 */
function exactFormat(value: string): SerializationFormat | undefined {
  if (value === GRPC_PROTO_CONTENT_TYPE || value === GRPC_CONTENT_TYPE) return "proto";
  if (value === GRPC_JSON_CONTENT_TYPE) return "json";
  return undefined;
}

/** True for any gRPC content type, including codecs we do not implement. */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (exactFormat(value) !== undefined) return true;
  const base = value.split(";")[0]!.trim().toLowerCase();
  return base === GRPC_CONTENT_TYPE || base.startsWith(`${GRPC_CONTENT_TYPE}+`);
}

/** The format a gRPC content type names; undefined for a non-gRPC type or a codec we do not implement. */
export function parseContentType(value: string | undefined): SerializationFormat | undefined {
  if (value === undefined) return undefined;
  const exact = exactFormat(value);
  if (exact !== undefined) return exact;
  if (!isGrpcContentType(value)) return undefined;
  const suffix = value!.split(";")[0]!.trim().toLowerCase().slice(GRPC_CONTENT_TYPE.length);
  if (PROTO_SUFFIXES.has(suffix)) return "proto";
  if (suffix === JSON_SUFFIX) return "json";
  return undefined;
}
