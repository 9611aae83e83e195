/**
 * Incremental frame decoder (SPEC §Frame layout). Bytes arrive in chunks of
 * any size; frames come out whole. A frame that lies inside one chunk is
 * returned as a view of it (no copy); only a frame split across chunks is
 * gathered into one buffer (the ChunkQueue rule). Every length is checked
 * against the local maximum frame size as soon as the header is in, before
 * the payload is waited for, so a peer cannot make us buffer more than one frame.
 */
import { EMPTY_BYTES, utf8DecodeStrict } from "../../bytes/bytes.ts";
import { ChunkQueue } from "../../bytes/chunk-queue.ts";
import { readVarint, varintSize } from "../../bytes/varint.ts";
import {
  DEFAULT_MAX_FRAME_BYTES,
  Flag,
  FrameType,
  MAX_FRAME_HEADER_BYTES,
  PING_PAYLOAD_BYTES,
} from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";
import type { Frame } from "./frame.ts";
import { payloadReader } from "./payload-reader.ts";

interface Header {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  /** Offset after the header. */
  next: number;
}

/** Size of the varint at `pos` (1, 2 or 4), or 0 when its bytes stop before `end`. */
function headerVarintSize(buf: Uint8Array, pos: number, end: number, field: string): number {
  if (pos >= end) return 0;
  const size = varintSize(buf[pos]!);
  if (size === 8)
    throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${field}: 8-byte varint form is not allowed`);
  return pos + size <= end ? size : 0;
}

/** Parses a frame header at `pos`, or returns undefined when the bytes stop early. */
function parseHeader(buf: Uint8Array, pos: number, end: number): Header | undefined {
  if (pos >= end) return undefined;
  const first = buf[pos]!;
  const sidAt = pos + 1;
  const sidSize = headerVarintSize(buf, sidAt, end, "stream id");
  if (sidSize === 0) return undefined;
  const lenAt = sidAt + sidSize;
  const lenSize = headerVarintSize(buf, lenAt, end, "length");
  if (lenSize === 0) return undefined;
  return {
    type: first & 0x0f,
    flags: first >>> 4,
    streamId: readVarint(buf, sidAt, sidSize as 1 | 2 | 4),
    length: readVarint(buf, lenAt, lenSize as 1 | 2 | 4),
    next: lenAt + lenSize,
  };
}

export class FrameDecoder {
  private readonly queue = new ChunkQueue({
    maxBytes: MAX_FRAME_HEADER_BYTES + DEFAULT_MAX_FRAME_BYTES,
    overflow: (held, max) =>
      new FrameError(ErrorCode.FRAME_SIZE_ERROR, `frame decoder holds ${held} bytes, more than ${max}`),
  });
  /** The header of a frame whose payload is still arriving (its header bytes are consumed). */
  private pending: Header | undefined;

  /**
   * `messageParts`: a MESSAGE frame whose payload spans chunks comes out
   * with its payload as views of them (MessageFrame.parts, `data` empty)
   * rather than gathered: for a reader that joins a message itself, so each
   * byte is copied once, into the message (the connection).
   */
  constructor(
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    private readonly messageParts = false,
  ) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** The largest payload accepted: our advertised MAX_FRAME_SIZE. */
  get maxFrameBytes(): number {
    return this.queue.maxBytes - MAX_FRAME_HEADER_BYTES;
  }

  set maxFrameBytes(bytes: number) {
    // A draining decoder holds at most one header and one frame.
    this.queue.maxBytes = MAX_FRAME_HEADER_BYTES + bytes;
  }

  /** Bytes held between calls (a partial header or a partial frame's payload). */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** Feeds bytes; returns the frames they complete. Throws FrameError on a malformed frame. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    const q = this.queue;
    q.push(chunk);
    for (;;) {
      let header = this.pending;
      if (header === undefined) {
        if (q.length === 0) return frames;
        if (this.takeWholeFrames(frames)) continue;
        // The header, or the payload after it, runs past the head chunk.
        const head = q.peek(Math.min(MAX_FRAME_HEADER_BYTES, q.length));
        header = parseHeader(head, 0, head.length);
        if (header === undefined) return frames;
        this.checkLength(header);
        q.skip(header.next);
      }
      if (q.length < header.length) {
        this.pending = header;
        return frames;
      }
      this.pending = undefined;
      if (
        this.messageParts &&
        header.type === FrameType.MESSAGE &&
        q.headChunk.length - q.headOffset < header.length
      ) {
        frames.push(messageFrame(header, EMPTY_BYTES, q.takeViews(header.length)));
      } else {
        frames.push(parseFrame(header, q.take(header.length)));
      }
    }
  }

  /**
   * The fast path: every frame that lies whole in the queue's head chunk is
   * parsed in place (its payload a view of the chunk) and consumed in one
   * step. Returns false when the next frame is not whole there.
   */
  private takeWholeFrames(frames: Frame[]): boolean {
    const chunk = this.queue.headChunk;
    const start = this.queue.headOffset;
    let at = start;
    for (;;) {
      const header = parseHeader(chunk, at, chunk.length);
      if (header === undefined) break;
      this.checkLength(header);
      const end = header.next + header.length;
      if (end > chunk.length) break;
      frames.push(parseFrame(header, chunk.subarray(header.next, end)));
      at = end;
    }
    if (at === start) return false;
    this.queue.skip(at - start);
    return true;
  }

  private checkLength(header: Header): void {
    if (header.length > this.maxFrameBytes) {
      throw new FrameError(
        ErrorCode.FRAME_SIZE_ERROR,
        `frame of ${header.length} bytes exceeds the maximum frame size ${this.maxFrameBytes}`,
      );
    }
  }
}

/** A MESSAGE frame: its payload in `data`, or, when it spanned chunks, as `parts` (then `data` is empty). */
function messageFrame(h: Header, data: Uint8Array, parts?: Uint8Array[]): Frame {
  requireStream(h, "MESSAGE");
  return {
    type: FrameType.MESSAGE,
    streamId: h.streamId,
    endStream: (h.flags & Flag.END_STREAM) !== 0,
    messageEnd: (h.flags & Flag.MESSAGE_END) !== 0,
    compressed: (h.flags & Flag.COMPRESSED) !== 0,
    data,
    ...(parts === undefined ? {} : { parts }),
  };
}

function requireStreamZero(h: Header, name: string): void {
  if (h.streamId !== 0)
    throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${name} on stream ${h.streamId}, must be 0`);
}

function requireStream(h: Header, name: string): void {
  if (h.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${name} on stream 0`);
}

/** Turns one complete frame's payload into a Frame, checking its shape (SPEC §Frame types). */
export function parseFrame(h: Header, payload: Uint8Array): Frame {
  switch (h.type) {
    case FrameType.SETTINGS: {
      requireStreamZero(h, "SETTINGS");
      const ack = (h.flags & Flag.ACK) !== 0;
      if (ack && payload.length !== 0) {
        throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      }
      const r = payloadReader(payload, "SETTINGS");
      const entries: [number, number][] = [];
      while (r.remaining > 0) entries.push([r.varint("identifier"), r.varint("value")]);
      return { type: FrameType.SETTINGS, ack, entries };
    }
    case FrameType.HEADERS:
      requireStream(h, "HEADERS");
      return {
        type: FrameType.HEADERS,
        streamId: h.streamId,
        endStream: (h.flags & Flag.END_STREAM) !== 0,
        block: payload,
      };
    case FrameType.MESSAGE:
      return messageFrame(h, payload);
    case FrameType.TRAILERS: {
      requireStream(h, "TRAILERS");
      const r = payloadReader(payload, "TRAILERS");
      const status = r.varint("status");
      const text = r.varintVector("message");
      let message: string;
      try {
        message = utf8DecodeStrict(text);
      } catch {
        // A connection error: the header block after the message is never decoded, so the tables would part.
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, "TRAILERS message is not UTF-8");
      }
      return { type: FrameType.TRAILERS, streamId: h.streamId, status, message, block: r.rest() };
    }
    case FrameType.RST: {
      requireStream(h, "RST");
      const r = payloadReader(payload, "RST");
      const code = r.varint("error code");
      r.end();
      return { type: FrameType.RST, streamId: h.streamId, code };
    }
    case FrameType.WINDOW_UPDATE: {
      const r = payloadReader(payload, "WINDOW_UPDATE");
      const increment = r.varint("increment");
      r.end();
      // On a stream, 0 is a stream error the connection answers (SPEC §WINDOW_UPDATE); every
      // error thrown here is a connection error, since the frames after it are lost.
      if (increment === 0 && h.streamId === 0) {
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE increment of 0");
      }
      return { type: FrameType.WINDOW_UPDATE, streamId: h.streamId, increment };
    }
    case FrameType.PING:
      requireStreamZero(h, "PING");
      if (payload.length !== PING_PAYLOAD_BYTES) {
        throw new FrameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `PING payload of ${payload.length} bytes, must be 8`,
        );
      }
      return { type: FrameType.PING, ack: (h.flags & Flag.ACK) !== 0, payload };
    case FrameType.GOAWAY: {
      requireStreamZero(h, "GOAWAY");
      const r = payloadReader(payload, "GOAWAY");
      const lastStreamId = r.varint("last stream id");
      const code = r.varint("error code");
      return { type: FrameType.GOAWAY, lastStreamId, code, debug: r.rest() };
    }
    default:
      return { type: "unknown", rawType: h.type, streamId: h.streamId, length: payload.length };
  }
}
