/**
 * TLS alerts (RFC 8446 §6, RFC 8449, RFC 8446 §4.2.7) and the typed error the
 * engine raises and reports. A TlsError always names the alert that was sent
 * (local failure) or received (peer failure), so callers and tests can assert
 * the exact code.
 */
import { CodedError } from "../errors/coded-error.ts";

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

export type AlertName = keyof typeof AlertDescription;
export type AlertCode = (typeof AlertDescription)[AlertName];

const namesByCode = new Map<number, AlertName>(
  (Object.entries(AlertDescription) as [AlertName, number][]).map(([n, c]) => [c, n]),
);

export function alertName(code: number): string {
  return namesByCode.get(code) ?? `alert(${code})`;
}

export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** `code` is the alert's name ("decode_error"); `alert` its number (50). */
export class TlsError extends CodedError<string> {
  override readonly name = "TlsError";
  /** The alert description code. */
  readonly alert: number;
  /** "local": we detected the problem and sent the alert; "peer": the peer sent it. */
  readonly origin: "local" | "peer";
  constructor(alert: number, origin: "local" | "peer", detail: string) {
    super(alertName(alert), `${origin === "local" ? "sent" : "received"} ${alertName(alert)}: ${detail}`);
    this.alert = alert;
    this.origin = origin;
  }
  get alertName(): string {
    return this.code;
  }
}

/** Shorthand used by parsers and state machines: `throw fatal("decode_error", "...")`. */
export function fatal(alert: AlertName, detail: string): TlsError {
  return new TlsError(AlertDescription[alert], "local", detail);
}
