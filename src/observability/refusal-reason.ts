/**
 * Why a handshake failed, as one short word for metrics and log lines, from
 * the error that ended it (a TlsError names its alert) and, on a server, the
 * offer the client made and the policy it met.
 *
 * The TLS engine's messages are read here because, until its observer is
 * merged, they are the only place the engine says which check failed (a bad
 * PSK binder and a bad Finished both send decrypt_error). With the observer
 * the engine reports the reason itself and this mapping shrinks to the
 * transport errors.
 */
import { GROUPS, type GroupInfo, SIGNATURE_SCHEMES, type SignatureSchemeInfo } from "../crypto/registry.ts";
import { TlsError } from "../tls/alert.ts";
import { groupAllowed, POLICIES, type PolicyName, signatureAllowed } from "../tls/policy.ts";
import type { ClientHelloSummary } from "./client-hello-summary.ts";

export type RefusalReason =
  | "classical-only-offer"
  | "no-allowed-group"
  | "no-allowed-signature"
  | "group-refused-by-policy"
  | "signature-refused-by-policy"
  | "no-common-cipher-suite"
  | "no-common-alpn"
  | "bad-binder"
  | "bad-finished"
  | "bad-certificate-verify"
  | "client-certificate"
  | "peer-certificate"
  | "malformed-handshake"
  | "protocol-version"
  | "peer-alert"
  | "handshake-timeout"
  | "closed-during-handshake"
  | "aborted"
  | "other";

/** Reasons that are the policy saying no (pqrpc.tls.policy_refusals). */
export const POLICY_REASONS: ReadonlySet<RefusalReason> = new Set([
  "classical-only-offer",
  "no-allowed-group",
  "no-allowed-signature",
  "group-refused-by-policy",
  "signature-refused-by-policy",
]);

const groupsByName = new Map<string, GroupInfo>(GROUPS.map((g) => [g.name, g]));
const schemesByName = new Map<string, SignatureSchemeInfo>(SIGNATURE_SCHEMES.map((s) => [s.name, s]));

/** True when the client offered groups, all of them classical: what a downgrade looks like under a PQ policy. */
export function classicalOnly(offer: ClientHelloSummary): boolean {
  const known = offer.groups.map((g) => groupsByName.get(g)).filter((g) => g !== undefined);
  return known.length > 0 && known.every((g) => g.class === "classical");
}

function offerAllowed(
  offer: ClientHelloSummary,
  policyName: PolicyName,
  what: "group" | "signature",
): boolean {
  const policy = POLICIES[policyName];
  if (what === "group") {
    return offer.groups.some((n) => {
      const g = groupsByName.get(n);
      return g !== undefined && groupAllowed(policy, g);
    });
  }
  return offer.signatureAlgorithms.some((n) => {
    const s = schemesByName.get(n);
    return s !== undefined && signatureAllowed(policy, s);
  });
}

export interface RefusalContext {
  /** The client's offer (server side), when it could be read. */
  readonly offer?: ClientHelloSummary | undefined;
  /** The policy of this side. */
  readonly policy?: PolicyName | undefined;
}

export function refusalReason(error: Error, ctx: RefusalContext = {}): RefusalReason {
  if (!(error instanceof TlsError)) {
    const code = (error as { code?: unknown }).code;
    if (code === "handshake-timeout") return "handshake-timeout";
    if (code === "closed-during-handshake" || code === "truncated") return "closed-during-handshake";
    if (code === "aborted") return "aborted";
    return "other";
  }
  if (error.origin === "peer") return "peer-alert";
  const { offer, policy } = ctx;
  const detail = error.message;
  switch (error.code) {
    case "handshake_failure":
    case "insufficient_security": {
      if (/^sent \w+: group /.test(detail)) return "group-refused-by-policy";
      if (/^sent \w+: signature /.test(detail)) return "signature-refused-by-policy";
      if (/cipher suite/.test(detail)) return "no-common-cipher-suite";
      if (offer !== undefined && policy !== undefined) {
        if (!offerAllowed(offer, policy, "group")) {
          return classicalOnly(offer) ? "classical-only-offer" : "no-allowed-group";
        }
        if (/signature_algorithms/.test(detail) && !offerAllowed(offer, policy, "signature")) {
          return "no-allowed-signature";
        }
      }
      if (/group/.test(detail)) return "no-allowed-group";
      if (/signature_algorithms/.test(detail)) return "no-allowed-signature";
      return "other";
    }
    case "decrypt_error":
      if (/binder/.test(detail)) return "bad-binder";
      if (/Finished/.test(detail)) return "bad-finished";
      if (/CertificateVerify/.test(detail)) return "bad-certificate-verify";
      return "other";
    case "no_application_protocol":
      return "no-common-alpn";
    case "certificate_required":
      return "client-certificate";
    case "bad_certificate":
    case "unsupported_certificate":
    case "certificate_revoked":
    case "certificate_expired":
    case "certificate_unknown":
    case "unknown_ca":
    case "access_denied":
      return "peer-certificate";
    case "protocol_version":
      return "protocol-version";
    case "decode_error":
    case "illegal_parameter":
    case "unexpected_message":
    case "missing_extension":
    case "unsupported_extension":
    case "record_overflow":
    case "bad_record_mac":
      return "malformed-handshake";
    default:
      return "other";
  }
}
