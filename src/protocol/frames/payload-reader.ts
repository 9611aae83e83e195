/**
 * The frame codec's use of the shared byte cursor (src/bytes): a payload
 * that stops early is `shortCode` (FRAME_SIZE_ERROR; COMPRESSION_ERROR in a
 * header block), the refused 8-byte varint form is PROTOCOL_ERROR, and bytes
 * left over are FRAME_SIZE_ERROR (SPEC §Error codes).
 */
import { ByteReader } from "../../bytes/byte-reader.ts";
import { ErrorCode as Codes, type ErrorCode, FrameError } from "./error-codes.ts";

export function payloadReader(
  payload: Uint8Array,
  what: string,
  shortCode: ErrorCode = Codes.FRAME_SIZE_ERROR,
): ByteReader {
  return new ByteReader(payload, what, (failure, message) => {
    const code =
      failure === "malformed"
        ? Codes.PROTOCOL_ERROR
        : failure === "trailing"
          ? Codes.FRAME_SIZE_ERROR
          : shortCode;
    return new FrameError(code, message);
  });
}
