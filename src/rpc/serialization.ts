/**
 * Message serialization: protobuf binary (content subtype "proto") or
 * protobuf JSON ("json"), both through protobuf-es. Parse failures become
 * RpcError INTERNAL (grpc-js and grpc-go answer a message they cannot
 * decode with INTERNAL).
 */

import {
  type DescMessage,
  fromBinary,
  fromJsonString,
  type JsonReadOptions,
  type JsonWriteOptions,
  type MessageShape,
  type Registry,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { utf8DecodeStrict, utf8Encode } from "../bytes/bytes.ts";
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** The codec of a call, as named in gRPC's content-type (application/grpc+proto, application/grpc+json). */
export type SerializationFormat = "proto" | "json";

export interface Serializer<Desc extends DescMessage> {
  serialize(message: MessageShape<Desc>): Uint8Array;
  parse(data: Uint8Array): MessageShape<Desc>;
}

export interface SerializationOptions {
  /** Registry for google.protobuf.Any and extensions in JSON. */
  readonly registry?: Registry;
  readonly jsonWrite?: Partial<JsonWriteOptions>;
  readonly jsonRead?: Partial<JsonReadOptions>;
}

export function createSerializer<Desc extends DescMessage>(
  schema: Desc,
  format: SerializationFormat,
  options: SerializationOptions = {},
): Serializer<Desc> {
  if (format === "proto") {
    return {
      serialize: (message) => toBinary(schema, message),
      parse(data) {
        try {
          return fromBinary(schema, data);
        } catch (e) {
          throw new RpcError(Code.INTERNAL, `cannot decode ${schema.typeName}: ${(e as Error).message}`);
        }
      },
    };
  }
  const jsonWrite = { ...options.jsonWrite, registry: options.registry ?? options.jsonWrite?.registry };
  const jsonRead = { ...options.jsonRead, registry: options.registry ?? options.jsonRead?.registry };
  return {
    serialize: (message) => utf8Encode(toJsonString(schema, message, jsonWrite)),
    parse(data) {
      try {
        return fromJsonString(schema, utf8DecodeStrict(data), jsonRead);
      } catch (e) {
        throw new RpcError(Code.INTERNAL, `cannot decode ${schema.typeName} JSON: ${(e as Error).message}`);
      }
    },
  };
}
