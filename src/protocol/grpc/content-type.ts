/**
 * Content-Type of PROTOCOL-HTTP2: "application/grpc" [("+proto" / "+json" / {custom})].
 * A bare "application/grpc" means protobuf (Appendix A).
 */
import type { SerializationFormat } from "../../rpc/serialization.ts";

export const GRPC_CONTENT_TYPE = "application/grpc";
const PROTO_SUFFIXES = new Set(["", "+proto"]);
const JSON_SUFFIX = "+json";

export function contentTypeOf(format: SerializationFormat): string {
  return format === "json" ? `${GRPC_CONTENT_TYPE}+json` : `${GRPC_CONTENT_TYPE}+proto`;
}

/** True for any gRPC content type, including codecs we do not implement. */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const base = value.split(";")[0]!.trim().toLowerCase();
  return base === GRPC_CONTENT_TYPE || base.startsWith(`${GRPC_CONTENT_TYPE}+`);
}

/** The format a gRPC content type names; undefined for a non-gRPC type or a codec we do not implement. */
export function parseContentType(value: string | undefined): SerializationFormat | undefined {
  if (!isGrpcContentType(value)) return undefined;
  const suffix = value!.split(";")[0]!.trim().toLowerCase().slice(GRPC_CONTENT_TYPE.length);
  if (PROTO_SUFFIXES.has(suffix)) return "proto";
  if (suffix === JSON_SUFFIX) return "json";
  return undefined;
}
