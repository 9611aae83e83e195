/**
 * The request and response heads of a call (src/rpc/transport.ts) as
 * pqrpc/1 header fields (SPEC §HEADERS): the reserved names (`:path`,
 * `content-type`, `grpc-timeout`, `grpc-encoding`, `grpc-accept-encoding`)
 * are owned here and never reach Metadata. The status is trailer-status.ts's.
 */
import { Code } from "../../rpc/code.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { SerializationFormat } from "../../rpc/serialization.ts";
import { decodeTimeout, encodeTimeout } from "../../rpc/timeout-header.ts";
import type { RequestHead, ResponseHead } from "../../rpc/transport.ts";
import type { HeaderField } from "./header-field.ts";

const CONTENT_TYPE_PROTO = "application/grpc";
const CONTENT_TYPE_JSON = "application/grpc+json";
const IDENTITY = "identity";

function isReserved(name: string): boolean {
  return name.startsWith(":") || name.startsWith("grpc-") || name === "content-type";
}

export function appendMetadata(out: HeaderField[], md: Metadata): void {
  for (const [name, value] of md) out.push([name, value]);
}

/** Application metadata from received fields: reserved names dropped, names and values checked. */
export function metadataOf(fields: readonly HeaderField[]): Metadata {
  const md = new Metadata();
  for (const [name, value] of fields) if (!isReserved(name)) md.append(name, value);
  return md;
}

function textOf(fields: readonly HeaderField[], name: string): string | undefined {
  for (const [n, v] of fields) if (n === name && typeof v === "string") return v;
  return undefined;
}

function encodingFields(out: HeaderField[], encoding: string, accept: readonly string[]): void {
  if (encoding !== IDENTITY) out.push(["grpc-encoding", encoding]);
  if (accept.length > 0) out.push(["grpc-accept-encoding", accept.join(",")]);
}

function acceptOf(fields: readonly HeaderField[]): string[] {
  const text = textOf(fields, "grpc-accept-encoding");
  return text === undefined
    ? []
    : text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

export function requestHeadToFields(head: RequestHead, authority?: string): HeaderField[] {
  const out: HeaderField[] = [[":path", head.path]];
  if (authority !== undefined) out.push([":authority", authority]);
  out.push(["content-type", head.format === "json" ? CONTENT_TYPE_JSON : CONTENT_TYPE_PROTO]);
  if (head.timeoutMs !== undefined) out.push(["grpc-timeout", encodeTimeout(head.timeoutMs)]);
  encodingFields(out, head.encoding, head.acceptEncoding);
  appendMetadata(out, head.metadata);
  return out;
}

/** Throws RpcError (INTERNAL for malformed reserved fields, as gRPC servers answer them). */
export function requestHeadFromFields(fields: readonly HeaderField[]): RequestHead {
  const path = textOf(fields, ":path");
  if (path === undefined) throw new RpcError(Code.INTERNAL, "request without :path");
  const contentType = textOf(fields, "content-type") ?? CONTENT_TYPE_PROTO;
  let format: SerializationFormat;
  if (contentType === CONTENT_TYPE_JSON) format = "json";
  else if (contentType === CONTENT_TYPE_PROTO || contentType === "application/grpc+proto") format = "proto";
  else
    throw new RpcError(Code.INTERNAL, `unsupported content-type ${JSON.stringify(contentType.slice(0, 64))}`);
  const timeout = textOf(fields, "grpc-timeout");
  let metadata: Metadata;
  try {
    metadata = metadataOf(fields);
  } catch (e) {
    throw new RpcError(Code.INTERNAL, `malformed request metadata: ${(e as Error).message}`);
  }
  return {
    path,
    metadata,
    timeoutMs: timeout === undefined ? undefined : decodeTimeout(timeout),
    format,
    encoding: textOf(fields, "grpc-encoding") ?? IDENTITY,
    acceptEncoding: acceptOf(fields),
  };
}

export function responseHeadToFields(head: ResponseHead): HeaderField[] {
  const out: HeaderField[] = [];
  encodingFields(out, head.encoding, head.acceptEncoding);
  appendMetadata(out, head.metadata);
  return out;
}

export function responseHeadFromFields(fields: readonly HeaderField[]): ResponseHead {
  return {
    metadata: metadataOf(fields),
    encoding: textOf(fields, "grpc-encoding") ?? IDENTITY,
    acceptEncoding: acceptOf(fields),
  };
}
