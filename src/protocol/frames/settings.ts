/**
 * SETTINGS (SPEC §SETTINGS): each endpoint sends one SETTINGS frame as its
 * first frame, and the peer acknowledges it. Window and size settings may
 * only raise the defaults (a device keeps the defaults), so no value ever
 * shrinks under bytes already in flight.
 */
import { MAX_VARINT } from "../../bytes/varint.ts";
import {
  DEFAULT_HEADER_TABLE_BYTES,
  DEFAULT_INITIAL_CONNECTION_WINDOW_BYTES,
  DEFAULT_INITIAL_STREAM_WINDOW_BYTES,
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HEADER_LIST_BYTES,
  MAX_FRAME_BYTES_LIMIT,
  MAX_HEADER_LIST_BYTES_LIMIT,
  MAX_HEADER_TABLE_BYTES,
  MAX_WINDOW_BYTES,
} from "./constants.ts";
import { ErrorCode, FrameError } from "./error-codes.ts";
import type { SettingEntry } from "./frame.ts";

export const SettingId = {
  MAX_FRAME_SIZE: 0x1,
  INITIAL_STREAM_WINDOW: 0x2,
  INITIAL_CONNECTION_WINDOW: 0x3,
  HEADER_TABLE_SIZE: 0x4,
  MAX_CONCURRENT_STREAMS: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export interface Settings {
  /** Largest frame payload this endpoint accepts, bytes. */
  maxFrameBytes: number;
  /** Window this endpoint grants each new stream, bytes. */
  initialStreamWindowBytes: number;
  /** Window this endpoint grants the connection, bytes. */
  initialConnectionWindowBytes: number;
  /** Capacity of this endpoint's header decoding table, bytes. */
  headerTableBytes: number;
  /** Streams the peer may have open towards this endpoint at once. */
  maxConcurrentStreams: number;
  /** Largest decoded header list this endpoint accepts, bytes. */
  maxHeaderListBytes: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  initialStreamWindowBytes: DEFAULT_INITIAL_STREAM_WINDOW_BYTES,
  initialConnectionWindowBytes: DEFAULT_INITIAL_CONNECTION_WINDOW_BYTES,
  headerTableBytes: DEFAULT_HEADER_TABLE_BYTES,
  maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
  maxHeaderListBytes: DEFAULT_MAX_HEADER_LIST_BYTES,
};

interface Rule {
  key: keyof Settings;
  min: number;
  max: number;
}

const RULES = new Map<number, Rule>([
  [
    SettingId.MAX_FRAME_SIZE,
    { key: "maxFrameBytes", min: DEFAULT_MAX_FRAME_BYTES, max: MAX_FRAME_BYTES_LIMIT },
  ],
  [
    SettingId.INITIAL_STREAM_WINDOW,
    { key: "initialStreamWindowBytes", min: DEFAULT_INITIAL_STREAM_WINDOW_BYTES, max: MAX_VARINT },
  ],
  [
    SettingId.INITIAL_CONNECTION_WINDOW,
    { key: "initialConnectionWindowBytes", min: DEFAULT_INITIAL_CONNECTION_WINDOW_BYTES, max: MAX_VARINT },
  ],
  [
    SettingId.HEADER_TABLE_SIZE,
    { key: "headerTableBytes", min: DEFAULT_HEADER_TABLE_BYTES, max: MAX_HEADER_TABLE_BYTES },
  ],
  [SettingId.MAX_CONCURRENT_STREAMS, { key: "maxConcurrentStreams", min: 0, max: MAX_VARINT }],
  [
    SettingId.MAX_HEADER_LIST_SIZE,
    { key: "maxHeaderListBytes", min: DEFAULT_MAX_HEADER_LIST_BYTES, max: MAX_HEADER_LIST_BYTES_LIMIT },
  ],
]);

/** Checks local settings before use; throws RangeError naming the bad one. */
export function resolveSettings(partial: Partial<Settings> = {}): Settings {
  const s = { ...DEFAULT_SETTINGS, ...partial };
  for (const rule of RULES.values()) {
    const v = s[rule.key];
    if (!Number.isInteger(v) || v < rule.min || v > rule.max) {
      throw new RangeError(`setting ${rule.key}=${v} outside ${rule.min}..${rule.max}`);
    }
  }
  if (s.initialStreamWindowBytes > MAX_WINDOW_BYTES)
    throw new RangeError("initialStreamWindowBytes too large");
  return s;
}

/** The entries of our SETTINGS frame: only values that differ from the defaults. */
export function settingsToEntries(s: Settings): SettingEntry[] {
  const out: SettingEntry[] = [];
  for (const [id, rule] of RULES) {
    if (s[rule.key] !== DEFAULT_SETTINGS[rule.key]) out.push([id, s[rule.key]]);
  }
  return out;
}

/** The peer's settings from its SETTINGS entries; unknown ids are ignored (SPEC §Extensibility). */
export function settingsFromEntries(entries: readonly SettingEntry[]): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS };
  for (const [id, value] of entries) {
    const rule = RULES.get(id);
    if (rule === undefined) continue;
    if (value < rule.min || value > rule.max) {
      throw new FrameError(
        ErrorCode.PROTOCOL_ERROR,
        `SETTINGS ${rule.key}=${value} outside the allowed ${rule.min}..${rule.max}`,
      );
    }
    s[rule.key] = value;
  }
  return s;
}
