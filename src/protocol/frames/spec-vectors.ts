/**
 * The frames behind the byte-level examples of docs/SPEC.md. The spec lists
 * each as `vector NAME HEX`; spec-vectors.test.ts checks that the encoder
 * produces exactly that HEX and the decoder returns exactly this frame, so
 * the document and the code cannot drift apart.
 */
import { utf8Encode } from "../../bytes/bytes.ts";
import { FrameType } from "./constants.ts";
import { ErrorCode } from "./error-codes.ts";
import type { Frame } from "./frame.ts";
import type { HeaderField } from "./header-field.ts";
import { SettingId } from "./settings.ts";

const text = utf8Encode;

export const FRAME_VECTORS: Record<string, Frame> = {
  "settings-node": {
    type: FrameType.SETTINGS,
    ack: false,
    entries: [
      [SettingId.MAX_FRAME_SIZE, 65536],
      [SettingId.INITIAL_STREAM_WINDOW, 1048576],
      [SettingId.INITIAL_CONNECTION_WINDOW, 8388608],
    ],
  },
  "settings-ack": { type: FrameType.SETTINGS, ack: true, entries: [] },
  "message-hi-end": {
    type: FrameType.MESSAGE,
    streamId: 1,
    endStream: true,
    messageEnd: true,
    compressed: false,
    data: text("hi"),
  },
  "message-empty": {
    type: FrameType.MESSAGE,
    streamId: 1,
    endStream: false,
    messageEnd: true,
    compressed: false,
    data: new Uint8Array(0),
  },
  "message-part-compressed": {
    type: FrameType.MESSAGE,
    streamId: 101,
    endStream: false,
    messageEnd: false,
    compressed: true,
    data: text("abc"),
  },
  "end-stream": {
    type: FrameType.MESSAGE,
    streamId: 3,
    endStream: true,
    messageEnd: false,
    compressed: false,
    data: new Uint8Array(0),
  },
  "trailers-not-found": {
    type: FrameType.TRAILERS,
    streamId: 1,
    status: 5,
    message: "no such user",
    block: new Uint8Array(0),
  },
  "rst-cancel": { type: FrameType.RST, streamId: 5, code: ErrorCode.CANCEL },
  "window-update-connection": { type: FrameType.WINDOW_UPDATE, streamId: 0, increment: 65536 },
  "window-update-stream": { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 1000 },
  ping: { type: FrameType.PING, ack: false, payload: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
  pong: { type: FrameType.PING, ack: true, payload: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
  "goaway-graceful": {
    type: FrameType.GOAWAY,
    lastStreamId: 7,
    code: ErrorCode.NO_ERROR,
    debug: text("bye"),
  },
};

/** The request of the header compression example: encoded twice by one encoder. */
export const HEADER_EXAMPLE_REQUEST: HeaderField[] = [
  [":path", "/pkg.Greeter/SayHello"],
  [":authority", "api.example"],
  ["content-type", "application/grpc"],
  ["grpc-timeout", "100m"],
  ["x-tenant", "blue"],
];

/** Vector names of the header example: the first and second blocks, and the HEADERS frames on streams 1 and 3. */
export const HEADER_VECTOR_NAMES = [
  "headers-block-1",
  "headers-block-2",
  "headers-frame-1",
  "headers-frame-3",
] as const;
