/**
 * google.rpc.Status in protobuf binary: the value of gRPC's
 * `grpc-status-details-bin` trailer, and the details of a pqrpc/1 TRAILERS frame.
 *
 *   message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
 *   message Any    { string type_url = 1; bytes value = 2; }
 *
 * Encoded with protobuf-es's wire primitives rather than a generated schema so
 * the rpc core needs no generated code of its own.
 */

import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CodedError } from "../errors/coded-error.ts";
import { type Code, codeFromWire } from "./code.ts";
import { MAX_STATUS_DETAILS } from "./limits.ts";

/** One detail: a google.protobuf.Any whose type is named without the URL prefix. */
export interface ErrorDetail {
  /** Fully-qualified message type name, e.g. "google.rpc.RetryInfo". */
  readonly type: string;
  /** The message in protobuf binary. */
  readonly value: Uint8Array;
}

export interface StatusProto {
  readonly code: Code;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** The type URL prefix of google.protobuf.Any (any.proto: "type.googleapis.com/"). */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

const STATUS_CODE_FIELD = 1;
const STATUS_MESSAGE_FIELD = 2;
const STATUS_DETAILS_FIELD = 3;
const ANY_TYPE_URL_FIELD = 1;
const ANY_VALUE_FIELD = 2;

export function encodeStatus(status: StatusProto): Uint8Array {
  const w = new BinaryWriter();
  if (status.code !== 0) w.tag(STATUS_CODE_FIELD, WireType.Varint).int32(status.code);
  if (status.message !== "") w.tag(STATUS_MESSAGE_FIELD, WireType.LengthDelimited).string(status.message);
  for (const d of status.details) {
    w.tag(STATUS_DETAILS_FIELD, WireType.LengthDelimited).fork();
    w.tag(ANY_TYPE_URL_FIELD, WireType.LengthDelimited).string(TYPE_URL_PREFIX + d.type);
    if (d.value.length > 0) w.tag(ANY_VALUE_FIELD, WireType.LengthDelimited).bytes(d.value);
    w.join();
  }
  return w.finish();
}

/** Error thrown for a malformed google.rpc.Status. */
export class StatusDecodeError extends CodedError<"ERR_STATUS_DETAILS"> {
  override readonly name = "StatusDecodeError";
  constructor(message: string) {
    super("ERR_STATUS_DETAILS", message);
  }
}

/** Decodes google.rpc.Status; throws StatusDecodeError on malformed input or too many details. */
export function decodeStatus(bytes: Uint8Array): StatusProto {
  try {
    const r = new BinaryReader(bytes);
    let code = 0;
    let message = "";
    const details: ErrorDetail[] = [];
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === STATUS_CODE_FIELD && wireType === WireType.Varint) code = r.int32();
      else if (field === STATUS_MESSAGE_FIELD && wireType === WireType.LengthDelimited) message = r.string();
      else if (field === STATUS_DETAILS_FIELD && wireType === WireType.LengthDelimited) {
        if (details.length === MAX_STATUS_DETAILS) {
          throw new StatusDecodeError(`more than ${MAX_STATUS_DETAILS} status details`);
        }
        details.push(decodeAny(r.bytes()));
      } else r.skip(wireType, field);
    }
    return { code: codeFromWire(code), message, details };
  } catch (e) {
    if (e instanceof StatusDecodeError) throw e;
    throw new StatusDecodeError(`malformed google.rpc.Status: ${(e as Error).message}`);
  }
}

function decodeAny(bytes: Uint8Array): ErrorDetail {
  const r = new BinaryReader(bytes);
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === ANY_TYPE_URL_FIELD && wireType === WireType.LengthDelimited) typeUrl = r.string();
    else if (field === ANY_VALUE_FIELD && wireType === WireType.LengthDelimited) value = r.bytes();
    else r.skip(wireType, field);
  }
  // any.proto: the type name is the part of the URL after the last "/".
  const type = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  return { type, value };
}
