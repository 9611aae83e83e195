/**
 * The frames of pqrpc/1 as values (SPEC §Frame types). The codec turns bytes
 * into these and back; the session never sees raw bytes.
 */
import type { FrameType } from "./constants.ts";

/** One (identifier, value) pair of a SETTINGS frame. */
export type SettingEntry = readonly [id: number, value: number];

export interface SettingsFrame {
  type: typeof FrameType.SETTINGS;
  ack: boolean;
  entries: SettingEntry[];
}
export interface HeadersFrame {
  type: typeof FrameType.HEADERS;
  streamId: number;
  endStream: boolean;
  /** The compressed header block (pqhc/1), a view of the received bytes. */
  block: Uint8Array;
}
export interface MessageFrame {
  type: typeof FrameType.MESSAGE;
  streamId: number;
  endStream: boolean;
  messageEnd: boolean;
  compressed: boolean;
  /** Message bytes, a view of the received bytes (no copy); empty when `parts` is set. */
  data: Uint8Array;
  /**
   * Only from a decoder made with `messageParts` (the connection's), for a
   * frame whose payload spanned chunks: the payload as views of them, in order.
   */
  parts?: Uint8Array[];
}
export interface TrailersFrame {
  type: typeof FrameType.TRAILERS;
  streamId: number;
  /** RPC status code (the 17 gRPC codes; others are the RPC layer's to map). */
  status: number;
  /** Status message, UTF-8 on the wire. */
  message: string;
  block: Uint8Array;
}
export interface RstFrame {
  type: typeof FrameType.RST;
  streamId: number;
  code: number;
}
export interface WindowUpdateFrame {
  type: typeof FrameType.WINDOW_UPDATE;
  /** 0 for the connection window. */
  streamId: number;
  increment: number;
}
export interface PingFrame {
  type: typeof FrameType.PING;
  ack: boolean;
  payload: Uint8Array;
}
export interface GoawayFrame {
  type: typeof FrameType.GOAWAY;
  lastStreamId: number;
  code: number;
  debug: Uint8Array;
}
/** A frame of a type this version does not define: received and ignored (SPEC §Extensibility). */
export interface UnknownFrame {
  type: "unknown";
  rawType: number;
  streamId: number;
  length: number;
}

export type Frame =
  | SettingsFrame
  | HeadersFrame
  | MessageFrame
  | TrailersFrame
  | RstFrame
  | WindowUpdateFrame
  | PingFrame
  | GoawayFrame
  | UnknownFrame;
