/**
 * The state of one pqrpc/1 stream and its only transition function
 * (SPEC §Streams, "States"). Both peers run the same table: an event is a
 * frame of the stream, named by what it does to the call, not by who sent it
 * (only the client sends REQUEST_*, only the server RESPONSE_* and TRAILERS),
 * so the sender applies it when the frame leaves and the receiver when it
 * arrives, and the two copies of the state agree frame by frame.
 *
 * The table is data (STREAM_TRANSITIONS) so a model (Promela) can be checked
 * against exactly what the code runs; docs/SPEC.md prints it.
 */
import { ErrorCode } from "./error-codes.ts";

export const STREAM_STATES = [
  /** No frame of the stream yet. */
  "idle",
  /** Request HEADERS exchanged; the request half is open; no response HEADERS yet. */
  "open",
  /** Response HEADERS exchanged; the request half is still open. */
  "responding",
  /** The client's END_STREAM exchanged; no response HEADERS yet. */
  "request-ended",
  /** The client's END_STREAM and the response HEADERS exchanged. */
  "request-ended-responding",
  /** TRAILERS or RST exchanged: nothing more is sent; frames in flight are ignored. */
  "closed",
] as const;
export type StreamState = (typeof STREAM_STATES)[number];

export const STREAM_INPUTS = [
  /** Client HEADERS without END_STREAM. */
  "request-headers",
  /** Client HEADERS with END_STREAM: a request without messages. */
  "request-headers-end",
  /** A client MESSAGE frame without END_STREAM. */
  "request-message",
  /** The client's END_STREAM (on a MESSAGE frame, possibly empty). */
  "request-end",
  /** Server HEADERS. */
  "response-headers",
  /** A server MESSAGE frame. */
  "response-message",
  /** Server TRAILERS: ends the stream both ways. */
  "trailers",
  /** RST, either way. */
  "rst",
] as const;
export type StreamInput = (typeof STREAM_INPUTS)[number];

/** A transition the table refuses: the stream error the receiver answers with. */
export interface StreamViolation {
  readonly error: ErrorCode;
  readonly detail: string;
}

export type StreamTransition = StreamState | StreamViolation;

const HEADERS_TWICE: StreamViolation = {
  error: ErrorCode.PROTOCOL_ERROR,
  detail: "a second request HEADERS",
};
const RESPONSE_HEADERS_TWICE: StreamViolation = {
  error: ErrorCode.PROTOCOL_ERROR,
  detail: "a second response HEADERS",
};
const BEFORE_HEADERS: StreamViolation = { error: ErrorCode.PROTOCOL_ERROR, detail: "a frame before HEADERS" };
const MESSAGE_BEFORE_RESPONSE: StreamViolation = {
  error: ErrorCode.PROTOCOL_ERROR,
  detail: "a response MESSAGE before the response HEADERS",
};
const AFTER_END: StreamViolation = {
  error: ErrorCode.STREAM_CLOSED,
  detail: "a request frame after END_STREAM",
};

/**
 * Every (state, event) pair. "closed" maps every event to itself: frames in
 * flight when a stream closes are ignored (SPEC §Streams), and the
 * connection, not the stream, judges frames on ids never opened.
 */
export const STREAM_TRANSITIONS: Readonly<
  Record<StreamState, Readonly<Record<StreamInput, StreamTransition>>>
> = {
  idle: {
    "request-headers": "open",
    "request-headers-end": "request-ended",
    "request-message": BEFORE_HEADERS,
    "request-end": BEFORE_HEADERS,
    "response-headers": BEFORE_HEADERS,
    "response-message": BEFORE_HEADERS,
    trailers: BEFORE_HEADERS,
    rst: BEFORE_HEADERS,
  },
  open: {
    "request-headers": HEADERS_TWICE,
    "request-headers-end": HEADERS_TWICE,
    "request-message": "open",
    "request-end": "request-ended",
    "response-headers": "responding",
    "response-message": MESSAGE_BEFORE_RESPONSE,
    trailers: "closed",
    rst: "closed",
  },
  responding: {
    "request-headers": HEADERS_TWICE,
    "request-headers-end": HEADERS_TWICE,
    "request-message": "responding",
    "request-end": "request-ended-responding",
    "response-headers": RESPONSE_HEADERS_TWICE,
    "response-message": "responding",
    trailers: "closed",
    rst: "closed",
  },
  "request-ended": {
    "request-headers": HEADERS_TWICE,
    "request-headers-end": HEADERS_TWICE,
    "request-message": AFTER_END,
    "request-end": AFTER_END,
    "response-headers": "request-ended-responding",
    "response-message": MESSAGE_BEFORE_RESPONSE,
    trailers: "closed",
    rst: "closed",
  },
  "request-ended-responding": {
    "request-headers": HEADERS_TWICE,
    "request-headers-end": HEADERS_TWICE,
    "request-message": AFTER_END,
    "request-end": AFTER_END,
    "response-headers": RESPONSE_HEADERS_TWICE,
    "response-message": "request-ended-responding",
    trailers: "closed",
    rst: "closed",
  },
  closed: {
    "request-headers": "closed",
    "request-headers-end": "closed",
    "request-message": "closed",
    "request-end": "closed",
    "response-headers": "closed",
    "response-message": "closed",
    trailers: "closed",
    rst: "closed",
  },
};

/** The state after `event`, or the violation it is. */
export function transition(state: StreamState, event: StreamInput): StreamTransition {
  return STREAM_TRANSITIONS[state][event];
}

export function isViolation(t: StreamTransition): t is StreamViolation {
  return typeof t !== "string";
}

/** The request half is over: no client MESSAGE may follow. */
export function requestEnded(state: StreamState): boolean {
  return state === "request-ended" || state === "request-ended-responding" || state === "closed";
}

/** Response HEADERS have been exchanged (or the stream is closed). */
export function responseStarted(state: StreamState): boolean {
  return state === "responding" || state === "request-ended-responding" || state === "closed";
}
