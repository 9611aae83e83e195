/**
 * One-line explanations of why a network command failed: the cause a person
 * can act on (connection refused, unknown CA, refused by policy...), with the
 * engine's own detail after it.
 */
import { CodedError } from "../errors/coded-error.ts";
import { codeName } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import { alertName, TlsError } from "../tls/alert.ts";
import { TlsConfigError } from "../tls/config.ts";
import { TransportError } from "../transport/errors.ts";

/** A failure already explained in one line (exit code EXIT_FAILURE). */
export class CommandFailure extends CodedError<"failed"> {
  override readonly name = "CommandFailure";
  constructor(message: string, options?: { cause?: unknown }) {
    super("failed", message, options);
  }
}

export interface FailureContext {
  /** "host:port" of the server. */
  readonly address: string;
  readonly policy: string;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the server running on that port?)",
  ECONNRESET: "connection reset by the server",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "the server closed the connection",
};

/** Words for the alerts that mean something specific to a person. */
function tlsCause(e: TlsError, ctx: FailureContext): string {
  const name = alertName(e.alert);
  const detail = e.message;
  if (e.origin === "local") {
    // The record layer says when the peer answered in plain text (a plain HTTP server, say).
    if (detail.includes("not TLS:")) return detail.slice(detail.indexOf("not TLS:"));
    switch (name) {
      case "unknown_ca":
        return `server certificate not trusted (unknown CA): ${detail}`;
      case "certificate_expired":
        return `server certificate expired or not yet valid: ${detail}`;
      case "bad_certificate":
        return detail.includes("is not valid for")
          ? `server certificate does not match the server name (use --servername): ${detail}`
          : `bad server certificate: ${detail}`;
      case "unsupported_certificate":
        return `unsupported server certificate: ${detail}`;
      case "insufficient_security":
        return `refused by policy ${ctx.policy}: ${detail}`;
      case "no_application_protocol":
        return `the server chose no protocol we offered (ALPN): ${detail}`;
    }
    return `TLS error: ${detail}`;
  }
  switch (name) {
    case "handshake_failure":
    case "insufficient_security":
      return `the server refused the handshake (${name}): no group, cipher suite or signature scheme in common under policy ${ctx.policy}${ctx.policy === "compat" ? "" : " (try --policy compat for a classical server)"}`;
    case "no_application_protocol":
      return "the server supports none of the offered ALPN protocols (see --protocol / --alpn)";
    case "protocol_version":
      return "the server does not speak TLS 1.3";
    case "certificate_required":
      return "the server requires a client certificate";
  }
  return `the server sent alert ${name}: ${detail}`;
}

/** The one-line cause of `e`, prefixed with what was being done. */
export function describeFailure(e: unknown, ctx: FailureContext): string {
  if (e instanceof CommandFailure) return e.message;
  if (e instanceof RpcError) {
    const inner = e.cause;
    if (inner instanceof TlsError || inner instanceof TransportError || hasErrno(inner)) {
      return describeFailure(inner, ctx);
    }
    return `${codeName(e.code)}: ${e.rawMessage || "(no message)"}`;
  }
  if (e instanceof TlsError) return `TLS handshake with ${ctx.address} failed: ${tlsCause(e, ctx)}`;
  if (e instanceof TlsConfigError) return `TLS configuration refused: ${e.message}`;
  if (e instanceof TransportError) {
    if (e.code === "closed-during-handshake") {
      return `${ctx.address} closed the connection during the TLS handshake (not a TLS 1.3 server, or it refused our offer under policy ${ctx.policy})`;
    }
    if (e.code === "handshake-timeout") return `TLS handshake with ${ctx.address} timed out: ${e.message}`;
    return `connection to ${ctx.address} failed: ${e.message}`;
  }
  if (hasErrno(e)) {
    const text = ERRNO_TEXT[e.code] ?? e.message;
    return `cannot connect to ${ctx.address}: ${text}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function hasErrno(e: unknown): e is Error & { code: string } {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}
