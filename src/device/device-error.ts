/** Errors of the device API's own use (a call's end is a trailers event, a TLS failure a TlsError). */
import { CodedError } from "../errors/coded-error.ts";

export type DeviceErrorCode =
  /** A call or a sleep before the connection is up, or after it closed. */
  | "not-connected"
  /** sleep() with nothing to resume from: the server has sent no ticket (and no external PSK is configured). */
  | "no-session"
  /** Bytes handed to wake are not a sleep state of this version. */
  | "bad-sleep-state"
  /** A value beyond the limit the message names. */
  | "too-large"
  /** An unknown call id. */
  | "unknown-call";

export class DeviceError extends CodedError<DeviceErrorCode> {
  override readonly name = "DeviceError";
}
