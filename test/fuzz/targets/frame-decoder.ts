/**
 * The pqrpc/1 frame decoder (SPEC §Frame layout, §Frame types) on a hostile
 * byte stream in chunks of the sizes the input picks. It must hold at most
 * one header and one frame between calls, and every frame of a defined type
 * it returns must survive encode → decode unchanged (unknown types are
 * received and ignored, SPEC §Extensibility: there is nothing to re-encode).
 */
import { isDeepStrictEqual } from "node:util";
import { DEFAULT_MAX_FRAME_BYTES, MAX_FRAME_HEADER_BYTES } from "../../../src/protocol/frames/constants.ts";
import { FrameError } from "../../../src/protocol/frames/error-codes.ts";
import { FrameDecoder } from "../../../src/protocol/frames/frame-decoder.ts";
import { encodeFrame } from "../../../src/protocol/frames/frame-encoder.ts";
import { FuzzInput } from "../harness/input.ts";
import { assertBounded, check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

/** A frame as plain data (payload views become plain arrays) for comparison. */
function plain(frame: object): unknown {
  return JSON.parse(JSON.stringify(frame, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

export const target: FuzzTarget = {
  name: "frame-decoder",
  description: "pqrpc/1 frames: [chunk size byte] then the byte stream",
  typed: [FrameError],
  run(data) {
    const input = new FuzzInput(data);
    const chunkBytes = 1 + input.u8() * 16;
    const stream = input.rest();
    const decoder = new FrameDecoder();
    for (let at = 0; at < stream.length; at += chunkBytes) {
      for (const frame of decoder.push(stream.slice(at, at + chunkBytes))) {
        if (frame.type === "unknown") continue;
        const again = new FrameDecoder().push(encodeFrame(frame));
        check(
          again.length === 1 && isDeepStrictEqual(plain(again[0]!), plain(frame)),
          `frame type ${frame.type} changes through encode/decode`,
        );
      }
      assertBounded(
        "a frame decoder",
        decoder.bufferedBytes,
        MAX_FRAME_HEADER_BYTES + DEFAULT_MAX_FRAME_BYTES,
      );
    }
  },
};

export const fuzz = jazzerEntry(target);
