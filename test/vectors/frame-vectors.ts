/**
 * pqrpc/1 frame sequences (vectors/frames/*.json): each vector is one
 * connection's frames in wire order, both directions, as hex and as decoded
 * fields. Header blocks are pqhc/1 (docs/SPEC.md "Header compression"): each
 * direction has its own encoder whose dynamic table starts empty at the
 * connection's start, so a block depends on the blocks before it in the same
 * direction; `headers` gives the list a decoder must recover from it.
 */
import { fromHex, toHex, utf8Encode } from "../../src/bytes/bytes.ts";
import { FrameType } from "../../src/protocol/frames/constants.ts";
import { ErrorCode } from "../../src/protocol/frames/error-codes.ts";
import type { Frame, SettingEntry } from "../../src/protocol/frames/frame.ts";
import { encodeFrame } from "../../src/protocol/frames/frame-encoder.ts";
import { HeaderEncoder } from "../../src/protocol/frames/header-encoder.ts";
import type { HeaderField } from "../../src/protocol/frames/header-field.ts";
import { SettingId, settingsFromEntries } from "../../src/protocol/frames/settings.ts";

type Hex = string;
export type FrameDirection = "client->server" | "server->client";

/** A header field in JSON: text values as strings, "-bin" values as { hex }. */
export type JsonHeaderField = [name: string, value: string | { hex: Hex }];

/** A frame's fields as JSON: the Frame value with bytes as hex and the type by name. */
export type JsonFrame = Record<string, unknown> & { type: string };

export interface FrameVectorEntry {
  direction: FrameDirection;
  hex: Hex;
  frame: JsonFrame;
  /** HEADERS and TRAILERS: the header list the frame's block decodes to. */
  headers?: JsonHeaderField[];
}

export interface FrameVector {
  name: string;
  description: string;
  frames: FrameVectorEntry[];
}

const TYPE_NAMES = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]));
const SETTING_NAMES = new Map<number, string>(Object.entries(SettingId).map(([k, v]) => [v, k]));
const TYPE_BY_NAME = new Map<string, number>(Object.entries(FrameType));

/** Frame -> JSON fields (bytes as hex, numeric type as its SPEC name). */
export function frameToJson(frame: Frame): JsonFrame {
  if (frame.type === "unknown") return { ...frame, type: "unknown" };
  const out: JsonFrame = { type: TYPE_NAMES.get(frame.type) ?? String(frame.type) };
  for (const [k, v] of Object.entries(frame)) {
    if (k === "type") continue;
    if (v instanceof Uint8Array) out[k] = toHex(v);
    else if (k === "entries") {
      out[k] = (v as SettingEntry[]).map(([id, value]) => ({
        id,
        name: SETTING_NAMES.get(id) ?? "unknown",
        value,
      }));
    } else out[k] = v;
  }
  return out;
}

/** JSON fields -> Frame (the inverse of frameToJson for the frame types a vector uses). */
export function frameFromJson(json: JsonFrame): Frame {
  const type = TYPE_BY_NAME.get(json.type);
  if (type === undefined) throw new Error(`frame vector: unknown frame type ${json.type}`);
  const bytesFields = new Set(["block", "data", "payload", "debug"]);
  const out: Record<string, unknown> = { type };
  for (const [k, v] of Object.entries(json)) {
    if (k === "type") continue;
    if (k === "entries") {
      out[k] = (v as { id: number; value: number }[]).map((e): SettingEntry => [e.id, e.value]);
    } else out[k] = bytesFields.has(k) ? fromHex(v as string) : v;
  }
  return out as unknown as Frame;
}

export const headerFieldToJson = ([name, value]: HeaderField): JsonHeaderField => [
  name,
  typeof value === "string" ? value : { hex: toHex(value) },
];
export const headerFieldFromJson = ([name, value]: JsonHeaderField): HeaderField => [
  name,
  typeof value === "string" ? value : fromHex(value.hex),
];

/** A scripted frame before encoding: HEADERS / TRAILERS carry their header list instead of a block. */
type Scripted =
  | { dir: FrameDirection; frame: Frame }
  | { dir: FrameDirection; headers: HeaderField[]; streamId: number; endStream?: boolean }
  | {
      dir: FrameDirection;
      trailers: HeaderField[];
      streamId: number;
      status: number;
      message: string;
    };

/** Encodes a script with one pqhc/1 encoder per direction (a connection's worth of state). */
function build(name: string, description: string, script: readonly Scripted[]): FrameVector {
  const encoders = new Map<FrameDirection, HeaderEncoder>([
    ["client->server", new HeaderEncoder()],
    ["server->client", new HeaderEncoder()],
  ]);
  // The peer's announced HEADER_TABLE_SIZE, applied by our encoder after our ACK (SPEC "SETTINGS", point of change).
  const announced = new Map<FrameDirection, number>();
  const frames = script.map((s): FrameVectorEntry => {
    const encoder = encoders.get(s.dir)!;
    let frame: Frame;
    let headers: HeaderField[] | undefined;
    if ("frame" in s) {
      frame = s.frame;
      if (frame.type === FrameType.SETTINGS && !frame.ack) {
        announced.set(s.dir, settingsFromEntries(frame.entries).headerTableBytes);
      } else if (frame.type === FrameType.SETTINGS) {
        const peerTable = announced.get(s.dir === C ? S : C);
        if (peerTable !== undefined) encoder.setCapacity(peerTable);
      }
    } else if ("headers" in s) {
      headers = s.headers;
      frame = {
        type: FrameType.HEADERS,
        streamId: s.streamId,
        endStream: s.endStream ?? false,
        block: encoder.encode(s.headers),
      };
    } else {
      headers = s.trailers;
      frame = {
        type: FrameType.TRAILERS,
        streamId: s.streamId,
        status: s.status,
        message: s.message,
        block: encoder.encode(s.trailers),
      };
    }
    return {
      direction: s.dir,
      hex: toHex(encodeFrame(frame)),
      frame: frameToJson(frame),
      ...(headers === undefined ? {} : { headers: headers.map(headerFieldToJson) }),
    };
  });
  return { name, description, frames };
}

const C: FrameDirection = "client->server";
const S: FrameDirection = "server->client";
const text = utf8Encode;

/**
 * SPEC "SETTINGS": settings other than MAX_CONCURRENT_STREAMS can only raise
 * the defaults, so a constrained device announces only its stream limit and
 * keeps the default (small) frames, windows and table.
 */
const DEVICE_SETTINGS: SettingEntry[] = [[SettingId.MAX_CONCURRENT_STREAMS, 4]];
/** A server's settings: larger windows and a larger header table for its decoder. */
const SERVER_SETTINGS: SettingEntry[] = [
  [SettingId.INITIAL_STREAM_WINDOW, 1048576],
  [SettingId.INITIAL_CONNECTION_WINDOW, 8388608],
  [SettingId.HEADER_TABLE_SIZE, 8192],
  [SettingId.MAX_CONCURRENT_STREAMS, 100],
];

const settings = (dir: FrameDirection, entries: SettingEntry[]): Scripted => ({
  dir,
  frame: { type: FrameType.SETTINGS, ack: false, entries },
});
const settingsAck = (dir: FrameDirection): Scripted => ({
  dir,
  frame: { type: FrameType.SETTINGS, ack: true, entries: [] },
});
/** Connection start (SPEC "Connection start"): both SETTINGS, then both ACKs. */
const START: Scripted[] = [
  settings(C, DEVICE_SETTINGS),
  settings(S, SERVER_SETTINGS),
  settingsAck(C),
  settingsAck(S),
];

const request = (streamId: number, path: string, endStream = false): Scripted => ({
  dir: C,
  streamId,
  endStream,
  headers: [
    [":path", path],
    [":authority", "sensors.example"],
    ["content-type", "application/grpc"],
    ["grpc-timeout", "5S"],
    ["x-device-id", "device-0042"],
  ],
});
const response = (streamId: number): Scripted => ({ dir: S, streamId, headers: [["x-server", "pqrpc"]] });
const message = (dir: FrameDirection, streamId: number, data: string, endStream = false): Scripted => ({
  dir,
  frame: {
    type: FrameType.MESSAGE,
    streamId,
    endStream,
    messageEnd: true,
    compressed: false,
    data: text(data),
  },
});
const ok = (streamId: number, trailers: HeaderField[] = []): Scripted => ({
  dir: S,
  streamId,
  status: 0,
  message: "",
  trailers,
});

export function makeFrameVectors(): FrameVector[] {
  return [
    build(
      "connection-start",
      "Connection start: pqrpc/1 has no preface but SETTINGS (ALPN already chose the protocol): each side's SETTINGS without waiting (a device announces only its stream limit, the server larger windows and header table), then each side's ACK.",
      START,
    ),
    build(
      "unary-call",
      "A unary call on stream 1: request HEADERS, one MESSAGE ending the client's half, response HEADERS, MESSAGE, TRAILERS (OK) with trailer metadata; then a second call on stream 3 whose request headers the dynamic table shortens.",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Read"),
        message(C, 1, "read temperature", true),
        response(1),
        message(S, 1, "21.5 C"),
        ok(1, [["x-served-by", "node-1"]]),
        request(3, "/sensors.v1.Sensors/Read"),
        message(C, 3, "read humidity", true),
        response(3),
        message(S, 3, "40 %"),
        ok(3, [["x-served-by", "node-1"]]),
      ],
    ),
    build(
      "server-stream",
      "A server stream on stream 1: one request message, three response messages, TRAILERS (OK); then a message split over two MESSAGE frames (MESSAGE_END on the second only).",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Watch"),
        message(C, 1, "watch", true),
        response(1),
        message(S, 1, "t=21.5"),
        message(S, 1, "t=21.6"),
        message(S, 1, "t=21.4"),
        {
          dir: S,
          frame: {
            type: FrameType.MESSAGE,
            streamId: 1,
            endStream: false,
            messageEnd: false,
            compressed: false,
            data: text("t=2"),
          },
        },
        message(S, 1, "1.3"),
        ok(1),
      ],
    ),
    build(
      "client-stream",
      "A client stream on stream 1: an upload of sensor readings, the last MESSAGE ending the client's half; the server grants window as it consumes, then answers once.",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Upload"),
        message(C, 1, "reading 1: 21.5"),
        message(C, 1, "reading 2: 21.6"),
        { dir: S, frame: { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 30 } },
        { dir: S, frame: { type: FrameType.WINDOW_UPDATE, streamId: 0, increment: 30 } },
        message(C, 1, "reading 3: 21.4"),
        {
          dir: C,
          frame: {
            type: FrameType.MESSAGE,
            streamId: 1,
            endStream: true,
            messageEnd: false,
            compressed: false,
            data: new Uint8Array(0),
          },
        },
        response(1),
        message(S, 1, "stored 3"),
        ok(1),
      ],
    ),
    build(
      "rst",
      "Stream resets: the client cancels stream 1 (RST CANCEL); the server refuses stream 3 (RST REFUSED_STREAM) and fails stream 5 with TRAILERS (status 5 NOT_FOUND and a message).",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Watch"),
        message(C, 1, "watch", true),
        { dir: C, frame: { type: FrameType.RST, streamId: 1, code: ErrorCode.CANCEL } },
        request(3, "/sensors.v1.Sensors/Read", true),
        { dir: S, frame: { type: FrameType.RST, streamId: 3, code: ErrorCode.REFUSED_STREAM } },
        request(5, "/sensors.v1.Sensors/Missing", true),
        { dir: S, streamId: 5, status: 5, message: "no such sensor", trailers: [] },
      ],
    ),
    build(
      "goaway",
      "Graceful close: the server's GOAWAY NO_ERROR with last stream 1 and debug data while stream 1 finishes; stream 3, above the last id, is not processed.",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Read"),
        message(C, 1, "read", true),
        request(3, "/sensors.v1.Sensors/Read"),
        {
          dir: S,
          frame: {
            type: FrameType.GOAWAY,
            lastStreamId: 1,
            code: ErrorCode.NO_ERROR,
            debug: text("restarting"),
          },
        },
        response(1),
        message(S, 1, "21.5 C"),
        ok(1),
        {
          dir: C,
          frame: {
            type: FrameType.GOAWAY,
            lastStreamId: 0,
            code: ErrorCode.NO_ERROR,
            debug: new Uint8Array(0),
          },
        },
      ],
    ),
    build(
      "ping",
      "Keepalive: the client's PING and the server's ACK with the same 8 bytes, then the server's PING and the client's ACK.",
      [
        ...START,
        { dir: C, frame: { type: FrameType.PING, ack: false, payload: text("keepaliv") } },
        { dir: S, frame: { type: FrameType.PING, ack: true, payload: text("keepaliv") } },
        {
          dir: S,
          frame: { type: FrameType.PING, ack: false, payload: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) },
        },
        {
          dir: C,
          frame: { type: FrameType.PING, ack: true, payload: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) },
        },
      ],
    ),
    build(
      "window-update",
      "Flow control: WINDOW_UPDATE for the connection (stream 0) and for a stream, with increments needing 1-, 2- and 4-byte varints, and the largest increment a window allows (2^30 - 1, MAX_VARINT).",
      [
        ...START,
        request(1, "/sensors.v1.Sensors/Upload"),
        { dir: S, frame: { type: FrameType.WINDOW_UPDATE, streamId: 0, increment: 63 } },
        { dir: S, frame: { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 16383 } },
        { dir: S, frame: { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 65536 } },
        { dir: C, frame: { type: FrameType.WINDOW_UPDATE, streamId: 0, increment: 2 ** 30 - 1 } },
      ],
    ),
  ];
}
