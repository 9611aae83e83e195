/**
 * The OpenTelemetry side of the TLS adapter's HandshakeObserver: per
 * connection a handshake span, the pqrpc.tls.* figures, open connections,
 * and, on a server, the security events of a refused or suspicious
 * handshake (with the client's offer read from its ClientHello).
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type UpDownCounter,
} from "@opentelemetry/api";
import { groupByName } from "../crypto/registry.ts";
import type { Crypto } from "../crypto/types.ts";
import { TlsError } from "../tls/alert.ts";
import type { NegotiatedInfo } from "../tls/index.ts";
import { POLICIES, type PolicyName, requiresPqKeyExchange } from "../tls/policy.ts";
import type { HandshakeObserver } from "../transport/handshake-observer.ts";
import { ClientHelloCapture } from "./client-hello-summary.ts";
import { classicalOnly, POLICY_REASONS, type RefusalReason, refusalReason } from "./refusal-reason.ts";
import type { SecurityMonitor } from "./security-events.ts";
import {
  ATTR_CRYPTO_PROVIDER,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_PQRPC_DIRECTION,
  ATTR_PQRPC_SIDE,
  ATTR_TLS_ALERT,
  ATTR_TLS_ALPN,
  ATTR_TLS_CIPHER_SUITE,
  ATTR_TLS_GROUP,
  ATTR_TLS_HELLO_RETRY,
  ATTR_TLS_PSK_MODE,
  ATTR_TLS_REFUSAL_REASON,
  ATTR_TLS_RESUMED,
  ATTR_TLS_SIGNATURE_SCHEME,
  BYTE_BUCKETS,
  HANDSHAKE_DURATION_BUCKETS_S,
  PQRPC_CONNECTIONS_OPEN,
  PQRPC_TLS_ALERTS,
  PQRPC_TLS_HANDSHAKE_BYTES,
  PQRPC_TLS_HANDSHAKE_DURATION,
  PQRPC_TLS_HELLO_RETRY_REQUESTS,
  PQRPC_TLS_POLICY_REFUSALS,
  SPAN_TLS_HANDSHAKE,
} from "./semconv.ts";

const MS_PER_S = 1000;

export interface TlsInstruments {
  readonly duration: Histogram;
  readonly bytes: Histogram;
  readonly helloRetries: Counter;
  readonly alerts: Counter;
  readonly policyRefusals: Counter;
  readonly open: UpDownCounter;
}

export function tlsInstruments(meter: Meter): TlsInstruments {
  return {
    duration: meter.createHistogram(PQRPC_TLS_HANDSHAKE_DURATION, {
      description:
        "TLS handshake duration, by negotiated group, signature scheme, suite, resumption, PSK mode and crypto provider",
      unit: "s",
      advice: { explicitBucketBoundaries: HANDSHAKE_DURATION_BUCKETS_S },
    }),
    bytes: meter.createHistogram(PQRPC_TLS_HANDSHAKE_BYTES, {
      description: "Bytes on the carrier during the handshake, each way (records included)",
      unit: "By",
      advice: { explicitBucketBoundaries: BYTE_BUCKETS },
    }),
    helloRetries: meter.createCounter(PQRPC_TLS_HELLO_RETRY_REQUESTS, {
      description: "Handshakes that needed a HelloRetryRequest",
      unit: "{handshake}",
    }),
    alerts: meter.createCounter(PQRPC_TLS_ALERTS, {
      description: "Fatal TLS alerts sent and received, by name",
      unit: "{alert}",
    }),
    policyRefusals: meter.createCounter(PQRPC_TLS_POLICY_REFUSALS, {
      description: "Handshakes refused by the TLS policy, by reason",
      unit: "{handshake}",
    }),
    open: meter.createUpDownCounter(PQRPC_CONNECTIONS_OPEN, {
      description: "TLS connections open (handshaking or established)",
      unit: "{connection}",
    }),
  };
}

export interface HandshakeContext {
  readonly side: "client" | "server";
  /** "host:port" of the peer. */
  readonly peer?: string | undefined;
  /** This side's policy (default hybrid). */
  readonly policy: PolicyName;
  /** The handshake's Crypto: which provider computed the group (and the ticket fingerprints). */
  readonly crypto: Crypto;
  /** Server side: where refusals, downgrades and ticket problems go. */
  readonly security?: SecurityMonitor | undefined;
}

/** "node", or "wasm+node" when the group's KEMs come from different providers (component order). */
function groupProvider(crypto: Crypto, group: string | undefined): string {
  if (group === undefined) return "none";
  const names = new Set<string>();
  for (const k of groupByName(group as Parameters<typeof groupByName>[0])?.components ?? []) {
    names.add(crypto.hasKem(k) ? crypto.kem(k).provider : "unavailable");
  }
  return [...names].join("+") || "unknown";
}

export class OtelHandshakeObserver implements HandshakeObserver {
  private readonly startedAt = performance.now();
  private readonly span: Span;
  private readonly capture: ClientHelloCapture | undefined;
  private received = 0;
  private sent = 0;
  private done = false;
  private readonly sideAttrs: Attributes;

  constructor(
    private readonly instruments: TlsInstruments,
    tracer: Tracer,
    private readonly ctx: HandshakeContext,
  ) {
    this.sideAttrs = { [ATTR_PQRPC_SIDE]: ctx.side };
    this.span = tracer.startSpan(SPAN_TLS_HANDSHAKE, {
      kind: SpanKind.INTERNAL,
      attributes: {
        ...this.sideAttrs,
        ...(ctx.peer === undefined ? {} : { [ATTR_NETWORK_PEER_ADDRESS]: ctx.peer }),
      },
    });
    this.capture = ctx.side === "server" && ctx.security !== undefined ? new ClientHelloCapture() : undefined;
    instruments.open.add(1, this.sideAttrs);
  }

  handshakeBytes(direction: "received" | "sent", chunk: Uint8Array): void {
    if (direction === "received") {
      this.received += chunk.length;
      this.capture?.push(chunk);
    } else {
      this.sent += chunk.length;
    }
  }

  secure(info: NegotiatedInfo): void {
    this.done = true;
    const seconds = (performance.now() - this.startedAt) / MS_PER_S;
    const attrs: Attributes = {
      ...this.sideAttrs,
      [ATTR_TLS_GROUP]: info.group ?? "none",
      [ATTR_TLS_SIGNATURE_SCHEME]: info.signatureScheme ?? "none",
      [ATTR_TLS_CIPHER_SUITE]: info.cipherSuite,
      [ATTR_TLS_RESUMED]: info.resumed,
      [ATTR_TLS_PSK_MODE]: info.pskMode ?? "none",
      [ATTR_TLS_HELLO_RETRY]: info.helloRetry,
      [ATTR_CRYPTO_PROVIDER]: groupProvider(this.ctx.crypto, info.group),
    };
    const i = this.instruments;
    i.duration.record(seconds, attrs);
    this.recordBytes(info.group ?? "none");
    if (info.helloRetry) i.helloRetries.add(1, { ...this.sideAttrs, [ATTR_TLS_GROUP]: info.group ?? "none" });
    this.span.setAttributes({ ...attrs, ...(info.alpn === undefined ? {} : { [ATTR_TLS_ALPN]: info.alpn }) });
    this.span.end();
    this.checkTickets(info.resumed);
  }

  failed(error: Error, duringHandshake: boolean): void {
    const i = this.instruments;
    if (error instanceof TlsError) {
      i.alerts.add(1, {
        ...this.sideAttrs,
        [ATTR_PQRPC_DIRECTION]: error.origin === "local" ? "sent" : "received",
        [ATTR_TLS_ALERT]: error.alertName,
      });
    }
    if (!duringHandshake || this.done) return;
    this.done = true;
    const offer = this.capture?.parse(this.ctx.crypto.hash("sha256"));
    const reason = refusalReason(error, { offer, policy: this.ctx.policy });
    this.recordFailure(reason, error instanceof TlsError ? error.alertName : reason, error);
    const security = this.ctx.security;
    if (security === undefined) return;
    const peer = this.ctx.peer === undefined ? {} : { peer: this.ctx.peer };
    const alert = error instanceof TlsError ? { alert: error.alertName } : {};
    const offered = offer === undefined ? {} : { offered: offer };
    if (reason === "handshake-timeout") {
      security.report({ kind: "idle_connection", ...peer, reason, detail: error.message });
      return;
    }
    security.report({
      kind: "handshake_refused",
      ...peer,
      reason,
      ...alert,
      ...offered,
      policy: this.ctx.policy,
      detail: error.message,
    });
    if (offer !== undefined && requiresPqKeyExchange(POLICIES[this.ctx.policy]) && classicalOnly(offer)) {
      security.report({
        kind: "downgrade_attempt",
        ...peer,
        ...alert,
        offered: offer,
        policy: this.ctx.policy,
      });
    }
    if (reason === "bad-binder") security.report({ kind: "bad_binder", ...peer, ...alert });
    if (reason === "bad-finished") security.report({ kind: "bad_finished", ...peer, ...alert });
    if (offer !== undefined)
      for (const fp of offer.pskFingerprints) security.ticketOffered(fp, this.ctx.peer, false);
  }

  closed(): void {
    this.instruments.open.add(-1, this.sideAttrs);
    if (!this.done) {
      // Destroyed without an error before it was secure (the caller gave up, the server shut down).
      this.done = true;
      this.recordFailure("aborted", "aborted", undefined);
    }
  }

  private recordBytes(group: string): void {
    const b = this.instruments.bytes;
    b.record(this.received, {
      ...this.sideAttrs,
      [ATTR_PQRPC_DIRECTION]: "received",
      [ATTR_TLS_GROUP]: group,
    });
    b.record(this.sent, { ...this.sideAttrs, [ATTR_PQRPC_DIRECTION]: "sent", [ATTR_TLS_GROUP]: group });
  }

  private recordFailure(reason: RefusalReason, errorType: string, error: Error | undefined): void {
    const i = this.instruments;
    const seconds = (performance.now() - this.startedAt) / MS_PER_S;
    i.duration.record(seconds, {
      ...this.sideAttrs,
      [ATTR_ERROR_TYPE]: errorType,
      [ATTR_TLS_REFUSAL_REASON]: reason,
    });
    this.recordBytes("none");
    if (POLICY_REASONS.has(reason))
      i.policyRefusals.add(1, { ...this.sideAttrs, [ATTR_TLS_REFUSAL_REASON]: reason });
    this.span.setAttributes({ [ATTR_ERROR_TYPE]: errorType, [ATTR_TLS_REFUSAL_REASON]: reason });
    this.span.setStatus({
      code: SpanStatusCode.ERROR,
      ...(error === undefined ? {} : { message: error.message }),
    });
    this.span.end();
  }

  private checkTickets(resumed: boolean): void {
    const security = this.ctx.security;
    if (security === undefined || this.capture === undefined) return;
    const offer = this.capture.parse(this.ctx.crypto.hash("sha256"));
    for (const fp of offer?.pskFingerprints ?? []) security.ticketOffered(fp, this.ctx.peer, resumed);
  }
}
