/**
 * pqrpc.ca.v1.CertificateAuthority (proto/pqrpc/ca/v1/ca.proto): short-lived
 * certificates from CSRs, on the rpc router like the other built-in
 * services. Enroll takes a one-time token bound to names
 * (enrollment-tokens.ts); Renew takes the caller's current certificate, which
 * the TLS handshake verified as its client certificate, and certifies a new
 * key for the same names or fewer. Every leaf is for serverAuth and
 * clientAuth, so a server renews with the certificate it serves.
 */

import { bytesEqual } from "../../bytes/bytes.ts";
import { signatureByName } from "../../crypto/registry.ts";
import { defaultCrypto } from "../../crypto/select.ts";
import type { Crypto } from "../../crypto/types.ts";
import { CertificateAuthority } from "../../gen/pqrpc/ca/v1/ca_pb.ts";
import type { CertificateAuthorityHandlers } from "../../gen/pqrpc/ca/v1/ca_pqrpc.ts";
import { type ParsedCertificate, parseCertificate } from "../../pki/certificate.ts";
import { type ParsedCsr, parseCsr, verifyCsr } from "../../pki/csr.ts";
import { canonicalIpText, parseIpAddress } from "../../pki/ip-address.ts";
import { issueCertificate } from "../../pki/issue.ts";
import { type CertifiedKey, PkiError } from "../../pki/types.ts";
import { Code } from "../../rpc/code.ts";
import type { HandlerContext } from "../../rpc/context.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { DEFAULT_POLICY, POLICIES, type PolicyName, signatureAllowed } from "../../tls/policy.ts";
import type { ServiceRegistrar } from "../service-registrar.ts";
import type { EnrollmentTokens } from "./enrollment-tokens.ts";

/** Default lifetime of an issued certificate: a day, renewed at two thirds of it. */
export const DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS = 24 * 3600;
/** Shortest and longest lifetime the service issues, s (CA/B Forum's 398 days is the outer bound). */
export const MIN_CA_CERTIFICATE_LIFETIME_SECONDS = 60;
export const MAX_CA_CERTIFICATE_LIFETIME_SECONDS = 398 * 24 * 3600;
/** notBefore is backdated by this much at most, for clock skew, ms. */
export const CA_CLOCK_SKEW_MS = 5 * 60_000;
/** Largest CSR looked at. */
export const MAX_CSR_BYTES = 64 * 1024;

export interface IssuedEvent {
  readonly kind: "enroll" | "renew";
  readonly names: readonly string[];
  readonly keyAlgorithm: string;
  readonly serialNumber: string;
  readonly notAfter: Date;
  readonly peer: string;
}

export interface CertificateAuthorityOptions {
  /** The issuing CA: chain[0] is its certificate (then its own issuers, if any), key its signing key. */
  readonly issuer: CertifiedKey;
  /** Tokens for Enroll; without them Enroll is refused (FAILED_PRECONDITION). */
  readonly tokens?: EnrollmentTokens;
  /** Persists `tokens` after a token was used; Enroll answers once it resolved. */
  readonly saveTokens?: () => Promise<void>;
  /** Lifetime of issued certificates, s (default DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS). */
  readonly lifetimeSeconds?: number;
  /** Keys it certifies must be allowed by this policy (default hybrid: PQ or composite). */
  readonly policy?: PolicyName;
  readonly crypto?: Crypto;
  /** Clock, ms (default Date.now). */
  readonly now?: () => number;
  /** Called for every certificate issued (an audit log). */
  readonly onIssued?: (event: IssuedEvent) => void;
}

/** DNS names lowercased, IP addresses in one canonical text form: what name comparisons use. */
function canonicalName(name: string): string {
  const ip = parseIpAddress(name);
  return ip === undefined ? name.toLowerCase().replace(/\.$/, "") : canonicalIpText(ip);
}

function csrNames(csr: ParsedCsr): string[] {
  return [
    ...csr.subjectAltNames.dnsNames.map(canonicalName),
    ...csr.subjectAltNames.ipAddresses.map(canonicalIpText),
  ];
}

function certificateNames(cert: ParsedCertificate): string[] {
  const san = cert.extensions.subjectAltName;
  if (san === undefined) return [];
  return [...san.dnsNames.map(canonicalName), ...san.ipAddresses.map(canonicalIpText)];
}

/** The names to certify: the CSR's, each allowed; or, when it asks for none, all allowed. */
function namesToCertify(requested: readonly string[], allowed: readonly string[]): string[] {
  if (requested.length === 0) return [...allowed];
  const denied = requested.filter((n) => !allowed.includes(n));
  if (denied.length > 0) {
    throw new RpcError(
      Code.PERMISSION_DENIED,
      `not allowed to get a certificate for ${denied.join(", ")} (allowed: ${allowed.join(", ")})`,
    );
  }
  return [...new Set(requested)];
}

function lifetimeOf(options: CertificateAuthorityOptions): number {
  const s = options.lifetimeSeconds ?? DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS;
  if (
    !Number.isInteger(s) ||
    s < MIN_CA_CERTIFICATE_LIFETIME_SECONDS ||
    s > MAX_CA_CERTIFICATE_LIFETIME_SECONDS
  ) {
    throw new RangeError(
      `certificate lifetime ${s} s outside ${MIN_CA_CERTIFICATE_LIFETIME_SECONDS}..${MAX_CA_CERTIFICATE_LIFETIME_SECONDS}`,
    );
  }
  return s;
}

/** The handlers of pqrpc.ca.v1.CertificateAuthority. */
export function createCertificateAuthorityHandlers(
  options: CertificateAuthorityOptions,
): CertificateAuthorityHandlers {
  const crypto = options.crypto ?? defaultCrypto();
  const now = options.now ?? Date.now;
  const lifetimeS = lifetimeOf(options);
  const policy = POLICIES[options.policy ?? DEFAULT_POLICY];
  const caCert = parseCertificate(options.issuer.chain[0]!);
  const caVerifier = crypto.signature(caCert.keyAlgorithm).importPublicKey(caCert.publicKey);

  const checkedCsr = (der: Uint8Array): ParsedCsr => {
    if (der.length > MAX_CSR_BYTES) {
      throw new RpcError(Code.INVALID_ARGUMENT, `a CSR of ${der.length} bytes exceeds ${MAX_CSR_BYTES}`);
    }
    let csr: ParsedCsr;
    try {
      csr = parseCsr(der);
      verifyCsr(csr, crypto);
    } catch (e) {
      if (e instanceof PkiError) throw new RpcError(Code.INVALID_ARGUMENT, `bad CSR: ${e.message}`);
      throw e;
    }
    const scheme = signatureByName(csr.keyAlgorithm);
    if (!signatureAllowed(policy, scheme)) {
      throw new RpcError(
        Code.INVALID_ARGUMENT,
        `a ${scheme.name} key (${scheme.class}) is refused by policy ${policy.name}`,
      );
    }
    return csr;
  };

  const issue = (
    csr: ParsedCsr,
    names: readonly string[],
    kind: IssuedEvent["kind"],
    ctx: HandlerContext,
  ) => {
    const nowMs = now();
    const notAfter = new Date(nowMs + lifetimeS * 1000);
    // Backdated for peers whose clocks run a little behind, by at most a tenth of the lifetime.
    const notBefore = new Date(nowMs - Math.min(CA_CLOCK_SKEW_MS, (lifetimeS * 1000) / 10));
    const leaf = issueCertificate({
      subject: { commonName: names[0]! },
      publicKey: { algorithm: csr.keyAlgorithm, publicKey: csr.publicKey },
      signingKey: options.issuer.key,
      issuerCertificate: caCert,
      extendedKeyUsage: ["serverAuth", "clientAuth"],
      subjectAltNames: names,
      notBefore,
      notAfter,
      crypto,
    });
    const parsed = parseCertificate(leaf);
    options.onIssued?.({
      kind,
      names,
      keyAlgorithm: csr.keyAlgorithm,
      serialNumber: parsed.serialNumber,
      notAfter,
      peer: ctx.peer.address,
    });
    return {
      chain: [leaf, ...options.issuer.chain],
      notBeforeMs: BigInt(parsed.notBefore.getTime()),
      notAfterMs: BigInt(parsed.notAfter.getTime()),
    };
  };

  return {
    async enroll(request, ctx) {
      const tokens = options.tokens;
      if (tokens === undefined) {
        throw new RpcError(Code.FAILED_PRECONDITION, "this CA does not enroll by token");
      }
      const csr = checkedCsr(request.csr);
      const grant = tokens.consume(request.token, now());
      if (grant === undefined)
        throw new RpcError(Code.UNAUTHENTICATED, "unknown, used or expired enrollment token");
      // The token is gone before anything else can fail: one try per token.
      await options.saveTokens?.();
      const names = namesToCertify(csrNames(csr), grant.names.map(canonicalName));
      return issue(csr, names, "enroll", ctx);
    },

    renew(request, ctx) {
      const presented = ctx.peer.tls?.certificates?.[0];
      if (presented === undefined) {
        throw new RpcError(
          Code.UNAUTHENTICATED,
          "Renew needs the current certificate as the TLS client certificate",
        );
      }
      const current = parseCertificate(presented);
      // The handshake verified the chain against the server's trust; this CA renews only its own leaves.
      if (
        !bytesEqual(current.issuerDer, caCert.subjectDer) ||
        !caVerifier.verify(current.tbs, current.signature)
      ) {
        throw new RpcError(Code.PERMISSION_DENIED, `"${current.subject}" was not issued by this CA`);
      }
      if (current.notAfter.getTime() <= now()) {
        throw new RpcError(
          Code.UNAUTHENTICATED,
          `the certificate expired at ${current.notAfter.toISOString()}`,
        );
      }
      const csr = checkedCsr(request.csr);
      if (bytesEqual(csr.publicKey, current.publicKey)) {
        throw new RpcError(
          Code.INVALID_ARGUMENT,
          "a renewal certifies a new key; the CSR has the current one",
        );
      }
      const names = namesToCertify(csrNames(csr), certificateNames(current));
      return issue(csr, names, "renew", ctx);
    },
  };
}

/** Registers pqrpc.ca.v1.CertificateAuthority on a router or server. */
export function addCertificateAuthorityService(
  registrar: ServiceRegistrar,
  options: CertificateAuthorityOptions,
): void {
  registrar.service(CertificateAuthority, createCertificateAuthorityHandlers(options));
}
