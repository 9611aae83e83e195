/**
 * The frame codec's use of the shared byte cursor (src/bytes): a payload
 * that stops early is `shortCode` (FRAME_SIZE_ERROR; COMPRESSION_ERROR in a
 * header block), the refused 8-byte varint form is PROTOCOL_ERROR, and bytes
 * left over are FRAME_SIZE_ERROR (SPEC §Error codes).
 */
import { ByteReader } from "../../bytes/byte-reader.ts";
import { ErrorCode as Codes, type ErrorCode, FrameError } from "./error-codes.ts";

/** One error maker per short-payload code, made once: a reader per frame makes no closure of its own. */
const errorMakers = new Map<ErrorCode, (failure: string, message: string) => FrameError>();

function errorMaker(shortCode: ErrorCode): (failure: string, message: string) => FrameError {
  let make = errorMakers.get(shortCode);
  if (make === undefined) {
    make = (failure, message) => {
      const code =
        failure === "malformed"
          ? Codes.PROTOCOL_ERROR
          : failure === "trailing"
            ? Codes.FRAME_SIZE_ERROR
            : shortCode;
      return new FrameError(code, message);
    };
    errorMakers.set(shortCode, make);
  }
  return make;
}

export function payloadReader(
  payload: Uint8Array,
  what: string,
  shortCode: ErrorCode = Codes.FRAME_SIZE_ERROR,
): ByteReader {
  return new ByteReader(payload, what, errorMaker(shortCode));
}
