/**
 * Frame encoder (SPEC §Frame layout): octet 0 = flags << 4 | type, then the
 * stream id and the payload length as QUIC varints, then the payload.
 */

import { ByteWriter } from "../../bytes/byte-writer.ts";
import { utf8Encode } from "../../bytes/bytes.ts";
import { varintLength, writeVarint } from "../../bytes/varint.ts";
import { Flag, FrameType, MAX_GOAWAY_DEBUG_BYTES, PING_PAYLOAD_BYTES } from "./constants.ts";
import type { Frame } from "./frame.ts";

/** The header of one frame, alone: the session writes it in front of a payload it does not copy. */
export function encodeFrameHeader(type: number, flags: number, streamId: number, length: number): Uint8Array {
  const out = new Uint8Array(1 + varintLength(streamId) + varintLength(length));
  writeFrameHeader(out, 0, type, flags, streamId, length);
  return out;
}

/** Writes a frame header at `offset`; returns the offset after it. */
export function writeFrameHeader(
  out: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  streamId: number,
  length: number,
): number {
  out[offset] = ((flags & 0x0f) << 4) | (type & 0x0f);
  return writeVarint(out, writeVarint(out, offset + 1, streamId), length);
}

/** Bytes of the header that precedes a payload of `length` bytes on `streamId`. */
export function frameHeaderLength(streamId: number, length: number): number {
  return 1 + varintLength(streamId) + varintLength(length);
}

function assemble(type: number, flags: number, streamId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameHeaderLength(streamId, payload.length) + payload.length);
  out.set(payload, writeFrameHeader(out, 0, type, flags, streamId, payload.length));
  return out;
}

/** The payload of a TRAILERS frame: status, message length, message, header block. */
export function encodeTrailersPayload(status: number, message: string, block: Uint8Array): Uint8Array {
  const text = utf8Encode(message);
  return new ByteWriter(8 + text.length + block.length)
    .varint(status)
    .varintVector(text)
    .bytes(block)
    .finish();
}

/** One complete frame, header and payload in one buffer (one copy of the payload). */
export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case FrameType.SETTINGS: {
      const w = new ByteWriter(8 * frame.entries.length);
      for (const [id, value] of frame.entries) w.varint(id).varint(value);
      return assemble(FrameType.SETTINGS, frame.ack ? Flag.ACK : 0, 0, w.finish());
    }
    case FrameType.HEADERS:
      return assemble(FrameType.HEADERS, frame.endStream ? Flag.END_STREAM : 0, frame.streamId, frame.block);
    case FrameType.MESSAGE:
      return assemble(FrameType.MESSAGE, messageFlags(frame), frame.streamId, frame.data);
    case FrameType.TRAILERS:
      return assemble(
        FrameType.TRAILERS,
        0,
        frame.streamId,
        encodeTrailersPayload(frame.status, frame.message, frame.block),
      );
    case FrameType.RST:
      return assemble(FrameType.RST, 0, frame.streamId, varintBytes(frame.code));
    case FrameType.WINDOW_UPDATE:
      return assemble(FrameType.WINDOW_UPDATE, 0, frame.streamId, varintBytes(frame.increment));
    case FrameType.PING: {
      if (frame.payload.length !== PING_PAYLOAD_BYTES) throw new RangeError("PING payload must be 8 bytes");
      return assemble(FrameType.PING, frame.ack ? Flag.ACK : 0, 0, frame.payload);
    }
    case FrameType.GOAWAY: {
      const w = new ByteWriter(8 + MAX_GOAWAY_DEBUG_BYTES)
        .varint(frame.lastStreamId)
        .varint(frame.code)
        .bytes(frame.debug.subarray(0, MAX_GOAWAY_DEBUG_BYTES));
      return assemble(FrameType.GOAWAY, 0, 0, w.finish());
    }
    case "unknown":
      throw new RangeError(`cannot encode frame type ${frame.rawType}`);
  }
}

/** MESSAGE flags from a frame's booleans. */
export function messageFlags(f: { endStream: boolean; messageEnd: boolean; compressed: boolean }): number {
  return (
    (f.endStream ? Flag.END_STREAM : 0) |
    (f.messageEnd ? Flag.MESSAGE_END : 0) |
    (f.compressed ? Flag.COMPRESSED : 0)
  );
}

function varintBytes(value: number): Uint8Array {
  return new ByteWriter(4).varint(value).finish();
}
