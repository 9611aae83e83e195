/**
 * Wire constants and limits of pqrpc/1 (docs/SPEC.md "## pqrpc/1 framing").
 * Every number a peer could push against is bounded by one of these.
 * Integers are QUIC varints of up to 30 bits (src/bytes/varint.ts, MAX_VARINT).
 */
import { MAX_VARINT } from "../../bytes/varint.ts";

/** The ALPN protocol id that selects this framing (RFC 7301). */
export const ALPN_PQRPC_1 = "pqrpc/1";

/** Frame types: the low nibble of a frame's first octet (SPEC §Frame types). */
export const FrameType = {
  SETTINGS: 0x0,
  HEADERS: 0x1,
  MESSAGE: 0x2,
  TRAILERS: 0x3,
  RST: 0x4,
  WINDOW_UPDATE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flags: the high nibble of a frame's first octet; meaning depends on the type. */
export const Flag = {
  /** SETTINGS, PING: this frame acknowledges the peer's. */
  ACK: 0x1,
  /** HEADERS, MESSAGE (client only): the sender's half of the stream ends after this frame. */
  END_STREAM: 0x1,
  /** MESSAGE: this frame's bytes complete one application message. */
  MESSAGE_END: 0x2,
  /** MESSAGE: the message these bytes belong to is compressed (per-message, e.g. gzip). */
  COMPRESSED: 0x4,
} as const;

/** Largest stream id; a client that has used it opens a new connection. */
export const MAX_STREAM_ID = MAX_VARINT;
/** Most bytes of a frame header: 1 type/flags octet + two 4-byte varints. */
export const MAX_FRAME_HEADER_BYTES = 9;
/** Exact PING payload length, bytes. */
export const PING_PAYLOAD_BYTES = 8;
/** Longest GOAWAY debug data we send or keep, bytes. */
export const MAX_GOAWAY_DEBUG_BYTES = 256;
/** Largest flow-control window, bytes (a WINDOW_UPDATE past it is a FLOW_CONTROL_ERROR). */
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/** Defaults every endpoint assumes until the peer's SETTINGS say otherwise; a setting may only raise them. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024;
export const DEFAULT_INITIAL_STREAM_WINDOW_BYTES = 64 * 1024 - 1;
export const DEFAULT_INITIAL_CONNECTION_WINDOW_BYTES = 64 * 1024 - 1;
export const DEFAULT_HEADER_TABLE_BYTES = 4096;
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
/** Decoded header list bound (names + values + 32 per field, as RFC 7541 §4.1 counts). */
export const DEFAULT_MAX_HEADER_LIST_BYTES = 8 * 1024;

/** Upper bounds of settings values. */
export const MAX_FRAME_BYTES_LIMIT = 2 ** 24 - 1;
export const MAX_HEADER_TABLE_BYTES = 64 * 1024;
export const MAX_HEADER_LIST_BYTES_LIMIT = 1024 * 1024;

/** Header compression (pqhc/1): per-entry overhead, as RFC 7541 §4.1 counts it. */
export const HEADER_ENTRY_OVERHEAD_BYTES = 32;
/** Longest header name, bytes. */
export const MAX_HEADER_NAME_BYTES = 256;
/** Most continuation octets of a prefix integer (RFC 7541 §5.1); bounds values below 2^21. */
export const MAX_PREFIX_INT_CONTINUATION_OCTETS = 3;
